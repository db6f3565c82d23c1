-- The status-transition engine: the C++ triggers that enforce a workflow and
-- record history, attaching them to any table, and the install helpers the
-- other capabilities seed their workflows with.

-- Final states are never left, so a transition out of one is a definition
-- error: checked from both sides, a transition added and a state made final.
CREATE OR REPLACE FUNCTION crm.workflow_transition_check() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT FROM crm.workflow_state s
               WHERE s.workflow = NEW.workflow AND s.code = NEW.from_state AND s.is_final) THEN
        RAISE EXCEPTION 'workflow "%": state "%" is final and cannot have a transition to "%"',
            NEW.workflow, NEW.from_state, NEW.to_state
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION crm.workflow_state_check() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NEW.is_final AND EXISTS (SELECT FROM crm.workflow_transition t
                                WHERE t.workflow = NEW.workflow AND t.from_state = NEW.code) THEN
        RAISE EXCEPTION 'workflow "%": state "%" has outgoing transitions and cannot be final',
            NEW.workflow, NEW.code
            USING ERRCODE = 'check_violation', HINT = 'Delete its transitions first.';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER definition_check BEFORE INSERT OR UPDATE ON crm.workflow_transition
    FOR EACH ROW EXECUTE FUNCTION crm.workflow_transition_check();
CREATE OR REPLACE TRIGGER definition_check BEFORE INSERT OR UPDATE ON crm.workflow_state
    FOR EACH ROW EXECUTE FUNCTION crm.workflow_state_check();

CREATE OR REPLACE FUNCTION crm.workflow_rules_changed() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'pgcrm_workflow_rules_changed';
COMMENT ON FUNCTION crm.workflow_rules_changed() IS 'Invalidates every backend''s cached workflow rules';
CREATE OR REPLACE TRIGGER rules_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON crm.workflow
    FOR EACH STATEMENT EXECUTE FUNCTION crm.workflow_rules_changed();
CREATE OR REPLACE TRIGGER rules_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON crm.workflow_state
    FOR EACH STATEMENT EXECUTE FUNCTION crm.workflow_rules_changed();
CREATE OR REPLACE TRIGGER rules_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON crm.workflow_transition
    FOR EACH STATEMENT EXECUTE FUNCTION crm.workflow_rules_changed();

CREATE OR REPLACE FUNCTION crm.workflow_trigger() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'pgcrm_workflow_trigger';
COMMENT ON FUNCTION crm.workflow_trigger() IS
    'Trigger enforcing a workflow and recording history; arguments (workflow, status column, record history)';

-- The triggers of one attachment, named after the status column.
CREATE OR REPLACE FUNCTION crm.workflow_trigger_name(status_column name, kind text) RETURNS name
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN ('pgcrm_' || status_column || '_' || kind)::name;

-- Drops the named triggers of one attachment that exist.
CREATE OR REPLACE FUNCTION crm.drop_workflow_triggers(tbl regclass, status_column name, kinds text[]) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    trigger_name name;
BEGIN
    FOR trigger_name IN
        SELECT t.tgname FROM pg_trigger t
        WHERE t.tgrelid = tbl AND t.tgname IN (SELECT crm.workflow_trigger_name(status_column, k) FROM unnest(kinds) k)
    LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', trigger_name, tbl);
    END LOOP;
END $$;

-- A table with a primary key and a text or varchar column of that name, or an error saying which is missing.
CREATE OR REPLACE FUNCTION crm.require_status_column(tbl regclass, status_column name) RETURNS void
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    col_type oid;
BEGIN
    PERFORM crm.require_arg(tbl, 'tbl');
    PERFORM crm.require_arg(status_column, 'status_column');
    IF coalesce((SELECT relkind FROM pg_class WHERE oid = tbl) NOT IN ('r', 'p'), true) THEN
        RAISE EXCEPTION '% is not a table', tbl USING ERRCODE = 'wrong_object_type';
    END IF;
    SELECT atttypid INTO col_type FROM pg_attribute
    WHERE attrelid = tbl AND attname = status_column AND attnum > 0 AND NOT attisdropped;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'column "%" of % does not exist', status_column, tbl USING ERRCODE = 'undefined_column';
    END IF;
    IF col_type NOT IN ('text'::regtype, 'varchar'::regtype) THEN
        RAISE EXCEPTION 'status column "%" of % must be text or varchar, not %', status_column, tbl,
            col_type::regtype USING ERRCODE = 'datatype_mismatch';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_index WHERE indrelid = tbl AND indisprimary) THEN
        RAISE EXCEPTION '% has no primary key', tbl
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Add a primary key: it names the row in errors and in crm.status_history.';
    END IF;
END $$;

