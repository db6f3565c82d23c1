#!/usr/bin/env bash
# sqlsmith, a random-query generator nobody here wrote, against a database
# holding demo data and a refreshed warehouse: rounds over every object, over
# the crm schemas' tables only, and as each pgcrm role (analyst, manager,
# client), every query under a statement timeout. Fails on a crashed backend,
# an XX000 raised by pgcrm's own code, and a statement naming a pgcrm object
# still running well past its timeout (a cancel ignored).
#   FUZZ_QUERIES  queries in all (default 5,000: make test; make test-fuzz runs 100,000)
#   FUZZ_SEED     the first round's seed (default 1); round i uses FUZZ_SEED + i
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
. test/lib/check.sh
total=${FUZZ_QUERIES:-5000}
seed=${FUZZ_SEED:-1}
timeout_ms=1000
ignored_cpu=2    # seconds of CPU a statement may still spend after its timeout
db=pgcrm_fuzz
out=$(mktemp -d)
log_start=$(stat -c %s "$PGCRM_SANDBOX_LOG")
drop_roles() { psql -d postgres -c 'DROP ROLE IF EXISTS fuzz_analyst, fuzz_manager, fuzz_client'; }
monitor=
cleanup() {
  [ -n "$monitor" ] && kill "$monitor" 2>/dev/null
  dropdb --if-exists --force "$db"
  drop_roles
  rm -rf "$out"
}
trap cleanup EXIT

dropdb --if-exists --force "$db" && drop_roles || exit 1
createdb "$db" || exit 1
psql -d "$db" -o /dev/null <<SQL || exit 1
CREATE EXTENSION pgcrm CASCADE;
SELECT count(*) FROM crm.generate_demo_data(1, 42);
SELECT count(*) FROM crm.etl_refresh();
CREATE ROLE fuzz_analyst LOGIN IN ROLE crm_analyst;
CREATE ROLE fuzz_manager LOGIN IN ROLE crm_manager;
CREATE ROLE fuzz_client LOGIN;
UPDATE crm.account SET owner = 'fuzz_manager' WHERE id % 10 = 0;
SELECT crm.grant_client_access('fuzz_client', (SELECT min(id) FROM crm.account));
-- Errors logged with their SQLSTATE and the source location that raised them.
ALTER DATABASE $db SET log_error_verbosity = verbose;
SQL

# A statement that ignores its cancel keeps computing after its timeout. On a
# loaded machine a backend may get little CPU, so what counts is the CPU time
# (from /proc) it spends after it was first seen past its timeout; a backend
# waiting for sqlsmith to read its rows is served its cancel once the write
# is done, and is left out.
(declare -A first_ticks
 hz=$(getconf CLK_TCK)
 while sleep 0.5; do
   while IFS='|' read -r pid started text; do
     [ -r "/proc/$pid/stat" ] || continue
     ticks=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
     key=$pid@$started
     [ -n "${first_ticks[$key]:-}" ] || first_ticks[$key]=$ticks
     if [ $(( ticks - first_ticks[$key] )) -gt $(( ignored_cpu * hz )) ]; then echo "$pid: $text"; fi
   done < <(psql -d postgres -tA -F '|' -c "SELECT pid, query_start, regexp_replace(left(query, 400), '\s+', ' ', 'g')
                                             FROM pg_stat_activity
                                             WHERE datname = '$db' AND state = 'active' AND query ~ 'crm(_dw)?\.'
                                               AND wait_event_type IS DISTINCT FROM 'Client'
                                               AND now() - query_start > interval '$timeout_ms ms'" 2>/dev/null)
 done >"$out/slow") &
monitor=$!

rounds=("every object|postgres|" "the crm schemas' tables only|postgres|--exclude-catalog"
        "as an analyst|fuzz_analyst|" "as a manager|fuzz_manager|" "as a client|fuzz_client|")
per_round=$(( (total + ${#rounds[@]} - 1) / ${#rounds[@]} ))
for i in "${!rounds[@]}"; do
  IFS='|' read -r what user flags <<<"${rounds[$i]}"
  sqlsmith --target="host=$PGHOST port=$PGPORT dbname=$db user=$user options='-c statement_timeout=$timeout_ms'" \
           --seed=$((seed + i)) --max-queries="$per_round" --verbose $flags >/dev/null 2>"$out/round$i"
  rc=$?
  rate=$(grep -o 'error rate: [0-9.]*' "$out/round$i" | tail -1)
  check "sqlsmith ran $per_round queries $what (seed $((seed + i)), ${rate:-no summary})" \
    "$([ $rc -eq 0 ] && echo t || { echo "exit $rc:"; tail -3 "$out/round$i"; })"
  check "... and the server still answers" "$(psql -d "$db" -tA -c 'SELECT true')"
done
kill "$monitor" 2>/dev/null
monitor=

tail -c +$((log_start + 1)) "$PGCRM_SANDBOX_LOG" >"$out/server.log"
crashes=$(grep -c 'terminated by signal' "$out/server.log")
check "no backend crashed" "$([ "$crashes" -eq 0 ] && echo t || grep -m3 -A3 'terminated by signal' "$out/server.log")"
# An XX000 whose LOCATION is pgcrm's C++ (PostgreSQL is C; guard.cpp reports
# the core's errors); the boundary self-test's deliberate faults say "selftest:".
ours=$(awk '/ERROR:  XX000: / { msg = $0; next }
            msg != "" && /LOCATION:/ { if ($0 ~ /\.cpp:[0-9]+/ && msg !~ /selftest:/) print msg " | " $0; msg = "" }' "$out/server.log")
check "no XX000 raised by pgcrm" "$([ -z "$ours" ] && echo t || printf '%s\n' "$ours" | sort | uniq -c | head)"
echo "# XX000 raised by PostgreSQL itself: $(grep -c 'ERROR:  XX000: ' "$out/server.log")"
grep -o 'ERROR:  XX000: .*' "$out/server.log" | cut -c16- | sed 's/[0-9]\+/N/g' | sort | uniq -c | sort -rn | head -5 | sed 's/^/#   /'
check "no statement on a pgcrm object computed ${ignored_cpu} s of CPU past its ${timeout_ms} ms timeout" \
  "$([ ! -s "$out/slow" ] && echo t || awk '!seen[$1]++' "$out/slow" | head -5)"
echo "# errors by SQLSTATE: $(grep -o 'ERROR:  [0-9A-Z]\{5\}' "$out/server.log" | cut -c9- | sort | uniq -c | sort -rn | head -8 | awk '{printf "%s %s, ", $2, $1}')"
finish
