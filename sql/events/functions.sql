-- Emitting events, the triggers that emit them from tables, consuming them in
-- commit order, and pruning them (docs/events.md).

-- The retention of a kind: its own, else pgcrm.event_retention.
CREATE OR REPLACE FUNCTION crm.event_retention(kind text) RETURNS interval
    LANGUAGE sql STABLE
    RETURN coalesce((SELECT s.retention FROM crm.event_kind_setting s WHERE s.kind = event_retention.kind),
                    crm.interval_setting('pgcrm.event_retention', '30 days', '1 hour'));
COMMENT ON FUNCTION crm.event_retention(text) IS 'How long events of a kind are kept: its own retention, else pgcrm.event_retention';

-- Writes one event: the one place an event is made, but for the table
-- triggers (crm.emit_row_event does the same inline). Nothing when the kind is
-- switched off (crm.set_event_kind) or a superuser's bulk load set
-- pgcrm.emit_events off. Listeners hear the id on pgcrm_events after commit;
-- the kind's synchronous automation rules run here (docs/automation.md).
CREATE OR REPLACE FUNCTION crm.record_event(kind text, entity text, entity_key text, payload jsonb) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    mode text;
    made crm.event;
BEGIN
    -- The settings exist once the library is loaded, which a session may not have done yet.
    IF NOT coalesce(current_setting('pgcrm.emit_events', true), 'on')::boolean THEN
        RETURN NULL;
    END IF;
    mode := crm.event_kind_mode(kind);
    IF mode IS NULL THEN
        PERFORM crm.require_arg(kind, 'kind');
        RAISE EXCEPTION 'unknown event kind "%"', kind USING ERRCODE = 'PC040',
            HINT = 'The kinds are in crm.event_kinds; add one with crm.emit_on() or crm.add_event_kind().';
    END IF;
    IF mode = 'off' THEN
        RETURN NULL;
    END IF;
    INSERT INTO crm.event (kind, entity, entity_key, payload, depth, actor)
    VALUES (kind, entity, entity_key, payload, coalesce(current_setting('pgcrm.automation_depth', true), '0')::smallint, crm.acting_role())
    RETURNING * INTO made;
    PERFORM pg_notify('pgcrm_events', made.id::text);
    IF mode = 'rules' THEN
        PERFORM crm.run_sync_rules(made);
    END IF;
    RETURN made.id;
END $$;
COMMENT ON FUNCTION crm.record_event(text, text, text, jsonb) IS
    'Writes an event of an enabled kind, notifies pgcrm_events and runs the kind''s synchronous rules; NULL when the kind is off';

CREATE OR REPLACE FUNCTION crm.emit_event(kind text, entity text, entity_key text, payload jsonb DEFAULT '{}')
    RETURNS bigint LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    source regclass;
BEGIN
    PERFORM crm.require_arg(kind, 'kind');
    PERFORM crm.require_arg(entity, 'entity');
    PERFORM crm.require_arg(entity_key, 'entity_key');
    PERFORM crm.require_arg(payload, 'payload');
    SELECT k.source INTO source FROM crm.event_kind k WHERE k.kind = kind;
    IF source IS NOT NULL THEN
        RAISE EXCEPTION 'event kind "%" is emitted by the trigger on %, not by a call', kind, source
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Emit a kind of your own: crm.add_event_kind(kind, description).';
    END IF;
    RETURN crm.record_event(kind, entity, entity_key, payload);
END $$;
COMMENT ON FUNCTION crm.emit_event(text, text, text, jsonb) IS
    'Emits an event of a kind that no table trigger emits (invoice.issued, a custom kind): one line in any function; returns its id, NULL when the kind is off';

-- The trigger crm.emit_on installs. TG_ARGV: the kind, then the primary key
-- columns; the key is written as crm.status_history writes it: 42, or (7,2).
-- It does crm.record_event's work itself, with the same checks and the same
-- event: a nested SECURITY DEFINER call pinning search_path saves and restores
-- the settings once more per row (bench/results/workflow_stack.md).
CREATE OR REPLACE FUNCTION crm.emit_row_event() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    row_values jsonb;
    key text;
    mode text;
    made crm.event;
