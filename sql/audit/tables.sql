-- The audit log: who changed which row of a core table, when, and what.
-- Written only by SECURITY DEFINER triggers; nobody else may insert, change
-- or delete an entry (docs/audit.md).

CREATE TABLE crm.audit_log (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    logged_at      timestamptz NOT NULL DEFAULT now(),
    transaction_id xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
    actor          name NOT NULL,
    login          name NOT NULL DEFAULT session_user,
    table_name     text NOT NULL,
    operation      text NOT NULL CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE', 'PURGE')),
    row_key        jsonb,
    old_values     jsonb,
    new_values     jsonb
);
CREATE INDEX audit_log_table_key_idx ON crm.audit_log (table_name, row_key);
CREATE INDEX audit_log_logged_at_idx ON crm.audit_log (logged_at);
COMMENT ON TABLE crm.audit_log IS
    'Append-only: every INSERT, UPDATE and DELETE on the core tables; an UPDATE keeps only the columns it changed';
COMMENT ON COLUMN crm.audit_log.actor IS 'The role the change ran as (SET ROLE included)';
COMMENT ON COLUMN crm.audit_log.login IS 'The role that logged in (session_user)';
COMMENT ON COLUMN crm.audit_log.logged_at IS 'The start of the changing transaction';
SELECT pg_catalog.pg_extension_config_dump('crm.audit_log', '');
SELECT pg_catalog.pg_extension_config_dump('crm.audit_log_id_seq', '');

CREATE TABLE crm.audit_setting (
    table_name regclass PRIMARY KEY,
    enabled    boolean NOT NULL,
    changed_by name NOT NULL DEFAULT session_user,
    changed_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE crm.audit_setting IS 'Tables whose audit an admin switched; a table not listed is audited';
SELECT pg_catalog.pg_extension_config_dump('crm.audit_setting', '');
