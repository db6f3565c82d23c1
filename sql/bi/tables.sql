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