BEGIN
    IF NOT coalesce(current_setting('pgcrm.emit_events', true), 'on')::boolean THEN
        RETURN NULL;
    END IF;
    mode := crm.event_kind_mode(TG_ARGV[0]);
    IF mode IS NULL THEN
        RAISE EXCEPTION 'unknown event kind "%"', TG_ARGV[0] USING ERRCODE = 'PC040',
            HINT = 'The kinds are in crm.event_kinds; add one with crm.emit_on() or crm.add_event_kind().';
    END IF;
    IF mode = 'off' THEN
        RETURN NULL;
    END IF;
    row_values := to_jsonb(NEW);
    IF TG_NARGS = 2 THEN
        key := row_values ->> TG_ARGV[1];
    ELSE
        SELECT '(' || string_agg(row_values ->> c, ',' ORDER BY n) || ')' INTO key
        FROM unnest(TG_ARGV[1:]) WITH ORDINALITY AS k(c, n);
    END IF;
    INSERT INTO crm.event (kind, entity, entity_key, payload, depth, actor)
    VALUES (TG_ARGV[0], format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME), key, row_values,
            coalesce(current_setting('pgcrm.automation_depth', true), '0')::smallint, crm.acting_role())
    RETURNING * INTO made;
    PERFORM pg_notify('pgcrm_events', made.id::text);
    IF mode = 'rules' THEN
        PERFORM crm.run_sync_rules(made);
    END IF;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION crm.emit_row_event() IS 'Row trigger of crm.emit_on: emits its kind with the new row as payload, as crm.record_event would';

-- Puts the trigger of a kind, named after it, on its source table as its row
-- in crm.event_kind says, or removes it when the row is gone or has no source;
-- old_source is where the trigger was before.
CREATE OR REPLACE FUNCTION crm.place_event_trigger(kind text, old_source regclass) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    k crm.event_kind;
    key_columns text;
BEGIN
    SELECT * INTO k FROM crm.event_kind e WHERE e.kind = kind;
    IF old_source IS NOT NULL AND old_source IS DISTINCT FROM k.source
       AND EXISTS (SELECT FROM pg_trigger t WHERE t.tgrelid = old_source AND t.tgname = kind
                                              AND t.tgfoid = 'crm.emit_row_event()'::regprocedure) THEN
        EXECUTE format('DROP TRIGGER %I ON %s', kind, old_source);
    END IF;
    IF k.source IS NULL THEN
        RETURN;
    END IF;
    SELECT string_agg(quote_literal(a.attname), ', ' ORDER BY x.ord) INTO key_columns
    FROM pg_index i, unnest(i.indkey) WITH ORDINALITY x(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = k.source AND a.attnum = x.attnum
    WHERE i.indrelid = k.source AND i.indisprimary;
    IF k.status_column IS NULL THEN
        EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER INSERT ON %s FOR EACH ROW '
                       'EXECUTE FUNCTION crm.emit_row_event(%L, %s)', kind, k.source, kind, key_columns);
    ELSE
        EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER UPDATE ON %s FOR EACH ROW '
                       'WHEN (OLD.%I IS DISTINCT FROM NEW.%I%s) EXECUTE FUNCTION crm.emit_row_event(%L, %s)',
                       kind, k.source, k.status_column, k.status_column,
                       CASE WHEN k.to_state IS NOT NULL THEN format(' AND NEW.%I = %L', k.status_column, k.to_state) ELSE '' END,
                       kind, key_columns);
    END IF;
END $$;

-- The kind's row is the truth: its trigger follows it, also when a restore
-- loads the row (ALWAYS: it fires in a replica load too).
CREATE OR REPLACE FUNCTION crm.event_kind_changed() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM crm.place_event_trigger(OLD.kind, OLD.source);
    ELSE
        PERFORM crm.place_event_trigger(NEW.kind, CASE WHEN TG_OP = 'UPDATE' THEN OLD.source END);
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER place_trigger AFTER INSERT OR UPDATE OR DELETE ON crm.event_kind
    FOR EACH ROW EXECUTE FUNCTION crm.event_kind_changed();
ALTER TABLE crm.event_kind ENABLE ALWAYS TRIGGER place_trigger;

