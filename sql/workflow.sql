-- Status-transition engine: workflow definitions, the C++ triggers that
-- enforce them, and the history of every change.

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

-- Final states are never left, so a transition out of one is a definition error.
CREATE FUNCTION crm.workflow_definition_check() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_TABLE_NAME = 'workflow_transition' THEN
        IF EXISTS (SELECT FROM crm.workflow_state s
                   WHERE s.workflow = NEW.workflow AND s.code = NEW.from_state AND s.is_final) THEN
            RAISE EXCEPTION 'workflow "%": state "%" is final and cannot have a transition to "%"',
                NEW.workflow, NEW.from_state, NEW.to_state
                USING ERRCODE = 'check_violation';
        END IF;
    ELSIF NEW.is_final AND EXISTS (SELECT FROM crm.workflow_transition t
                                   WHERE t.workflow = NEW.workflow AND t.from_state = NEW.code) THEN
        RAISE EXCEPTION 'workflow "%": state "%" has outgoing transitions and cannot be final',
            NEW.workflow, NEW.code
            USING ERRCODE = 'check_violation', HINT = 'Delete its transitions first.';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER definition_check BEFORE INSERT OR UPDATE ON crm.workflow_transition
    FOR EACH ROW EXECUTE FUNCTION crm.workflow_definition_check();
CREATE TRIGGER definition_check BEFORE INSERT OR UPDATE ON crm.workflow_state
    FOR EACH ROW EXECUTE FUNCTION crm.workflow_definition_check();

CREATE FUNCTION crm.workflow_rules_changed() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'pgcrm_workflow_rules_changed';
COMMENT ON FUNCTION crm.workflow_rules_changed() IS 'Invalidates every backend''s cached workflow rules';
CREATE TRIGGER rules_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON crm.workflow
    FOR EACH STATEMENT EXECUTE FUNCTION crm.workflow_rules_changed();
CREATE TRIGGER rules_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON crm.workflow_state
    FOR EACH STATEMENT EXECUTE FUNCTION crm.workflow_rules_changed();
CREATE TRIGGER rules_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON crm.workflow_transition
    FOR EACH STATEMENT EXECUTE FUNCTION crm.workflow_rules_changed();

CREATE FUNCTION crm.workflow_trigger() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'pgcrm_workflow_trigger';
COMMENT ON FUNCTION crm.workflow_trigger() IS
    'Row trigger enforcing a workflow and recording history; arguments (workflow, status column, record history)';

-- The triggers of one attachment, named after the status column.
CREATE FUNCTION crm.workflow_trigger_name(status_column name, kind text) RETURNS name
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN ('pgcrm_' || status_column || '_' || kind)::name;

-- Drops the named triggers of one attachment that exist.
CREATE FUNCTION crm.drop_workflow_triggers(tbl regclass, status_column name, kinds text[]) RETURNS void
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
CREATE FUNCTION crm.require_status_column(tbl regclass, status_column name) RETURNS void
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
--   pgcrm_<column>_insert   BEFORE INSERT: default initial state, initial check
--   pgcrm_<column>_update   AFTER UPDATE when the status changed: transition check (+ history)
--   pgcrm_<column>_history  AFTER INSERT, only with history: records the first state
CREATE FUNCTION crm.create_workflow_triggers(tbl regclass, status_column name, workflow text, record_history boolean)
    RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM crm.require_status_column(tbl, status_column);
    PERFORM crm.require_arg(workflow, 'workflow');
    PERFORM crm.require_arg(record_history, 'record_history');
    PERFORM crm.drop_workflow_triggers(tbl, status_column, '{insert,update,history}');
    EXECUTE format('CREATE TRIGGER %I BEFORE INSERT ON %s FOR EACH ROW EXECUTE FUNCTION crm.workflow_trigger(%L, %L, %L)',
                   crm.workflow_trigger_name(status_column, 'insert'), tbl, workflow, status_column, record_history);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %s FOR EACH ROW WHEN (OLD.%I IS DISTINCT FROM NEW.%I) '
                   'EXECUTE FUNCTION crm.workflow_trigger(%L, %L, %L)',
                   crm.workflow_trigger_name(status_column, 'update'), tbl, status_column, status_column,
                   workflow, status_column, record_history);
    IF record_history THEN
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %s FOR EACH ROW EXECUTE FUNCTION crm.workflow_trigger(%L, %L, %L)',
                       crm.workflow_trigger_name(status_column, 'history'), tbl, workflow, status_column, record_history);
    END IF;
END $$;

CREATE FUNCTION crm.set_workflow_history(tbl regclass, status_column name, enabled boolean) RETURNS void
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

