-- Scheduling the warehouse jobs, as far as it goes without pg_cron in this
-- database (test/concurrency/etl_cron.sh runs them under pg_cron).
BEGIN;
SELECT plan(30);
\ir ../lib/pgtap.sql

SELECT throws_ok($$SELECT crm.schedule_jobs()$$, '55000', 'pg_cron is not installed in database "' || current_database() || '"',
                 'scheduling without pg_cron says what is missing');
SELECT throws_ok($$SELECT crm.schedule_jobs('{"fact": "* * * * *", "kpis": null}')$$, '22023', 'there is no warehouse job fact, kpis',
                 'unknown job names are named, before anything is scheduled');
SELECT throws_ok($$SELECT crm.schedule_jobs('["facts"]')$$, '22023', NULL, 'schedules are an object keyed by job name');
SELECT throws_ok($$SELECT crm.schedule_jobs(NULL)$$, '22004', 'schedules must not be NULL', 'NULL schedules');

-- Restores (docs/operations.md, "Backup and restore").
SELECT is_empty($$SELECT c.oid::regclass FROM pg_extension e, unnest(e.extconfig) AS t(oid) JOIN pg_class c ON c.oid = t.oid
                  WHERE e.extname = 'pgcrm' AND c.relkind = 'r'
                    AND NOT EXISTS (SELECT FROM pg_trigger g WHERE g.tgrelid = c.oid AND g.tgname = 'restore_as_dumped')$$,
                'every table pg_dump dumps has the restore trigger');
INSERT INTO crm.account (id, name) VALUES (900101, 'Restore probe');
SELECT throws_ok($$COPY crm.deal (account_id, title, stage) FROM PROGRAM 'printf "900101\tordinary\twon\n"'$$,
                 'PC001', NULL, 'a superuser''s ordinary COPY of a deal past its initial state is refused');
-- pg_dump's settings, then a COPY as the statement itself, as pg_restore sends it.
SAVEPOINT restore;
SET LOCAL row_security = off;
SET LOCAL check_function_bodies = off;
COPY crm.deal (account_id, title, stage) FROM PROGRAM 'printf "900101\trestored\twon\n"';
SELECT is((SELECT stage FROM crm.deal WHERE account_id = 900101), 'won', 'a restoring COPY loads the deal as dumped');
SELECT is_empty($$SELECT FROM crm.status_history h JOIN crm.deal d ON h.row_key = d.id::text
                  WHERE h.table_name = 'crm.deal' AND d.account_id = 900101$$,
                'and writes no second history for it');
SELECT is(current_setting('session_replication_role'), 'replica', 'the rest of the transaction is a replica load');
ROLLBACK TO SAVEPOINT restore;
SELECT is(current_setting('session_replication_role'), 'origin', 'and only that transaction');

-- Time zones: Kyiv is GMT+2 in winter and GMT+3 in summer (EET/EEST).
SELECT is(crm_dw.zone_shift('Europe/Kyiv', 'GMT', '2026-12-02 12:00+00'), -120, 'GMT is 120 minutes behind Kyiv in winter');
SELECT is(crm_dw.zone_shift('Europe/Kyiv', 'GMT', '2026-07-01 12:00+00'), -180, 'and 180 in summer');
SELECT is(crm_dw.cron_shift('30 1 * * 1', -120), '30 23 * * 0', 'Monday 01:30 in Kyiv is Sunday 23:30 GMT in winter');
SELECT throws_ok($$SELECT crm_dw.cron_shift('0 1 1 * *', -120)$$, '22023', NULL,
                 'a run on the 1st moved to the month before is refused');
SELECT is(crm_dw.cron_next_run('0 3 * * 1', 'GMT', '2026-12-02 10:00+00'), '2026-12-07 03:00+00'::timestamptz,
          'the next run of a weekly schedule: Monday 7 December (the 2nd is a Wednesday)');
SELECT is(crm_dw.cron_next_run('30 seconds', 'GMT', '2026-12-02 10:00+00'), '2026-12-02 10:00:30+00'::timestamptz,
          'an interval schedule runs an interval later');
SELECT throws_ok($$SELECT crm.pg_cron_script()$$, '55000', NULL, 'the script for another database needs pg_cron somewhere');

-- Job timeouts. A job that sleeps, with its own limits.
CREATE FUNCTION pg_temp.slow_job(rebuild boolean, OUT mode text, OUT rows_touched bigint, OUT message text)
    LANGUAGE sql AS $$ SELECT pg_sleep(3); SELECT 'run', 0::bigint, current_setting('lock_timeout') $$;