-- A dropped source table takes its kinds with it.
CREATE OR REPLACE FUNCTION crm.forget_dropped_event_sources() RETURNS event_trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    DELETE FROM crm.event_kind k
    USING pg_event_trigger_dropped_objects() d
    WHERE d.classid = 'pg_class'::regclass AND d.objid = k.source::oid AND d.objsubid = 0;
END $$;
DROP EVENT TRIGGER IF EXISTS pgcrm_forget_dropped_event_sources;
CREATE EVENT TRIGGER pgcrm_forget_dropped_event_sources ON sql_drop
    EXECUTE FUNCTION crm.forget_dropped_event_sources();

-- A release may change the triggers: every kind with a source gets its own anew.
SELECT crm.place_event_trigger(k.kind, k.source) FROM crm.event_kind k WHERE k.source IS NOT NULL;

CREATE OR REPLACE FUNCTION crm.emit_on(tbl regclass, kind text, status_column name DEFAULT NULL, to_state text DEFAULT NULL,
                                       description text DEFAULT '') RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    existing crm.event_kind;
BEGIN
    PERFORM crm.require_arg(tbl, 'tbl');
    PERFORM crm.require_arg(kind, 'kind');
    PERFORM crm.require_arg(description, 'description');
    IF coalesce((SELECT c.relkind FROM pg_class c WHERE c.oid = tbl) NOT IN ('r', 'p'), true)
       OR (SELECT c.relnamespace FROM pg_class c WHERE c.oid = tbl) IN ('pg_catalog'::regnamespace, 'crm_dw'::regnamespace)
       OR tbl IN ('crm.event'::regclass, 'crm.event_kind'::regclass, 'crm.audit_log'::regclass) THEN
        RAISE EXCEPTION '% is not a table whose changes can be events', tbl USING ERRCODE = 'wrong_object_type',
            HINT = 'Give a CRM table or a table of yours.';
    END IF;
    -- Runs as the extension's owner: outside crm, only on tables the caller may put triggers on.
    IF (SELECT c.relnamespace FROM pg_class c WHERE c.oid = tbl) <> 'crm'::regnamespace
       AND NOT has_table_privilege(crm.acting_role(), tbl, 'TRIGGER') THEN
        RAISE EXCEPTION 'permission denied: % may not put triggers on %', crm.acting_role(), tbl
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_index i WHERE i.indrelid = tbl AND i.indisprimary) THEN
        RAISE EXCEPTION '% has no primary key', tbl USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Add a primary key: it is the key of each event.';
    END IF;
    IF status_column IS NOT NULL AND NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = tbl AND a.attname = status_column
                                                                          AND a.attnum > 0 AND NOT a.attisdropped) THEN
        RAISE EXCEPTION 'column "%" of % does not exist', status_column, tbl USING ERRCODE = 'undefined_column';
    END IF;
    IF to_state IS NOT NULL AND status_column IS NULL THEN
        RAISE EXCEPTION 'to_state "%" needs a status_column', to_state USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO existing FROM crm.event_kind k WHERE k.kind = kind;
    IF existing.builtin THEN
        RAISE EXCEPTION 'event kind "%" is builtin', kind USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Switch it on or off with crm.set_event_kind(); emit a kind of your own here.';
    END IF;
    INSERT INTO crm.event_kind AS k (kind, description, source, status_column, to_state)
    VALUES (kind, description, tbl, status_column, to_state)
    ON CONFLICT ON CONSTRAINT event_kind_pkey DO UPDATE
        SET (description, source, status_column, to_state) = (EXCLUDED.description, EXCLUDED.source, EXCLUDED.status_column,
                                                              EXCLUDED.to_state);
END $$;
COMMENT ON FUNCTION crm.emit_on(regclass, text, name, text, text) IS
    'Makes a table emit a kind: for each inserted row, or for each row whose status_column changes (to to_state, if given); one line per kind';

