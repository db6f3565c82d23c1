-- Scheduling the warehouse jobs with pg_cron (docs/operations.md). pgcrm does
-- not need pg_cron: every job runs by hand with crm.etl_refresh or
-- crm.run_job, and pg_cron is called through dynamic SQL only.

-- Restores (docs/operations.md, "Backup and restore"); sql/finish.sql puts
-- the trigger on every table pg_dump dumps.
CREATE OR REPLACE FUNCTION crm.restore_as_dumped() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'pgcrm_restore_as_dumped';
COMMENT ON FUNCTION crm.restore_as_dumped() IS
    'Before a superuser''s COPY with row_security and check_function_bodies off (pg_restore, or psql of a pg_dump): the rest of the transaction runs with session_replication_role = replica, so rows load as dumped, in any table order';

-- Cron schedules (src/core/operations): the schedule moved to a zone
-- `minutes` ahead, and the next run after a civil time of the schedule's zone.
CREATE OR REPLACE FUNCTION crm_dw.cron_shift(schedule text, minutes integer) RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_cron_shift';
COMMENT ON FUNCTION crm_dw.cron_shift(text, integer) IS
    'The five-field cron schedule that fires at the same instants in a zone minutes ahead (negative: behind); 22023 when no one schedule does';
CREATE OR REPLACE FUNCTION crm_dw.cron_next(schedule text, after timestamp) RETURNS timestamp
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_cron_next';
COMMENT ON FUNCTION crm_dw.cron_next(text, timestamp) IS
    'The first minute after a civil time at which a five-field cron schedule fires, in its own zone';

-- A job's own statement timeout (crm_dw.run_logged).
CREATE OR REPLACE FUNCTION crm_dw.start_job_timeout(timeout interval) RETURNS timestamptz
    LANGUAGE c VOLATILE STRICT AS 'MODULE_PATHNAME', 'pgcrm_start_job_timeout';
COMMENT ON FUNCTION crm_dw.start_job_timeout(interval) IS
    'Cancels the statement once timeout has passed, or at its own statement_timeout if that comes first; returns the job''s deadline';
CREATE OR REPLACE FUNCTION crm_dw.end_job_timeout() RETURNS void
    LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'pgcrm_end_job_timeout';
COMMENT ON FUNCTION crm_dw.end_job_timeout() IS
    'Puts back the statement''s own timeout after crm_dw.start_job_timeout';

CREATE OR REPLACE FUNCTION crm.require_pg_cron() RETURNS void
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF crm_dw.cron_database() IS NULL THEN
        RAISE EXCEPTION 'pg_cron is not installed in database "%"', current_database()
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = format('Add pg_cron to shared_preload_libraries, set cron.database_name = ''%s'', restart '
                                'PostgreSQL and run CREATE EXTENSION pg_cron here, or schedule from the database pg_cron '
                                'runs in with crm.pg_cron_script(). Until then run the jobs by hand: '
                                'CALL crm.run_job(''all'').', current_database());
    END IF;
END $$;

-- Where pg_cron runs: this database when it has the extension, else the one
-- cron.database_name names (the setting exists when pg_cron is preloaded);
-- NULL when there is none.
CREATE OR REPLACE FUNCTION crm_dw.cron_database() RETURNS text
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
    RETURN CASE WHEN EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN current_database()
                ELSE nullif(nullif(current_setting('cron.database_name', true), ''), current_database()) END;

-- The zone pg_cron reads schedules in: cron.timezone from pg_cron 1.5 on, GMT before.
CREATE OR REPLACE FUNCTION crm_dw.cron_zone() RETURNS text
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
    RETURN coalesce(nullif(current_setting('cron.timezone', true), ''), 'GMT');

-- How many minutes to_zone's clocks are ahead of from_zone's at a moment.
CREATE OR REPLACE FUNCTION crm_dw.zone_shift(from_zone text, to_zone text, at timestamptz) RETURNS integer
    LANGUAGE sql STABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
    RETURN (extract(epoch FROM (at AT TIME ZONE to_zone) - (at AT TIME ZONE from_zone)) / 60)::integer;

