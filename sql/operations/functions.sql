-- Scheduling the warehouse jobs with pg_cron (docs/operations.md). pgcrm does
-- not need pg_cron: every job runs by hand with crm.etl_refresh or
-- crm.run_job, and pg_cron is called through dynamic SQL only.

-- Restores (docs/operations.md, "Backup and restore"); sql/finish.sql puts
-- the trigger on every table pg_dump dumps.
CREATE OR REPLACE FUNCTION crm.restore_as_dumped() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'pgcrm_restore_as_dumped';
COMMENT ON FUNCTION crm.restore_as_dumped() IS
    'Before a superuser''s COPY with row_security and check_function_bodies off (pg_restore, or psql of a pg_dump): the rest of the transaction runs with session_replication_role = replica, so rows load as dumped, in any table order';

CREATE OR REPLACE FUNCTION crm.require_pg_cron() RETURNS void
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed in database "%"', current_database()
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = format('Add pg_cron to shared_preload_libraries, set cron.database_name = ''%s'', restart '
                                'PostgreSQL and run CREATE EXTENSION pg_cron here. Until then run the jobs by hand: '
                                'CALL crm.run_job(''all'').', current_database());
    END IF;
END $$;

-- Every job of crm_dw.job on its default schedule, or on the one the
-- schedules object gives it by name; a JSON null leaves a job out (and
-- removes it if it was scheduled).
CREATE OR REPLACE FUNCTION crm.schedule_jobs(schedules jsonb DEFAULT '{}')
    RETURNS TABLE (jobname text, schedule text, command text)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    job crm_dw.job;
    unknown text;
BEGIN
    PERFORM crm.require_arg(schedules, 'schedules');
    IF jsonb_typeof(schedules) <> 'object' THEN
        RAISE EXCEPTION 'schedules must be a JSON object of job names and cron schedules, not %', schedules
            USING ERRCODE = 'invalid_parameter_value', HINT = 'For example ''{"facts": "*/10 * * * *", "forecast": null}''.';
    END IF;
    SELECT string_agg(k, ', ' ORDER BY k) INTO unknown
    FROM jsonb_object_keys(schedules) k WHERE k NOT IN (SELECT j.name FROM crm_dw.job j);
    IF unknown IS NOT NULL THEN
        RAISE EXCEPTION 'there is no warehouse job %', unknown USING ERRCODE = 'invalid_parameter_value',
            HINT = format('The jobs are %s.', (SELECT string_agg(j.name, ', ' ORDER BY j.run_order) FROM crm_dw.job j));
    END IF;
    PERFORM crm.require_pg_cron();
    FOR job IN SELECT * FROM crm_dw.job ORDER BY run_order LOOP
        jobname := 'pgcrm-' || job.name;
        schedule := CASE WHEN schedules ? job.name THEN schedules ->> job.name ELSE job.schedule END;
        command := format('CALL crm.run_job(%L)', job.name);
        IF schedule IS NULL THEN
            EXECUTE 'SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname = $1' USING jobname;
        ELSE
            -- cron.schedule replaces a job of the same name, and checks the schedule.
            EXECUTE 'SELECT cron.schedule($1, $2, $3)' USING jobname, schedule, command;
            RETURN NEXT;
        END IF;
    END LOOP;
END $$;
COMMENT ON FUNCTION crm.schedule_jobs(jsonb) IS
    'Registers (or updates) the pg_cron jobs pgcrm-<job>, each on its default schedule or the one given by name; null leaves a job out';

CREATE OR REPLACE FUNCTION crm.unschedule_jobs() RETURNS SETOF text
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    job record;
BEGIN
    PERFORM crm.require_pg_cron();
    FOR job IN EXECUTE 'SELECT j.jobid, j.jobname FROM cron.job j
                         WHERE j.jobname IN (SELECT ''pgcrm-'' || w.name FROM crm_dw.job w) ORDER BY j.jobname' LOOP
        EXECUTE 'SELECT cron.unschedule($1)' USING job.jobid;
        RETURN NEXT job.jobname;
    END LOOP;
END $$;
COMMENT ON FUNCTION crm.unschedule_jobs() IS 'Removes the pg_cron jobs crm.schedule_jobs registers, and no other; returns their names';
