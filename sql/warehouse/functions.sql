-- How the warehouse is kept: change capture on the operational tables, the
-- helpers the jobs share, and the runner that serialises, runs and logs them
-- (docs/warehouse.md, "The refresh model").

-- SECURITY DEFINER: the application roles that write crm have no rights on
-- crm_dw. The trigger's arguments are fixed at install time.
CREATE OR REPLACE FUNCTION crm_dw.capture_change() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    job text := TG_ARGV[0];
    entity text := TG_ARGV[1];
    key_column text := TG_ARGV[2];
    touched text;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO crm_dw.change_queue VALUES (job, 'all', 0);
        RETURN NULL;
    END IF;
    touched := CASE TG_OP WHEN 'INSERT' THEN format('SELECT %I AS key FROM new_rows', key_column)
                          WHEN 'DELETE' THEN format('SELECT %I AS key FROM old_rows', key_column)
                          ELSE format('SELECT %1$I AS key FROM new_rows UNION SELECT %1$I FROM old_rows', key_column) END;
    EXECUTE format('INSERT INTO crm_dw.change_queue (job, entity, key) '
                   'SELECT DISTINCT $1, $2, key FROM (%s) t WHERE key IS NOT NULL', touched)
        USING job, entity;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION crm_dw.capture_change() IS
    'Statement trigger: queues the keys (job, entity, key column) a change touched, for the incremental refresh';

-- Install-time helper (dropped at the end of the script). A transition table
-- serves one event only, hence a trigger per event.
CREATE OR REPLACE FUNCTION crm_dw.capture(tbl regclass, job text, entity text, key_column name) RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    args text := format('%L, %L, %L', job, entity, key_column);
BEGIN
    EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION crm_dw.capture_change(%s)', 'capture_' || job || '_insert', tbl, args);
    EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER UPDATE ON %s REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION crm_dw.capture_change(%s)', 'capture_' || job || '_update', tbl, args);
    EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION crm_dw.capture_change(%s)', 'capture_' || job || '_delete', tbl, args);
    EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER TRUNCATE ON %s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION crm_dw.capture_change(%s)', 'capture_' || job || '_truncate', tbl, args);
END $$;

SELECT crm_dw.capture('crm.sales_order', 'facts', 'order', 'id');
SELECT crm_dw.capture('crm.order_line', 'facts', 'order', 'order_id');
SELECT crm_dw.capture('crm.product', 'facts', 'product', 'id');
SELECT crm_dw.capture('crm.account', 'facts', 'account', 'id');
SELECT crm_dw.capture('crm.complaint', 'features', 'account', 'account_id');
SELECT crm_dw.capture('crm.invoice', 'features', 'account', 'account_id');
DROP FUNCTION crm_dw.capture(regclass, text, text, name);

-- A job's scratch table lives until the end of the transaction; a second run
-- in the same transaction starts afresh.
CREATE OR REPLACE FUNCTION crm_dw.drop_temp_table(name text) RETURNS void
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF to_regclass('pg_temp.' || quote_ident(name)) IS NOT NULL THEN
        EXECUTE format('DROP TABLE pg_temp.%I', name);
    END IF;
END $$;

-- Takes a job's queued keys: the distinct keys per entity, and whether a full
-- rebuild was asked for. Through the index: the queue's table keeps the size
-- of its largest backlog (rows queued since sit at its end, so VACUUM cannot
-- cut it), and reading it whole costs more than the keys it holds. No JIT for
-- the estimates the ban on sequential scans inflates.
CREATE OR REPLACE FUNCTION crm_dw.take_changes(job text, OUT orders bigint[], OUT products bigint[], OUT accounts bigint[],
                                    OUT rebuild boolean)
    LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp SET enable_seqscan = off SET jit = off AS $$
    WITH taken AS (DELETE FROM crm_dw.change_queue q WHERE q.job = take_changes.job RETURNING q.entity, q.key)
    SELECT coalesce(array_agg(DISTINCT key) FILTER (WHERE entity = 'order'), '{}'),
           coalesce(array_agg(DISTINCT key) FILTER (WHERE entity = 'product'), '{}'),
           coalesce(array_agg(DISTINCT key) FILTER (WHERE entity = 'account'), '{}'),
           coalesce(bool_or(entity = 'all'), false)
    FROM taken
