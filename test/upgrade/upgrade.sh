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
for f in "$scripts"/*.sql "$scripts"/*.control; do
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
  # The old release's tables and columns (the update's own audit entries
  # aside, and the warehouse rebuilds it may queue), a digest per row: every
  # old row must come through unchanged. Rows, tables and columns the update
  # adds (the new release's seeded workflows) are compared with a fresh
  # install's by the catalog check.
  local tables
  tables=$(psql -d "$old" -tA -c "SELECT c.oid::regclass || ' ' || string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
                             FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                            WHERE c.relnamespace IN ('crm'::regnamespace, 'crm_dw'::regnamespace) AND c.relkind = 'r'
                              AND c.relname NOT IN ('audit_log', 'audit_setting', 'client_login', 'change_queue')
                            GROUP BY c.oid ORDER BY 1")
  fingerprint() {
    while read -r rel cols; do
      psql -d "$old" -tA -c "SELECT '$rel ' || md5(t::text) FROM (SELECT $cols FROM $rel) t"
    done <<<"$tables" | LC_ALL=C sort
  }
  local before after updated fresh held refused
  before=$(fingerprint)
  # One release at a time, as CHANGELOG.md advises: each update locks its
  # tables first, before an autovacuum can (see sql/versions/). 0.2.0's update
  # did not, so the tables just filled are vacuumed here, as autovacuum would.
  psql -d "$old" -q -c "VACUUM ANALYZE"
  local step
  for step in $(awk -v from="$previous" 'seen { print $1 } $1 == from { seen = 1 }' ../../sql/versions/RELEASES); do
    psql -d "$old" -c "ALTER EXTENSION pgcrm UPDATE TO '$step'"
  done
  # $current requires pg_trgm, which the old releases did not: the update says so, and goes once it is there.
  refused=$(psql -d "$old" -c "ALTER EXTENSION pgcrm UPDATE TO '$current'" 2>&1 || true)
  check "the update from $previous without pg_trgm is refused, naming it" \
    "$(grep -q 'required extension "pg_trgm" is not installed' <<<"$refused" && echo true)"
  psql -d "$old" -c "CREATE EXTENSION pg_trgm" -c "ALTER EXTENSION pgcrm UPDATE TO '$current'"
  after=$(fingerprint)
  psql -d "$new" -c "CREATE EXTENSION pgcrm CASCADE"
  q() { psql -d "$old" -tA -c "$1"; }
  check "ALTER EXTENSION pgcrm UPDATE goes from $previous to $current" \
    "$([ "$(q "SELECT extversion FROM pg_extension WHERE extname = 'pgcrm'")" = "$current" ] && echo true)"
  local lost
  lost=$(LC_ALL=C comm -23 <(echo "$before") <(echo "$after"))
  check "every row of the old release's $(wc -l <<<"$tables") tables comes through the update unchanged ($(wc -l <<<"$before") rows)" \
    "$([ -z "$lost" ] && echo true)"
  [ -z "$lost" ] || head <<<"$lost"
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
  check "the warehouse still refreshes after the update (its first run rebuilds what the update added)" \
    "$(q "SELECT bool_and(status = 'succeeded') FROM crm.etl_refresh('facts')")"
  check "... and the refresh gives the old facts their base-currency totals" \
    "$(q "SELECT bool_and(line_total_base = line_total) FROM crm_dw.fact_sales WHERE currency = 'UAH'")"
  check "old orders are invoiced and paid by the new release, and the billing invariants hold" "$(q "
    SELECT crm.record_payment(o.account_id, 1, 'UAH', current_date, 'after the update', invoice => crm.invoice_order(o.id)) > 0
           AND NOT EXISTS (SELECT FROM crm.receivable_invariant_violations())
      FROM crm.sales_order o WHERE o.status = 'delivered' ORDER BY o.id LIMIT 1")"
}

while read -r release _; do
  [ -n "$release" ] && upgrade_from "$release"
done <../../sql/versions/RELEASES
finish