-- A job's name in cron.job: pg_cron names are per user, so a job scheduled
-- from another database carries this database's name.
CREATE OR REPLACE FUNCTION crm_dw.cron_job_name(job text) RETURNS text
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
    RETURN 'pgcrm-' || job || CASE WHEN crm_dw.cron_database() = current_database() THEN '' ELSE '@' || current_database() END;

-- Records a job's schedule (NULL: not scheduled) in the zone given, moved to
-- pg_cron's, and gives it to pg_cron when pg_cron runs in this database.
CREATE OR REPLACE FUNCTION crm_dw.apply_schedule(job text, schedule text, time_zone text) RETURNS crm_dw.job_setting
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    setting crm_dw.job_setting;
    cron_zone text := crm_dw.cron_zone();
    shift integer := crm_dw.zone_shift(time_zone, cron_zone, now());
    cron_schedule text;
    message text;
    hint text;
BEGIN
    PERFORM crm.require_arg(job, 'job');
    -- pg_cron's interval and reboot schedules are not times of day.
    IF schedule ~* '^\s*(@reboot|[0-9]+\s+seconds?)\s*$' THEN
        cron_schedule := schedule;
    ELSIF schedule IS NOT NULL THEN
        BEGIN
            cron_schedule := crm_dw.cron_shift(schedule, shift);
        EXCEPTION WHEN invalid_parameter_value THEN
            GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
            RAISE EXCEPTION 'job %, scheduled in %: %', job, time_zone, message
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = format('%s pg_cron runs schedules in %s.', hint, cron_zone);
        END;
    END IF;
    INSERT INTO crm_dw.job_setting AS s (job, schedule, time_zone, cron_schedule, cron_zone, cron_shift, scheduled_by, scheduled_at)
    VALUES (job, schedule, time_zone, cron_schedule, cron_zone, shift, current_user, now())
    ON CONFLICT ON CONSTRAINT job_setting_pkey DO UPDATE
        SET (schedule, time_zone, cron_schedule, cron_zone, cron_shift, scheduled_by, scheduled_at)
          = (EXCLUDED.schedule, EXCLUDED.time_zone, EXCLUDED.cron_schedule, EXCLUDED.cron_zone, EXCLUDED.cron_shift,
             EXCLUDED.scheduled_by, EXCLUDED.scheduled_at)
    RETURNING * INTO setting;
    IF crm_dw.cron_database() = current_database() THEN
        IF cron_schedule IS NULL THEN
            EXECUTE 'SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname = $1' USING crm_dw.cron_job_name(job);
        ELSE
            -- cron.schedule replaces a job of the same name.
            EXECUTE 'SELECT cron.schedule($1, $2, $3)' USING crm_dw.cron_job_name(job), cron_schedule, crm_dw.job_command(job);
        END IF;
    END IF;
    RETURN setting;
END $$;