CREATE OR REPLACE FUNCTION crm.add_event_kind(kind text, description text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
BEGIN
    PERFORM crm.require_arg(kind, 'kind');
    PERFORM crm.require_arg(description, 'description');
    IF EXISTS (SELECT FROM crm.event_kind k WHERE k.kind = kind AND (k.builtin OR k.source IS NOT NULL)) THEN
        RAISE EXCEPTION 'event kind "%" already exists and is not emitted by calls', kind USING ERRCODE = 'duplicate_object';
    END IF;
    INSERT INTO crm.event_kind AS k (kind, description) VALUES (kind, description)
    ON CONFLICT ON CONSTRAINT event_kind_pkey DO UPDATE SET description = EXCLUDED.description;
END $$;
COMMENT ON FUNCTION crm.add_event_kind(text, text) IS 'Adds a kind that functions emit with crm.emit_event (or changes its description)';

CREATE OR REPLACE FUNCTION crm.drop_event_kind(kind text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
BEGIN
    PERFORM crm.require_arg(kind, 'kind');
    IF (SELECT k.builtin FROM crm.event_kind k WHERE k.kind = kind) THEN
        RAISE EXCEPTION 'event kind "%" is builtin', kind USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Switch it off with crm.set_event_kind(kind, false).';
    END IF;
    DELETE FROM crm.event_kind k WHERE k.kind = kind;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown event kind "%"', kind USING ERRCODE = 'PC040';
    END IF;
END $$;
COMMENT ON FUNCTION crm.drop_event_kind(text) IS 'Removes a kind of your own and its trigger; its events stay until pruned';

CREATE OR REPLACE FUNCTION crm.set_event_kind(kind text, enabled boolean, retention interval DEFAULT NULL) RETURNS void
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
BEGIN
    PERFORM crm.require_arg(kind, 'kind');
    PERFORM crm.require_arg(enabled, 'enabled');
    IF NOT EXISTS (SELECT FROM crm.event_kind k WHERE k.kind = kind) THEN
        RAISE EXCEPTION 'unknown event kind "%"', kind USING ERRCODE = 'PC040';
    END IF;
    IF NOT (retention >= interval '1 hour') THEN
        RAISE EXCEPTION 'retention must be an hour or more, not %', retention USING ERRCODE = 'invalid_parameter_value',
            HINT = 'NULL means pgcrm.event_retention.';
    END IF;
    INSERT INTO crm.event_kind_setting AS s (kind, enabled, retention, changed_by) VALUES (kind, enabled, retention, crm.acting_role())
    ON CONFLICT ON CONSTRAINT event_kind_setting_pkey DO UPDATE
        SET (enabled, retention, changed_by, changed_at) = (EXCLUDED.enabled, EXCLUDED.retention, EXCLUDED.changed_by, now());
END $$;
COMMENT ON FUNCTION crm.set_event_kind(text, boolean, interval) IS
    'Switches a kind on or off and sets its retention (NULL: pgcrm.event_retention); kept by pg_dump, builtin kinds included';

CREATE OR REPLACE VIEW crm.event_kinds AS
SELECT k.kind, k.description, k.source, k.status_column, k.to_state, coalesce(s.enabled, true) AS enabled,
       s.retention, k.builtin
FROM crm.event_kind k LEFT JOIN crm.event_kind_setting s ON s.kind = k.kind;
COMMENT ON VIEW crm.event_kinds IS 'Every kind with its source and its settings (retention NULL: pgcrm.event_retention)';

-- Gives positions, in the order of writing, to the events of committed
-- transactions that have none yet: at most batch of them, and only while
-- holding the sequencer's lock, which is a transaction lock. A pass starts
-- only after the one before it committed, so every position it gives is
-- above every position a reader could already see (docs/events.md, "Commit
-- order"). Another consumer's pass is short, so it waits for one up to 100
-- ms; returns how many it sequenced, or NULL when the lock stayed taken (its
-- holder's positions appear when it commits).
CREATE OR REPLACE FUNCTION crm.sequence_events(batch integer DEFAULT 10000) RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    caller_lock_timeout text := current_setting('lock_timeout');
    sequenced integer;
BEGIN
    PERFORM crm.require_arg(batch, 'batch');
    IF NOT pg_try_advisory_xact_lock(hashtext('pgcrm'), hashtext('event sequencer')) THEN
        BEGIN
            PERFORM set_config('lock_timeout', '100ms', true);
            PERFORM pg_advisory_xact_lock(hashtext('pgcrm'), hashtext('event sequencer'));
            PERFORM set_config('lock_timeout', caller_lock_timeout, true);
        EXCEPTION WHEN lock_not_available THEN
            RETURN NULL;
        END;
    END IF;
    -- A new statement, so its snapshot is taken after the lock: it sees every
    -- pass before this one. The positions are drawn in id order from the
    -- materialised list of what waits.
    WITH waiting AS MATERIALIZED (
        SELECT u.id FROM crm.event u WHERE u.position IS NULL ORDER BY u.id LIMIT greatest(batch, 1)),
    numbered AS MATERIALIZED (
        SELECT w.id, nextval('crm.event_position_seq') AS position FROM waiting w)
    UPDATE crm.event e SET position = n.position FROM numbered n WHERE e.id = n.id;
    GET DIAGNOSTICS sequenced = ROW_COUNT;
    RETURN sequenced;
END $$;
COMMENT ON FUNCTION crm.sequence_events(integer) IS
    'Gives commit-order positions to the events of committed transactions; NULL when another transaction kept the sequencer''s lock';

CREATE OR REPLACE FUNCTION crm.create_event_consumer(consumer text, kinds text[] DEFAULT NULL, from_now boolean DEFAULT false)
    RETURNS crm.event_consumer LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    unknown text;
    start bigint := 0::bigint;
    c crm.event_consumer;
BEGIN
    PERFORM crm.require_arg(consumer, 'consumer');
    PERFORM crm.require_arg(from_now, 'from_now');
    SELECT string_agg(coalesce(k, 'NULL'), ', ') INTO unknown
    FROM unnest(kinds) k WHERE k IS NULL OR NOT EXISTS (SELECT FROM crm.event_kind e WHERE e.kind = k);
    IF unknown IS NOT NULL OR cardinality(kinds) = 0 OR array_ndims(kinds) > 1 THEN
        RAISE EXCEPTION 'kinds must be known event kinds or NULL for all, not %', kinds USING ERRCODE = 'PC040',
            HINT = 'The kinds are in crm.event_kinds.';
    END IF;
    IF from_now THEN
        PERFORM crm.sequence_events();
        start := coalesce((SELECT max(e.position) FROM crm.event e), 0);
    END IF;
    INSERT INTO crm.event_consumer AS k (consumer, kinds, position, delivered) VALUES (consumer, kinds, start, start)
    ON CONFLICT ON CONSTRAINT event_consumer_pkey DO UPDATE SET kinds = EXCLUDED.kinds
    RETURNING * INTO c;
    RETURN c;
END $$;
COMMENT ON FUNCTION crm.create_event_consumer(text, text[], boolean) IS
    'Registers a consumer of the kinds given (NULL: all) from the oldest kept event, or from now; again: changes its kinds';

CREATE OR REPLACE FUNCTION crm.consume_events(consumer text, max integer DEFAULT 100) RETURNS SETOF crm.event
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    c crm.event_consumer;
    handed crm.event;
    last bigint;
BEGIN
    PERFORM crm.require_arg(consumer, 'consumer');
    PERFORM crm.require_arg(max, 'max');
    IF max < 1 OR max > 10000 THEN
        RAISE EXCEPTION 'max must be 1 to 10000, not %', max USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT FROM crm.event_consumer k WHERE k.consumer = consumer) THEN
        PERFORM crm.create_event_consumer(consumer);
    END IF;
    -- One reader per consumer at a time: a second one waits for this transaction.
    SELECT * INTO c FROM crm.event_consumer k WHERE k.consumer = consumer FOR UPDATE;
    PERFORM crm.sequence_events(greatest(max * 10, 1000));
    last := c.delivered;
    FOR handed IN
        SELECT * FROM crm.event e
        WHERE e.position > c.position AND (c.kinds IS NULL OR e.kind = ANY (c.kinds))
        ORDER BY e.position LIMIT max
    LOOP
        RETURN NEXT handed;
        last := greatest(last, handed.position);
    END LOOP;
    -- The highest position handed out: everything up to it may be acknowledged.
    UPDATE crm.event_consumer k SET delivered = last, consumed_at = now() WHERE k.consumer = consumer;
END $$;
COMMENT ON FUNCTION crm.consume_events(text, integer) IS
    'The next events (at most max) after the consumer''s acknowledged position, in commit order; again until acknowledged (at least once). An unknown consumer starts from the oldest kept event';

CREATE OR REPLACE FUNCTION crm.ack_events(consumer text, up_to bigint) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    c crm.event_consumer;
BEGIN
    PERFORM crm.require_arg(consumer, 'consumer');
    PERFORM crm.require_arg(up_to, 'up_to');
    SELECT * INTO c FROM crm.event_consumer k WHERE k.consumer = consumer FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown event consumer "%"', consumer USING ERRCODE = 'PC041',
            HINT = 'A consumer exists once it has called crm.consume_events() or crm.create_event_consumer().';
    END IF;
    IF up_to > c.delivered THEN
        RAISE EXCEPTION 'consumer "%" cannot acknowledge position %: it was handed events up to % only', consumer, up_to,
            c.delivered USING ERRCODE = 'PC042', HINT = 'Acknowledge the position of the last event crm.consume_events() returned.';
    END IF;
    UPDATE crm.event_consumer k SET position = greatest(k.position, up_to), acked_at = now()
    WHERE k.consumer = consumer RETURNING k.position INTO c.position;
    RETURN c.position;
END $$;
COMMENT ON FUNCTION crm.ack_events(text, bigint) IS
    'Acknowledges every event of the consumer up to a position it was handed; returns its position (which never moves back)';

CREATE OR REPLACE FUNCTION crm.drop_event_consumer(consumer text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
BEGIN
    PERFORM crm.require_arg(consumer, 'consumer');
    DELETE FROM crm.event_consumer k WHERE k.consumer = consumer;
    RETURN FOUND;
END $$;
COMMENT ON FUNCTION crm.drop_event_consumer(text) IS
    'Removes a consumer, so the events it has not acknowledged no longer wait for it; true if it existed';

CREATE OR REPLACE VIEW crm.event_consumers AS
SELECT c.consumer, c.kinds, c.position, c.delivered,
       (SELECT max(e.position) FROM crm.event e) - c.position AS behind,
       c.created_at, c.consumed_at, c.acked_at
FROM crm.event_consumer c;
COMMENT ON VIEW crm.event_consumers IS
    'Each consumer: acknowledged position, highest position handed out, and how many positions it is behind the newest event';

-- The events job: sequences what committed, then deletes what is past its
-- kind's retention and acknowledged by every consumer (with no consumer,
-- what is past retention), and the inbound messages (docs/inbound.md) past
-- pgcrm.event_retention. It runs as the extension's owner: nobody else may
-- delete events.
CREATE OR REPLACE FUNCTION crm_dw.prune_events(rebuild boolean, OUT mode text, OUT rows_touched bigint, OUT message text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    acked bigint := (SELECT min(c.position) FROM crm.event_consumer c);
    cutoff timestamptz := now() - crm.event_retention(NULL);
    pruned bigint;
    held bigint;
    messages bigint;
BEGIN
    mode := 'run';
    LOOP
        EXIT WHEN coalesce(crm.sequence_events(), 0) = 0;
    END LOOP;
    -- A kind's own retention, else the default (also for kinds dropped since).
    DELETE FROM crm.event e
    WHERE e.occurred_at < coalesce(now() - (SELECT s.retention FROM crm.event_kind_setting s WHERE s.kind = e.kind), cutoff)
      AND (acked IS NULL OR e.position <= acked);
    GET DIAGNOSTICS pruned = ROW_COUNT;
    SELECT count(*) INTO held FROM crm.event e
    WHERE e.occurred_at < coalesce(now() - (SELECT s.retention FROM crm.event_kind_setting s WHERE s.kind = e.kind), cutoff)
      AND (e.position > acked OR e.position IS NULL);
    DELETE FROM crm.inbound_message m WHERE m.received_at < cutoff;
    GET DIAGNOSTICS messages = ROW_COUNT;
    rows_touched := pruned + messages;
    message := concat_ws('; ', format('pruned %s events and %s inbound messages', pruned, messages),
                         CASE WHEN held > 0 THEN format('%s events past retention wait for consumer %s', held,
                             (SELECT string_agg(c.consumer, ', ' ORDER BY c.consumer) FROM crm.event_consumer c
                              WHERE c.position = acked)) END);
END $$;

SELECT crm_dw.register_job('events', 90, 'crm_dw.prune_events(boolean)', false, '41 3 * * *',
                           'prune the event outbox and the inbound log past pgcrm.event_retention');
