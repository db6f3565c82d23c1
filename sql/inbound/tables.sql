-- Statuses from other systems (docs/inbound.md): which pgcrm row an external
-- key names, and the log of every message received. New in 0.3.0.

CREATE TABLE crm.external_key (
    system       text NOT NULL CHECK (system ~ '^[A-Za-z0-9][A-Za-z0-9_.-]*$' AND length(system) <= 63),
    entity       regclass NOT NULL,
    external_key text NOT NULL CHECK (length(external_key) BETWEEN 1 AND 200),
    row_key      text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (system, entity, external_key)
);
CREATE INDEX external_key_row_idx ON crm.external_key (entity, row_key);
COMMENT ON TABLE crm.external_key IS
    'An external system''s key of a pgcrm row: (system, entity table, external key) -> the row''s primary key as text';
SELECT crm.register_table('crm.external_key');

-- Every message, once: its message_id makes a resend a duplicate. The last
-- applied occurred_at of a key is the mark an older message is stale against.
CREATE TABLE crm.inbound_message (
    system       text NOT NULL,
    message_id   text NOT NULL CHECK (length(message_id) BETWEEN 1 AND 200),
    entity       text NOT NULL,
    external_key text NOT NULL,
    status       text NOT NULL,
    occurred_at  timestamptz NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    outcome      text NOT NULL CHECK (outcome IN ('applied', 'unchanged', 'stale', 'unknown_key', 'rejected')),
    row_key      text,
    sqlstate     text CHECK (sqlstate ~ '^[0-9A-Z]{5}$'),
    error        text,
    PRIMARY KEY (system, message_id),
    CHECK ((outcome IN ('applied', 'unchanged')) = (sqlstate IS NULL))
);
CREATE INDEX inbound_message_key_idx ON crm.inbound_message (system, entity, external_key, occurred_at)
    WHERE outcome IN ('applied', 'unchanged');
CREATE INDEX inbound_message_received_idx ON crm.inbound_message (received_at);
COMMENT ON TABLE crm.inbound_message IS
    'Every status message received: applied, unchanged (already so), stale (older than one applied), unknown_key, or rejected (with its SQLSTATE)';
SELECT crm.register_table('crm.inbound_message');