CREATE OR REPLACE FUNCTION crm_dw.job_command(job text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
    RETURN format('CALL crm.run_job(%L)', job);

-- Every job of crm_dw.job on its default schedule, or on the one the
-- schedules object gives it by name; a JSON null leaves a job out (and
-- removes it if it was scheduled). Schedules are read in time_zone (by
-- default the session's TimeZone, the server's unless changed) and given to
-- pg_cron in its own zone.
CREATE OR REPLACE FUNCTION crm.schedule_jobs(schedules jsonb DEFAULT '{}', time_zone text DEFAULT NULL)
    RETURNS TABLE (jobname text, schedule text, zone text, cron_schedule text, command text)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    job crm_dw.job;
    given_zone text := coalesce(time_zone, current_setting('TimeZone'));
    setting crm_dw.job_setting;
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
    BEGIN
        PERFORM now() AT TIME ZONE given_zone;
    EXCEPTION WHEN invalid_parameter_value THEN
        RAISE EXCEPTION 'time zone "%" is not known', given_zone USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Give a name from pg_timezone_names, such as ''Europe/Kyiv''.';
    END;
    PERFORM crm.require_pg_cron();
    FOR job IN SELECT * FROM crm_dw.job ORDER BY run_order LOOP
        setting := crm_dw.apply_schedule(job.name, CASE WHEN schedules ? job.name THEN schedules ->> job.name ELSE job.schedule END, given_zone);
        IF setting.schedule IS NOT NULL THEN
            RETURN QUERY SELECT crm_dw.cron_job_name(job.name), setting.schedule, setting.time_zone, setting.cron_schedule,
                                crm_dw.job_command(job.name);
        END IF;
    END LOOP;
    IF crm_dw.cron_database() <> current_database() THEN
        RAISE NOTICE 'pg_cron runs in database "%": run the script of crm.pg_cron_script() there', crm_dw.cron_database()
            USING HINT = format('psql -d %s -Atc ''SELECT crm.pg_cron_script()'' | psql -d %s',
                                current_database(), crm_dw.cron_database());
    END IF;
END $$;
COMMENT ON FUNCTION crm.schedule_jobs(jsonb, text) IS
    'Schedules every warehouse job as pgcrm-<job>, on its default schedule or the one given by name (null leaves it out), read in time_zone (default: TimeZone) and moved to pg_cron''s zone';

CREATE OR REPLACE FUNCTION crm.unschedule_jobs() RETURNS SETOF text
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    job text;
BEGIN
    PERFORM crm.require_pg_cron();
    FOR job IN SELECT s.job FROM crm_dw.job_setting s WHERE s.schedule IS NOT NULL ORDER BY s.job LOOP
        PERFORM crm_dw.apply_schedule(job, NULL, NULL);
        RETURN NEXT crm_dw.cron_job_name(job);
    END LOOP;
END $$;
COMMENT ON FUNCTION crm.unschedule_jobs() IS 'Removes the pg_cron jobs crm.schedule_jobs registers, and no other; returns their names';

-- How long job logs are kept: the setting pgcrm.job_log_retention, 30 days by default.
CREATE OR REPLACE FUNCTION crm_dw.job_log_retention() RETURNS interval
    LANGUAGE sql STABLE
    RETURN crm.interval_setting('pgcrm.job_log_retention', '30 days', '1 day');

-- For pg_cron in another database: the script that makes its jobs match
-- crm_dw.job_setting, run there by a role that may call cron.schedule_in_database.
CREATE OR REPLACE FUNCTION crm.pg_cron_script() RETURNS text
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM crm.require_pg_cron();
    IF crm_dw.cron_database() = current_database() THEN
        RAISE EXCEPTION 'pg_cron runs in this database: crm.schedule_jobs schedules the jobs itself'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN concat_ws(E'\n',
        '-- pgcrm jobs of database ' || quote_ident(current_database()) || ', for the database pg_cron runs in',
        'BEGIN;',
        format('SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname LIKE %L;', 'pgcrm-%@' || current_database()),
        (SELECT string_agg(format('SELECT cron.schedule_in_database(%L, %L, %L, %L, %L);',
                                  'pgcrm-' || s.job || '@' || current_database(), s.cron_schedule, crm_dw.job_command(s.job),
                                  current_database(), s.scheduled_by), E'\n' ORDER BY j.run_order)
         FROM crm_dw.job_setting s JOIN crm_dw.job j ON j.name = s.job WHERE s.cron_schedule IS NOT NULL),
        -- pg_cron's own log is pruned where it lives.
        format('SELECT cron.schedule(%L, %L, %L);', 'pgcrm-prune@' || current_database(), '23 * * * *',
               format('DELETE FROM cron.job_run_details WHERE end_time < now() - %L::interval AND jobid IN '
                      '(SELECT jobid FROM cron.job WHERE jobname LIKE %L)',
                      crm_dw.job_log_retention(), 'pgcrm-%@' || current_database())),
        'COMMIT;');
END $$;
COMMENT ON FUNCTION crm.pg_cron_script() IS
    'The SQL that schedules this database''s jobs (as crm.schedule_jobs recorded them) from the database pg_cron runs in';

CREATE OR REPLACE FUNCTION crm.set_job_timeouts(job text, statement_timeout interval DEFAULT NULL,
                                                lock_timeout interval DEFAULT NULL) RETURNS void
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM crm.require_arg(job, 'job');
    IF NOT EXISTS (SELECT FROM crm_dw.job j WHERE j.name = set_job_timeouts.job) THEN
        RAISE EXCEPTION 'there is no warehouse job "%"', job USING ERRCODE = 'invalid_parameter_value',
            HINT = format('The jobs are %s.', (SELECT string_agg(j.name, ', ' ORDER BY j.run_order) FROM crm_dw.job j));
    END IF;
    IF statement_timeout <= interval '0' OR statement_timeout > interval '24 days' THEN
        RAISE EXCEPTION 'a job''s statement_timeout must be above 0 and at most 24 days, not %', statement_timeout
            USING ERRCODE = 'invalid_parameter_value', HINT = 'NULL means the job''s default (crm_dw.job).';
    END IF;
    IF lock_timeout <= interval '0' OR lock_timeout > interval '24 days' THEN
        RAISE EXCEPTION 'a job''s lock_timeout must be above 0 and at most 24 days, not %', lock_timeout
            USING ERRCODE = 'invalid_parameter_value', HINT = 'NULL means the job''s default (crm_dw.job).';
    END IF;
    INSERT INTO crm_dw.job_setting AS s (job, statement_timeout, lock_timeout)
    VALUES (job, statement_timeout, lock_timeout)
    ON CONFLICT ON CONSTRAINT job_setting_pkey DO UPDATE
        SET (statement_timeout, lock_timeout) = (EXCLUDED.statement_timeout, EXCLUDED.lock_timeout);
END $$;
COMMENT ON FUNCTION crm.set_job_timeouts(text, interval, interval) IS
    'Gives a warehouse job its own statement and lock timeouts; NULL puts back the default of crm_dw.job';

-- The housekeeping job: prunes the job logs (crm_dw.etl_run, and pgcrm's rows
-- of cron.job_run_details when pg_cron runs here) beyond
-- pgcrm.job_log_retention, and moves schedules again when a zone's offset to
-- pg_cron's has changed (summer time).
CREATE OR REPLACE FUNCTION crm_dw.housekeeping(rebuild boolean, OUT mode text, OUT rows_touched bigint, OUT message text)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    keep interval := crm_dw.job_log_retention();
    runs bigint;
    cron_runs bigint := 0::bigint;
    moved text[];
    stale text[];
BEGIN
    DELETE FROM crm_dw.etl_run WHERE started < now() - keep;
    GET DIAGNOSTICS runs = ROW_COUNT;
    IF crm_dw.cron_database() = current_database() THEN
        EXECUTE 'DELETE FROM cron.job_run_details WHERE end_time < now() - $1
                   AND jobid IN (SELECT jobid FROM cron.job WHERE jobname LIKE ''pgcrm-%'')' USING keep;
        GET DIAGNOSTICS cron_runs = ROW_COUNT;
        SELECT array_agg((crm_dw.apply_schedule(s.job, s.schedule, s.time_zone)).job ORDER BY s.job) INTO moved
        FROM crm_dw.job_setting s
        WHERE s.schedule IS NOT NULL AND s.cron_shift <> crm_dw.zone_shift(s.time_zone, crm_dw.cron_zone(), now());
    ELSE
        SELECT array_agg(s.job ORDER BY s.job) INTO stale FROM crm_dw.job_setting s
        WHERE s.schedule IS NOT NULL AND s.cron_shift <> crm_dw.zone_shift(s.time_zone, s.cron_zone, now());
    END IF;
    mode := 'run';
    rows_touched := runs + cron_runs;
    message := concat_ws('; ', format('pruned %s job runs and %s pg_cron runs older than %s', runs, cron_runs, keep),
                         'moved the schedules of ' || array_to_string(moved, ', ') || ' to the new time-zone offset',
                         'the zone offsets of ' || array_to_string(stale, ', ')
                             || ' changed: run crm.pg_cron_script() in the pg_cron database again');
    IF stale IS NOT NULL THEN
        RAISE WARNING 'pgcrm: %', message;
    END IF;
END $$;

SELECT crm_dw.register_job('housekeeping', 80, 'crm_dw.housekeeping(boolean)', false, '17 * * * *',
                           'prune job logs past pgcrm.job_log_retention; follow summer-time changes of the schedules');

-- When pg_cron runs a schedule next after a moment: NULL for @reboot.
CREATE OR REPLACE FUNCTION crm_dw.cron_next_run(cron_schedule text, cron_zone text, after timestamptz) RETURNS timestamptz
    LANGUAGE sql STABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
    RETURN CASE WHEN cron_schedule ~* '^\s*@reboot\s*$' THEN NULL
                WHEN cron_schedule ~* '^\s*[0-9]+\s+seconds?\s*$'
                    THEN after + (substring(cron_schedule FROM '[0-9]+') || ' seconds')::interval
                ELSE crm_dw.cron_next(cron_schedule, after AT TIME ZONE cron_zone) AT TIME ZONE cron_zone END;

-- One row per warehouse job: its schedule, its last runs, whether it is overdue.
CREATE OR REPLACE VIEW crm.job_health AS
SELECT j.name AS job, s.schedule, s.time_zone, s.cron_schedule, s.cron_zone,
       s.cron_schedule IS NOT NULL AS scheduled,
       coalesce(s.statement_timeout, j.statement_timeout) AS statement_timeout,
       coalesce(s.lock_timeout, j.lock_timeout) AS lock_timeout,
       last.started AS last_run, last.status AS last_status,
       ok.started AS last_success, bad.started AS last_failure, bad.error AS last_error,
       crm_dw.cron_next_run(s.cron_schedule, s.cron_zone, greatest(last.started, s.scheduled_at)) AS next_run,
       coalesce(crm_dw.cron_next_run(s.cron_schedule, s.cron_zone, greatest(ok.started, s.scheduled_at))
                + coalesce(s.statement_timeout, j.statement_timeout) + interval '1 minute' < now(), false) AS overdue
FROM crm_dw.job j
LEFT JOIN crm_dw.job_setting s ON s.job = j.name
LEFT JOIN LATERAL (SELECT r.started, r.status FROM crm_dw.etl_run r WHERE r.job = j.name ORDER BY r.started DESC LIMIT 1) last ON true
LEFT JOIN LATERAL (SELECT r.started FROM crm_dw.etl_run r WHERE r.job = j.name AND r.status = 'succeeded'
                   ORDER BY r.started DESC LIMIT 1) ok ON true
LEFT JOIN LATERAL (SELECT r.started, r.error FROM crm_dw.etl_run r WHERE r.job = j.name AND r.status = 'failed'
                   ORDER BY r.started DESC LIMIT 1) bad ON true
ORDER BY j.run_order;
COMMENT ON VIEW crm.job_health IS
    'Per warehouse job: schedule (as given and as pg_cron runs it), timeouts, last run, last success, last failure with its error, next run, and overdue: no success since a run was due, past its statement timeout';

-- Column comments of the operations table in crm_dw (every warehouse column has one; docs/bi.md).
COMMENT ON COLUMN crm_dw.job_setting.job IS 'Key: the job (references crm_dw.job)';
COMMENT ON COLUMN crm_dw.job_setting.schedule IS 'Cron schedule as given, in time_zone; NULL: not scheduled';
COMMENT ON COLUMN crm_dw.job_setting.time_zone IS 'Time zone the schedule was given in';
COMMENT ON COLUMN crm_dw.job_setting.statement_timeout IS 'The job''s own time limit; NULL: the default in crm_dw.job';
COMMENT ON COLUMN crm_dw.job_setting.lock_timeout IS 'The job''s own limit of a lock wait; NULL: the default';
COMMENT ON COLUMN crm_dw.job_setting.cron_schedule IS 'The schedule as pg_cron runs it, in cron_zone';
COMMENT ON COLUMN crm_dw.job_setting.cron_zone IS 'The time zone pg_cron runs in';
COMMENT ON COLUMN crm_dw.job_setting.cron_shift IS 'Minutes between time_zone and cron_zone when the schedule was converted';
COMMENT ON COLUMN crm_dw.job_setting.scheduled_by IS 'Who scheduled the job';
COMMENT ON COLUMN crm_dw.job_setting.scheduled_at IS 'When';