$$;

CREATE OR REPLACE FUNCTION crm_dw.record_state(job text, rebuilt boolean, as_of date) RETURNS void
    LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO crm_dw.etl_state AS s (job, as_of, last_full_at, last_run_at)
    VALUES (job, as_of, CASE WHEN rebuilt THEN now() END, now())
    ON CONFLICT (job) DO UPDATE SET as_of = EXCLUDED.as_of, last_run_at = now(),
                                    last_full_at = coalesce(EXCLUDED.last_full_at, s.last_full_at)
$$;

-- Install helper (dropped by sql/finish.sql): a job file's row in crm_dw.job.
-- A job's function takes (rebuild boolean) and returns (mode, rows_touched, message).
CREATE OR REPLACE FUNCTION crm_dw.register_job(name text, run_order integer, function regprocedure, incremental boolean,
                                               schedule text, description text,
                                               statement_timeout interval DEFAULT '30 minutes',
                                               lock_timeout interval DEFAULT '1 minute') RETURNS void
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO crm_dw.job VALUES (name, run_order, function, incremental, schedule, description, statement_timeout, lock_timeout)
    ON CONFLICT ON CONSTRAINT job_pkey DO UPDATE
        SET (run_order, function, incremental, schedule, description, statement_timeout, lock_timeout)
          = (EXCLUDED.run_order, EXCLUDED.function, EXCLUDED.incremental, EXCLUDED.schedule, EXCLUDED.description,
             EXCLUDED.statement_timeout, EXCLUDED.lock_timeout)
$$;

-- Runs one job under its advisory lock and its own timeouts (crm_dw.job,
-- overridden in crm_dw.job_setting), and logs the run. A failing job, one
-- that ran out of time included, is rolled back to its start, logged, and
-- reported, not raised: the caller's transaction keeps the log (crm.run_job
-- raises after committing it). A cancel, or the caller's own statement
-- timeout, is raised.
CREATE OR REPLACE FUNCTION crm_dw.run_logged(job text, rebuild boolean, wait boolean) RETURNS crm_dw.etl_run
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    j crm_dw.job;
    run crm_dw.etl_run;
    code text;
    time_limit interval;
    lock_limit interval;
    caller_lock_timeout text := current_setting('lock_timeout');
    deadline timestamptz;
