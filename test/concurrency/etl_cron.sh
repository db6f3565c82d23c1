#!/usr/bin/env bash
# The jobs under pg_cron: crm.schedule_jobs registers them (idempotently, with
# overrides), pg_cron really runs them, a failing job shows as failed in
# cron.job_run_details while its run stays logged in crm_dw.etl_run, and
# crm.unschedule_jobs removes exactly pgcrm's jobs. pg_cron 1.4 schedules by
# the minute (seconds arrived in 1.5), so this waits for the next minute.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh"
q() { psql -tA -c "$1"; }

# pg_cron lives in cron.database_name, the sandbox's database.
psql -c "CREATE EXTENSION pg_cron"
trap 'psql -c "DROP EXTENSION IF EXISTS pg_cron" -c "ALTER TABLE crm_dw.kpi_snapshot DROP CONSTRAINT IF EXISTS test_fail"' EXIT
since=$(q "SELECT now()")

check "schedule_jobs registers seven jobs" "$(q "SELECT count(*) = 7 FROM crm.schedule_jobs()")"
q "SELECT count(*) FROM crm.schedule_jobs()" >/dev/null
check "... and a second call still leaves seven" "$(q "SELECT count(*) = 7 FROM cron.job WHERE jobname LIKE 'pgcrm-%'")"
check "each runs its job with crm.run_job" \
  "$(q "SELECT bool_and(command = format('CALL crm.run_job(%L)', substr(jobname, 7))) FROM cron.job WHERE jobname LIKE 'pgcrm-%'")"
q "SELECT count(*) FROM crm.schedule_jobs('{\"facts\": \"*/10 * * * *\", \"segments\": null, \"kpi\": \"* * * * *\"}')" >/dev/null
check "a schedule can be overridden, and NULL leaves a job out" \
  "$(q "SELECT (SELECT schedule FROM cron.job WHERE jobname = 'pgcrm-facts') = '*/10 * * * *'
              AND NOT EXISTS (SELECT FROM cron.job WHERE jobname = 'pgcrm-segments')")"
refused=$(psql -c "SELECT crm.schedule_jobs('{\"facts\": \"every five minutes\"}')" 2>&1 || true)
check "a malformed schedule is refused" "$([[ $refused == *"invalid schedule: every five minutes"* ]] && echo t || echo "$refused")"

# The kpi job is made to fail: pg_cron must see the failure, etl_run must keep the run.
psql -c "ALTER TABLE crm_dw.kpi_snapshot ADD CONSTRAINT test_fail CHECK (basis < 0) NOT VALID"
for _ in $(seq 1 90); do
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
check "... while its failed run stays logged in etl_run" \
  "$(q "SELECT count(*) > 0 FROM crm_dw.etl_run WHERE job = 'kpi' AND status = 'failed' AND started >= '$since'")"

q "SELECT cron.schedule('not-pgcrm', '0 0 1 1 *', 'SELECT 1')" >/dev/null
check "unschedule_jobs removes pgcrm's six scheduled jobs" "$(q "SELECT count(*) = 6 FROM crm.unschedule_jobs()")"
check "... and no other job" \
  "$(q "SELECT array_agg(jobname::text) = ARRAY['not-pgcrm'] FROM cron.job")"
q "SELECT cron.unschedule('not-pgcrm')" >/dev/null
finish
