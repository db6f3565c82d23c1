-- Scheduling the warehouse jobs, as far as it goes without pg_cron in this
-- database (test/concurrency/etl_cron.sh runs them under pg_cron).
BEGIN;
SELECT plan(4);

SELECT throws_ok($$SELECT crm.schedule_jobs()$$, '55000', 'pg_cron is not installed in database "' || current_database() || '"',
                 'scheduling without pg_cron says what is missing');
SELECT throws_ok($$SELECT crm.schedule_jobs('{"fact": "* * * * *", "kpis": null}')$$, '22023', 'there is no warehouse job fact, kpis',
                 'unknown job names are named, before anything is scheduled');
SELECT throws_ok($$SELECT crm.schedule_jobs('["facts"]')$$, '22023', NULL, 'schedules are an object keyed by job name');
SELECT throws_ok($$SELECT crm.schedule_jobs(NULL)$$, '22004', 'schedules must not be NULL', 'NULL schedules');

SELECT * FROM finish();
ROLLBACK;
