-- What the DBA set for each warehouse job (docs/operations.md), kept by
-- pg_dump; a job without a row runs on its defaults in crm_dw.job. New in 0.3.0.
CREATE TABLE crm_dw.job_setting (
    job               text PRIMARY KEY REFERENCES crm_dw.job (name) ON DELETE CASCADE,
    schedule          text,
    time_zone         text,
    statement_timeout interval CHECK (statement_timeout > interval '0'),
    lock_timeout      interval CHECK (lock_timeout > interval '0'),
    cron_schedule     text,
    cron_zone         text,
    cron_shift        integer,
    scheduled_by      name,
    scheduled_at      timestamptz,
    CHECK ((schedule IS NULL) = (cron_schedule IS NULL))
);
COMMENT ON TABLE crm_dw.job_setting IS
    'Per warehouse job: its schedule as given (in time_zone) and as pg_cron runs it (cron_schedule, in cron_zone, cron_shift minutes apart), and its own statement and lock timeouts; NULL means the default';
SELECT pg_catalog.pg_extension_config_dump('crm_dw.job_setting', '');
