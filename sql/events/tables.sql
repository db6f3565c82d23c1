-- The transactional outbox (docs/events.md): what happened, written by the
-- transaction that made it happen; the kinds of event and their settings; the
-- consumers and how far each has acknowledged. New in 0.3.0.

-- A kind is emitted by a trigger on its source table (crm.emit_on: rows
-- inserted, or rows whose status_column changes, to to_state if given) or,
-- with no source, by a call to crm.emit_event.
CREATE TABLE crm.event_kind (
    kind          text PRIMARY KEY CHECK (kind ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$' AND length(kind) <= 63),
    description   text NOT NULL DEFAULT '',
    source        regclass,
    status_column name,
    to_state      text,
    builtin       boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (source IS NOT NULL OR (status_column IS NULL AND to_state IS NULL)),
    CHECK (to_state IS NULL OR status_column IS NOT NULL)
);
COMMENT ON TABLE crm.event_kind IS
    'The kinds of event: emitted by a trigger on source (inserts, or changes of status_column [to to_state]) or, with no source, by crm.emit_event';
SELECT pg_catalog.pg_extension_config_dump('crm.event_kind', 'WHERE NOT builtin');

-- What an administrator set for a kind (crm.set_event_kind), kept by pg_dump
-- for the builtin kinds too; no row means enabled, default retention.
CREATE TABLE crm.event_kind_setting (
    kind       text PRIMARY KEY REFERENCES crm.event_kind ON DELETE CASCADE ON UPDATE CASCADE,
    enabled    boolean NOT NULL DEFAULT true,
    retention  interval CHECK (retention >= interval '1 hour'),
    changed_by name NOT NULL DEFAULT current_user,
    changed_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE crm.event_kind_setting IS 'Per kind: whether it is emitted, and its retention (NULL: pgcrm.event_retention)';
SELECT pg_catalog.pg_extension_config_dump('crm.event_kind_setting', '');

-- position orders events by commit: crm.consume_events gives positions to
-- the events of committed transactions, under one lock, in the order it
-- first sees them (docs/events.md, "Commit order"). id is the order of writing.
CREATE SEQUENCE crm.event_position_seq;
CREATE TABLE crm.event (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    position       bigint,
    occurred_at    timestamptz NOT NULL DEFAULT now(),
    kind           text NOT NULL,
    entity         text NOT NULL,
    entity_key     text NOT NULL,
    payload        jsonb NOT NULL,
    transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
    depth          smallint NOT NULL DEFAULT 0,
    actor          name NOT NULL
);
CREATE UNIQUE INDEX event_position_key ON crm.event (position) WHERE position IS NOT NULL;
CREATE INDEX event_unsequenced_idx ON crm.event (id) WHERE position IS NULL;
COMMENT ON TABLE crm.event IS
    'The outbox: one row per event, written in the transaction of the change; position (commit order) is given when a consumer first sees it committed';
COMMENT ON COLUMN crm.event.payload IS 'The new state: the row as it is after the change, or what the emitting function says';
COMMENT ON COLUMN crm.event.depth IS 'How many automation rules deep it was emitted: 0 for a change made by a user';
SELECT crm.register_table('crm.event');
SELECT pg_catalog.pg_extension_config_dump('crm.event_position_seq', '');

CREATE TABLE crm.event_consumer (
    consumer    text PRIMARY KEY CHECK (consumer ~ '^[A-Za-z0-9][A-Za-z0-9_.:@/-]*$' AND length(consumer) <= 100),
    kinds       text[],
    position    bigint NOT NULL DEFAULT 0 CHECK (position >= 0),
    delivered   bigint NOT NULL DEFAULT 0 CHECK (delivered >= position),
    created_at  timestamptz NOT NULL DEFAULT now(),
    consumed_at timestamptz,
    acked_at    timestamptz
);
COMMENT ON TABLE crm.event_consumer IS
    'A reader of the outbox: the kinds it reads (NULL: all), the position it acknowledged and the highest it was handed';
SELECT crm.register_table('crm.event_consumer');

INSERT INTO crm.event_kind (kind, description, source, status_column, to_state, builtin) VALUES
    ('sales_order.confirmed', 'A customer order was confirmed: production may start', 'crm.sales_order', 'status', 'confirmed', true),
    ('sales_order.status_changed', 'A customer order moved to another status', 'crm.sales_order', 'status', NULL, true),
    ('production_order.created', 'A production order was created: work for the plant', 'crm.production_order', NULL, NULL, true),
    ('production_order.status_changed', 'A production order moved to another status (usually reported by the MES)',
     'crm.production_order', 'status', NULL, true),
    ('shipment.shipped', 'A shipment left the warehouse', 'crm.shipment', 'status', 'shipped', true),
    ('lead.created', 'A new lead arrived', 'crm.lead', NULL, NULL, true),
    ('account.merged', 'A duplicate account was merged into another (crm.merge_accounts)', NULL, NULL, NULL, true),
    ('contact.merged', 'A duplicate contact was merged into another (crm.merge_contacts)', NULL, NULL, NULL, true),
    ('invoice.issued', 'An invoice or credit note was issued (its kind says which)', 'crm.invoice', NULL, NULL, true),
    ('payment.received', 'A payment was recorded, with what it paid at once (allocated)', 'crm.payment', NULL, NULL, true);
