#!/usr/bin/env bash
# Backups keep everything, restored the way a DBA restores any database, with
# no option beyond the target: a populated database (demo data, a user table
# with a workflow, history, an audit log, a refreshed warehouse) goes through
# pg_dump/pg_restore (custom, plain, directory in parallel), a data-only load
# into an existing schema, and pg_dumpall into a fresh cluster. Each restore
# must report no error and give back every row of every table and every
# sequence value; the restored database must then behave like the original.
# The derived warehouse tables are not dumped: the first refresh after the
# restore rebuilds them, equal row for row.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh"
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
src=pgcrm_dump_src dst=pgcrm_dump_dst
work=$(mktemp -d)
chmod 755 "$work"
other=()  # the second cluster's environment, once started
paths=(custom plain directory data_only)  # the restores into this cluster, each into its own database
drop_databases() { for db in "$src" "${paths[@]/#/${dst}_}"; do dropdb --if-exists "$db" 2>/dev/null; done; }
cleanup() {
  [ ${#other[@]} -eq 0 ] || env "${other[@]}" "$repo/scripts/pg-sandbox" stop >/dev/null 2>&1 || true
  rm -rf "$work"
  drop_databases
}
trap cleanup EXIT
drop_databases
createdb "$src"
psql -d "$src" -o /dev/null <<'SQL'
CREATE EXTENSION pgcrm CASCADE;
SELECT crm.generate_demo_data(1, 11);
CREATE TABLE public.my_ticket (id int PRIMARY KEY, status text);
SELECT crm.attach_workflow('public.my_ticket', 'status', 'task');
INSERT INTO public.my_ticket VALUES (1, NULL), (2, NULL);
UPDATE public.my_ticket SET status = 'in_progress' WHERE id = 1;
INSERT INTO crm.workflow (code) VALUES ('my_flow');
INSERT INTO crm.workflow_state (workflow, code, label_en, label_uk, is_initial) VALUES ('my_flow', 'a', 'A', 'А', true);
INSERT INTO crm.workflow_state (workflow, code, label_en, label_uk) VALUES ('production_order', 'on_hold', 'On hold', 'Призупинено');
UPDATE crm.account SET region = 'Audited' WHERE id = (SELECT min(id) FROM crm.account);
-- The hub: a kind of the user's on a pgcrm table, a kind switched off, rules, events and a consumer, an MES
-- key and its message, a merge.
SELECT crm.emit_on('crm.deal', 'deal.won', 'stage', 'won');
SELECT crm.set_event_kind('lead.created', false);
SELECT crm.set_automation_rule('first_contact_for_new_lead', true);
INSERT INTO crm.automation_rule (name, kind, action, params) VALUES ('thank_for_won_deal', 'deal.won', 'task', '{"title": "Thank for {title}"}');
INSERT INTO crm.lead (source, company_name) VALUES ('web', 'Restore test lead');
UPDATE crm.deal SET stage = 'won' WHERE id = (SELECT min(id) FROM crm.deal WHERE stage = 'negotiation');
SELECT crm.map_external_key('MES', 'production_order', 'WO-1', (SELECT min(id)::text FROM crm.production_order WHERE status = 'accepted'));
SELECT crm.apply_external_status('MES', 'production_order', 'WO-1', 'in_progress', now(), 'mes-1');
SELECT count(*) FROM crm.consume_events('dump-test', 3);
SELECT crm.merge_accounts((SELECT min(id) FROM crm.account), (SELECT min(id) + 1 FROM crm.account), 'duplicate');
-- The warehouse as of the last change, as the restored database's first refresh rebuilds it.
SELECT * FROM crm.etl_refresh('facts');
SELECT * FROM crm.etl_refresh('features');
SELECT * FROM crm.etl_refresh('segments');
SQL

# One line per table and sequence of the three schemas: its name and a digest
# of all its rows. Built-in workflow rows are recreated by CREATE EXTENSION, so
# only their install timestamps may differ. The restored database has run the
# refresh once more, so its job log and job state are left out.
fingerprint() {
  local rel kind
  psql "$@" -tA -F ' ' -c "SELECT c.oid::regclass, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                            WHERE n.nspname IN ('crm', 'crm_dw', 'public') AND c.relkind IN ('r', 'S')
                              AND c.relname NOT IN ('etl_run', 'etl_run_id_seq', 'etl_state') ORDER BY 1" |
  while read -r rel kind; do
    if [ "$kind" = S ]; then
      echo "$rel $(psql "$@" -tA -c "SELECT last_value || ' ' || is_called FROM $rel")"
    else
      echo "$rel $(psql "$@" -tA -c "SELECT count(*) || ' ' || md5(coalesce(string_agg(r::text, ',' ORDER BY r::text), ''))
        FROM (SELECT CASE WHEN (to_jsonb(t)->>'builtin')::boolean THEN to_jsonb(t) - 'created_at' - 'attached_at'
                          ELSE to_jsonb(t) END AS r FROM $rel t) x")"
    fi
  done
}
expected=$(fingerprint -d "$src")
tables=$(wc -l <<<"$expected")
check "the source has rows in every billing table, so the comparison covers them" "$(psql -d "$src" -tA -c "
  SELECT bool_and(n > 0) FROM (VALUES ((SELECT count(*) FROM crm.exchange_rate)), ((SELECT count(*) FROM crm.contract)),
    ((SELECT count(*) FROM crm.contract_override)), ((SELECT count(*) FROM crm.quote_line)), ((SELECT count(*) FROM crm.invoice_line)),
    ((SELECT count(*) FROM crm.payment_allocation)), ((SELECT count(*) FROM crm.loan_installment))) v(n)")"

# The restored database ($@ names it) holds what the source did and behaves
# like it. $1 is what the path is called in the test's output.
verify() {
  local path=$1 errors=$2
  shift 2
  check "$path: the restore reported no error" "$([ "$errors" = 0 ] && echo true || echo "$errors errors")"
  psql "$@" -o /dev/null -c "SELECT * FROM crm.etl_refresh('facts')" -c "SELECT * FROM crm.etl_refresh('features')"
  local got
  got=$(fingerprint "$@")
  check "$path: every table and sequence has identical contents ($tables objects)" "$([ "$got" = "$expected" ] && echo true)"
  [ "$got" = "$expected" ] || diff <(echo "$expected") <(echo "$got") | head -10
  check "$path: a new row outside an initial state is still refused" "$(psql "$@" -tA -c "
    DO \$\$ BEGIN INSERT INTO crm.deal (account_id, title, stage) SELECT min(id), 'x', 'won' FROM crm.account;
                 RAISE EXCEPTION 'allowed'; EXCEPTION WHEN SQLSTATE 'PC001' THEN NULL; END \$\$" >/dev/null 2>&1 && echo true)"
  check "$path: a user table's workflow still enforces its rules" "$(psql "$@" -tA -c "
    DO \$\$ BEGIN UPDATE public.my_ticket SET status = 'done' WHERE id = 2; RAISE EXCEPTION 'allowed';
                 EXCEPTION WHEN SQLSTATE 'PC001' THEN NULL; END \$\$" >/dev/null 2>&1 && echo true)"
  check "$path: new orders continue the restored numbering" "$(psql "$@" -tA -c "
    WITH before AS (SELECT coalesce(max(number), '') AS last FROM crm.sales_order
                    WHERE number LIKE 'ORD-' || extract(year FROM current_date) || '-%'),
         added AS (INSERT INTO crm.sales_order (account_id) SELECT min(id) FROM crm.account RETURNING number)
    SELECT added.number > before.last FROM added, before")"
  check "$path: changes are audited again, and the log is still append-only" "$(psql "$@" -tA -c "
    UPDATE crm.account SET region = 'After restore' WHERE id = (SELECT min(id) FROM crm.account);
    SELECT new_values = '{\"region\": \"After restore\"}' FROM crm.audit_log ORDER BY id DESC LIMIT 1" |
    tail -1 | grep -q t && psql "$@" -tA -c "DO \$\$ BEGIN DELETE FROM crm.audit_log; RAISE EXCEPTION 'deleted';
                 EXCEPTION WHEN SQLSTATE 'PC014' THEN NULL; END \$\$" >/dev/null 2>&1 && echo true)"
  # Invoiced first: a query does not see the rows a function it calls inserts.
  local invoiced
  invoiced=$(psql "$@" -tA -c "SELECT crm.invoice_order(min(o.id)) FROM crm.sales_order o
                               WHERE o.status = 'delivered' AND NOT EXISTS (SELECT FROM crm.invoice i WHERE i.order_id = o.id)")
  check "$path: new invoices continue the restored numbering, and the billing invariants hold" "$(psql "$@" -tA -c "
    SELECT i.number = (SELECT max(x.number) FROM crm.invoice x WHERE x.number LIKE 'INV-' || extract(year FROM current_date) || '-%')
           AND NOT EXISTS (SELECT FROM crm.receivable_invariant_violations())
      FROM crm.invoice i WHERE i.id = ${invoiced:-0}")"
  check "$path: a kind of the user's on a pgcrm table still emits, with its own rule, and a kind switched off stays off" "$(psql "$@" -tA -c "
    UPDATE crm.deal SET stage = 'won' WHERE id = (SELECT min(id) FROM crm.deal WHERE stage = 'negotiation');
    INSERT INTO crm.lead (source, company_name) VALUES ('web', 'After restore');
    SELECT (SELECT count(*) FROM crm.event WHERE kind = 'deal.won') = 2
       AND NOT EXISTS (SELECT FROM crm.event WHERE kind = 'lead.created' AND payload ->> 'company_name' = 'After restore')
       AND (SELECT enabled FROM crm.automation_rules WHERE name = 'first_contact_for_new_lead')" | tail -1)"
  check "$path: the merged account still resolves" "$(psql "$@" -tA -c "
    SELECT crm.resolve_account(remove_id) = keep_id FROM crm.account_merge")"
  check "$path: the warehouse refreshes incrementally" "$(psql "$@" -tA -c "
    INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price)
    SELECT o.id, 99, (SELECT min(id) FROM crm.product), 1, 1 FROM crm.sales_order o WHERE o.status = 'confirmed' ORDER BY o.id LIMIT 1;
    SELECT mode = 'incremental' AND status = 'succeeded' FROM crm.etl_refresh('facts')" | tail -1)"
}
fresh_db() { dropdb --if-exists "$1" 2>/dev/null; createdb "$1"; }
# psql's errors, with no ON_ERROR_STOP: a plain restore goes on after one.
# Read from a file they start 'psql:FILE:LINE: ERROR:', from a pipe 'ERROR:'.
plain_errors() { grep -cE '^(psql:[^ ]*: )?ERROR:' "$1" || true; }

# Paths 1 to 4 each restore into a database of their own, at the same time:
# they only read the source, and the restores wait on the server.
# 1. pg_dump -Fc | pg_restore, as superuser. pg_restore exits 1 when it ignored errors.
custom() {
  local db=${dst}_custom errors=0
  pg_dump -Fc -d "$src" -f "$work/db.dump"
  fresh_db "$db"
  pg_restore -d "$db" "$work/db.dump" 2>"$work/restore.log" || errors=$(grep -c 'error' "$work/restore.log" || echo 1)
  verify "pg_restore of a custom dump" "$errors" -d "$db"
}
# 2. The plain SQL dump through psql.
plain() {
  local db=${dst}_plain
  pg_dump -d "$src" -f "$work/db.sql"
  fresh_db "$db"
  command psql -X -q -d "$db" -f "$work/db.sql" >/dev/null 2>"$work/plain.log"
  verify "psql of a plain dump" "$(plain_errors "$work/plain.log")" -d "$db"
}
# 3. A directory dump and a parallel restore.
directory() {
  local db=${dst}_directory errors=0
  pg_dump -Fd -j 2 -d "$src" -f "$work/db.dir"
  fresh_db "$db"
  pg_restore -j 2 -d "$db" "$work/db.dir" 2>"$work/parallel.log" || errors=$(grep -c 'error' "$work/parallel.log" || echo 1)
  verify "parallel pg_restore of a directory dump" "$errors" -d "$db"
}
# 4. The data alone, into a database that already has the extension and the user's tables.
data_only() {
  local db=${dst}_data_only
  fresh_db "$db"
  pg_dump --schema-only -d "$src" | command psql -X -q -d "$db" >/dev/null 2>"$work/schema.log"
  pg_dump --data-only -d "$src" | command psql -X -q -d "$db" >/dev/null 2>"$work/data.log"
  verify "a data-only dump into an existing schema" \
    "$(( $(plain_errors "$work/schema.log") + $(plain_errors "$work/data.log") ))" -d "$db"
}
declare -A job
for path in "${paths[@]}"; do "$path" >"$work/$path.out" 2>&1 & job[$path]=$!; done
for path in "${paths[@]}"; do
  status=0
  wait "${job[$path]}" || status=$?
  cat "$work/$path.out"
  check "$path: the restore and its checks ran to the end" "$([ "$status" = 0 ] && echo true || echo "exit $status")"
  pass=$((pass + $(grep -c '^ok - ' "$work/$path.out" || true)))
  fail=$((fail + $(grep -c '^not ok - ' "$work/$path.out" || true)))
  dropdb "${dst}_$path"
done

# 5. pg_dumpall of the cluster (roles included; the test database that runs
# pgTAP left out) into a fresh cluster.
pg_dumpall --exclude-database=pgcrm -f "$work/cluster.sql"
other=(PGCRM_SANDBOX=restore-target PGCRM_PORT=$((PGPORT + 1)))
env "${other[@]}" "$repo/scripts/pg-sandbox" start >/dev/null
target=(-h "$(env "${other[@]}" "$repo/scripts/pg-sandbox" env | sed -n "s/^export PGHOST=\([^ ]*\) .*/\1/p")" -p "$((PGPORT + 1))")
command psql -X -q "${target[@]}" -d postgres -f "$work/cluster.sql" >/dev/null 2>"$work/cluster.log"
# pg_dumpall recreates every role, the bootstrap superuser too, who already exists.
cluster_errors=$(grep -E '^(psql:[^ ]*: )?ERROR:' "$work/cluster.log" | grep -cv 'role "postgres" already exists' || true)
verify "pg_dumpall into a fresh cluster" "$cluster_errors" "${target[@]}" -d "$src"
# The restore guard opens nothing for anyone else: a non-initial deal loaded by
# COPY is refused from a superuser's ordinary session, and from a role that
# sets pg_dump's session settings but is no superuser.
won_deal() { echo "COPY crm.deal (account_id, title, stage) FROM stdin;"; echo "$(psql -d "$src" -tA -c 'SELECT min(id) FROM crm.account')	x	won"; echo '\.'; }
check "a superuser's ordinary COPY of a deal past its initial state is refused" \
  "$(won_deal | command psql -X -q -d "$src" 2>&1 | grep -q 'invalid status transition' && echo true)"
psql -d "$src" -q -c "SET client_min_messages = warning" -c "DROP ROLE IF EXISTS restore_probe" -c "CREATE ROLE restore_probe LOGIN BYPASSRLS IN ROLE crm_admin"
check "a non-superuser's COPY with pg_dump's settings is refused too" \
  "$({ echo 'SET row_security = off; SET check_function_bodies = false;'; won_deal; } |
     command psql -X -q -U restore_probe -d "$src" 2>&1 | grep -q 'invalid status transition' && echo true)"
psql -d "$src" -q -c "DROP OWNED BY restore_probe" -c "DROP ROLE restore_probe"
finish