BEGIN
    SELECT * INTO STRICT j FROM crm_dw.job WHERE name = run_logged.job;
    SELECT coalesce(s.statement_timeout, j.statement_timeout), coalesce(s.lock_timeout, j.lock_timeout)
    INTO time_limit, lock_limit
    FROM (SELECT) one LEFT JOIN crm_dw.job_setting s ON s.job = run_logged.job;
    run.job := job;
    run.started := clock_timestamp();
    run.mode := CASE WHEN j.incremental THEN CASE WHEN rebuild THEN 'full' ELSE 'incremental' END ELSE 'run' END;
    IF wait THEN
        PERFORM pg_advisory_xact_lock(hashtext('pgcrm.etl'), hashtext(job));
    ELSIF NOT pg_try_advisory_xact_lock(hashtext('pgcrm.etl'), hashtext(job)) THEN
        run.status := 'skipped';
        run.message := 'another session is running this job; skipped (wait => true waits for it)';
    END IF;
    IF run.status IS NULL THEN
        PERFORM set_config('lock_timeout', (extract(epoch FROM lock_limit) * 1000)::bigint || 'ms', true);
        deadline := crm_dw.start_job_timeout(time_limit);
        BEGIN
            EXECUTE format('SELECT mode, rows_touched, message FROM %s($1)', j.function::regproc)
                INTO run.mode, run.rows_touched, run.message USING rebuild;
            run.status := 'succeeded';
        EXCEPTION
            WHEN query_canceled THEN
                PERFORM crm_dw.end_job_timeout();
                IF clock_timestamp() < deadline THEN
                    RAISE;
                END IF;
                run.status := 'failed';
                run.error := format('57014: the job ran longer than its statement timeout of %s', time_limit);
            WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS run.error = MESSAGE_TEXT, code = RETURNED_SQLSTATE;
                run.status := 'failed';
                run.error := format('%s: %s', code, run.error);
        END;
        PERFORM crm_dw.end_job_timeout();
        PERFORM set_config('lock_timeout', caller_lock_timeout, true);
    END IF;
    run.finished := clock_timestamp();
    INSERT INTO crm_dw.etl_run (job, mode, status, started, finished, rows_touched, message, error)
    VALUES (run.job, run.mode, run.status, run.started, run.finished, coalesce(run.rows_touched, 0), run.message, run.error)
    RETURNING * INTO run;
    IF run.status = 'skipped' THEN
        RAISE NOTICE 'pgcrm job "%" skipped: another session is running it', job;
    ELSIF run.status = 'failed' THEN
        RAISE WARNING 'pgcrm job "%" failed: %', job, run.error;
    END IF;
    RETURN run;
END $$;

CREATE OR REPLACE FUNCTION crm.etl_refresh(job text DEFAULT 'all', "full" boolean DEFAULT false, wait boolean DEFAULT false)
    RETURNS SETOF crm_dw.etl_run
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    run crm_dw.etl_run;
    name text;
BEGIN
    PERFORM crm.require_arg(job, 'job');
    PERFORM crm.require_arg("full", 'full');
    PERFORM crm.require_arg(wait, 'wait');
    IF job <> 'all' AND NOT EXISTS (SELECT FROM crm_dw.job j WHERE j.name = etl_refresh.job) THEN
        RAISE EXCEPTION 'there is no warehouse job "%"', job USING ERRCODE = 'invalid_parameter_value',
            HINT = format('The jobs are all, %s.', (SELECT string_agg(j.name, ', ' ORDER BY j.run_order) FROM crm_dw.job j));
    END IF;
    FOR name IN SELECT j.name FROM crm_dw.job j WHERE etl_refresh.job IN ('all', j.name) ORDER BY j.run_order LOOP
        run := crm_dw.run_logged(name, "full", wait);
        RETURN NEXT run;
        -- Later jobs read what the failed one should have written.
        EXIT WHEN run.status = 'failed';
    END LOOP;
END $$;
COMMENT ON FUNCTION crm.etl_refresh(text, boolean, boolean) IS
    'Runs a warehouse job (or all, in order), incrementally unless full; returns the crm_dw.etl_run rows it logged';

-- For pg_cron: a job whose run failed fails the command too, after the log
-- of the run is committed, so cron.job_run_details shows it.
-- No SET search_path: a procedure with one cannot COMMIT.
CREATE OR REPLACE PROCEDURE crm.run_job(job text)
    LANGUAGE plpgsql AS $$
DECLARE
    failed text;
BEGIN
    SELECT string_agg(format('%s: %s', r.job, r.error), '; ') INTO failed
    FROM crm.etl_refresh(job) r WHERE r.status = 'failed';
    COMMIT;
    IF failed IS NOT NULL THEN
        RAISE EXCEPTION 'pgcrm job failed: %', failed USING ERRCODE = 'PC021',
            HINT = 'See crm_dw.etl_run for the run.';
    END IF;
END $$;
COMMENT ON PROCEDURE crm.run_job(text) IS
    'crm.etl_refresh(job) that commits its log and then raises if the job failed: the command pg_cron runs';
