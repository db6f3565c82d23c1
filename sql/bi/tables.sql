-- The BI capability's tables (docs/bi.md). New in 0.3.0.

-- Labels of the BI views' columns in other languages, as the site wants them.
-- pgcrm ships Ukrainian labels (crm_dw.v_column_label); a row here adds a
-- language or replaces a shipped label, and pg_dump keeps it.
CREATE TABLE crm_dw.column_label (
    view_name   text NOT NULL,
    column_name text NOT NULL,
    lang        text NOT NULL CHECK (lang ~ '^[a-z]{2,3}(-[A-Z]{2})?$'),
    label       text NOT NULL CHECK (btrim(label) <> ''),
    PRIMARY KEY (view_name, column_name, lang)
);
COMMENT ON TABLE crm_dw.column_label IS
    'A site''s own labels of BI view columns: another language, or a replacement of a shipped label (crm_dw.v_column_label)';
SELECT pg_catalog.pg_extension_config_dump('crm_dw.column_label', '');

-- The login roles crm.create_bi_login made, with the settings it gave them:
-- crm.drop_bi_login drops no other role.
CREATE TABLE crm.bi_login (
    login                               name PRIMARY KEY,
    statement_timeout                   interval NOT NULL,
    idle_in_transaction_session_timeout interval NOT NULL,
    connection_limit                    integer NOT NULL,
    changed_by                          name NOT NULL DEFAULT session_user,
    changed_at                          timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE crm.bi_login IS 'The BI tools'' login roles made by crm.create_bi_login, and the settings they were given';
SELECT pg_catalog.pg_extension_config_dump('crm.bi_login', '');
