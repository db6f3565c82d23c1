#!/usr/bin/env bash
# The jobs under pg_cron: crm.schedule_jobs registers them (idempotently, with
# overrides) from schedules in the database's time zone, here Europe/Kyiv,
# while pg_cron 1.4 reads them in GMT; pg_cron really runs them at the Kyiv
# minute asked for; a failing job shows as failed in cron.job_run_details
# while its run stays logged in crm_dw.etl_run; housekeeping prunes pgcrm's
# old pg_cron runs; a second database schedules its jobs through
# crm.pg_cron_script and cron.schedule_in_database; crm.unschedule_jobs
# removes exactly pgcrm's jobs. pg_cron schedules by the minute, so this
# waits for a minute or two.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh"
q() { psql -tA -c "$1"; }
remote=pgcrm_cron_remote

# pg_cron lives in cron.database_name, the sandbox's database.
psql -c "CREATE EXTENSION pg_cron"
psql -c "ALTER DATABASE $PGDATABASE SET TimeZone = 'Europe/Kyiv'"
trap 'psql -c "DROP EXTENSION IF EXISTS pg_cron" -c "ALTER TABLE crm_dw.kpi_snapshot DROP CONSTRAINT IF EXISTS test_fail" \
           -c "ALTER DATABASE $PGDATABASE RESET TimeZone"; dropdb --if-exists $remote' EXIT
since=$(q "SELECT now()")
check "the sessions run in Kyiv time" "$(q "SELECT current_setting('TimeZone') = 'Europe/Kyiv'")"

check "schedule_jobs registers every job of crm_dw.job" "$(q "SELECT count(*) = (SELECT count(*) FROM crm_dw.job) AND count(*) = 12 FROM crm.schedule_jobs()")"
q "SELECT count(*) FROM crm.schedule_jobs()" >/dev/null
check "... and a second call still leaves twelve" "$(q "SELECT count(*) = 12 FROM cron.job WHERE jobname LIKE 'pgcrm-%'")"
check "each runs its job with crm.run_job" \
  "$(q "SELECT bool_and(command = format('CALL crm.run_job(%L)', substr(jobname, 7))) FROM cron.job WHERE jobname LIKE 'pgcrm-%'")"

# The kpi job at a minute of Kyiv's clock soon to come: what pg_cron must hold
# is that minute in GMT, worked out here by coreutils' date from the system's
# zone database, not by pgcrm.
now=$(date +%s)
at=$(( (now / 60 + ( now % 60 < 40 ? 1 : 2 )) * 60 ))
kyiv=$(TZ=Europe/Kyiv date -d "@$at" '+%-M %-H')
gmt=$(TZ=GMT date -d "@$at" '+%-M %-H')
q "SELECT count(*) FROM crm.schedule_jobs('{\"facts\": \"*/10 * * * *\", \"segments\": null, \"kpi\": \"$kyiv * * *\"}')" >/dev/null
check "a schedule can be overridden, and NULL leaves a job out" \
  "$(q "SELECT (SELECT schedule FROM cron.job WHERE jobname = 'pgcrm-facts') = '*/10 * * * *'
              AND NOT EXISTS (SELECT FROM cron.job WHERE jobname = 'pgcrm-segments')")"
check "a Kyiv time of day ($kyiv) is given to pg_cron in GMT ($gmt)" \
  "$(q "SELECT schedule = '$gmt * * *' FROM cron.job WHERE jobname = 'pgcrm-kpi'")"
check "job_health shows the schedule both ways" \
  "$(q "SELECT schedule = '$kyiv * * *' AND time_zone = 'Europe/Kyiv' AND cron_schedule = '$gmt * * *' AND cron_zone = 'GMT'
        FROM crm.job_health WHERE job = 'kpi'")"
refused=$(psql -c "SELECT crm.schedule_jobs('{\"facts\": \"every five minutes\"}')" 2>&1 || true)
check "a malformed schedule is refused" \
  "$([[ $refused == *"job facts, scheduled in Europe/Kyiv: \"every five minutes\" has 3 fields, not 5"* ]] && echo t || echo "$refused")"

