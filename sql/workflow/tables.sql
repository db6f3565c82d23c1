-- Workflow definitions, their attachments to status columns, and the history
-- of every status change. Each capability seeds its own workflows (marked
-- builtin: CREATE EXTENSION recreates them, pg_dump keeps the others).

CREATE TABLE crm.workflow (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]*$' AND length(code) <= 63),
    description text NOT NULL DEFAULT '',
    builtin     boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE crm.workflow IS 'A named set of states and allowed transitions that can be attached to status columns';

CREATE TABLE crm.workflow_state (
    workflow   text NOT NULL REFERENCES crm.workflow ON DELETE CASCADE,
    code       text NOT NULL CHECK (code <> '' AND code = btrim(code) AND length(code) <= 63),
    label_en   text NOT NULL,
    label_uk   text NOT NULL,
    is_initial boolean NOT NULL DEFAULT false,
    is_final   boolean NOT NULL DEFAULT false,
    sort_order integer NOT NULL DEFAULT 0,
    builtin    boolean NOT NULL DEFAULT false,
    PRIMARY KEY (workflow, code),
    CHECK (NOT (is_initial AND is_final))
);
COMMENT ON TABLE crm.workflow_state IS 'States of a workflow; a new row starts in an initial state, a final state is never left';

CREATE TABLE crm.workflow_transition (
    workflow      text NOT NULL,
    from_state    text NOT NULL,
    to_state      text NOT NULL,
    required_role name,
    builtin       boolean NOT NULL DEFAULT false,
    PRIMARY KEY (workflow, from_state, to_state),
    FOREIGN KEY (workflow, from_state) REFERENCES crm.workflow_state ON DELETE CASCADE,
    FOREIGN KEY (workflow, to_state) REFERENCES crm.workflow_state ON DELETE CASCADE,
    CHECK (from_state <> to_state)
);
COMMENT ON TABLE crm.workflow_transition IS 'Allowed moves; required_role, when set, limits the move to members of that role';

CREATE TABLE crm.workflow_attachment (
    table_name     regclass NOT NULL,
    status_column  name NOT NULL,
    workflow       text NOT NULL REFERENCES crm.workflow,
    record_history boolean NOT NULL,
    builtin        boolean NOT NULL DEFAULT false,
    attached_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (table_name, status_column)
);
COMMENT ON TABLE crm.workflow_attachment IS 'Which status columns are governed by which workflow (maintained by crm.attach_workflow)';

CREATE TABLE crm.status_history (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    table_name     text NOT NULL,
    row_key        text NOT NULL,
    workflow       text NOT NULL,
    from_state     text,
    to_state       text NOT NULL,
    changed_by     name NOT NULL DEFAULT current_user,
    changed_at     timestamptz NOT NULL DEFAULT now(),
    transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX status_history_row_idx ON crm.status_history (table_name, row_key, id);
COMMENT ON TABLE crm.status_history IS 'Every status change of an attached table; from_state is NULL for an inserted row';

SELECT pg_catalog.pg_extension_config_dump('crm.workflow', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('crm.workflow_state', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('crm.workflow_transition', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('crm.workflow_attachment', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('crm.status_history', '');
SELECT pg_catalog.pg_extension_config_dump('crm.status_history_id_seq', '');
