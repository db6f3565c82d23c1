#!/usr/bin/env bash
# 16 sessions race to move the same 100 production orders through their
# workflow without locking first. Afterwards every row's history must be one
# unbroken chain of defined transitions ending in the row's current state.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh"
cd "$(dirname "${BASH_SOURCE[0]}")"

psql -o /dev/null <<'SQL'
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS race CASCADE;
CREATE SCHEMA race;
CREATE TABLE race.po (id int PRIMARY KEY, status text);
SELECT crm.attach_workflow('race.po', 'status', 'production_order');
INSERT INTO race.po SELECT g, NULL FROM generate_series(1, 100) g;
CREATE TABLE race.lost (id int, from_state text, to_state text);
-- Reads the state without a lock and picks a random next move, so sessions
-- collide: the loser's UPDATE re-checks the row it waited for.
CREATE FUNCTION race.step(order_id int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    current text;
    next text;
BEGIN
    SELECT status INTO current FROM race.po WHERE id = order_id;
    SELECT code INTO next FROM crm.next_states('production_order', current) ORDER BY random() LIMIT 1;
    IF next IS NULL THEN RETURN; END IF;
    PERFORM pg_sleep(0.001);  -- widens the window between the read and the write
    UPDATE race.po SET status = next WHERE id = order_id;
EXCEPTION WHEN SQLSTATE 'PC001' THEN
    INSERT INTO race.lost VALUES (order_id, current, next);
END $$;
SQL

script=$(mktemp)
trap 'rm -f "$script"' EXIT
printf '\\set id random(1, 100)\nSELECT race.step(:id);\n' >"$script"
command pgbench -n -c 16 -j 2 -t 150 -f "$script" 2>&1 | grep -E 'number of (transactions actually processed|failed)'

check_sql "some sessions lost a race and were refused (the test really raced)" \
  "SELECT count(*) > 0 FROM race.lost"
check_sql "every recorded move is a defined transition (or the insert)" \
  "SELECT NOT EXISTS (SELECT FROM crm.status_history h WHERE h.table_name = 'race.po' AND h.from_state IS NOT NULL
     AND NOT EXISTS (SELECT FROM crm.workflow_transition t WHERE t.workflow = 'production_order'
                     AND t.from_state = h.from_state AND t.to_state = h.to_state))"
check_sql "each row's history is one unbroken chain" \
  "SELECT NOT EXISTS (SELECT FROM (SELECT from_state, lag(to_state) OVER (PARTITION BY row_key ORDER BY id) AS prev
                                   FROM crm.status_history WHERE table_name = 'race.po') c
                      WHERE c.from_state IS DISTINCT FROM c.prev)"
check_sql "each chain ends in the row's current state" \
  "SELECT NOT EXISTS (SELECT FROM race.po p WHERE p.status IS DISTINCT FROM
     (SELECT to_state FROM crm.status_history h WHERE h.table_name = 'race.po' AND h.row_key = p.id::text
      ORDER BY id DESC LIMIT 1))"
check_sql "no row left a final state" \
  "SELECT NOT EXISTS (SELECT FROM crm.status_history h JOIN crm.workflow_state s
     ON s.workflow = 'production_order' AND s.code = h.from_state WHERE h.table_name = 'race.po' AND s.is_final)"
psql -c "DROP SCHEMA race CASCADE" 2>/dev/null
finish