# The kpi job is made to fail: pg_cron must see the failure, etl_run must keep the run.
psql -c "ALTER TABLE crm_dw.kpi_snapshot ADD CONSTRAINT test_fail CHECK (basis < 0) NOT VALID"
for _ in $(seq 1 170); do
  done_runs=$(q "SELECT count(DISTINCT j.jobname) FROM cron.job_run_details d JOIN cron.job j USING (jobid)
                 WHERE j.jobname IN ('pgcrm-reservations', 'pgcrm-kpi') AND d.start_time >= '$since'
                   AND d.status IN ('succeeded', 'failed')")
  [ "$done_runs" = 2 ] && break
  sleep 1
done
check "pg_cron ran the reservations job and it succeeded" \
  "$(q "SELECT count(*) > 0 FROM cron.job_run_details d JOIN cron.job j USING (jobid)
        WHERE j.jobname = 'pgcrm-reservations' AND d.start_time >= '$since' AND d.status = 'succeeded'")"
check "... and logged the run in etl_run" \
  "$(q "SELECT count(*) > 0 FROM crm_dw.etl_run WHERE job = 'reservations' AND status = 'succeeded' AND started >= '$since'")"
check "a failing job shows as failed in cron.job_run_details" \
  "$(q "SELECT count(*) > 0 FROM cron.job_run_details d JOIN cron.job j USING (jobid)
        WHERE j.jobname = 'pgcrm-kpi' AND d.start_time >= '$since' AND d.status = 'failed'
          AND d.return_message LIKE '%pgcrm job failed: kpi: 23514%'")"
check "... at the Kyiv minute it was scheduled for" \
  "$(q "SELECT bool_and(date_trunc('minute', d.start_time) = to_timestamp($at)) FROM cron.job_run_details d JOIN cron.job j USING (jobid)
        WHERE j.jobname = 'pgcrm-kpi' AND d.start_time >= '$since'")"
check "... while its failed run stays logged in etl_run" \
  "$(q "SELECT count(*) > 0 FROM crm_dw.etl_run WHERE job = 'kpi' AND status = 'failed' AND started >= '$since'")"

check "job_health shows the last failure and the last success" \
  "$(q "SELECT (SELECT last_error LIKE '23514:%' FROM crm.job_health WHERE job = 'kpi')
           AND (SELECT last_success >= '$since' AND NOT overdue FROM crm.job_health WHERE job = 'reservations')")"

# Housekeeping prunes pgcrm's pg_cron runs past the retention, and no one else's.
q "INSERT INTO cron.job_run_details (jobid, runid, database, username, command, status, start_time, end_time)
   SELECT jobid, -jobid, 'x', current_user, 'x', 'succeeded', now() - interval '40 days', now() - interval '40 days'
   FROM cron.job WHERE jobname = 'pgcrm-facts'" >/dev/null
q "SELECT cron.schedule('not-pgcrm', '0 0 1 1 *', 'SELECT 1')" >/dev/null
q "INSERT INTO cron.job_run_details (jobid, runid, database, username, command, status, start_time, end_time)
   SELECT jobid, -jobid, 'x', current_user, 'x', 'succeeded', now() - interval '40 days', now() - interval '40 days'
   FROM cron.job WHERE jobname = 'not-pgcrm'" >/dev/null
check "housekeeping prunes pgcrm's pg_cron runs older than 30 days" \
  "$(q "SELECT message LIKE '%and 1 pg_cron runs older than 30 days' FROM crm.etl_refresh('housekeeping')")"
check "... and keeps other jobs' runs" "$(q "SELECT count(*) = 1 FROM cron.job_run_details WHERE runid < 0")"

# A second database, whose jobs pg_cron runs from this one.
createdb "$remote"
psql -d "$remote" -q -c "CREATE EXTENSION pgcrm CASCADE"
notices=$(mktemp)
only_reservations='{"facts": null, "features": null, "segments": null, "forecast": null, "kpi": null, "data_quality": null, "housekeeping": null,
                    "events": null, "automation_sweeps": null, "automation": null, "billing": null}'
scheduled=$(psql -d "$remote" -tA -c "SELECT count(*) FROM crm.schedule_jobs('$only_reservations')" 2>"$notices")
check "in a database without pg_cron, schedule_jobs records the schedules and says where to run them" \
  "$([ "$scheduled" = 1 ] && grep -q "NOTICE:  pg_cron runs in database \"$PGDATABASE\": run the script of crm.pg_cron_script() there" "$notices" &&
     echo true)"
rm -f "$notices"
psql -d "$remote" -tA -c "SELECT crm.pg_cron_script()" | psql -q -v ON_ERROR_STOP=1 >/dev/null
check "its script schedules the job in that database, by cron.schedule_in_database" \
  "$(q "SELECT database = '$remote' AND command = 'CALL crm.run_job(''reservations'')' FROM cron.job
        WHERE jobname = 'pgcrm-reservations@$remote'")"
for _ in $(seq 1 75); do
  [ "$(psql -d "$remote" -tA -c "SELECT count(*) FROM crm_dw.etl_run WHERE job = 'reservations'")" -gt 0 ] && break
  sleep 1
done
check "... and pg_cron runs it there" \
  "$(psql -d "$remote" -tA -c "SELECT count(*) > 0 FROM crm_dw.etl_run WHERE job = 'reservations' AND status = 'succeeded'")"
q "SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname LIKE '%@$remote'" >/dev/null

check "unschedule_jobs removes pgcrm's eleven scheduled jobs" "$(q "SELECT count(*) = 11 FROM crm.unschedule_jobs()")"
check "... and no other job" \
  "$(q "SELECT array_agg(jobname::text) = ARRAY['not-pgcrm'] FROM cron.job")"
q "SELECT cron.unschedule('not-pgcrm')" >/dev/null
finish
