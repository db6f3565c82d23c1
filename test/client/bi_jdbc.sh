#!/usr/bin/env bash
# pgcrm as a BI tool sees it through PostgreSQL's JDBC driver (Debian's
# libpostgresql-jdbc-java): a login made by crm.create_bi_login connects over
# TCP with its password, reads DatabaseMetaData for every BI view (columns,
# types, and the comments as REMARKS), reads every view to its last value, and
# is refused every write, read-only or not; its statement timeout cancels a
# slow query, its connection limit refuses one connection more, and its
# idle-in-transaction timeout ends a session left open. The test sandbox is
# socket-only, so this test starts a cluster of its own that also listens on
# 127.0.0.1, on a free port, with password authentication (test/client/BiJdbc.java).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh"
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
jar=/usr/share/java/postgresql.jar
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
tcp=(PGCRM_SANDBOX=jdbc PGCRM_PORT="$port" PGCRM_SANDBOX_LISTEN=127.0.0.1)
trap 'env "${tcp[@]}" "$repo/scripts/pg-sandbox" stop >/dev/null 2>&1 || true' EXIT
env "${tcp[@]}" "$repo/scripts/pg-sandbox" start >/dev/null
eval "$(env "${tcp[@]}" "$repo/scripts/pg-sandbox" env)"

psql -o /dev/null <<'SQL'
CREATE EXTENSION pgcrm CASCADE;
SELECT crm.generate_demo_data(1, 5);
SELECT * FROM crm.etl_refresh();
SELECT crm.create_bi_login('bi_jdbc', 'Jdbc-Secret-1', statement_timeout => '5 s',
                           idle_in_transaction_session_timeout => '1 s', connection_limit => 3);
SELECT crm.create_bi_login('bi_default', 'Jdbc-Secret-2');
SQL

# What the catalog says the login may read, and what is in it.
views=$(psql -tA -c "SELECT relname FROM pg_class WHERE relnamespace = 'crm_dw'::regnamespace
                       AND has_table_privilege('bi_jdbc', oid, 'SELECT') ORDER BY 1")
catalog() {
  psql -tA -F $'\t' -c "SELECT 'table', relname, obj_description(oid, 'pg_class') FROM pg_class
                          WHERE relnamespace = 'crm_dw'::regnamespace AND has_table_privilege('bi_jdbc', oid, 'SELECT')"
  psql -tA -F $'\t' -c "SELECT 'column', c.relname, a.attnum, a.attname, t.typname, col_description(c.oid, a.attnum)
                          FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                          JOIN pg_type t ON t.oid = a.atttypid
                          WHERE c.relnamespace = 'crm_dw'::regnamespace AND has_table_privilege('bi_jdbc', c.oid, 'SELECT')"
  for v in $views; do printf 'rows\t%s\t%s\ttrue\n' "$v" "$(psql -tA -c "SELECT count(*) FROM crm_dw.$v")"; done
}
expected=$(catalog | sort)

jdbc() { java -Xmx256m -XX:TieredStopAtLevel=1 -cp "$jar" "$repo/test/client/BiJdbc.java" "jdbc:postgresql://127.0.0.1:$port/$PGDATABASE" "$@"; }
out=$(jdbc bi_jdbc Jdbc-Secret-1 all $views)
field() { awk -F'\t' -v k="$1" '$1 == k' <<<"$out"; }

got=$(grep -E '^(table|column|rows)'$'\t' <<<"$out" | sort)
check "DatabaseMetaData lists the $(wc -w <<<"$views") BI views and their $(grep -c '^column' <<<"$expected") columns with their types and comments, and every view reads to its last row with the columns announced" \
  "$([ "$got" = "$expected" ] && echo true)"
[ "$got" = "$expected" ] || diff <(echo "$expected") <(echo "$got") | head -10
check "no BI view or column lacks its REMARKS" "$([ -z "$(field column | awk -F'\t' '$6 == ""')" ] && echo true)"
others=$(field other)
check "every other relation of crm_dw ($(wc -l <<<"$others")) is refused with 42501" \
  "$([ -n "$others" ] && [ -z "$(awk -F'\t' '$3 != "42501"' <<<"$others")" ] && echo true)"
check "the login's sessions start with its settings: 5 s per statement, 1 s idle in a transaction, read-only, on crm_dw" \
  "$([ "$(field setting | cut -f2,3 | paste -sd' ')" = \
       "$(printf 'statement_timeout\t5s idle_in_transaction_session_timeout\t1s default_transaction_read_only\ton search_path\tcrm_dw')" ] && echo true)"
# Each write, and what refuses it: a view that cannot be updated (55000), the
# grants (42501), or, for what PUBLIC may do, the read-only transaction (25006).
check "every write is refused, read-only or not: a view that cannot change (55000), the grants (42501), read-only transactions (25006)" \
  "$([ "$(field refused | cut -f2,4 | paste -sd' ')" = \
       "$(printf '%s\t%s ' read-only 25006 read-only 55000 read-only 42501 read-only 25006 read-only 25006 \
                            read-write 55000 read-write 42501 read-write 42501 read-write 42501 | sed 's/ $//')" ] && echo true)"
read -r _ state ms <<<"$(field timeout | tr '\t' ' ')"
check "a 60 s query is cancelled by the statement timeout (57014 after ${ms} ms)" \
  "$([ "$state" = 57014 ] && [ "$ms" -ge 5000 ] && [ "$ms" -lt 30000 ] && echo true)"
check "the connection limit admits 3 connections and refuses the fourth (53300)" \
  "$([ "$(field limit | cut -f2,3)" = $'53300\t3' ] && echo true)"
check "a session idle in its transaction past the timeout is ended (25P03)" "$([ "$(field idle | cut -f2)" = 25P03 ] && echo true)"
[ "$fail" -eq 0 ] || echo "$out" | grep -vE '^(table|column|rows|other)'$'\t'

out=$(jdbc bi_default Jdbc-Secret-2 settings)
check "a login made with the defaults gets 60 s per statement and 5 minutes idle, read-only, and finds the views unqualified" \
  "$([ "$(field setting | cut -f3 | paste -sd' ')" = "1min 5min on crm_dw" ] && [ "$(field unqualified | cut -f2)" = ok ] && echo true)"
refusal=$(PGPASSWORD=wrong command psql -X -h 127.0.0.1 -p "$port" -U bi_jdbc -d "$PGDATABASE" -c 'SELECT 1' 2>&1 || true)
check "a wrong password is refused over TCP" "$(grep -q 'password authentication failed' <<<"$refusal" && echo true)"
check "the server log shows no crashed backend" "$(grep -q 'terminated by signal' "$PGCRM_SANDBOX_LOG" || echo true)"
finish
