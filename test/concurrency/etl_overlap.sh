#!/usr/bin/env bash
# Overlapping refreshes. A second run of a job that is running skips, and says
# so; asked to wait, it waits. Refreshes of every job racing with each other
# and with writers fail nothing, and afterwards the incremental warehouse
# equals a full rebuild row for row.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh"
export PGDATABASE=pgcrm_etl_overlap
dir=$(mktemp -d)
trap 'rm -rf "$dir"; dropdb --if-exists "$PGDATABASE"' EXIT
dropdb --if-exists "$PGDATABASE" 2>/dev/null
createdb "$PGDATABASE"

psql -o /dev/null <<'SQL'
CREATE EXTENSION pgcrm CASCADE;
SELECT crm.generate_demo_data(1, 5);
SELECT * FROM crm.etl_refresh('facts');
SELECT * FROM crm.etl_refresh('features');
CREATE SCHEMA race;
-- Writer w changes only orders with id % 4 = w, so writers never deadlock on each other.
CREATE FUNCTION race.step(w int, k int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    o bigint;
BEGIN
    SELECT id INTO o FROM crm.sales_order WHERE id % 4 = w ORDER BY random() LIMIT 1;
    CASE k % 4
    WHEN 0 THEN UPDATE crm.order_line SET quantity = quantity + 1 WHERE order_id = o;
    WHEN 1 THEN UPDATE crm.sales_order SET order_date = order_date - 1 WHERE id = o AND delivery_date IS NULL;
    WHEN 2 THEN
        INSERT INTO crm.sales_order (account_id) SELECT min(id) + k FROM crm.account RETURNING id INTO o;
        INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price)
        SELECT o, 1, min(id), 10 + k, 100 FROM crm.product;
        UPDATE crm.sales_order SET status = 'confirmed' WHERE id = o;
    ELSE INSERT INTO crm.complaint (account_id, kind, description)
         SELECT account_id, 'delivery', 'Late' FROM crm.sales_order WHERE id = o;
    END CASE;
END $$;
SQL

# 1. A run holds the facts job for two seconds; a second run skips, a third waits.
psql -c "BEGIN" -c "SELECT crm.etl_refresh('facts')" -c "SELECT pg_sleep(2)" -c "COMMIT" >/dev/null &
holder=$!
sleep 0.7
skipped=$(psql -tA -c "SELECT status || ': ' || message FROM crm.etl_refresh('facts')" 2>"$dir/notice")
check "a second facts run while one is running skips" "$([[ $skipped == skipped:* ]] && echo t || echo "$skipped")"
check "... and says so in a notice" "$(grep -q 'skipped: another session is running it' "$dir/notice" && echo t || echo f)"
waited=$(psql -tA -c "SELECT status, finished - started >= interval '0.8 s' FROM crm.etl_refresh('facts', wait => true)")
check "with wait => true it waits for the running one, then succeeds" "$([ "$waited" = "succeeded|t" ] && echo t || echo "$waited")"
wait "$holder"

# 2. Four writers and two refreshers (every job, waiting or skipping) at once.
for w in 0 1 2 3; do
  ( for k in $(seq 1 40); do psql -c "SELECT race.step($w, $k)" >/dev/null; done ) &
done
for r in 0 1; do
  ( for k in $(seq 1 12); do
      PGOPTIONS="-c client_min_messages=warning" psql -c "SELECT * FROM crm.etl_refresh('all', wait => $([ $((k % 2)) = "$r" ] && echo true || echo false))" >/dev/null
    done ) &
done
wait
check "no refresh failed" "$(psql -tA -c "SELECT count(*) = 0 FROM crm_dw.etl_run WHERE status = 'failed'")"
check "the refreshes overlapped (some skipped)" "$(psql -tA -c "SELECT count(*) > 0 FROM crm_dw.etl_run WHERE status = 'skipped'")"
same=$(psql -tA -v lib="$(cd "$(dirname "${BASH_SOURCE[0]}")/../lib" && pwd)/derived_rows.sql" <<'SQL'
\i :lib
SELECT * FROM crm.etl_refresh('facts') \g /dev/null
SELECT * FROM crm.etl_refresh('features') \g /dev/null
CREATE TABLE race.incremental AS SELECT * FROM pg_temp.derived_rows();
SELECT * FROM crm.etl_refresh('facts', "full" => true) \g /dev/null
SELECT * FROM crm.etl_refresh('features', "full" => true) \g /dev/null
SELECT NOT EXISTS (SELECT * FROM race.incremental EXCEPT ALL SELECT * FROM pg_temp.derived_rows())
   AND NOT EXISTS (SELECT * FROM pg_temp.derived_rows() EXCEPT ALL SELECT * FROM race.incremental)
   AND (SELECT count(*) FROM race.incremental) > 50000;
SQL
)
check "after the race the incremental warehouse equals a full rebuild" "$same"
finish
