#!/usr/bin/env bash
# Upgrades: each earlier release is installed, filled and used, then updated
# with ALTER EXTENSION pgcrm UPDATE. Its data must be unchanged, its objects
# identical to a fresh install of the new version (catalog.sql), and the new
# version's behaviour (audit, row-level security, reservations, the warehouse)
# must work on the old data. The old releases' scripts are rebuilt from their
# commits (scripts/release-scripts) and installed for this run only.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh"
cd "$(dirname "${BASH_SOURCE[0]}")"
extdir="$("${PG_CONFIG:-$(command -v /usr/lib/postgresql/15/bin/pg_config || command -v pg_config)}" --sharedir)/extension"
scripts=$(mktemp -d)
placed=()
cleanup() {
  for f in "${placed[@]}"; do rm -f "$extdir/$f"; done
  rm -rf "$scripts"
  for db in pgcrm_upgrade_old pgcrm_upgrade_new; do dropdb --if-exists "$db" 2>/dev/null; done
  psql -d postgres -c "DROP ROLE IF EXISTS upgrade_anna" 2>/dev/null || true
}
trap cleanup EXIT
../../scripts/release-scripts "$scripts"
for f in "$scripts"/*.sql; do
  name=$(basename "$f")
  [ -e "$extdir/$name" ] && continue
  cp "$f" "$extdir/$name"
  placed+=("$name")
done

current=$(sed -n "s/^default_version = '\(.*\)'/\1/p" ../../pgcrm.control)

upgrade_from() {
  local previous=$1 old=pgcrm_upgrade_old new=pgcrm_upgrade_new
  dropdb --if-exists "$old" 2>/dev/null; dropdb --if-exists "$new" 2>/dev/null
  createdb "$old"; createdb "$new"
  psql -d "$old" -o /dev/null <<SQL
CREATE EXTENSION pgcrm VERSION '$previous';
SELECT crm.generate_demo_data(1, 5);
SELECT crm.reserve_order(id) FROM crm.sales_order WHERE status = 'confirmed' ORDER BY id LIMIT 5;
UPDATE crm.sales_order SET status = 'in_production' WHERE id = (SELECT min(id) FROM crm.sales_order WHERE status = 'confirmed');
SELECT * FROM crm.etl_refresh('facts');
SQL
  # The old release's tables (the update's own audit entries aside); tables
  # the update adds are compared with a fresh install's by the catalog check.
  local tables
  tables=$(psql -d "$old" -tA -c "SELECT c.oid::regclass FROM pg_class c WHERE c.relnamespace IN ('crm'::regnamespace, 'crm_dw'::regnamespace)
                             AND c.relkind = 'r' AND c.relname NOT IN ('audit_log', 'audit_setting', 'client_login') ORDER BY 1")
  fingerprint() {
    while read -r rel; do
      echo "$rel $(psql -d "$old" -tA -c "SELECT count(*) || ' ' || md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM $rel t")"
    done <<<"$tables"
  }
  local before after updated fresh held
  # Vacuumed first, as after a night's maintenance: an autovacuum picking a
  # table mid-update can deadlock with it (PostgreSQL then cancels the update).
  psql -d "$old" -c "VACUUM ANALYZE"
  before=$(fingerprint)
  psql -d "$old" -c "ALTER EXTENSION pgcrm UPDATE"
  after=$(fingerprint)
  psql -d "$new" -c "CREATE EXTENSION pgcrm"
  q() { psql -d "$old" -tA -c "$1"; }
  check "ALTER EXTENSION pgcrm UPDATE goes from $previous to $current" \
    "$([ "$(q "SELECT extversion FROM pg_extension WHERE extname = 'pgcrm'")" = "$current" ] && echo true)"
  check "every table's rows are unchanged by the update ($(wc -l <<<"$before") tables)" "$([ "$before" = "$after" ] && echo true)"
  [ "$before" = "$after" ] || diff <(echo "$before") <(echo "$after") | head
  updated=$(psql -d "$old" -tA -f catalog.sql) fresh=$(psql -d "$new" -tA -f catalog.sql)
  check "the updated extension's objects equal a fresh install's ($(wc -l <<<"$fresh") catalog lines)" \
    "$([ "$updated" = "$fresh" ] && echo true)"
  [ "$updated" = "$fresh" ] || diff <(echo "$updated") <(echo "$fresh") | head -20
  check "changes to old data are audited" "$(q "
    UPDATE crm.account SET region = 'Upgraded' WHERE id = (SELECT min(id) FROM crm.account);
    SELECT new_values = '{\"region\": \"Upgraded\"}' FROM crm.audit_log WHERE table_name = 'crm.account' ORDER BY id DESC LIMIT 1")"
  psql -d "$old" -o /dev/null -c "CREATE ROLE upgrade_anna IN ROLE crm_manager" \
    -c "UPDATE crm.account SET manager = 'upgrade_anna' WHERE id IN (SELECT id FROM crm.account ORDER BY id LIMIT 3)"
  check "row-level security applies to old rows: a manager sees exactly her 3 accounts" \
    "$(q "SET ROLE upgrade_anna; SELECT count(*) = 3 FROM crm.account")"
  psql -d postgres -c "DROP ROLE upgrade_anna" -o /dev/null 2>/dev/null || true
  held=$(q "SELECT min(id) FROM crm.reservation WHERE status = 'active'")
  q "SELECT crm.release($held)" >/dev/null
  check "an old reservation still releases, and the stock invariants hold" \
    "$(q "SELECT status = 'released' AND NOT EXISTS (SELECT FROM crm.stock_invariant_violations()) FROM crm.reservation WHERE id = $held")"
  check "the warehouse still refreshes incrementally after the update" \
    "$(q "SELECT bool_and(status = 'succeeded') FROM crm.etl_refresh('facts')")"
}

while read -r release _; do
  [ -n "$release" ] && upgrade_from "$release"
done <../../sql/versions/RELEASES
finish