-- (Re)creates the triggers of one attachment:
--   pgcrm_<column>_insert   BEFORE INSERT, per row: default initial state, initial check
--   pgcrm_<column>_update   AFTER UPDATE: transition check (+ history)
--   pgcrm_<column>_history  AFTER INSERT, only with history: records the first state
-- With history, the update and history triggers fire once per statement and
-- read its transition tables, so the history of a statement is one INSERT.
-- Without, the update trigger fires per row, only when the status changed:
-- an UPDATE that leaves the status alone then costs next to nothing. A
-- partitioned table keeps row triggers, the only kind its partitions inherit.
CREATE OR REPLACE FUNCTION crm.create_workflow_triggers(tbl regclass, status_column name, workflow text, record_history boolean)
    RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    args text := format('crm.workflow_trigger(%L, %L, %L)', workflow, status_column, record_history);
    per_statement boolean;
BEGIN
    PERFORM crm.require_status_column(tbl, status_column);
    PERFORM crm.require_arg(workflow, 'workflow');
    PERFORM crm.require_arg(record_history, 'record_history');
    per_statement := record_history AND (SELECT relkind FROM pg_class WHERE oid = tbl) = 'r';
    PERFORM crm.drop_workflow_triggers(tbl, status_column, '{insert,update,history}');
    EXECUTE format('CREATE TRIGGER %I BEFORE INSERT ON %s FOR EACH ROW EXECUTE FUNCTION %s',
                   crm.workflow_trigger_name(status_column, 'insert'), tbl, args);
    IF per_statement THEN
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %s REFERENCING OLD TABLE AS pgcrm_old NEW TABLE AS pgcrm_new '
                       'FOR EACH STATEMENT EXECUTE FUNCTION %s',
                       crm.workflow_trigger_name(status_column, 'update'), tbl, args);
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %s REFERENCING NEW TABLE AS pgcrm_new '
                       'FOR EACH STATEMENT EXECUTE FUNCTION %s',
                       crm.workflow_trigger_name(status_column, 'history'), tbl, args);
        RETURN;
    END IF;
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %s FOR EACH ROW WHEN (OLD.%I IS DISTINCT FROM NEW.%I) '
                   'EXECUTE FUNCTION %s',
                   crm.workflow_trigger_name(status_column, 'update'), tbl, status_column, status_column, args);
    IF record_history THEN
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %s FOR EACH ROW EXECUTE FUNCTION %s',
                       crm.workflow_trigger_name(status_column, 'history'), tbl, args);
    END IF;
END $$;

CREATE OR REPLACE FUNCTION crm.set_workflow_history(tbl regclass, status_column name, enabled boolean) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    attached text;
BEGIN
    PERFORM crm.require_arg(tbl, 'tbl');
    PERFORM crm.require_arg(status_column, 'status_column');
    PERFORM crm.require_arg(enabled, 'enabled');
    UPDATE crm.workflow_attachment w SET record_history = enabled
    WHERE w.table_name = tbl AND w.status_column = set_workflow_history.status_column
    RETURNING w.workflow INTO attached;
    IF attached IS NULL THEN
        RAISE EXCEPTION 'no workflow is attached to column "%" of %', status_column, tbl
            USING ERRCODE = 'undefined_object', HINT = 'Attach one with crm.attach_workflow().';
    END IF;
    PERFORM crm.create_workflow_triggers(tbl, status_column, attached, enabled);
END $$;
COMMENT ON FUNCTION crm.set_workflow_history(regclass, name, boolean) IS
    'Switches the status history of one attachment on or off';

CREATE OR REPLACE FUNCTION crm.attach_workflow(tbl regclass, status_column name, workflow text,
                                    record_history boolean DEFAULT true) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    states text[];
    bad text;
    attached text;
BEGIN
    PERFORM crm.require_arg(workflow, 'workflow');
    PERFORM crm.require_arg(record_history, 'record_history');
    IF NOT EXISTS (SELECT FROM crm.workflow w WHERE w.code = attach_workflow.workflow) THEN
        RAISE EXCEPTION 'workflow "%" does not exist', workflow
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Known workflows: ' || (SELECT string_agg(code, ', ' ORDER BY code) FROM crm.workflow) || '.';
    END IF;
    PERFORM crm.require_status_column(tbl, status_column);
    IF NOT EXISTS (SELECT FROM crm.workflow_state s WHERE s.workflow = attach_workflow.workflow AND s.is_initial) THEN
        RAISE EXCEPTION 'workflow "%" has no initial state', workflow
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    SELECT w.workflow INTO attached FROM crm.workflow_attachment w
    WHERE w.table_name = tbl AND w.status_column = attach_workflow.status_column;
    IF attached IS NOT NULL AND attached <> workflow THEN
        RAISE EXCEPTION 'column "%" of % is already attached to workflow "%"', status_column, tbl, attached
            USING ERRCODE = 'duplicate_object', HINT = 'Detach it first with crm.detach_workflow().';
    END IF;

    SELECT array_agg(code) INTO states FROM crm.workflow_state s WHERE s.workflow = attach_workflow.workflow;
    EXECUTE format('SELECT %1$I FROM %2$s WHERE %1$I <> ALL ($1) LIMIT 1', status_column, tbl) INTO bad USING states;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'unknown status "%" in column "%" of %', bad, status_column, tbl
            USING ERRCODE = 'PC002', DETAIL = format('Workflow "%s" has no such state.', workflow),
                  HINT = 'Update the existing rows to states of the workflow before attaching it.';
    END IF;

    INSERT INTO crm.workflow_attachment (table_name, status_column, workflow, record_history)
    VALUES (tbl, status_column, workflow, record_history)
    ON CONFLICT ON CONSTRAINT workflow_attachment_pkey DO UPDATE SET record_history = EXCLUDED.record_history;
    PERFORM crm.create_workflow_triggers(tbl, status_column, workflow, record_history);
