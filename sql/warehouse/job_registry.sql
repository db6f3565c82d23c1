-- The warehouse jobs, the only list of them: crm.etl_refresh runs them in
-- run_order, crm.schedule_jobs schedules them by name. Each job file registers
-- its row (crm_dw.register_job). New in 0.3.0.
CREATE TABLE crm_dw.job (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]*$'),
    run_order   integer NOT NULL UNIQUE,
    function    regprocedure NOT NULL,
    incremental boolean NOT NULL,
    schedule    text NOT NULL,
    description text NOT NULL,
    statement_timeout interval NOT NULL,
    lock_timeout      interval NOT NULL
);
COMMENT ON TABLE crm_dw.job IS
    'The warehouse jobs: the function each runs (rebuild boolean) → (mode, rows_touched, message), its default cron schedule (GMT-free: see crm.schedule_jobs) and timeouts';
