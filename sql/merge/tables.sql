-- Merging duplicate clients and contacts (docs/merge.md): the record of every
-- merge, by which a removed id stays resolvable, and the alternates a
-- merged profile keeps. New in 0.3.0.

-- No foreign keys: a removed row is gone, and a kept one may be merged later.
CREATE TABLE crm.account_merge (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity         text NOT NULL DEFAULT 'crm.account' CHECK (entity IN ('crm.account', 'crm.contact')),
    keep_id        bigint NOT NULL,
    remove_id      bigint NOT NULL,
    reason         text NOT NULL CHECK (btrim(reason) <> ''),
    removed_row    jsonb NOT NULL,
    moved          jsonb NOT NULL DEFAULT '{}',
    merged_by      name NOT NULL,
    merged_at      timestamptz NOT NULL DEFAULT now(),
    transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
    CHECK (keep_id <> remove_id)
);
CREATE INDEX account_merge_remove_idx ON crm.account_merge (entity, remove_id);
CREATE INDEX account_merge_keep_idx ON crm.account_merge (entity, keep_id);
COMMENT ON TABLE crm.account_merge IS
    'Every merge of a duplicate account (or contact) into another: why, the removed row as it was, and how many rows of each table moved';
SELECT crm.register_table('crm.account_merge');
