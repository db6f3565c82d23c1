-- Scheduling the warehouse jobs, as far as it goes without pg_cron in this
-- database (test/concurrency/etl_cron.sh runs them under pg_cron).
BEGIN;
SELECT plan(10);

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

SELECT * FROM finish();
ROLLBACK;
