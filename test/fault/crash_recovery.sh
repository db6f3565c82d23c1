#!/usr/bin/env bash
# Crash recovery: the server is killed with an immediate shutdown (no
# checkpoint, like a power cut to PostgreSQL) while three sessions reserve
# stock, two move orders through their workflow and one holds a transaction
# open. After a restart every reservation and transition a client saw
# committed is there, nothing of the open transaction is, an order's status is
# its last acknowledged one (or the one whose commit was in flight), and the
# stock invariants hold.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh"
cd "$(dirname "${BASH_SOURCE[0]}")"
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_ctl=$("${PG_CONFIG:-$(command -v /usr/lib/postgresql/15/bin/pg_config || command -v pg_config)}" --bindir)/pg_ctl
db=pgcrm_crash
out=$(mktemp -d)
chmod 777 "$out"
trap 'rm -rf "$out"; dropdb --if-exists "$db" 2>/dev/null || true' EXIT
dropdb --if-exists "$db" 2>/dev/null
createdb "$db"
psql -d "$db" -o /dev/null <<'SQL'
CREATE EXTENSION pgcrm CASCADE;
INSERT INTO crm.account (id, name) VALUES (1, 'Crash client');
INSERT INTO crm.warehouse (id, code, name) VALUES (1, 'CR', 'Crash store');
INSERT INTO crm.product (sku, name, kind, list_price, attributes)
VALUES ('CRASH-1', 'Crash pipe', 'goods', 1, '{}'), ('CRASH-2', 'Held pipe', 'goods', 1, '{}');
SELECT crm.receive_stock(id, 1, 1000000) FROM crm.product WHERE sku LIKE 'CRASH-%';
INSERT INTO crm.sales_order (account_id, delivery_terms) SELECT 1, 'crash' FROM generate_series(1, 2001);
SQL

PGDATABASE=$db /usr/bin/python3 crash_workers.py "$db" "$out" 2>"$out/workers.log" &
workers=$!
for _ in $(seq 100); do [ -f "$out/open.ready" ] && break; sleep 0.1; done
sleep 3
as_owner "$pg_ctl" -D "$PGCRM_SANDBOX_DATA" -m immediate -w stop >/dev/null
wait "$workers" || true
as_owner "$pg_ctl" -D "$PGCRM_SANDBOX_DATA" -l "$PGCRM_SANDBOX_LOG" -w -t 120 start >/dev/null

cat "$out"/reserved.* >"$out/reserved"
cat "$out"/moved.* >"$out/moved"
cat "$out"/tried.* >"$out/tried"
psql -d "$db" -o /dev/null <<SQL
CREATE TABLE acked_reservation (request_key text);
CREATE TABLE acked_move (order_id bigint, status text, seq serial);
CREATE TABLE tried_move (order_id bigint, status text, seq serial);
\copy acked_reservation FROM '$out/reserved'
\copy acked_move (order_id, status) FROM '$out/moved' WITH (DELIMITER ' ')
\copy tried_move (order_id, status) FROM '$out/tried' WITH (DELIMITER ' ')
SQL
q() { psql -d "$db" -tA -c "$1"; }
reserved=$(q "SELECT count(*) FROM acked_reservation")
moved=$(q "SELECT count(*) FROM acked_move")
check "the workers committed before the kill ($reserved reservations, $moved transitions acknowledged)" \
  "$([ "$reserved" -gt 50 ] && [ "$moved" -gt 20 ] && echo true)"
check "every acknowledged reservation survived the crash" \
  "$(q "SELECT NOT EXISTS (SELECT FROM acked_reservation a LEFT JOIN crm.reservation r USING (request_key) WHERE r.id IS NULL)")"
check "at most one unacknowledged reservation per session survived (a commit in flight)" \
  "$(q "SELECT count(*) - $reserved <= 3 FROM crm.reservation WHERE request_key LIKE 'w%'")"
check "nothing of the open transaction survived" \
  "$(q "SELECT NOT EXISTS (SELECT FROM crm.reservation WHERE request_key LIKE 'open-%')
             AND (SELECT status FROM crm.sales_order WHERE delivery_terms = 'crash' ORDER BY id LIMIT 1) = 'draft'")"
check "every acknowledged transition is in the status history" \
  "$(q "SELECT NOT EXISTS (SELECT FROM acked_move a WHERE NOT EXISTS (
          SELECT FROM crm.status_history h WHERE h.table_name = 'crm.sales_order'
             AND h.row_key = a.order_id::text AND h.to_state = a.status))")"
check "each order is in its last acknowledged state, or the one whose commit was in flight" \
  "$(q "SELECT bool_and(o.status IN (coalesce(a.status, 'draft'), t.status))
          FROM crm.sales_order o
          LEFT JOIN LATERAL (SELECT status FROM acked_move WHERE order_id = o.id ORDER BY seq DESC LIMIT 1) a ON true
          LEFT JOIN LATERAL (SELECT status FROM tried_move WHERE order_id = o.id ORDER BY seq DESC LIMIT 1) t ON true
         WHERE o.delivery_terms = 'crash' AND o.id > (SELECT min(id) FROM crm.sales_order WHERE delivery_terms = 'crash')")"
check "the stock invariants hold after recovery" "$(q "SELECT NOT EXISTS (SELECT FROM crm.stock_invariant_violations())")"
check "the audit log has an entry for every surviving reservation" \
  "$(q "SELECT (SELECT count(*) FROM crm.reservation) = (SELECT count(*) FROM crm.audit_log WHERE table_name = 'crm.reservation' AND operation = 'INSERT')")"
finish || { tail -5 "$out/workers.log"; exit 1; }