END $$;
COMMENT ON FUNCTION crm.attach_workflow(regclass, name, text, boolean) IS
    'Makes a status column of any table follow a workflow; calling it again only changes record_history';

CREATE OR REPLACE FUNCTION crm.detach_workflow(tbl regclass, status_column name) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM crm.require_arg(tbl, 'tbl');
    PERFORM crm.require_arg(status_column, 'status_column');
    DELETE FROM crm.workflow_attachment w WHERE w.table_name = tbl AND w.status_column = detach_workflow.status_column;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no workflow is attached to column "%" of %', status_column, tbl
            USING ERRCODE = 'undefined_object';
    END IF;
    PERFORM crm.drop_workflow_triggers(tbl, status_column, '{insert,update,history}');
END $$;
COMMENT ON FUNCTION crm.detach_workflow(regclass, name) IS 'Removes a workflow from a status column; history is kept';

CREATE OR REPLACE FUNCTION crm.next_states(workflow text, from_state text)
    RETURNS TABLE (code text, label_en text, label_uk text, is_final boolean, required_role name)
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    BEGIN ATOMIC
        SELECT s.code, s.label_en, s.label_uk, s.is_final, t.required_role
        FROM crm.workflow_transition t
        JOIN crm.workflow_state s ON s.workflow = t.workflow AND s.code = t.to_state
        WHERE t.workflow = next_states.workflow AND t.from_state = next_states.from_state
        ORDER BY s.sort_order, s.code;
    END;
COMMENT ON FUNCTION crm.next_states(text, text) IS 'The states a row in from_state may move to, for menus and checks';

-- A dropped table takes its attachment with it. The event fires for every
-- DROP in the database, by any role: SECURITY DEFINER so a role without rights
-- on crm can still drop its own tables.
CREATE OR REPLACE FUNCTION crm.forget_dropped_attachments() RETURNS event_trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    DELETE FROM crm.workflow_attachment a
    USING pg_event_trigger_dropped_objects() d
    WHERE d.classid = 'pg_class'::regclass AND d.objid = a.table_name::oid AND d.objsubid = 0;
END $$;
DROP EVENT TRIGGER IF EXISTS pgcrm_forget_dropped_attachments;
CREATE EVENT TRIGGER pgcrm_forget_dropped_attachments ON sql_drop
    EXECUTE FUNCTION crm.forget_dropped_attachments();

-- A release may change the triggers: every attachment gets them anew (at
-- install time there is none yet).
SELECT crm.create_workflow_triggers(a.table_name, a.status_column, a.workflow, a.record_history)
FROM crm.workflow_attachment a;

-- Install helpers (dropped by sql/finish.sql): a builtin workflow, and its
-- attachment to a table of the extension. CREATE EXTENSION recreates builtin
-- rows; pg_dump keeps the others.
CREATE OR REPLACE FUNCTION crm.seed_workflow(code text, description text, states jsonb, transitions jsonb) RETURNS void
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO crm.workflow (code, description, builtin) VALUES (code, description, true);
    INSERT INTO crm.workflow_state (workflow, code, label_en, label_uk, is_initial, is_final, sort_order, builtin)
    SELECT code, s->>0, s->>1, s->>2, s->>3 = 'initial', s->>3 = 'final', ord::int, true
    FROM jsonb_array_elements(states) WITH ORDINALITY AS e(s, ord);
    INSERT INTO crm.workflow_transition (workflow, from_state, to_state, builtin)
    SELECT code, t->>0, t->>1, true FROM jsonb_array_elements(transitions) AS e(t);
$$;

CREATE OR REPLACE FUNCTION crm.attach_builtin_workflow(tbl regclass, status_column name, workflow text) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM crm.attach_workflow(tbl, status_column, workflow);
    UPDATE crm.workflow_attachment a SET builtin = true WHERE a.table_name = tbl AND a.status_column = attach_builtin_workflow.status_column;
END $$;
