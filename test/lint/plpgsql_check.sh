#!/usr/bin/env bash
# plpgsql_check over every PL/pgSQL function of the extension: every trigger
# function against each table it is attached to (with its transition tables),
# the rest as they are, with the extra, performance and security warnings on.
# Any finding fails unless test/lint/plpgsql_check.allow lists it (function
# and message) with the reason it is right as it is. pg_cron is created for
# the check, so statements on its tables are checked too.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
. test/lib/check.sh
psql -c 'CREATE EXTENSION plpgsql_check' -c 'CREATE EXTENSION IF NOT EXISTS pg_cron' || exit 1
trap "psql -c 'DROP EXTENSION plpgsql_check' -c 'DROP EXTENSION pg_cron'" EXIT

findings=$(psql -tA -F ' | ' <<'SQL'
WITH fns AS (
    SELECT p.oid, p.prorettype FROM pg_proc p
    JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
    JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pgcrm'
    WHERE p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'plpgsql')
), targets AS (
    SELECT f.oid, 0::oid AS rel, NULL::name AS old_table, NULL::name AS new_table FROM fns f
    WHERE f.prorettype <> 'trigger'::regtype OR NOT EXISTS (SELECT FROM pg_trigger t WHERE t.tgfoid = f.oid)
    UNION
    SELECT f.oid, t.tgrelid, t.tgoldtable, t.tgnewtable FROM fns f JOIN pg_trigger t ON t.tgfoid = f.oid
)
SELECT DISTINCT t.oid::regprocedure, c.level, c.message
FROM targets t,
     plpgsql_check_function_tb(t.oid::regprocedure, t.rel::regclass, oldtable => t.old_table, newtable => t.new_table,
                               performance_warnings => true, extra_warnings => true, security_warnings => true) c
ORDER BY 1, 3;
SQL
) || exit 1
checked=$(psql -tA -c "SELECT count(*) FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
                        WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pgcrm')
                          AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'plpgsql')")
allowed=$(grep -v '^#' test/lint/plpgsql_check.allow | grep -v '^$' | sort)
new=$(comm -23 <(printf '%s\n' "$findings" | grep -v '^$' | sort) <(printf '%s\n' "$allowed"))
stale=$(comm -13 <(printf '%s\n' "$findings" | grep -v '^$' | sort) <(printf '%s\n' "$allowed"))
check "plpgsql_check finds nothing new in the extension's $checked PL/pgSQL functions" \
  "$([ -z "$new" ] && echo t || printf 'not allowed:\n%s' "$new")"
check "every line of the allow-list is still a finding" "$([ -z "$stale" ] && echo t || printf 'stale:\n%s' "$stale")"
finish
