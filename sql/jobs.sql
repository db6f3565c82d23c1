-- Scheduling the warehouse jobs with pg_cron (docs/operations.md). pgcrm does
-- not need pg_cron: every job runs by hand with crm.etl_refresh or
-- crm.run_job, and pg_cron is called through dynamic SQL only.

CREATE FUNCTION crm.require_pg_cron() RETURNS void
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

-- One argument per job: its cron schedule, or NULL to leave the job out
-- (and remove it if it was scheduled).
CREATE FUNCTION crm.schedule_jobs(reservations text DEFAULT '* * * * *',
                                  facts text DEFAULT '*/5 * * * *',
                                  features text DEFAULT '7 * * * *',
                                  segments text DEFAULT '30 1 * * *',
                                  forecast text DEFAULT '0 3 * * 1',
                                  kpi text DEFAULT '45 1 * * *',
                                  data_quality text DEFAULT '0 1 * * *')
    RETURNS TABLE (jobname text, schedule text, command text)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    wanted text[] := ARRAY[reservations, facts, features, segments, forecast, kpi, data_quality];
    jobs text[] := ARRAY(SELECT j.job FROM crm_dw.jobs() j);
BEGIN
    PERFORM crm.require_pg_cron();
    FOR i IN 1..cardinality(jobs) LOOP
        jobname := 'pgcrm-' || jobs[i];
        schedule := wanted[i];
        command := format('CALL crm.run_job(%L)', jobs[i]);
        IF schedule IS NULL THEN
            EXECUTE 'SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname = $1' USING jobname;
        ELSE
            -- cron.schedule replaces a job of the same name, and checks the schedule.
            EXECUTE 'SELECT cron.schedule($1, $2, $3)' USING jobname, schedule, command;
            RETURN NEXT;
        END IF;
    END LOOP;
END $$;
COMMENT ON FUNCTION crm.schedule_jobs(text, text, text, text, text, text, text) IS
    'Registers (or updates) the pg_cron jobs pgcrm-<job>; a NULL schedule leaves that job out. Needs pg_cron';

CREATE FUNCTION crm.unschedule_jobs() RETURNS SETOF text
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    job record;
BEGIN
    PERFORM crm.require_pg_cron();
    FOR job IN EXECUTE 'SELECT j.jobid, j.jobname FROM cron.job j
                         WHERE j.jobname IN (SELECT ''pgcrm-'' || w.job FROM crm_dw.jobs() w) ORDER BY j.jobname' LOOP
        EXECUTE 'SELECT cron.unschedule($1)' USING job.jobid;
        RETURN NEXT job.jobname;
    END LOOP;
END $$;
COMMENT ON FUNCTION crm.unschedule_jobs() IS 'Removes the pg_cron jobs crm.schedule_jobs registers, and no other; returns their names';