CREATE FUNCTION crm.attach_workflow(tbl regclass, status_column name, workflow text,
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

CREATE FUNCTION crm.detach_workflow(tbl regclass, status_column name) RETURNS void
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

CREATE FUNCTION crm.next_states(workflow text, from_state text)
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
CREATE FUNCTION crm.forget_dropped_attachments() RETURNS event_trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, crm, crm_dw, pg_temp AS $$
BEGIN
    DELETE FROM crm.workflow_attachment a
    USING pg_event_trigger_dropped_objects() d
    WHERE d.classid = 'pg_class'::regclass AND d.objid = a.table_name::oid AND d.objsubid = 0;
END $$;
CREATE EVENT TRIGGER pgcrm_forget_dropped_attachments ON sql_drop
    EXECUTE FUNCTION crm.forget_dropped_attachments();

-- Seeded workflows. Rows marked builtin are recreated by CREATE EXTENSION;
-- pg_dump keeps everything else.
CREATE FUNCTION crm.seed_workflow(code text, description text, states jsonb, transitions jsonb) RETURNS void
    LANGUAGE sql AS $$
    INSERT INTO crm.workflow (code, description, builtin) VALUES (code, description, true);
    INSERT INTO crm.workflow_state (workflow, code, label_en, label_uk, is_initial, is_final, sort_order, builtin)
    SELECT code, s->>0, s->>1, s->>2, s->>3 = 'initial', s->>3 = 'final', ord::int, true
    FROM jsonb_array_elements(states) WITH ORDINALITY AS e(s, ord);
    INSERT INTO crm.workflow_transition (workflow, from_state, to_state, builtin)
    SELECT code, t->>0, t->>1, true FROM jsonb_array_elements(transitions) AS e(t);
$$;

SELECT crm.seed_workflow('production_order', 'Production order from acceptance to readiness for shipment',
    '[["accepted", "Accepted for production", "Прийнято у виробництво", "initial"],
      ["in_progress", "In production", "У процесі виготовлення", ""],
      ["quality_control", "Quality control", "Контроль якості", ""],
      ["ready_for_shipment", "Ready for shipment", "Готово до відвантаження", "final"],
      ["cancelled", "Cancelled", "Скасовано", "final"]]',
    '[["accepted", "in_progress"], ["in_progress", "quality_control"], ["quality_control", "ready_for_shipment"],
      ["accepted", "cancelled"], ["in_progress", "cancelled"]]');
SELECT crm.seed_workflow('sales_order', 'Customer order from draft to delivery',
    '[["draft", "Draft", "Чернетка", "initial"], ["confirmed", "Confirmed", "Підтверджено", ""],
      ["in_production", "In production", "У виробництві", ""], ["ready", "Ready", "Готово", ""],
      ["shipped", "Shipped", "Відвантажено", ""], ["delivered", "Delivered", "Доставлено", "final"],
      ["cancelled", "Cancelled", "Скасовано", "final"]]',
    '[["draft", "confirmed"], ["confirmed", "in_production"], ["in_production", "ready"], ["ready", "shipped"],
      ["shipped", "delivered"], ["draft", "cancelled"], ["confirmed", "cancelled"]]');
SELECT crm.seed_workflow('deal', 'Sales pipeline stage of a deal',
    '[["new", "New", "Нова", "initial"], ["qualified", "Qualified", "Кваліфікована", ""],
      ["proposal", "Proposal", "Пропозиція", ""], ["negotiation", "Negotiation", "Переговори", ""],
      ["won", "Won", "Виграна", "final"], ["lost", "Lost", "Програна", "final"]]',
    '[["new", "qualified"], ["qualified", "proposal"], ["proposal", "negotiation"], ["negotiation", "won"],
      ["new", "lost"], ["qualified", "lost"], ["proposal", "lost"], ["negotiation", "lost"]]');
SELECT crm.seed_workflow('lead', 'Lead from first touch to conversion',
    '[["new", "New", "Новий", "initial"], ["contacted", "Contacted", "Контакт встановлено", ""],
      ["qualified", "Qualified", "Кваліфікований", ""], ["converted", "Converted", "Конвертований", "final"],
      ["disqualified", "Disqualified", "Дискваліфікований", "final"]]',
    '[["new", "contacted"], ["contacted", "qualified"], ["qualified", "converted"],
      ["new", "disqualified"], ["contacted", "disqualified"], ["qualified", "disqualified"]]');
SELECT crm.seed_workflow('shipment', 'Shipment from planning to delivery',
    '[["planned", "Planned", "Заплановано", "initial"], ["shipped", "Shipped", "Відвантажено", ""],
      ["delivered", "Delivered", "Доставлено", "final"], ["cancelled", "Cancelled", "Скасовано", "final"]]',
    '[["planned", "shipped"], ["shipped", "delivered"], ["planned", "cancelled"]]');
SELECT crm.seed_workflow('credit_application', 'Credit application from review to repayment',
    '[["pending", "Pending review", "На розгляді", "initial"], ["started", "Approved and active", "Діючий", ""],
      ["refused", "Refused", "Відмовлено", "final"], ["finished", "Finished", "Завершено", "final"]]',
    '[["pending", "started"], ["pending", "refused"], ["started", "finished"]]');
SELECT crm.seed_workflow('task', 'Task from opening to completion',
    '[["open", "Open", "Відкрито", "initial"], ["in_progress", "In progress", "У роботі", ""],
      ["done", "Done", "Виконано", "final"], ["cancelled", "Cancelled", "Скасовано", "final"]]',
    '[["open", "in_progress"], ["in_progress", "done"], ["open", "cancelled"], ["in_progress", "cancelled"]]');
DROP FUNCTION crm.seed_workflow(text, text, jsonb, jsonb);

SELECT pg_catalog.pg_extension_config_dump('crm.workflow', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('crm.workflow_state', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('crm.workflow_transition', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('crm.status_history', '');
SELECT pg_catalog.pg_extension_config_dump('crm.status_history_id_seq', '');
