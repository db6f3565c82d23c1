-- Applying statuses that arrive from other systems (docs/inbound.md): key
-- mapping, idempotency by message id, stale messages, and the report of what
-- could not be applied.

-- The table an entity names ('production_order' is crm's; a qualified name is
-- taken as it is), or NULL.
CREATE OR REPLACE FUNCTION crm.inbound_table(entity text) RETURNS regclass
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN CASE WHEN entity ~ '^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$'
                THEN to_regclass(CASE WHEN entity LIKE '%.%' THEN entity ELSE 'crm.' || entity END) END;

-- The table of an entity, its workflow's status column and its one-column key,
-- whose type has no length (a longer key is not cut to fit, it matches no row).
CREATE OR REPLACE FUNCTION crm.inbound_target(entity text, OUT tbl regclass, OUT status_column name, OUT key_column name,
                                              OUT key_type regtype)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM crm.require_arg(entity, 'entity');
    tbl := crm.inbound_table(entity);
    IF tbl IS NULL THEN
        RAISE EXCEPTION 'entity "%" is not a table', entity USING ERRCODE = 'undefined_table',
            HINT = 'Name a table with a workflow: production_order, sales_order, or schema.table.';
    END IF;
    SELECT a.status_column INTO status_column FROM crm.workflow_attachment a WHERE a.table_name = tbl;
    IF status_column IS NULL OR (SELECT count(*) FROM crm.workflow_attachment a WHERE a.table_name = tbl) > 1 THEN
        RAISE EXCEPTION '% has % workflow', tbl, CASE WHEN status_column IS NULL THEN 'no' ELSE 'more than one' END
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Statuses arrive through a table''s one workflow.';
    END IF;
    SELECT a.attname, a.atttypid::regtype INTO key_column, key_type
    FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
    WHERE i.indrelid = tbl AND i.indisprimary AND i.indnatts = 1;
    IF key_column IS NULL THEN
        RAISE EXCEPTION '% has no one-column primary key', tbl USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
END $$;

CREATE OR REPLACE FUNCTION crm.map_external_key(system text, entity text, external_key text, row_key text) RETURNS void
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    target record := crm.inbound_target(entity);
    found_row boolean;
BEGIN
    PERFORM crm.require_arg(system, 'system');
    PERFORM crm.require_arg(external_key, 'external_key');
    PERFORM crm.require_arg(row_key, 'row_key');
    BEGIN
        EXECUTE format('SELECT EXISTS (SELECT FROM %s WHERE %I = $1::%s)', target.tbl, target.key_column, target.key_type)
            INTO found_row USING row_key;
    EXCEPTION WHEN invalid_text_representation OR numeric_value_out_of_range THEN
        found_row := false;
    END;
    IF NOT found_row THEN
        RAISE EXCEPTION '% row % does not exist', target.tbl, row_key USING ERRCODE = 'PC003';
    END IF;
    INSERT INTO crm.external_key AS k (system, entity, external_key, row_key) VALUES (system, target.tbl, external_key, row_key)
    ON CONFLICT ON CONSTRAINT external_key_pkey DO UPDATE SET row_key = EXCLUDED.row_key;
END $$;
COMMENT ON FUNCTION crm.map_external_key(text, text, text, text) IS
    'Records that an external system''s key names a pgcrm row (its primary key as text); again: moves the key to another row';

-- One message. Never raises for a message the system got wrong: an unknown
-- key, a stale or an illegal status is logged with its SQLSTATE and reported
-- by crm.inbound_problems, so a batch goes on. A NULL argument is a caller's
-- error and raises 22004.
CREATE OR REPLACE FUNCTION crm.apply_external_status(system text, entity text, external_key text, status text,
                                                     occurred_at timestamptz, message_id text) RETURNS text
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    tbl regclass;
    target record;
    row_key text;
    current_status text;
    rows_found bigint;
    applied_until timestamptz;
    outcome text;
    code text;
    problem text;