INSERT INTO crm_dw.job VALUES ('slow_test', 999, 'pg_temp.slow_job(boolean)', false, '* * * * *', 'test', '3 minutes', '2 seconds');
SELECT crm.set_job_timeouts('slow_test', statement_timeout => '200 ms');
SELECT is((SELECT r.status || ' | ' || r.error FROM crm.etl_refresh('slow_test') r),
          'failed | 57014: the job ran longer than its statement timeout of 00:00:00.2',
          'a job past its own statement timeout is stopped and logged as failed');
SELECT ok((SELECT finished - started < interval '2 seconds' FROM crm_dw.etl_run WHERE job = 'slow_test'), '... when its time is up');
SET LOCAL statement_timeout = '1s';
SELECT is(pg_temp.sqlstate_of($$SELECT (crm.etl_refresh('slow_test')).status, pg_sleep(3)$$), '57014',
          'the caller''s own statement timeout still applies after the job''s');
SET LOCAL statement_timeout = '300ms';
SELECT crm.set_job_timeouts('slow_test', statement_timeout => '1 minute', lock_timeout => '5 s');
SELECT is(pg_temp.sqlstate_of($$SELECT crm.etl_refresh('slow_test')$$), '57014',
          'a caller''s statement timeout that comes first cancels the call, as ever');
SET LOCAL statement_timeout = 0;
CREATE OR REPLACE FUNCTION pg_temp.slow_job(rebuild boolean, OUT mode text, OUT rows_touched bigint, OUT message text)
    LANGUAGE sql AS $$ SELECT 'run', 0::bigint, current_setting('lock_timeout') $$;
SELECT is((SELECT r.message FROM crm.etl_refresh('slow_test') r), '5s', 'the job runs with its own lock timeout');
SELECT is(current_setting('lock_timeout'), '0', '... and the caller''s is back afterwards');
SELECT throws_ok($$SELECT crm.set_job_timeouts('slow_test', statement_timeout => '-1 s')$$, '22023', NULL,
                 'a timeout must be positive');
SELECT throws_ok($$SELECT crm.set_job_timeouts('no_such_job')$$, '22023', 'there is no warehouse job "no_such_job"',
                 'the job must exist');

-- Job health and housekeeping.
INSERT INTO crm_dw.job_setting (job, schedule, time_zone, cron_schedule, cron_zone, cron_shift, scheduled_by, scheduled_at)
VALUES ('kpi', '45 1 * * *', 'Europe/Kyiv', '45 23 * * *', 'GMT', -120, current_user, now() - interval '3 days');
SELECT ok((SELECT overdue FROM crm.job_health WHERE job = 'kpi'), 'a daily job with no success for three days is overdue');
INSERT INTO crm_dw.etl_run (job, mode, status, started, finished, error)
VALUES ('kpi', 'run', 'failed', now() - interval '1 hour', now() - interval '1 hour', '23514: broken');
SELECT is((SELECT concat_ws(' | ', last_status, last_error, overdue) FROM crm.job_health WHERE job = 'kpi'),
          'failed | 23514: broken | t', 'a failed run shows with its error, and the job stays overdue');
INSERT INTO crm_dw.etl_run (job, mode, status, started, finished) VALUES ('kpi', 'run', 'succeeded', now(), now());
SELECT is((SELECT concat_ws(' | ', last_status, overdue, next_run > now()) FROM crm.job_health WHERE job = 'kpi'),
          'succeeded | f | t', 'after a success it is not overdue, and its next run is ahead');
INSERT INTO crm_dw.etl_run (job, mode, status, started, finished)
SELECT 'kpi', 'run', 'succeeded', now() - d * interval '1 day', now() - d * interval '1 day' FROM generate_series(29, 32) d;
SELECT is((SELECT r.message FROM crm.etl_refresh('housekeeping') r),
          'pruned 2 job runs and 0 pg_cron runs older than 30 days', 'housekeeping prunes job runs older than 30 days');
SET LOCAL pgcrm.job_log_retention = 'forever';
SELECT is((SELECT r.error FROM crm.etl_refresh('housekeeping') r),
          '22023: pgcrm.job_log_retention must be an interval of at least 1 day, not "forever"', 'a bad retention is named');

SELECT * FROM finish();
ROLLBACK;