BEGIN
    PERFORM crm.require_arg(system, 'system');
    PERFORM crm.require_arg(entity, 'entity');
    PERFORM crm.require_arg(external_key, 'external_key');
    PERFORM crm.require_arg(status, 'status');
    PERFORM crm.require_arg(occurred_at, 'occurred_at');
    PERFORM crm.require_arg(message_id, 'message_id');
    IF EXISTS (SELECT FROM crm.inbound_message m WHERE m.system = system AND m.message_id = message_id) THEN
        RETURN 'duplicate';
    END IF;
    <<apply>>
    BEGIN
        tbl := crm.inbound_table(entity);
        IF tbl IS NULL THEN
            outcome := 'rejected';
            code := '42P01';
            problem := format('entity "%s" is not a table', entity);
            EXIT apply;
        END IF;
        -- The log names the table as pgcrm does, however the message spelt it.
        entity := tbl::text;
        -- The key's row lock orders the messages of one key: the stale check
        -- and a resend of this message wait for the one before.
        SELECT k.row_key INTO row_key FROM crm.external_key k
        WHERE k.system = system AND k.entity = tbl AND k.external_key = external_key
        FOR UPDATE;
        IF NOT FOUND THEN
            outcome := 'unknown_key';
            code := 'PC003';
            problem := format('%s key "%s" of %s is not mapped to a row', system, external_key, entity);
            EXIT apply;
        END IF;
        IF EXISTS (SELECT FROM crm.inbound_message m WHERE m.system = system AND m.message_id = message_id) THEN
            RETURN 'duplicate';
        END IF;
        SELECT max(m.occurred_at) INTO applied_until FROM crm.inbound_message m
        WHERE m.system = system AND m.entity = entity AND m.external_key = external_key AND m.outcome IN ('applied', 'unchanged');
        IF occurred_at < applied_until THEN
            outcome := 'stale';
            code := 'PC045';
            problem := format('the message of %s is older than the last applied one, of %s', occurred_at, applied_until);
            EXIT apply;
        END IF;
        -- A table without one workflow, a row gone, a transition the workflow
        -- refuses, a failing rule: the message is rejected with the error's code.
        BEGIN
            target := crm.inbound_target(entity);
            EXECUTE format('SELECT %I FROM %s WHERE %I = $1::%s', target.status_column, target.tbl, target.key_column, target.key_type)
                INTO current_status USING row_key;
            GET DIAGNOSTICS rows_found = ROW_COUNT;
            IF rows_found = 0 THEN
                outcome := 'unknown_key';
                code := 'PC003';
                problem := format('%s row %s, which %s key "%s" names, does not exist', target.tbl, row_key, system, external_key);
            ELSIF current_status = status THEN
                outcome := 'unchanged';
            ELSE
                EXECUTE format('UPDATE %s SET %I = $1 WHERE %I = $2::%s', target.tbl, target.status_column, target.key_column,
                               target.key_type) USING status, row_key;
                outcome := 'applied';
            END IF;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, problem = MESSAGE_TEXT;
            outcome := 'rejected';
        END;
    END apply;
    INSERT INTO crm.inbound_message (system, message_id, entity, external_key, status, occurred_at, outcome, row_key, sqlstate, error)
    VALUES (system, message_id, entity, external_key, status, occurred_at, outcome, row_key, code, problem);
    RETURN outcome;
END $$;
COMMENT ON FUNCTION crm.apply_external_status(text, text, text, text, timestamptz, text) IS
    'Applies a status an external system reports for its key, through the row''s workflow; returns applied, unchanged, stale, unknown_key, rejected, or duplicate for a message_id seen before';

CREATE OR REPLACE FUNCTION crm.apply_external_statuses(system text, messages jsonb)
    RETURNS TABLE (message_id text, outcome text)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    m jsonb;
    missing text;
BEGIN
    PERFORM crm.require_arg(system, 'system');
    PERFORM crm.require_arg(messages, 'messages');
    IF jsonb_typeof(messages) <> 'array' THEN
        RAISE EXCEPTION 'messages must be a JSON array of objects, not %', jsonb_typeof(messages) USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Each: {"entity": "production_order", "key": "WO-7", "status": "in_progress", "occurred_at": "...", "message_id": "..."}.';
    END IF;
    -- In the order given: a message older than one applied before it is stale.
    FOR m IN SELECT e FROM jsonb_array_elements(messages) e LOOP
        SELECT string_agg(f, ', ') INTO missing FROM unnest(ARRAY['entity', 'key', 'status', 'occurred_at', 'message_id']) f
        WHERE jsonb_typeof(m -> f) IS DISTINCT FROM 'string';
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION 'message % lacks %', m, missing USING ERRCODE = 'invalid_parameter_value',
                HINT = 'Nothing of the batch was applied.';
        END IF;
        message_id := m ->> 'message_id';
        outcome := crm.apply_external_status(system, m ->> 'entity', m ->> 'key', m ->> 'status',
                                             (m ->> 'occurred_at')::timestamptz, message_id);
        RETURN NEXT;
    END LOOP;
END $$;
COMMENT ON FUNCTION crm.apply_external_statuses(text, jsonb) IS
    'A batch of messages as a JSON array of {entity, key, status, occurred_at, message_id}, applied in order; one outcome each';

CREATE OR REPLACE VIEW crm.inbound_problems AS
SELECT m.system, m.message_id, m.entity, m.external_key, m.status, m.occurred_at, m.received_at, m.outcome, m.sqlstate, m.error
FROM crm.inbound_message m
WHERE m.outcome IN ('stale', 'unknown_key', 'rejected');
COMMENT ON VIEW crm.inbound_problems IS
    'The messages that were not applied: stale (PC045), unknown_key (PC003), rejected (the SQLSTATE of the refusal)';
