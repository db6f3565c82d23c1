-- Schemas. Operational objects live in crm, the warehouse in crm_dw.
\echo Use "CREATE EXTENSION pgcrm" to load this file. \quit

CREATE SCHEMA crm;
COMMENT ON SCHEMA crm IS 'pgcrm operational schema: CRM tables, workflows, inventory and analytics functions';
CREATE SCHEMA crm_dw;
COMMENT ON SCHEMA crm_dw IS 'pgcrm warehouse schema: derived tables and BI views, rebuilt from crm';

CREATE FUNCTION crm.selftest_boundary(fault text) RETURNS integer
    LANGUAGE c VOLATILE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgcrm_selftest_boundary';
COMMENT ON FUNCTION crm.selftest_boundary(text) IS
    'Raises a fault across the C++/PostgreSQL boundary to prove it becomes an ordinary error (docs/development.md)';
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

-- (Re)creates the triggers of one attachment:
--   pgcrm_<column>_insert   BEFORE INSERT: default initial state, initial check
--   pgcrm_<column>_update   AFTER UPDATE when the status changed: transition check (+ history)
--   pgcrm_<column>_history  AFTER INSERT, only with history: records the first state
CREATE FUNCTION crm.create_workflow_triggers(tbl regclass, status_column name, workflow text, record_history boolean)
    RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
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
    IF enabled IS NULL THEN
        RAISE EXCEPTION 'enabled must be true or false, not NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
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
    col_type oid;
    states text[];
    bad text;
    attached text;
BEGIN
    IF tbl IS NULL OR status_column IS NULL OR workflow IS NULL OR record_history IS NULL THEN
        RAISE EXCEPTION 'crm.attach_workflow: no argument may be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT EXISTS (SELECT FROM crm.workflow w WHERE w.code = attach_workflow.workflow) THEN
        RAISE EXCEPTION 'workflow "%" does not exist', workflow
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Known workflows: ' || (SELECT string_agg(code, ', ' ORDER BY code) FROM crm.workflow) || '.';
    END IF;
    IF (SELECT relkind FROM pg_class WHERE oid = tbl) NOT IN ('r', 'p') THEN
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

-- A dropped table takes its attachment with it.
CREATE FUNCTION crm.forget_dropped_attachments() RETURNS event_trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
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
-- Shared pieces of the data model: validated value types, updated_at upkeep,
-- and the registration every user-data table gets.

CREATE DOMAIN crm.email AS text
    CONSTRAINT email_format CHECK (VALUE ~ '^[A-Za-z0-9._%+''-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$'
                                   AND length(VALUE) <= 254);
COMMENT ON DOMAIN crm.email IS 'An e-mail address: local@domain.tld, at most 254 characters';

CREATE DOMAIN crm.phone AS text
    CONSTRAINT phone_format CHECK (VALUE ~ '^\+?[0-9][0-9 ()-]{4,22}[0-9]$');
COMMENT ON DOMAIN crm.phone IS 'A phone number: digits with optional leading +, spaces, dashes and parentheses';

-- numeric accepts NaN and ±Infinity, and NaN sorts above every number, so a
-- plain "> 0" would let NaN through: every bound is two-sided.
CREATE DOMAIN crm.quantity AS numeric
    CONSTRAINT quantity_positive_finite CHECK (VALUE > 0 AND VALUE < 'Infinity');
COMMENT ON DOMAIN crm.quantity IS 'A positive, finite quantity (metres of pipe, pieces, hours)';

CREATE DOMAIN crm.amount AS numeric(14, 2)
    CONSTRAINT amount_nonnegative_finite CHECK (VALUE >= 0 AND VALUE < 'Infinity');
COMMENT ON DOMAIN crm.amount IS 'A non-negative money amount in currency units, to the cent';

CREATE DOMAIN crm.currency AS char(3)
    CONSTRAINT currency_iso4217 CHECK (VALUE ~ '^[A-Z]{3}$');
COMMENT ON DOMAIN crm.currency IS 'An ISO 4217 currency code such as UAH, EUR, USD';

CREATE FUNCTION crm.touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END $$;
COMMENT ON FUNCTION crm.touch_updated_at() IS 'Keeps updated_at at the time of the last change';

-- Install-time helper (dropped at the end of the script): keeps updated_at
-- current and registers the table and its identity sequences with pg_dump.
CREATE FUNCTION crm.register_table(tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    seq text;
BEGIN
    IF EXISTS (SELECT FROM pg_attribute WHERE attrelid = tbl AND attname = 'updated_at' AND NOT attisdropped) THEN
        EXECUTE format('CREATE TRIGGER touch_updated_at BEFORE UPDATE ON %s FOR EACH ROW '
                       'EXECUTE FUNCTION crm.touch_updated_at()', tbl);
    END IF;
    PERFORM pg_catalog.pg_extension_config_dump(tbl, '');
    FOR seq IN SELECT pg_get_serial_sequence(tbl::text, attname) FROM pg_attribute
               WHERE attrelid = tbl AND attidentity <> '' AND NOT attisdropped LOOP
        PERFORM pg_catalog.pg_extension_config_dump(seq::regclass, '');
    END LOOP;
END $$;

-- Per-kind, per-year document counters: ORD-2026-00056. One row per key, so
-- numbering serialises only orders of the same year.
CREATE TABLE crm.document_counter (
    kind       text NOT NULL,
    year       integer NOT NULL CHECK (year BETWEEN 1900 AND 9999),
    last_value integer NOT NULL CHECK (last_value >= 0),
    PRIMARY KEY (kind, year)
);
COMMENT ON TABLE crm.document_counter IS 'The last number given to a kind of document in a year';
SELECT crm.register_table('crm.document_counter');

CREATE FUNCTION crm.next_document_number(kind text, prefix text, on_date date) RETURNS text
    LANGUAGE sql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO crm.document_counter AS c (kind, year, last_value)
    VALUES (kind, extract(year FROM on_date)::int, 1)
    ON CONFLICT (kind, year) DO UPDATE SET last_value = c.last_value + 1
    RETURNING format('%s-%s-%s', prefix, c.year, lpad(c.last_value::text, greatest(5, length(c.last_value::text)), '0'));
$$;
COMMENT ON FUNCTION crm.next_document_number(text, text, date) IS
    'The next gapless number of a kind of document for the year of on_date, e.g. ORD-2026-00056';
-- Clients, their contact persons, leads and deals.

CREATE TABLE crm.account (
    id                bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    kind              text NOT NULL DEFAULT 'legal_entity' CHECK (kind IN ('legal_entity', 'individual')),
    name              text NOT NULL CHECK (btrim(name) <> ''),
    industry          text CHECK (btrim(industry) <> ''),
    region            text CHECK (btrim(region) <> ''),
    source            text CHECK (btrim(source) <> ''),
    is_vip            boolean NOT NULL DEFAULT false,
    status            text NOT NULL DEFAULT 'active' CHECK (status IN ('prospect', 'active', 'inactive', 'archived')),
    marketing_consent boolean NOT NULL DEFAULT false,
    registered_on     date NOT NULL DEFAULT current_date,
    email             crm.email,
    phone             crm.phone,
    manager           name,
    owner             name NOT NULL DEFAULT current_user,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX account_email_key ON crm.account (lower(email));
CREATE INDEX account_industry_region_idx ON crm.account (industry, region);
COMMENT ON TABLE crm.account IS 'A client: a legal entity or an individual';
SELECT crm.register_table('crm.account');

CREATE TABLE crm.contact (
    id          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES crm.account,
    first_name  text NOT NULL CHECK (btrim(first_name) <> ''),
    middle_name text,
    last_name   text NOT NULL CHECK (btrim(last_name) <> ''),
    position    text,
    email       crm.email,
    phone       crm.phone,
    channels    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(channels) = 'object'),
    is_primary  boolean NOT NULL DEFAULT false,
    owner       name NOT NULL DEFAULT current_user,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, id)
);
CREATE UNIQUE INDEX contact_email_key ON crm.contact (lower(email));
CREATE INDEX contact_account_idx ON crm.contact (account_id);
COMMENT ON TABLE crm.contact IS 'A person at an account; channels holds fax, website, socials as {"fax": "...", ...}';
COMMENT ON COLUMN crm.contact.email IS 'Unique across contacts, case-insensitively';
SELECT crm.register_table('crm.contact');

CREATE TABLE crm.deal (
    id             bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    account_id     bigint NOT NULL REFERENCES crm.account,
    title          text NOT NULL CHECK (btrim(title) <> ''),
    amount         crm.amount NOT NULL DEFAULT 0,
    currency       crm.currency NOT NULL DEFAULT 'UAH',
    stage          text,
    expected_close date,
    probability    numeric(5, 2) CHECK (probability BETWEEN 0 AND 100),
    owner          name NOT NULL DEFAULT current_user,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deal_account_idx ON crm.deal (account_id);
COMMENT ON TABLE crm.deal IS 'A sales opportunity; stage follows the deal workflow';
SELECT crm.register_table('crm.deal');
SELECT crm.attach_workflow('crm.deal', 'stage', 'deal');

CREATE TABLE crm.lead (
    id                     bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    source                 text NOT NULL CHECK (btrim(source) <> ''),
    company_name           text NOT NULL CHECK (btrim(company_name) <> ''),
    contact_first_name     text,
    contact_last_name      text,
    email                  crm.email,
    phone                  crm.phone,
    industry               text,
    region                 text,
    technical_requirements text,
    expected_volume        crm.quantity,
    volume_unit            text NOT NULL DEFAULT 'm',
    deadline               date,
    status                 text,
    account_id             bigint REFERENCES crm.account,
    contact_id             bigint REFERENCES crm.contact,
    deal_id                bigint REFERENCES crm.deal,
    converted_at           timestamptz,
    owner                  name NOT NULL DEFAULT current_user,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'converted') = (deal_id IS NOT NULL AND converted_at IS NOT NULL))
);
COMMENT ON TABLE crm.lead IS 'A request not yet a client: industry, technical requirements, volume, deadline';
SELECT crm.register_table('crm.lead');
SELECT crm.attach_workflow('crm.lead', 'status', 'lead');

CREATE TYPE crm.convert_lead_result AS (account_id bigint, contact_id bigint, deal_id bigint, account_created boolean);

CREATE FUNCTION crm.convert_lead(lead_id bigint) RETURNS crm.convert_lead_result
    LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    l crm.lead;
    r crm.convert_lead_result;
BEGIN
    -- The row lock makes a concurrent second call wait, then see the result.
    SELECT * INTO l FROM crm.lead WHERE id = lead_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'lead % does not exist', lead_id USING ERRCODE = 'PC003';
    END IF;
    IF l.status = 'converted' THEN
        RETURN (l.account_id, l.contact_id, l.deal_id, false)::crm.convert_lead_result;
    END IF;
    IF l.status <> 'qualified' THEN
        RAISE EXCEPTION 'lead % is "%", only a qualified lead can be converted', lead_id, l.status
            USING ERRCODE = 'PC001', HINT = 'Move it to "qualified" first.';
    END IF;

    -- The account: the one already linked, else one with the lead's e-mail, else by name, else a new one.
    r.account_id := coalesce(l.account_id,
        (SELECT a.id FROM crm.account a WHERE lower(a.email) = lower(l.email) LIMIT 1),
        (SELECT c.account_id FROM crm.contact c WHERE lower(c.email) = lower(l.email) LIMIT 1),
        (SELECT a.id FROM crm.account a WHERE lower(a.name) = lower(l.company_name) ORDER BY a.id LIMIT 1));
    r.account_created := r.account_id IS NULL;
    IF r.account_created THEN
        INSERT INTO crm.account (name, industry, region, source, status, owner)
        VALUES (l.company_name, l.industry, l.region, l.source, 'active', l.owner)
        RETURNING id INTO r.account_id;
    END IF;

    r.contact_id := coalesce(l.contact_id,
        (SELECT c.id FROM crm.contact c WHERE lower(c.email) = lower(l.email) AND c.account_id = r.account_id));
    IF r.contact_id IS NULL AND l.contact_last_name IS NOT NULL THEN
        INSERT INTO crm.contact (account_id, first_name, last_name, email, phone, is_primary, owner)
        VALUES (r.account_id, coalesce(l.contact_first_name, '-'), l.contact_last_name,
                CASE WHEN NOT EXISTS (SELECT FROM crm.contact c WHERE lower(c.email) = lower(l.email)) THEN l.email END,
                l.phone, r.account_created, l.owner)
        RETURNING id INTO r.contact_id;
    END IF;

    INSERT INTO crm.deal (account_id, title, expected_close, owner)
    VALUES (r.account_id, left(format('%s: %s', l.company_name, coalesce(l.technical_requirements, 'request')), 200),
            l.deadline, l.owner)
    RETURNING id INTO r.deal_id;

    UPDATE crm.lead SET status = 'converted', account_id = r.account_id, contact_id = r.contact_id,
                        deal_id = r.deal_id, converted_at = now()
    WHERE id = lead_id;
    RETURN r;
END $$;
COMMENT ON FUNCTION crm.convert_lead(bigint) IS
    'Turns a qualified lead into an account (found or created), a contact and a deal, atomically; a second call returns the same result';
-- What is sold and where it is kept.

-- Typed technical attributes of a product. Known keys must have their type and
-- range; other keys are free, for kinds of product not foreseen here.
CREATE FUNCTION crm.product_attributes_valid(a jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN jsonb_typeof(a) = 'object'
       AND (NOT a ? 'pipe_type' OR jsonb_typeof(a->'pipe_type') = 'string')
       AND (NOT a ? 'diameter_mm' OR (jsonb_typeof(a->'diameter_mm') = 'number'
                                      AND (a->>'diameter_mm')::numeric = trunc((a->>'diameter_mm')::numeric)
                                      AND (a->>'diameter_mm')::numeric BETWEEN 1 AND 10000))
       AND (NOT a ? 'length_m' OR (jsonb_typeof(a->'length_m') = 'number'
                                   AND (a->>'length_m')::numeric > 0 AND (a->>'length_m')::numeric <= 1000))
       AND (NOT a ? 'working_pressure_bar' OR (jsonb_typeof(a->'working_pressure_bar') = 'number'
                                               AND (a->>'working_pressure_bar')::numeric > 0
                                               AND (a->>'working_pressure_bar')::numeric <= 1000))
       AND (NOT a ? 'material' OR jsonb_typeof(a->'material') = 'string')
       AND (NOT a ? 'certification' OR (jsonb_typeof(a->'certification') = 'array'
                                        AND NOT jsonb_path_exists(a->'certification', '$[*] ? (@.type() != "string")')));
COMMENT ON FUNCTION crm.product_attributes_valid(jsonb) IS
    'Checks pipe_type (text), diameter_mm (integer 1..10000), length_m (0..1000], working_pressure_bar (0..1000], material (text), certification (array of text)';

CREATE TABLE crm.product (
    id         bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    sku        text NOT NULL UNIQUE CHECK (sku ~ '^[A-Za-z0-9][A-Za-z0-9._/-]*$'),
    name       text NOT NULL CHECK (btrim(name) <> ''),
    kind       text NOT NULL CHECK (kind IN ('goods', 'service', 'credit')),
    family     text,
    unit       text NOT NULL DEFAULT 'pcs' CHECK (unit IN ('m', 'pcs', 'kg', 't', 'h', 'month', 'service')),
    list_price crm.amount NOT NULL,
    currency   crm.currency NOT NULL DEFAULT 'UAH',
    attributes jsonb NOT NULL DEFAULT '{}' CONSTRAINT product_attributes_valid CHECK (crm.product_attributes_valid(attributes)),
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE crm.product IS 'A product or service; pipe specs in attributes: {"pipe_type", "diameter_mm", "length_m", "working_pressure_bar", "material", "certification": [...]}';
COMMENT ON COLUMN crm.product.family IS 'A grouping for planning and forecasts, e.g. "pressure pipe"';
SELECT crm.register_table('crm.product');

CREATE TABLE crm.warehouse (
    id         bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    code       text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9_-]+$'),
    name       text NOT NULL CHECK (btrim(name) <> ''),
    region     text,
    address    text,
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE crm.warehouse IS 'A place where finished products are stored';
SELECT crm.register_table('crm.warehouse');
-- Customer orders, their lines, production orders and complaints.

CREATE TABLE crm.sales_order (
    id             bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    number         text NOT NULL UNIQUE CHECK (number ~ '^ORD-[0-9]{4}-[0-9]{5,}$'),
    account_id     bigint NOT NULL REFERENCES crm.account,
    deal_id        bigint REFERENCES crm.deal,
    order_date     date NOT NULL DEFAULT current_date,
    status         text,
    manager        name,
    delivery_terms text,
    payment_terms  text,
    delivery_date  date,
    currency       crm.currency NOT NULL DEFAULT 'UAH',
    owner          name NOT NULL DEFAULT current_user,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (delivery_date IS NULL OR delivery_date >= order_date)
);
CREATE INDEX sales_order_account_idx ON crm.sales_order (account_id, order_date);
CREATE INDEX sales_order_date_idx ON crm.sales_order (order_date);
COMMENT ON TABLE crm.sales_order IS 'A customer order; number ORD-<year>-<5 digits> is given by the database when not supplied';

CREATE FUNCTION crm.assign_order_number() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    imported_year int;
    imported_seq int;
BEGIN
    IF NEW.number IS NULL THEN
        NEW.number := crm.next_document_number('sales_order', 'ORD', NEW.order_date);
    ELSIF NEW.number ~ '^ORD-[0-9]{4}-[0-9]{5,}$' THEN
        -- An imported number moves the counter past it, so later numbers never collide.
        imported_year := split_part(NEW.number, '-', 2)::int;
        imported_seq := split_part(NEW.number, '-', 3)::int;
        INSERT INTO crm.document_counter AS c (kind, year, last_value) VALUES ('sales_order', imported_year, imported_seq)
        ON CONFLICT ON CONSTRAINT document_counter_pkey DO UPDATE SET last_value = greatest(c.last_value, EXCLUDED.last_value);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER assign_number BEFORE INSERT ON crm.sales_order FOR EACH ROW EXECUTE FUNCTION crm.assign_order_number();
SELECT crm.register_table('crm.sales_order');
SELECT crm.attach_workflow('crm.sales_order', 'status', 'sales_order');

CREATE TABLE crm.order_line (
    id           bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    order_id     bigint NOT NULL REFERENCES crm.sales_order ON DELETE CASCADE,
    line_no      integer NOT NULL CHECK (line_no > 0),
    product_id   bigint NOT NULL REFERENCES crm.product,
    quantity     crm.quantity NOT NULL,
    unit_price   crm.amount NOT NULL,
    discount_pct numeric(5, 2) NOT NULL DEFAULT 0 CHECK (discount_pct >= 0 AND discount_pct <= 100),
    line_total   numeric(16, 2) GENERATED ALWAYS AS (round(quantity * unit_price * (1 - discount_pct / 100), 2)) STORED,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (order_id, line_no)
);
CREATE INDEX order_line_product_idx ON crm.order_line (product_id);
COMMENT ON TABLE crm.order_line IS 'A line of an order: quantity is numeric so metres of pipe work; line_total is computed';
SELECT crm.register_table('crm.order_line');

CREATE VIEW crm.order_summary AS
SELECT o.id, o.number, o.account_id, a.name AS account_name, o.order_date, o.status, o.currency,
       count(l.id) AS lines, coalesce(sum(l.line_total), 0)::numeric(16, 2) AS total
FROM crm.sales_order o
JOIN crm.account a ON a.id = o.account_id
LEFT JOIN crm.order_line l ON l.order_id = o.id
GROUP BY o.id, a.name;
COMMENT ON VIEW crm.order_summary IS 'Each order with its account, number of lines and total';

CREATE TABLE crm.production_order (
    id                bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    order_line_id     bigint REFERENCES crm.order_line,
    product_id        bigint NOT NULL REFERENCES crm.product,
    diameter_mm       integer NOT NULL CHECK (diameter_mm BETWEEN 1 AND 10000),
    length_m          numeric(8, 2) NOT NULL CHECK (length_m > 0 AND length_m <= 1000),
    quantity          crm.quantity NOT NULL,
    status            text,
    status_changed_at timestamptz NOT NULL DEFAULT now(),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX production_order_line_idx ON crm.production_order (order_line_id);
COMMENT ON TABLE crm.production_order IS 'Work for the plant; status arrives from the MES and follows the production_order workflow';

CREATE FUNCTION crm.stamp_status_change() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    NEW.status_changed_at := now();
    RETURN NEW;
END $$;
CREATE TRIGGER stamp_status_change BEFORE UPDATE ON crm.production_order FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION crm.stamp_status_change();
SELECT crm.register_table('crm.production_order');
SELECT crm.attach_workflow('crm.production_order', 'status', 'production_order');

CREATE TABLE crm.complaint (
    id          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES crm.account,
    order_id    bigint REFERENCES crm.sales_order,
    product_id  bigint REFERENCES crm.product,
    kind        text NOT NULL CHECK (kind IN ('quality', 'delivery', 'documentation', 'service', 'other')),
    severity    text NOT NULL DEFAULT 'medium' CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    description text NOT NULL CHECK (btrim(description) <> ''),
    resolution  text,
    opened_at   timestamptz NOT NULL DEFAULT now(),
    closed_at   timestamptz CHECK (closed_at >= opened_at),
    owner       name NOT NULL DEFAULT current_user,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX complaint_account_idx ON crm.complaint (account_id, opened_at);
COMMENT ON TABLE crm.complaint IS 'A complaint about quality, delivery or service; open while closed_at is NULL';
SELECT crm.register_table('crm.complaint');
-- Teams, projects, tasks, comments, documents, the knowledge base, and
-- interactions with clients.

CREATE TABLE crm.team (
    id         bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name       text NOT NULL UNIQUE CHECK (btrim(name) <> ''),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
SELECT crm.register_table('crm.team');

CREATE TABLE crm.team_member (
    team_id   bigint NOT NULL REFERENCES crm.team ON DELETE CASCADE,
    member    name NOT NULL,
    is_lead   boolean NOT NULL DEFAULT false,
    joined_on date NOT NULL DEFAULT current_date,
    PRIMARY KEY (team_id, member)
);
CREATE UNIQUE INDEX team_member_one_lead ON crm.team_member (team_id) WHERE is_lead;
COMMENT ON TABLE crm.team_member IS 'A login role in a team; at most one member leads it; a person may be in several teams';
SELECT crm.register_table('crm.team_member');

CREATE TABLE crm.project (
    id         bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES crm.account,
    team_id    bigint REFERENCES crm.team,
    name       text NOT NULL CHECK (btrim(name) <> ''),
    budget     crm.amount,
    currency   crm.currency NOT NULL DEFAULT 'UAH',
    status     text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'active', 'on_hold', 'completed', 'cancelled')),
    starts_on  date,
    ends_on    date CHECK (ends_on >= starts_on),
    owner      name NOT NULL DEFAULT current_user,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX project_account_idx ON crm.project (account_id);
SELECT crm.register_table('crm.project');

CREATE TABLE crm.task (
    id           bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    project_id   bigint REFERENCES crm.project,
    deal_id      bigint REFERENCES crm.deal,
    title        text NOT NULL CHECK (btrim(title) <> ''),
    description  text,
    due_date     date,
    budget       crm.amount,
    status       text,
    owner        name NOT NULL DEFAULT current_user,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX task_project_idx ON crm.task (project_id);
COMMENT ON TABLE crm.task IS 'Work for a project or a deal; with assignees it is done exactly when every assignee has done their part';
SELECT crm.register_table('crm.task');
SELECT crm.attach_workflow('crm.task', 'status', 'task');

-- Derived, never stored.
CREATE FUNCTION crm.overdue(t crm.task) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN t.due_date < current_date AND t.status NOT IN ('done', 'cancelled');
COMMENT ON FUNCTION crm.overdue(crm.task) IS 'A task past its due date and not finished: crm.overdue(t), or t.overdue with crm on the search_path';

CREATE TABLE crm.task_assignee (
    task_id   bigint NOT NULL REFERENCES crm.task ON DELETE CASCADE,
    assignee  name NOT NULL,
    done      boolean NOT NULL DEFAULT false,
    done_at   timestamptz,
    PRIMARY KEY (task_id, assignee),
    CHECK (done = (done_at IS NOT NULL))
);
COMMENT ON TABLE crm.task_assignee IS 'Who works on a task; each assignee marks only their own part done';
SELECT crm.register_table('crm.task_assignee');

-- Each assignee ticks only their own box; nothing changes on a finished task.
CREATE FUNCTION crm.task_assignee_guard() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    task_status text;
BEGIN
    SELECT status INTO task_status FROM crm.task WHERE id = coalesce(NEW.task_id, OLD.task_id) FOR UPDATE;
    IF task_status IN ('done', 'cancelled') THEN
        RAISE EXCEPTION 'task % is %, its assignees cannot change', coalesce(NEW.task_id, OLD.task_id), task_status
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND (NEW.task_id <> OLD.task_id OR NEW.assignee <> OLD.assignee) THEN
        RAISE EXCEPTION 'an assignment cannot be moved; delete it and add a new one'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF NEW.done IS DISTINCT FROM (TG_OP = 'UPDATE' AND OLD.done) AND NEW.assignee <> current_user THEN
        RAISE EXCEPTION '% cannot mark the part of % on task %', current_user, NEW.assignee, NEW.task_id
            USING ERRCODE = 'insufficient_privilege', HINT = 'Each assignee marks only their own part.';
    END IF;
    NEW.done_at := CASE WHEN NEW.done THEN coalesce(NEW.done_at, now()) END;
    RETURN NEW;
END $$;
CREATE TRIGGER guard BEFORE INSERT OR UPDATE OR DELETE ON crm.task_assignee
    FOR EACH ROW EXECUTE FUNCTION crm.task_assignee_guard();

-- When the last assignee finishes, the task is done (through in_progress if it was open).
CREATE FUNCTION crm.complete_when_all_done() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    finished bigint;
BEGIN
    FOR finished IN
        SELECT DISTINCT c.task_id FROM changed c
        WHERE EXISTS (SELECT FROM crm.task_assignee a WHERE a.task_id = c.task_id)
          AND NOT EXISTS (SELECT FROM crm.task_assignee a WHERE a.task_id = c.task_id AND NOT a.done)
    LOOP
        UPDATE crm.task SET status = 'in_progress' WHERE id = finished AND status = 'open';
        UPDATE crm.task SET status = 'done' WHERE id = finished AND status = 'in_progress';
    END LOOP;
    RETURN NULL;
END $$;
CREATE TRIGGER complete_update AFTER UPDATE ON crm.task_assignee REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION crm.complete_when_all_done();
CREATE TRIGGER complete_delete AFTER DELETE ON crm.task_assignee REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION crm.complete_when_all_done();

-- A task with assignees cannot be declared done over their heads.
CREATE FUNCTION crm.task_done_check() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    pending text;
BEGIN
    SELECT string_agg(assignee, ', ' ORDER BY assignee) INTO pending
    FROM crm.task_assignee WHERE task_id = NEW.id AND NOT done;
    IF pending IS NOT NULL THEN
        RAISE EXCEPTION 'task % cannot be done: % not finished yet', NEW.id, pending
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'The task becomes done by itself when every assignee marks their part done.';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER done_check AFTER UPDATE ON crm.task FOR EACH ROW
    WHEN (NEW.status = 'done' AND OLD.status IS DISTINCT FROM 'done') EXECUTE FUNCTION crm.task_done_check();

CREATE TABLE crm.knowledge_article (
    id         bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    topic      text NOT NULL CHECK (btrim(topic) <> ''),
    title      text NOT NULL CHECK (btrim(title) <> ''),
    body       text NOT NULL,
    author     name NOT NULL DEFAULT current_user,
    published  boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE crm.knowledge_article IS 'The internal knowledge base: advice articles';
SELECT crm.register_table('crm.knowledge_article');

CREATE TABLE crm.comment (
    id         bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    task_id    bigint REFERENCES crm.task ON DELETE CASCADE,
    project_id bigint REFERENCES crm.project ON DELETE CASCADE,
    article_id bigint REFERENCES crm.knowledge_article ON DELETE CASCADE,
    author     name NOT NULL DEFAULT current_user,
    body       text NOT NULL CHECK (btrim(body) <> ''),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (num_nonnulls(task_id, project_id, article_id) = 1)
);
CREATE INDEX comment_task_idx ON crm.comment (task_id);
CREATE INDEX comment_project_idx ON crm.comment (project_id);
COMMENT ON TABLE crm.comment IS 'A comment on exactly one task, project or knowledge article';
SELECT crm.register_table('crm.comment');

CREATE VIEW crm.project_comments AS
SELECT c.project_id, NULL::bigint AS task_id, c.id AS comment_id, c.author, c.body, c.created_at
FROM crm.comment c WHERE c.project_id IS NOT NULL
UNION ALL
SELECT t.project_id, t.id, c.id, c.author, c.body, c.created_at
FROM crm.comment c JOIN crm.task t ON t.id = c.task_id WHERE t.project_id IS NOT NULL;
COMMENT ON VIEW crm.project_comments IS 'A project''s own comments and those of its tasks (task_id says which)';

CREATE TABLE crm.document (
    id         bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    title      text NOT NULL CHECK (btrim(title) <> ''),
    file_name  text NOT NULL CHECK (file_name !~ '[/\\]' AND btrim(file_name) <> ''),
    mime_type  text NOT NULL DEFAULT 'application/octet-stream' CHECK (mime_type ~ '^[a-z]+/[a-zA-Z0-9.+-]+$'),
    content    bytea NOT NULL,
    size_bytes bigint GENERATED ALWAYS AS (octet_length(content)) STORED,
    author     name NOT NULL DEFAULT current_user,
    account_id bigint REFERENCES crm.account,
    project_id bigint REFERENCES crm.project,
    task_id    bigint REFERENCES crm.task,
    owner      name NOT NULL DEFAULT current_user,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE crm.document IS 'A file with its metadata, optionally linked to an account, a project or a task';
SELECT crm.register_table('crm.document');

CREATE TABLE crm.interaction (
    id          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES crm.account,
    contact_id  bigint,
    deal_id     bigint REFERENCES crm.deal,
    project_id  bigint REFERENCES crm.project,
    task_id     bigint REFERENCES crm.task,
    document_id bigint REFERENCES crm.document,
    channel     text NOT NULL CHECK (channel IN ('call', 'email', 'meeting', 'chat', 'other')),
    direction   text NOT NULL CHECK (direction IN ('in', 'out')),
    occurred_at timestamptz NOT NULL,
    subject     text NOT NULL CHECK (btrim(subject) <> ''),
    notes       text,
    owner       name NOT NULL DEFAULT current_user,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    -- A contact's interaction belongs to that contact's account.
    FOREIGN KEY (account_id, contact_id) REFERENCES crm.contact (account_id, id)
);
CREATE INDEX interaction_account_idx ON crm.interaction (account_id, occurred_at DESC);
CREATE INDEX interaction_contact_idx ON crm.interaction (contact_id);
COMMENT ON TABLE crm.interaction IS 'A call, e-mail, meeting or chat with a client, optionally through one of its contacts';
SELECT crm.register_table('crm.interaction');

CREATE VIEW crm.account_history AS
SELECT i.account_id, i.occurred_at, i.channel, i.direction, i.subject, i.notes,
       i.contact_id, concat_ws(' ', c.first_name, c.last_name) AS contact_name,
       CASE WHEN i.contact_id IS NULL THEN 'account' ELSE 'contact' END AS via,
       i.deal_id, i.project_id, i.task_id, i.document_id, i.id AS interaction_id
FROM crm.interaction i
LEFT JOIN crm.contact c ON c.id = i.contact_id
ORDER BY i.account_id, i.occurred_at DESC, i.id DESC;
COMMENT ON VIEW crm.account_history IS
    'An account''s history: its own interactions and those of its contacts, newest first';
-- Credit products, applications, and repayment schedules.

CREATE TABLE crm.credit_product (
    id              bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name            text NOT NULL UNIQUE CHECK (btrim(name) <> ''),
    annual_rate_pct numeric(6, 3) NOT NULL CHECK (annual_rate_pct >= 0 AND annual_rate_pct < 1000),
    collateral      text NOT NULL CHECK (collateral IN ('secured', 'unsecured')),
    description     text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE crm.credit_product IS 'A credit product: annual rate in percent, secured or unsecured';
SELECT crm.register_table('crm.credit_product');

CREATE TABLE crm.credit_application (
    id          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES crm.account,
    product_id  bigint NOT NULL REFERENCES crm.credit_product,
    amount      crm.amount NOT NULL CHECK (amount > 0),
    term_months integer NOT NULL CHECK (term_months BETWEEN 1 AND 1200),
    status      text,
    decided_at  timestamptz,
    owner       name NOT NULL DEFAULT current_user,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX credit_application_account_idx ON crm.credit_application (account_id);
COMMENT ON TABLE crm.credit_application IS 'A request for credit; status pending, then started (approved and active) or refused, then finished';
SELECT crm.register_table('crm.credit_application');
SELECT crm.attach_workflow('crm.credit_application', 'status', 'credit_application');

CREATE FUNCTION crm.loan_schedule_cents(amount_cents bigint, annual_rate_pct float8, term_months integer, method text)
    RETURNS TABLE (period integer, payment bigint, principal bigint, interest bigint, balance bigint)
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgcrm_loan_schedule_cents';
COMMENT ON FUNCTION crm.loan_schedule_cents(bigint, float8, integer, text) IS
    'The repayment plan in cents; crm.loan_schedule is the one to call';

CREATE FUNCTION crm.loan_schedule(amount numeric, annual_rate numeric, term_months integer,
                                  method text DEFAULT 'annuity', first_payment date DEFAULT NULL)
    RETURNS TABLE (period integer, due_date date, payment numeric, principal numeric, interest numeric, balance numeric)
    LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    first date := coalesce(first_payment, (current_date + interval '1 month')::date);
BEGIN
    IF amount IS NULL OR annual_rate IS NULL OR term_months IS NULL OR method IS NULL THEN
        RAISE EXCEPTION 'amount, annual_rate, term_months and method are required' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF amount <> round(amount, 2) OR amount >= 'Infinity' THEN
        RAISE EXCEPTION 'loan amount % is not a whole number of cents', amount USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF amount > 1e12 OR annual_rate >= 'Infinity' THEN
        RAISE EXCEPTION 'loan amount % or rate % is out of range', amount, annual_rate
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
    SELECT s.period, (first + (s.period - 1) * interval '1 month')::date,
           (s.payment / 100.0)::numeric(16, 2), (s.principal / 100.0)::numeric(16, 2),
           (s.interest / 100.0)::numeric(16, 2), (s.balance / 100.0)::numeric(16, 2)
    FROM crm.loan_schedule_cents((amount * 100)::bigint, annual_rate::float8, term_months, method) s;
END $$;
COMMENT ON FUNCTION crm.loan_schedule(numeric, numeric, integer, text, date) IS
    'Repayment plan: annuity (level payments) or differentiated (level principal); principal sums exactly to the amount';
-- Stock, reservations and shipments. Counters on crm.stock are changed only by
-- the functions below, each of which also appends to the crm.stock_movement
-- ledger; crm.stock_invariant_violations() proves they agree.

CREATE TABLE crm.stock (
    product_id   bigint NOT NULL REFERENCES crm.product,
    warehouse_id bigint NOT NULL REFERENCES crm.warehouse,
    on_hand      numeric NOT NULL DEFAULT 0,
    reserved     numeric NOT NULL DEFAULT 0,
    changed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (product_id, warehouse_id),
    CONSTRAINT stock_counters_valid CHECK (reserved >= 0 AND reserved <= on_hand AND on_hand < 'Infinity')
);
COMMENT ON TABLE crm.stock IS 'Finished products per warehouse: on_hand, and the part of it reserved (0 <= reserved <= on_hand)';
SELECT crm.register_table('crm.stock');

CREATE TABLE crm.reservation (
    id            bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    order_line_id bigint REFERENCES crm.order_line,
    product_id    bigint NOT NULL,
    warehouse_id  bigint NOT NULL,
    quantity      crm.quantity NOT NULL,
    status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'consumed', 'released', 'expired')),
    expires_at    timestamptz,
    request_key   text UNIQUE CHECK (length(request_key) BETWEEN 1 AND 200),
    owner         name NOT NULL DEFAULT current_user,
    created_at    timestamptz NOT NULL DEFAULT now(),
    closed_at     timestamptz,
    FOREIGN KEY (product_id, warehouse_id) REFERENCES crm.stock,
    CHECK ((status = 'active') = (closed_at IS NULL))
);
CREATE INDEX reservation_expiry_idx ON crm.reservation (expires_at) WHERE status = 'active';
CREATE INDEX reservation_stock_idx ON crm.reservation (product_id, warehouse_id) WHERE status = 'active';
CREATE INDEX reservation_line_idx ON crm.reservation (order_line_id);
COMMENT ON TABLE crm.reservation IS 'A hold on stock: active until consumed by a shipment, released, or expired';
SELECT crm.register_table('crm.reservation');

CREATE TABLE crm.stock_movement (
    id             bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    product_id     bigint NOT NULL,
    warehouse_id   bigint NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('receipt', 'adjustment', 'reservation', 'release', 'expiry', 'shipment')),
    on_hand_delta  numeric NOT NULL DEFAULT 0,
    reserved_delta numeric NOT NULL DEFAULT 0,
    reservation_id bigint,
    shipment_id    bigint,
    reference      text,
    created_by     name NOT NULL DEFAULT current_user,
    created_at     timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE crm.stock_movement IS 'Append-only ledger: every change of on_hand and reserved, with its cause';
SELECT crm.register_table('crm.stock_movement');

CREATE FUNCTION crm.refuse_ledger_change() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
BEGIN
    RAISE EXCEPTION 'crm.stock_movement is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'PC014', HINT = 'Correct stock with crm.adjust_stock(), which appends an adjustment.';
END $$;
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON crm.stock_movement
    FOR EACH ROW EXECUTE FUNCTION crm.refuse_ledger_change();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON crm.stock_movement
    FOR EACH STATEMENT EXECUTE FUNCTION crm.refuse_ledger_change();

CREATE TABLE crm.shipment (
    id           bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    order_id     bigint NOT NULL REFERENCES crm.sales_order,
    status       text,
    planned_at   timestamptz NOT NULL DEFAULT now(),
    shipped_at   timestamptz,
    delivered_at timestamptz,
    owner        name NOT NULL DEFAULT current_user,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX shipment_order_idx ON crm.shipment (order_id);
COMMENT ON TABLE crm.shipment IS 'A shipment of an order: planned, shipped (stamped), delivered or cancelled';
SELECT crm.register_table('crm.shipment');
SELECT crm.attach_workflow('crm.shipment', 'status', 'shipment');

CREATE TABLE crm.shipment_line (
    id             bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    shipment_id    bigint NOT NULL REFERENCES crm.shipment ON DELETE CASCADE,
    reservation_id bigint NOT NULL UNIQUE REFERENCES crm.reservation,
    product_id     bigint NOT NULL,
    warehouse_id   bigint NOT NULL,
    quantity       crm.quantity NOT NULL
);
COMMENT ON TABLE crm.shipment_line IS 'What a shipment carries: one reserved quantity each';
SELECT crm.register_table('crm.shipment_line');

CREATE VIEW crm.stock_available AS
SELECT s.product_id, p.sku, s.warehouse_id, w.code AS warehouse, s.on_hand, s.reserved, s.on_hand - s.reserved AS available
FROM crm.stock s JOIN crm.product p ON p.id = s.product_id JOIN crm.warehouse w ON w.id = s.warehouse_id;
COMMENT ON VIEW crm.stock_available IS 'Stock per product and warehouse: on hand, reserved, available = on_hand - reserved';

-- Raises PC003 when the product or warehouse does not exist.
CREATE FUNCTION crm.require_stock_key(product bigint, warehouse bigint) RETURNS void
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
BEGIN
    IF NOT EXISTS (SELECT FROM crm.product WHERE id = product) THEN
        RAISE EXCEPTION 'product % does not exist', product USING ERRCODE = 'PC003';
    END IF;
    IF warehouse IS NOT NULL AND NOT EXISTS (SELECT FROM crm.warehouse WHERE id = warehouse) THEN
        RAISE EXCEPTION 'warehouse % does not exist', warehouse USING ERRCODE = 'PC003';
    END IF;
END $$;

-- Raises 22023 unless qty is a positive, finite number.
CREATE FUNCTION crm.require_quantity(qty numeric, what text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
BEGIN
    IF qty IS NULL OR NOT (qty > 0 AND qty < 'Infinity') THEN
        RAISE EXCEPTION '% must be a positive, finite number, not %', what, coalesce(qty::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END $$;

CREATE FUNCTION crm.receive_stock(product bigint, warehouse bigint, qty numeric, reference text DEFAULT NULL)
    RETURNS numeric LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    now_on_hand numeric;
BEGIN
    PERFORM crm.require_quantity(qty, 'received quantity');
    PERFORM crm.require_stock_key(product, coalesce(warehouse, -1));
    INSERT INTO crm.stock AS s (product_id, warehouse_id, on_hand) VALUES (product, warehouse, qty)
    ON CONFLICT (product_id, warehouse_id) DO UPDATE SET on_hand = s.on_hand + EXCLUDED.on_hand, changed_at = now()
    RETURNING s.on_hand INTO now_on_hand;
    INSERT INTO crm.stock_movement (product_id, warehouse_id, kind, on_hand_delta, reference)
    VALUES (product, warehouse, 'receipt', qty, reference);
    RETURN now_on_hand;
END $$;
COMMENT ON FUNCTION crm.receive_stock(bigint, bigint, numeric, text) IS 'Adds received goods to on_hand; returns the new on_hand';

CREATE FUNCTION crm.adjust_stock(product bigint, warehouse bigint, delta numeric, reference text)
    RETURNS numeric LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    s crm.stock;
BEGIN
    IF delta IS NULL OR delta = 0 OR NOT (abs(delta) < 'Infinity') THEN
        RAISE EXCEPTION 'adjustment must be a non-zero, finite number, not %', coalesce(delta::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF reference IS NULL OR btrim(reference) = '' THEN
        RAISE EXCEPTION 'an adjustment needs a reference (a stock count, a write-off act)' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM crm.require_stock_key(product, coalesce(warehouse, -1));
    SELECT * INTO s FROM crm.stock WHERE product_id = product AND warehouse_id = warehouse FOR UPDATE;
    IF coalesce(s.on_hand, 0) + delta < coalesce(s.reserved, 0) THEN
        RAISE EXCEPTION 'not enough stock of product % in warehouse %: adjusting on hand % by % would leave less than the % reserved',
            product, warehouse, coalesce(s.on_hand, 0), delta, coalesce(s.reserved, 0) USING ERRCODE = 'PC010';
    END IF;
    IF s.product_id IS NULL THEN
        -- A first count of a product never received here (delta > 0, checked above).
        INSERT INTO crm.stock AS t (product_id, warehouse_id, on_hand) VALUES (product, warehouse, delta)
        ON CONFLICT (product_id, warehouse_id) DO UPDATE SET on_hand = t.on_hand + EXCLUDED.on_hand, changed_at = now()
        RETURNING t.on_hand INTO s.on_hand;
    ELSE
        UPDATE crm.stock t SET on_hand = t.on_hand + delta, changed_at = now()
        WHERE t.product_id = product AND t.warehouse_id = warehouse
        RETURNING t.on_hand INTO s.on_hand;
    END IF;
    INSERT INTO crm.stock_movement (product_id, warehouse_id, kind, on_hand_delta, reference)
    VALUES (product, warehouse, 'adjustment', delta, reference);
    RETURN s.on_hand;
END $$;
COMMENT ON FUNCTION crm.adjust_stock(bigint, bigint, numeric, text) IS
    'Corrects on_hand by delta (a count or a write-off), never below what is reserved; returns the new on_hand';

-- Closes active reservations; consume (a shipment) takes the goods out of
-- on_hand too. Stock rows are locked in (product, warehouse) order, as every
-- function here does, so concurrent callers cannot deadlock.
CREATE FUNCTION crm.close_reservations(ids bigint[], new_status text, ledger_kind text,
                                       consume boolean DEFAULT false, shipment bigint DEFAULT NULL) RETURNS integer
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    closed integer;
BEGIN
    PERFORM FROM crm.stock s
    WHERE (s.product_id, s.warehouse_id) IN (SELECT r.product_id, r.warehouse_id FROM crm.reservation r WHERE r.id = ANY (ids))
    ORDER BY s.product_id, s.warehouse_id FOR UPDATE;
    WITH done AS (
        UPDATE crm.reservation r SET status = new_status, closed_at = now()
        WHERE r.id = ANY (ids) AND r.status = 'active'
        RETURNING r.id, r.product_id, r.warehouse_id, r.quantity),
    ledger AS (
        INSERT INTO crm.stock_movement (product_id, warehouse_id, kind, on_hand_delta, reserved_delta, reservation_id, shipment_id)
        SELECT product_id, warehouse_id, ledger_kind, CASE WHEN consume THEN -quantity ELSE 0 END, -quantity, id, shipment
        FROM done ORDER BY id),
    per_stock AS (
        SELECT product_id, warehouse_id, sum(quantity) AS qty FROM done GROUP BY product_id, warehouse_id),
    counters AS (
        UPDATE crm.stock s SET reserved = s.reserved - p.qty, on_hand = s.on_hand - CASE WHEN consume THEN p.qty ELSE 0 END,
                               changed_at = now()
        FROM per_stock p WHERE s.product_id = p.product_id AND s.warehouse_id = p.warehouse_id)
    SELECT count(*) INTO closed FROM done;
    RETURN closed;
END $$;

CREATE FUNCTION crm.release(reservation_id bigint) RETURNS void
    LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    r crm.reservation;
BEGIN
    SELECT * INTO r FROM crm.reservation WHERE id = reservation_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'reservation % does not exist', reservation_id USING ERRCODE = 'PC003';
    END IF;
    IF r.status <> 'active' THEN
        RAISE EXCEPTION 'reservation % is not active: it is %', reservation_id, r.status USING ERRCODE = 'PC011';
    END IF;
    IF EXISTS (SELECT FROM crm.shipment_line l JOIN crm.shipment s ON s.id = l.shipment_id
               WHERE l.reservation_id = r.id AND s.status = 'planned') THEN
        RAISE EXCEPTION 'reservation % is on a planned shipment', reservation_id
            USING ERRCODE = 'PC011', HINT = 'Cancel the shipment with crm.cancel_shipment() instead.';
    END IF;
    PERFORM crm.close_reservations(ARRAY[reservation_id], 'released', 'release');
END $$;
COMMENT ON FUNCTION crm.release(bigint) IS 'Gives an active reservation''s quantity back to available stock';

CREATE FUNCTION crm.expire_reservations() RETURNS integer
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
BEGIN
    -- Rows another transaction holds are skipped: the next run takes them.
    RETURN crm.close_reservations(ARRAY(
        SELECT id FROM crm.reservation WHERE status = 'active' AND expires_at <= now()
        ORDER BY id FOR UPDATE SKIP LOCKED), 'expired', 'expiry');
END $$;
COMMENT ON FUNCTION crm.expire_reservations() IS 'Expires every active reservation past expires_at; returns how many (for a pg_cron job every minute)';

CREATE FUNCTION crm.reserve_order(order_id bigint, ttl interval DEFAULT NULL) RETURNS integer
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    line record;
    source record;
    remaining numeric;
    take numeric;
    created integer := 0;
BEGIN
    IF order_id IS NULL THEN
        RAISE EXCEPTION 'order_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF ttl <= interval '0' THEN
        RAISE EXCEPTION 'ttl must be positive, not %', ttl USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM FROM crm.sales_order WHERE id = order_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'order % does not exist', order_id USING ERRCODE = 'PC003';
    END IF;
    -- Every stock row the order can draw on, locked in the one canonical order.
    PERFORM FROM crm.stock s
    WHERE s.product_id IN (SELECT l.product_id FROM crm.order_line l WHERE l.order_id = reserve_order.order_id)
    ORDER BY s.product_id, s.warehouse_id FOR UPDATE;

    FOR line IN
        SELECT l.id, l.line_no, l.product_id,
               l.quantity - coalesce((SELECT sum(r.quantity) FROM crm.reservation r
                                      WHERE r.order_line_id = l.id AND r.status IN ('active', 'consumed')), 0) AS outstanding
        FROM crm.order_line l WHERE l.order_id = reserve_order.order_id ORDER BY l.product_id, l.id
    LOOP
        CONTINUE WHEN line.outstanding <= 0;
        remaining := line.outstanding;
        -- The warehouse with the most available first: one warehouse serves the
        -- whole line whenever any can; otherwise the line is split.
        FOR source IN
            SELECT s.warehouse_id, s.on_hand - s.reserved AS available FROM crm.stock s
            WHERE s.product_id = line.product_id AND s.on_hand - s.reserved > 0
            ORDER BY s.on_hand - s.reserved DESC, s.warehouse_id
        LOOP
            take := least(remaining, source.available);
            UPDATE crm.stock SET reserved = reserved + take, changed_at = now()
            WHERE product_id = line.product_id AND warehouse_id = source.warehouse_id;
            WITH r AS (
                INSERT INTO crm.reservation (order_line_id, product_id, warehouse_id, quantity, expires_at)
                VALUES (line.id, line.product_id, source.warehouse_id, take, now() + ttl)
                RETURNING id)
            INSERT INTO crm.stock_movement (product_id, warehouse_id, kind, reserved_delta, reservation_id)
            SELECT line.product_id, source.warehouse_id, 'reservation', take, r.id FROM r;
            created := created + 1;
            remaining := remaining - take;
            EXIT WHEN remaining = 0;
        END LOOP;
        IF remaining > 0 THEN
            RAISE EXCEPTION 'not enough product in stock: product % for order % line %: requested %, available %',
                line.product_id, order_id, line.line_no, line.outstanding, line.outstanding - remaining
                USING ERRCODE = 'PC010', HINT = 'Nothing was reserved for this order.';
        END IF;
    END LOOP;
    RETURN created;
END $$;
COMMENT ON FUNCTION crm.reserve_order(bigint, interval) IS
    'Reserves what every line of the order still needs, all lines or none; returns the number of reservations made';

CREATE FUNCTION crm.plan_shipment(order_id bigint) RETURNS bigint
    LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    shipment bigint;
    holds bigint[];
    stale bigint;
BEGIN
    PERFORM FROM crm.sales_order WHERE id = order_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'order % does not exist', order_id USING ERRCODE = 'PC003';
    END IF;
    SELECT array_agg(h.id ORDER BY h.id), min(h.id) FILTER (WHERE h.expires_at <= now()) INTO holds, stale
    FROM (SELECT r.id, r.expires_at FROM crm.reservation r JOIN crm.order_line l ON l.id = r.order_line_id
          WHERE l.order_id = plan_shipment.order_id AND r.status = 'active'
            AND NOT EXISTS (SELECT FROM crm.shipment_line sl WHERE sl.reservation_id = r.id)
          ORDER BY r.id FOR UPDATE OF r) h;
    IF stale IS NOT NULL THEN
        RAISE EXCEPTION 'reservation % of order % has expired', stale, order_id
            USING ERRCODE = 'PC012', HINT = 'Run crm.expire_reservations() and reserve again.';
    END IF;
    IF holds IS NULL THEN
        RAISE EXCEPTION 'order % has no active reservations to ship', order_id
            USING ERRCODE = 'PC011', HINT = 'Reserve its lines first with crm.reserve_order().';
    END IF;
    INSERT INTO crm.shipment (order_id) VALUES (order_id) RETURNING id INTO shipment;
    INSERT INTO crm.shipment_line (shipment_id, reservation_id, product_id, warehouse_id, quantity)
    SELECT shipment, r.id, r.product_id, r.warehouse_id, r.quantity FROM crm.reservation r WHERE r.id = ANY (holds) ORDER BY r.id;
    -- A planned shipment keeps its reservations: they no longer expire.
    UPDATE crm.reservation SET expires_at = NULL WHERE id = ANY (holds);
    RETURN shipment;
END $$;
COMMENT ON FUNCTION crm.plan_shipment(bigint) IS
    'Turns the order''s active reservations into a planned shipment (they stop expiring); returns the shipment id';

-- Ends a planned shipment: shipped (its holds are consumed and the goods leave
-- on_hand) or cancelled (its holds are released).
CREATE FUNCTION crm.finish_shipment(shipment_id bigint, ship boolean) RETURNS void
    LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    current text;
    ids bigint[];
BEGIN
    SELECT status INTO current FROM crm.shipment WHERE id = shipment_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'shipment % does not exist', shipment_id USING ERRCODE = 'PC003';
    END IF;
    IF current <> 'planned' THEN
        RAISE EXCEPTION 'shipment % is %, not planned', shipment_id, current USING ERRCODE = 'PC013';
    END IF;
    SELECT array_agg(l.reservation_id ORDER BY l.reservation_id) INTO ids FROM crm.shipment_line l WHERE l.shipment_id = shipment_id;
    IF ship THEN
        PERFORM crm.close_reservations(ids, 'consumed', 'shipment', true, shipment_id);
        UPDATE crm.shipment SET status = 'shipped', shipped_at = now() WHERE id = shipment_id;
    ELSE
        PERFORM crm.close_reservations(ids, 'released', 'release', false, shipment_id);
        UPDATE crm.shipment SET status = 'cancelled' WHERE id = shipment_id;
    END IF;
END $$;

CREATE FUNCTION crm.confirm_shipment(shipment_id bigint) RETURNS void
    LANGUAGE sql VOLATILE STRICT RETURN crm.finish_shipment(shipment_id, true);
COMMENT ON FUNCTION crm.confirm_shipment(bigint) IS
    'Ships a planned shipment: its reservations are consumed, on_hand and reserved fall, shipped_at is stamped';

CREATE FUNCTION crm.cancel_shipment(shipment_id bigint) RETURNS void
    LANGUAGE sql VOLATILE STRICT RETURN crm.finish_shipment(shipment_id, false);
COMMENT ON FUNCTION crm.cancel_shipment(bigint) IS 'Cancels a planned shipment and gives its reserved quantity back';

CREATE FUNCTION crm.stock_invariant_violations()
    RETURNS TABLE (product_id bigint, warehouse_id bigint, problem text, expected numeric, actual numeric)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp BEGIN ATOMIC
    SELECT s.product_id, s.warehouse_id, 'on_hand differs from the ledger', coalesce(m.on_hand, 0), s.on_hand
    FROM crm.stock s LEFT JOIN (SELECT product_id, warehouse_id, sum(on_hand_delta) AS on_hand FROM crm.stock_movement GROUP BY 1, 2) m
      ON m.product_id = s.product_id AND m.warehouse_id = s.warehouse_id
    WHERE s.on_hand <> coalesce(m.on_hand, 0)
    UNION ALL
    SELECT s.product_id, s.warehouse_id, 'reserved differs from the active reservations', coalesce(r.qty, 0), s.reserved
    FROM crm.stock s LEFT JOIN (SELECT product_id, warehouse_id, sum(quantity) AS qty FROM crm.reservation
                                WHERE status = 'active' GROUP BY 1, 2) r
      ON r.product_id = s.product_id AND r.warehouse_id = s.warehouse_id
    WHERE s.reserved <> coalesce(r.qty, 0)
    UNION ALL
    SELECT s.product_id, s.warehouse_id, 'a counter is negative or reserved exceeds on_hand', 0, least(s.on_hand, s.reserved, s.on_hand - s.reserved)
    FROM crm.stock s WHERE s.on_hand < 0 OR s.reserved < 0 OR s.reserved > s.on_hand;
END;
COMMENT ON FUNCTION crm.stock_invariant_violations() IS
    'Every stock row whose counters disagree with the ledger or the active reservations, or are negative: must return nothing';

CREATE FUNCTION crm.reserve(product bigint, qty numeric, warehouse bigint DEFAULT NULL, order_line bigint DEFAULT NULL,
                            ttl interval DEFAULT NULL, request_key text DEFAULT NULL) RETURNS bigint
    LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'pgcrm_reserve';
COMMENT ON FUNCTION crm.reserve(bigint, numeric, bigint, bigint, interval, text) IS
    'Reserves qty of a product (in the given warehouse, or the first by id that has it); a repeated request_key returns the same reservation';
-- K-means customer segmentation (docs/segmentation.md).

CREATE TYPE crm.kmeans_model AS (
    k             integer,   -- number of segments
    n             bigint,    -- points trained on
    centroids     float8[],  -- k × d, in the features' own units
    sizes         bigint[],  -- points per segment
    inertia       float8,    -- within-segment sum of squares, original units (weighted)
    objective     float8,    -- the sum of squares minimised: of z-scores when standardised
    iterations    integer,   -- Lloyd iterations of the best restart
    converged     boolean,
    feature_mean  float8[],  -- standardisation used (NULL when not standardised)
    feature_scale float8[]
);
COMMENT ON TYPE crm.kmeans_model IS
    'A fitted K-means segmentation; segment i (1-based) has centroid centroids[i:i][:]';

CREATE FUNCTION crm.kmeans(source text, k integer, n_init integer DEFAULT 10, max_iter integer DEFAULT 300,
                           tol float8 DEFAULT 1e-4, seed integer DEFAULT 42, standardize boolean DEFAULT true,
                           weight text DEFAULT NULL)
    RETURNS crm.kmeans_model
    LANGUAGE c VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'pgcrm_kmeans';
COMMENT ON FUNCTION crm.kmeans(text, integer, integer, integer, float8, integer, boolean, text) IS
    'K-means over the rows of a query (last column float8[]), run with the caller''s privileges';

CREATE FUNCTION crm.kmeans_assign(features float8[], model crm.kmeans_model)
    RETURNS integer
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgcrm_kmeans_assign';
COMMENT ON FUNCTION crm.kmeans_assign(float8[], crm.kmeans_model) IS
    'The segment (1..k) whose centroid is nearest, in the space the model was fitted in';

CREATE FUNCTION crm.silhouette(source text, model crm.kmeans_model, sample_size integer DEFAULT NULL)
    RETURNS float8
    LANGUAGE c VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'pgcrm_silhouette';
COMMENT ON FUNCTION crm.silhouette(text, crm.kmeans_model, integer) IS
    'Mean silhouette coefficient of the model''s segments over a query''s rows (exact, or on a deterministic sample)';

CREATE FUNCTION crm.kmeans_elbow(source text, k_min integer, k_max integer, n_init integer DEFAULT 10,
                                 max_iter integer DEFAULT 300, tol float8 DEFAULT 1e-4, seed integer DEFAULT 42,
                                 standardize boolean DEFAULT true, sample_size integer DEFAULT 10000)
    RETURNS TABLE (k integer, inertia float8, silhouette float8, simplified_silhouette float8, suggested boolean)
    LANGUAGE c VOLATILE PARALLEL UNSAFE ROWS 10
    AS 'MODULE_PATHNAME', 'pgcrm_kmeans_elbow';
COMMENT ON FUNCTION crm.kmeans_elbow(text, integer, integer, integer, integer, float8, integer, boolean, integer) IS
    'Fits every k in [k_min, k_max]: the minimised WCSS and silhouettes per k, and the knee of the WCSS curve';

-- The aggregate keeps each group's rows; partial states from parallel
-- workers are concatenated, then the final function clusters once.
CREATE FUNCTION crm.kmeans_agg_step(internal, float8[], integer)
    RETURNS internal LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_kmeans_agg_step';
CREATE FUNCTION crm.kmeans_agg_step(internal, float8[], integer, integer, integer, float8, integer, boolean)
    RETURNS internal LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_kmeans_agg_step';
CREATE FUNCTION crm.kmeans_agg_combine(internal, internal)
    RETURNS internal LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_kmeans_agg_combine';
CREATE FUNCTION crm.kmeans_agg_serialize(internal)
    RETURNS bytea LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_kmeans_agg_serialize';
CREATE FUNCTION crm.kmeans_agg_deserialize(bytea, internal)
    RETURNS internal LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_kmeans_agg_deserialize';
CREATE FUNCTION crm.kmeans_agg_final(internal)
    RETURNS crm.kmeans_model LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_kmeans_agg_final';

CREATE AGGREGATE crm.kmeans_agg(features float8[], k integer) (
    SFUNC = crm.kmeans_agg_step, STYPE = internal,
    COMBINEFUNC = crm.kmeans_agg_combine,
    SERIALFUNC = crm.kmeans_agg_serialize, DESERIALFUNC = crm.kmeans_agg_deserialize,
    FINALFUNC = crm.kmeans_agg_final, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.kmeans_agg(features float8[], k integer, n_init integer, max_iter integer, tol float8,
                                seed integer, standardize boolean) (
    SFUNC = crm.kmeans_agg_step, STYPE = internal,
    COMBINEFUNC = crm.kmeans_agg_combine,
    SERIALFUNC = crm.kmeans_agg_serialize, DESERIALFUNC = crm.kmeans_agg_deserialize,
    FINALFUNC = crm.kmeans_agg_final, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.kmeans_agg(float8[], integer) IS
    'K-means per group (n_init 10, max_iter 300, tol 1e-4, seed 42, standardised)';
COMMENT ON AGGREGATE crm.kmeans_agg(float8[], integer, integer, integer, float8, integer, boolean) IS
    'K-means per group with explicit options';
-- Regression, churn scoring and A/B tests as aggregates (docs/statistics.md).
-- Each splits under parallel query: linreg and the tests merge exact moments;
-- logreg gathers its rows, because IRLS needs several passes.

CREATE TYPE crm.linreg_result AS (
    coefficients  float8[],  -- intercept first when fitted; NULL where aliased
    std_errors    float8[],
    t_values      float8[],
    p_values      float8[],
    r_squared     float8,
    adj_r_squared float8,
    f_statistic   float8,
    f_p_value     float8,
    sigma         float8,    -- residual standard error
    n             bigint,
    rank          integer,
    df_residual   integer,
    intercept     boolean
);

CREATE FUNCTION crm.linreg_step(internal, float8, float8[])
    RETURNS internal LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_linreg_step';
CREATE FUNCTION crm.linreg_step(internal, float8, float8[], boolean)
    RETURNS internal LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_linreg_step';
CREATE FUNCTION crm.linreg_combine(internal, internal)
    RETURNS internal LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_linreg_combine';
CREATE FUNCTION crm.linreg_serialize(internal)
    RETURNS bytea LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_linreg_serialize';
CREATE FUNCTION crm.linreg_deserialize(bytea, internal)
    RETURNS internal LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_linreg_deserialize';
CREATE FUNCTION crm.linreg_final(internal)
    RETURNS crm.linreg_result LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_linreg_final';

CREATE AGGREGATE crm.linreg(y float8, x float8[]) (
    SFUNC = crm.linreg_step, STYPE = internal, COMBINEFUNC = crm.linreg_combine,
    SERIALFUNC = crm.linreg_serialize, DESERIALFUNC = crm.linreg_deserialize,
    FINALFUNC = crm.linreg_final, PARALLEL = SAFE);
CREATE AGGREGATE crm.linreg(y float8, x float8[], intercept boolean) (
    SFUNC = crm.linreg_step, STYPE = internal, COMBINEFUNC = crm.linreg_combine,
    SERIALFUNC = crm.linreg_serialize, DESERIALFUNC = crm.linreg_deserialize,
    FINALFUNC = crm.linreg_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE crm.linreg(float8, float8[]) IS 'Ordinary least squares of y on x with an intercept, as R''s lm';
COMMENT ON AGGREGATE crm.linreg(float8, float8[], boolean) IS 'Ordinary least squares of y on x, with or without an intercept';

CREATE FUNCTION crm.linreg_predict(model crm.linreg_result, x float8[])
    RETURNS float8 LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_linreg_predict';
COMMENT ON FUNCTION crm.linreg_predict(crm.linreg_result, float8[]) IS
    'The fitted value for x; aliased (NULL) coefficients count as 0';

CREATE FUNCTION crm.one_hot(value text, levels text[], drop_first boolean DEFAULT true)
    RETURNS float8[] LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    IF NOT value = ANY (levels) THEN
        RAISE EXCEPTION 'value "%" is not one of the levels %', value, levels
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'List every level, or map rare values to a catch-all level first.';
    END IF;
    RETURN ARRAY(SELECT (l = value)::int::float8 FROM unnest(levels) WITH ORDINALITY u(l, i)
                 WHERE NOT (drop_first AND i = 1) ORDER BY i);
END $$;
COMMENT ON FUNCTION crm.one_hot(text, text[], boolean) IS
    'Indicator columns of a categorical value; with drop_first the first level is the reference (for models with an intercept)';

CREATE TYPE crm.logreg_result AS (
    coefficients   float8[],
    std_errors     float8[],
    z_values       float8[],
    p_values       float8[],
    log_likelihood float8,
    aic            float8,
    deviance       float8,
    null_deviance  float8,
    n              bigint,
    rank           integer,
    iterations     integer,
    converged      boolean,
    separation     boolean,  -- fitted probabilities numerically 0 or 1: estimates are unreliable
    intercept      boolean
);

CREATE FUNCTION crm.logreg_step(internal, boolean, float8[])
    RETURNS internal LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_logreg_step';
CREATE FUNCTION crm.logreg_step(internal, boolean, float8[], boolean)
    RETURNS internal LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_logreg_step';
CREATE FUNCTION crm.logreg_combine(internal, internal)
    RETURNS internal LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_logreg_combine';
CREATE FUNCTION crm.logreg_serialize(internal)
    RETURNS bytea LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_logreg_serialize';
CREATE FUNCTION crm.logreg_deserialize(bytea, internal)
    RETURNS internal LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_logreg_deserialize';
CREATE FUNCTION crm.logreg_final(internal)
    RETURNS crm.logreg_result LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_logreg_final';

CREATE AGGREGATE crm.logreg(y boolean, x float8[]) (
    SFUNC = crm.logreg_step, STYPE = internal, COMBINEFUNC = crm.logreg_combine,
    SERIALFUNC = crm.logreg_serialize, DESERIALFUNC = crm.logreg_deserialize,
    FINALFUNC = crm.logreg_final, FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
CREATE AGGREGATE crm.logreg(y boolean, x float8[], intercept boolean) (
    SFUNC = crm.logreg_step, STYPE = internal, COMBINEFUNC = crm.logreg_combine,
    SERIALFUNC = crm.logreg_serialize, DESERIALFUNC = crm.logreg_deserialize,
    FINALFUNC = crm.logreg_final, FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE crm.logreg(boolean, float8[]) IS 'Logistic regression by IRLS with an intercept, as R''s glm(binomial)';
COMMENT ON AGGREGATE crm.logreg(boolean, float8[], boolean) IS 'Logistic regression by IRLS, with or without an intercept';

CREATE FUNCTION crm.logreg_predict(model crm.logreg_result, x float8[])
    RETURNS float8 LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_logreg_predict';
COMMENT ON FUNCTION crm.logreg_predict(crm.logreg_result, float8[]) IS 'The modelled probability that y is true for x';

CREATE TYPE crm.ttest_result AS (
    t float8, df float8, p_value float8, mean_treatment float8, mean_control float8,
    difference float8,  -- treatment − control
    ci_low float8, ci_high float8,  -- 95% confidence interval of the difference
    n_treatment bigint, n_control bigint
);

CREATE FUNCTION crm.ttest_step(internal, float8, boolean)
    RETURNS internal LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_ttest_step';
CREATE FUNCTION crm.ttest_step(internal, float8, boolean, boolean)
    RETURNS internal LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_ttest_step';
CREATE FUNCTION crm.ttest_combine(internal, internal)
    RETURNS internal LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_ttest_combine';
CREATE FUNCTION crm.ttest_serialize(internal)
    RETURNS bytea LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_ttest_serialize';
CREATE FUNCTION crm.ttest_deserialize(bytea, internal)
    RETURNS internal LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_ttest_deserialize';
CREATE FUNCTION crm.ttest_final(internal)
    RETURNS crm.ttest_result LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_ttest_final';
CREATE AGGREGATE crm.ttest(value float8, treatment boolean) (
    SFUNC = crm.ttest_step, STYPE = internal, COMBINEFUNC = crm.ttest_combine,
    SERIALFUNC = crm.ttest_serialize, DESERIALFUNC = crm.ttest_deserialize,
    FINALFUNC = crm.ttest_final, PARALLEL = SAFE);
CREATE AGGREGATE crm.ttest(value float8, treatment boolean, equal_var boolean) (
    SFUNC = crm.ttest_step, STYPE = internal, COMBINEFUNC = crm.ttest_combine,
    SERIALFUNC = crm.ttest_serialize, DESERIALFUNC = crm.ttest_deserialize,
    FINALFUNC = crm.ttest_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE crm.ttest(float8, boolean) IS 'Welch''s two-sample t-test of treatment against control';
COMMENT ON AGGREGATE crm.ttest(float8, boolean, boolean) IS 'Two-sample t-test: Student''s with equal_var, otherwise Welch''s';

CREATE TYPE crm.prop_test_result AS (
    p_treatment float8, p_control float8,
    difference float8, ci_low float8, ci_high float8,  -- treatment − control, 95% Wald interval
    z float8, p_value float8,
    lift float8, lift_ci_low float8, lift_ci_high float8,  -- p_treatment / p_control − 1, 95% interval
    n_treatment bigint, n_control bigint
);

CREATE FUNCTION crm.prop_test_step(internal, boolean, boolean)
    RETURNS internal LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_prop_test_step';
CREATE FUNCTION crm.prop_test_combine(internal, internal)
    RETURNS internal LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_prop_test_combine';
CREATE FUNCTION crm.prop_test_serialize(internal)
    RETURNS bytea LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_prop_test_serialize';
CREATE FUNCTION crm.prop_test_deserialize(bytea, internal)
    RETURNS internal LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_prop_test_deserialize';
CREATE FUNCTION crm.prop_test_final(internal)
    RETURNS crm.prop_test_result LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_prop_test_final';
CREATE AGGREGATE crm.prop_test(converted boolean, treatment boolean) (
    SFUNC = crm.prop_test_step, STYPE = internal, COMBINEFUNC = crm.prop_test_combine,
    SERIALFUNC = crm.prop_test_serialize, DESERIALFUNC = crm.prop_test_deserialize,
    FINALFUNC = crm.prop_test_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE crm.prop_test(boolean, boolean) IS
    'Two-proportion z-test of conversion, treatment against control, with the lift';
-- Demand forecasting: the crm.forecast aggregate (one series per group) and
-- its companions. Each series is put on a regular grid (calendar months,
-- quarters, years, or a fixed step) in the session time zone.
CREATE TYPE crm.forecast_result AS (
    model         text,              -- fitted: 'ETS(M,A,M)', 'naive', 'seasonal naive', 'linear trend', 'constant'
    method        text,              -- asked for: 'auto', 'naive', 'MAdM', ...
    note          text,              -- why 'auto' fell back or left models out; NULL when nothing to say
    season_length int,
    step          interval,          -- spacing of the series; NULL for a single value
    n             int,               -- periods fitted, filled gaps included
    filled        int,               -- gaps filled by the fill option
    alpha         float8,
    beta          float8,
    gamma         float8,
    phi           float8,
    loglik        float8,            -- ETS only, R's convention (no constant terms)
    aicc          float8,            -- ETS only
    sigma2        float8,            -- one-step error variance (relative for multiplicative errors)
    levels        float8[],          -- interval levels, percent
    ts            timestamptz[],     -- the future periods
    point         float8[],          -- point forecasts
    lower         float8[],          -- levels × horizon
    upper         float8[]           -- levels × horizon
);

CREATE FUNCTION crm.forecast_step(internal, timestamptz, float8, int)
    RETURNS internal LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_forecast_step';
CREATE FUNCTION crm.forecast_step(internal, timestamptz, float8, int, int)
    RETURNS internal LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_forecast_step';
CREATE FUNCTION crm.forecast_step(internal, timestamptz, float8, int, int, text)
    RETURNS internal LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_forecast_step';
CREATE FUNCTION crm.forecast_step(internal, timestamptz, float8, int, int, text, float8[])
    RETURNS internal LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_forecast_step';
CREATE FUNCTION crm.forecast_step(internal, timestamptz, float8, int, int, text, float8[], text)
    RETURNS internal LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_forecast_step';
CREATE FUNCTION crm.forecast_combine(internal, internal)
    RETURNS internal LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_forecast_combine';
CREATE FUNCTION crm.forecast_serialize(internal)
    RETURNS bytea LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_forecast_serialize';
CREATE FUNCTION crm.forecast_deserialize(bytea, internal)
    RETURNS internal LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_forecast_deserialize';
-- STABLE: timestamps are read and written in the session time zone.
CREATE FUNCTION crm.forecast_final(internal)
    RETURNS crm.forecast_result LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_forecast_final';

-- Aggregates take no defaults: one overload per trailing option.
CREATE AGGREGATE crm.forecast(ts timestamptz, value float8, horizon int) (
    SFUNC = crm.forecast_step, STYPE = internal, COMBINEFUNC = crm.forecast_combine,
    SERIALFUNC = crm.forecast_serialize, DESERIALFUNC = crm.forecast_deserialize,
    FINALFUNC = crm.forecast_final, PARALLEL = SAFE);
CREATE AGGREGATE crm.forecast(ts timestamptz, value float8, horizon int, season_length int) (
    SFUNC = crm.forecast_step, STYPE = internal, COMBINEFUNC = crm.forecast_combine,
    SERIALFUNC = crm.forecast_serialize, DESERIALFUNC = crm.forecast_deserialize,
    FINALFUNC = crm.forecast_final, PARALLEL = SAFE);
CREATE AGGREGATE crm.forecast(ts timestamptz, value float8, horizon int, season_length int, method text) (
    SFUNC = crm.forecast_step, STYPE = internal, COMBINEFUNC = crm.forecast_combine,
    SERIALFUNC = crm.forecast_serialize, DESERIALFUNC = crm.forecast_deserialize,
    FINALFUNC = crm.forecast_final, PARALLEL = SAFE);
CREATE AGGREGATE crm.forecast(ts timestamptz, value float8, horizon int, season_length int, method text,
                              levels float8[]) (
    SFUNC = crm.forecast_step, STYPE = internal, COMBINEFUNC = crm.forecast_combine,
    SERIALFUNC = crm.forecast_serialize, DESERIALFUNC = crm.forecast_deserialize,
    FINALFUNC = crm.forecast_final, PARALLEL = SAFE);
CREATE AGGREGATE crm.forecast(ts timestamptz, value float8, horizon int, season_length int, method text,
                              levels float8[], fill text) (
    SFUNC = crm.forecast_step, STYPE = internal, COMBINEFUNC = crm.forecast_combine,
    SERIALFUNC = crm.forecast_serialize, DESERIALFUNC = crm.forecast_deserialize,
    FINALFUNC = crm.forecast_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE crm.forecast(timestamptz, float8, int) IS
    'Forecast a regular series horizon periods ahead: ETS chosen by AICc, 80% and 95% intervals';
COMMENT ON AGGREGATE crm.forecast(timestamptz, float8, int, int, text, float8[], text) IS
    'Forecast with explicit season length (NULL: infer), method, interval levels and gap fill (error, zero, linear)';

CREATE FUNCTION crm.forecast_points(result crm.forecast_result)
    RETURNS TABLE (step int, ts timestamptz, point float8, lower float8[], upper float8[])
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT h, (result).ts[h], (result).point[h],
           ARRAY(SELECT (result).lower[l][h] FROM generate_subscripts((result).levels, 1) l ORDER BY l),
           ARRAY(SELECT (result).upper[l][h] FROM generate_subscripts((result).levels, 1) l ORDER BY l)
      FROM generate_subscripts((result).point, 1) h
     ORDER BY h
$$;
COMMENT ON FUNCTION crm.forecast_points(crm.forecast_result) IS
    'One row per future period: timestamp, point forecast, and the bounds of every interval level';

CREATE FUNCTION crm.forecast_points(result crm.forecast_result, level float8)
    RETURNS TABLE (step int, ts timestamptz, point float8, lower float8, upper float8)
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    i int := array_position(result.levels, level);
BEGIN
    IF i IS NULL THEN
        RAISE EXCEPTION 'the forecast has no % %% interval', level
            USING ERRCODE = 'invalid_parameter_value', HINT = format('Its levels are %s.', result.levels);
    END IF;
    RETURN QUERY SELECT h, result.ts[h], result.point[h], result.lower[i][h], result.upper[i][h]
                   FROM generate_subscripts(result.point, 1) h ORDER BY h;
END
$$;
COMMENT ON FUNCTION crm.forecast_points(crm.forecast_result, float8) IS
    'One row per future period with the bounds of one interval level';

CREATE TYPE crm.decomposition AS (
    ts timestamptz[], observed float8[], trend float8[], seasonal float8[], remainder float8[]);
CREATE FUNCTION crm.decompose_arrays(timestamptz[], float8[], int, text, text)
    RETURNS crm.decomposition LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_decompose_arrays';
COMMENT ON FUNCTION crm.decompose_arrays(timestamptz[], float8[], int, text, text) IS
    'Internal: crm.decompose before unnesting';
CREATE FUNCTION crm.decompose(ts timestamptz[], value float8[], season_length int DEFAULT NULL,
                              type text DEFAULT 'additive', fill text DEFAULT 'error')
    RETURNS TABLE (ts timestamptz, observed float8, trend float8, seasonal float8, remainder float8)
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT u.* FROM crm.decompose_arrays($1, $2, $3, $4, $5) d,
                    unnest(d.ts, d.observed, d.trend, d.seasonal, d.remainder) u
$$;
COMMENT ON FUNCTION crm.decompose(timestamptz[], float8[], int, text, text) IS
    'Classical decomposition (as R''s decompose): trend, seasonal and remainder per period';

CREATE TYPE crm.forecast_accuracy_result AS (
    n int, mae float8, rmse float8, mape float8, smape float8, mase float8);
CREATE FUNCTION crm.forecast_accuracy(actual float8[], forecast float8[], history float8[] DEFAULT NULL,
                                      season_length int DEFAULT 1)
    RETURNS crm.forecast_accuracy_result LANGUAGE c IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgcrm_forecast_accuracy';
COMMENT ON FUNCTION crm.forecast_accuracy(float8[], float8[], float8[], int) IS
    'MAE, RMSE, MAPE, sMAPE and (given the history) MASE of forecasts against actuals';

CREATE TYPE crm.backtest_columns AS (
    origin timestamptz[], train_n float8[], model text[],
    mae float8[], rmse float8[], mape float8[], smape float8[], mase float8[]);
CREATE FUNCTION crm.backtest_arrays(timestamptz[], float8[], int, int, int, text, text)
    RETURNS crm.backtest_columns LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_backtest_arrays';
COMMENT ON FUNCTION crm.backtest_arrays(timestamptz[], float8[], int, int, int, text, text) IS
    'Internal: crm.backtest before unnesting';
CREATE FUNCTION crm.backtest(ts timestamptz[], value float8[], horizon int, origins int DEFAULT 3,
                             season_length int DEFAULT NULL, method text DEFAULT 'auto', fill text DEFAULT 'error')
    RETURNS TABLE (origin timestamptz, train_n int, model text,
                   mae float8, rmse float8, mape float8, smape float8, mase float8)
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT u.origin, u.train_n::int, u.model, u.mae, u.rmse, u.mape, u.smape, u.mase
      FROM crm.backtest_arrays($1, $2, $3, $4, $5, $6, $7) b,
           unnest(b.origin, b.train_n, b.model, b.mae, b.rmse, b.mape, b.smape, b.mase)
               AS u(origin, train_n, model, mae, rmse, mape, smape, mase)
$$;
COMMENT ON FUNCTION crm.backtest(timestamptz[], float8[], int, int, int, text, text) IS
    'Rolling-origin evaluation: one forecast per origin, the last ending at the series end, with its accuracy';
-- The warehouse (docs/warehouse.md): a star schema derived from crm, the
-- analytic outputs computed over it, and how changes to crm reach it.
-- crm.etl_refresh (sql/etl.sql) fills it; the BI views are in sql/bi.sql.

-- Change capture. Statement triggers append the keys a change touched, one
-- row per job that must look at them. Appending never makes writers wait on
-- each other; a job deletes the rows it consumes, and rows of transactions
-- still open are invisible to it, so they stay for its next run.
CREATE TABLE crm_dw.change_queue (
    job    text NOT NULL,
    entity text NOT NULL,
    key    bigint NOT NULL
);
CREATE INDEX change_queue_job_idx ON crm_dw.change_queue (job);
COMMENT ON TABLE crm_dw.change_queue IS
    'Keys changed since the job last ran; entity ''all'' (after a TRUNCATE or a full rebuild upstream) asks for a full rebuild';

-- SECURITY DEFINER: the application roles that write crm have no rights on
-- crm_dw. The trigger's arguments are fixed at install time.
CREATE FUNCTION crm_dw.capture_change() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    job text := TG_ARGV[0];
    entity text := TG_ARGV[1];
    key_column text := TG_ARGV[2];
    touched text;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO crm_dw.change_queue VALUES (job, 'all', 0);
        RETURN NULL;
    END IF;
    touched := CASE TG_OP WHEN 'INSERT' THEN format('SELECT %I AS key FROM new_rows', key_column)
                          WHEN 'DELETE' THEN format('SELECT %I AS key FROM old_rows', key_column)
                          ELSE format('SELECT %1$I AS key FROM new_rows UNION SELECT %1$I FROM old_rows', key_column) END;
    EXECUTE format('INSERT INTO crm_dw.change_queue (job, entity, key) '
                   'SELECT DISTINCT $1, $2, key FROM (%s) t WHERE key IS NOT NULL', touched)
        USING job, entity;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION crm_dw.capture_change() IS
    'Statement trigger: queues the keys (job, entity, key column) a change touched, for the incremental refresh';

-- Install-time helper (dropped at the end of the script). A transition table
-- serves one event only, hence a trigger per event.
CREATE FUNCTION crm_dw.capture(tbl regclass, job text, entity text, key_column name) RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    args text := format('%L, %L, %L', job, entity, key_column);
BEGIN
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION crm_dw.capture_change(%s)', 'capture_' || job || '_insert', tbl, args);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %s REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION crm_dw.capture_change(%s)', 'capture_' || job || '_update', tbl, args);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION crm_dw.capture_change(%s)', 'capture_' || job || '_delete', tbl, args);
    EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION crm_dw.capture_change(%s)', 'capture_' || job || '_truncate', tbl, args);
END $$;

SELECT crm_dw.capture('crm.sales_order', 'facts', 'order', 'id');
SELECT crm_dw.capture('crm.order_line', 'facts', 'order', 'order_id');
SELECT crm_dw.capture('crm.product', 'facts', 'product', 'id');
SELECT crm_dw.capture('crm.account', 'facts', 'account', 'id');
SELECT crm_dw.capture('crm.complaint', 'features', 'account', 'account_id');
DROP FUNCTION crm_dw.capture(regclass, text, text, name);

-- The facts job hands its changes on: each changed booked order as it was
-- (-1) and as it is (+1). Customer features add them up instead of re-reading
-- every changed client's history.
CREATE TABLE crm_dw.order_delta (
    sign       smallint NOT NULL CHECK (sign IN (-1, 1)),
    order_id   bigint NOT NULL,
    account_id bigint NOT NULL,
    order_date date NOT NULL,
    total      numeric NOT NULL
);
COMMENT ON TABLE crm_dw.order_delta IS
    'Booked orders changed by the facts job and not yet applied to customer_features: the old (-1) and new (+1) versions';

-- Bookkeeping of the jobs.
CREATE TABLE crm_dw.etl_state (
    job          text PRIMARY KEY,
    as_of        date,
    last_full_at timestamptz,
    last_run_at  timestamptz NOT NULL
);
COMMENT ON TABLE crm_dw.etl_state IS
    'Per incremental job: when it last ran and last rebuilt fully; no row means the next run is a full rebuild';

CREATE TABLE crm_dw.etl_run (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job          text NOT NULL,
    mode         text NOT NULL CHECK (mode IN ('incremental', 'full', 'run')),
    status       text NOT NULL CHECK (status IN ('succeeded', 'failed', 'skipped')),
    started      timestamptz NOT NULL,
    finished     timestamptz NOT NULL,
    rows_touched bigint NOT NULL DEFAULT 0,
    message      text,
    error        text,
    run_by       name NOT NULL DEFAULT current_user
);
CREATE INDEX etl_run_job_idx ON crm_dw.etl_run (job, started DESC);
COMMENT ON TABLE crm_dw.etl_run IS 'One row per job run of crm.etl_refresh: what it did, how long, and how it ended';

-- Dimensions (type 1: the current attributes).
CREATE TABLE crm_dw.dim_date (
    date_key    date PRIMARY KEY,
    year        integer NOT NULL,
    quarter     integer NOT NULL,
    month       integer NOT NULL,
    month_start date NOT NULL,
    month_name  text NOT NULL,
    iso_year    integer NOT NULL,
    iso_week    integer NOT NULL,
    day_of_week integer NOT NULL,
    is_weekend  boolean NOT NULL
);
COMMENT ON TABLE crm_dw.dim_date IS 'The calendar, 2000 (or the first order''s year) to five years past the current or last order''s year';

CREATE TABLE crm_dw.dim_product (
    product_id           bigint PRIMARY KEY,
    sku                  text NOT NULL,
    name                 text NOT NULL,
    kind                 text NOT NULL,
    family               text,
    unit                 text NOT NULL,
    pipe_type            text,
    diameter_mm          integer,
    working_pressure_bar numeric,
    material             text,
    list_price           numeric(14, 2) NOT NULL,
    currency             text NOT NULL,
    active               boolean NOT NULL
);
COMMENT ON TABLE crm_dw.dim_product IS 'Products with their pipe attributes as columns';

CREATE TABLE crm_dw.dim_account (
    account_id    bigint PRIMARY KEY,
    name          text NOT NULL,
    kind          text NOT NULL,
    industry      text,
    region        text,
    source        text,
    is_vip        boolean NOT NULL,
    status        text NOT NULL,
    registered_on date NOT NULL,
    manager       text,
    owner         text NOT NULL
);
COMMENT ON TABLE crm_dw.dim_account IS 'Clients with the attributes reports slice by';

-- Facts.
CREATE TABLE crm_dw.fact_sales (
    order_line_id bigint PRIMARY KEY,
    order_id      bigint NOT NULL,
    order_number  text NOT NULL,
    line_no       integer NOT NULL,
    order_date    date NOT NULL,
    account_id    bigint NOT NULL,
    product_id    bigint NOT NULL,
    order_status  text,
    booked        boolean NOT NULL,
    quantity      numeric NOT NULL,
    unit_price    numeric(14, 2) NOT NULL,
    discount_pct  numeric(5, 2) NOT NULL,
    line_total    numeric(16, 2) NOT NULL,
    currency      text NOT NULL,
    manager       text
);
CREATE INDEX fact_sales_order_idx ON crm_dw.fact_sales (order_id);
CREATE INDEX fact_sales_account_idx ON crm_dw.fact_sales (account_id, order_date);
COMMENT ON TABLE crm_dw.fact_sales IS 'One row per order line; booked = the order is neither draft nor cancelled';

CREATE TABLE crm_dw.fact_sales_monthly (
    month      date NOT NULL,
    product_id bigint,
    account_id bigint,
    currency   text NOT NULL,
    orders     bigint NOT NULL,
    lines      bigint NOT NULL,
    quantity   numeric NOT NULL,
    revenue    numeric NOT NULL,
    CHECK ((product_id IS NULL) <> (account_id IS NULL))
);
-- One key for both grains: the NULL of the other grain counts as a value.
CREATE UNIQUE INDEX fact_sales_monthly_key ON crm_dw.fact_sales_monthly (product_id, account_id, month, currency)
    NULLS NOT DISTINCT;
-- Months a change emptied, for the refresh to remove (almost always none).
CREATE INDEX fact_sales_monthly_empty_idx ON crm_dw.fact_sales_monthly (month) WHERE lines = 0;
COMMENT ON TABLE crm_dw.fact_sales_monthly IS
    'Booked sales per month and currency, per product (account_id NULL) and per account (product_id NULL)';

-- Customer features and the models over them.
CREATE TABLE crm_dw.churn_model (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    as_of        date NOT NULL UNIQUE,
    trained_at   timestamptz NOT NULL DEFAULT now(),
    cutoff       date NOT NULL,
    n            bigint NOT NULL,
    churned      bigint NOT NULL,
    inputs       text[] NOT NULL,
    model        crm.logreg_result NOT NULL
);
COMMENT ON TABLE crm_dw.churn_model IS
    'Per day: logistic regression of "no order in the next 180 days" on the features clients had 180 days earlier';

CREATE TABLE crm_dw.customer_features (
    account_id        bigint PRIMARY KEY,
    as_of             date NOT NULL,
    first_order       date,
    last_order        date,
    recency_days      integer GENERATED ALWAYS AS (as_of - last_order) STORED,
    frequency         integer NOT NULL,
    monetary          numeric NOT NULL,
    orders_total      integer NOT NULL,
    revenue_total     numeric NOT NULL,
    avg_order_value   numeric(16, 2) GENERATED ALWAYS AS (round(revenue_total / nullif(orders_total, 0), 2)) STORED,
    -- A client of a few weeks is not extrapolated to a year.
    orders_per_year   numeric(10, 2)
        GENERATED ALWAYS AS (round(orders_total / greatest(1, (as_of - first_order + 1) / 365.25), 2)) STORED,
    orders_180d       integer NOT NULL,
    orders_prior_180d integer NOT NULL,
    complaints_90d    integer NOT NULL,
    repeat_customer   boolean GENERATED ALWAYS AS (orders_total >= 2) STORED,
    r_score           smallint CHECK (r_score BETWEEN 1 AND 5),
    f_score           smallint CHECK (f_score BETWEEN 1 AND 5),
    m_score           smallint CHECK (m_score BETWEEN 1 AND 5),
    churn_risk        float8 CHECK (churn_risk BETWEEN 0 AND 1),
    churn_model_id    bigint
);
COMMENT ON TABLE crm_dw.customer_features IS
    'Per client as of a day: recency, frequency and monetary value over 365 days, RFM scores, churn risk';

CREATE TABLE crm_dw.segment_model (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fitted_at   timestamptz NOT NULL DEFAULT now(),
    as_of       date NOT NULL,
    k           integer NOT NULL,
    n           bigint NOT NULL,
    features    text[] NOT NULL,
    labels      text[] NOT NULL,
    silhouette  float8,
    model       crm.kmeans_model NOT NULL
);
COMMENT ON TABLE crm_dw.segment_model IS
    'Every segmentation run; the model''s clusters are the segments, numbered by value: (model).centroids[s:s][:] is segment s''s';

CREATE TABLE crm_dw.customer_segment (
    account_id bigint PRIMARY KEY,
    model_id   bigint,
    segment    integer,
    label      text NOT NULL
);
COMMENT ON TABLE crm_dw.customer_segment IS
    'Each client''s current segment; clients without orders in 365 days are "lapsed" or "prospect" and not clustered';

CREATE TABLE crm_dw.demand_forecast (
    generated_at timestamptz NOT NULL,
    product_id   bigint NOT NULL,
    period       date NOT NULL,
    step         integer NOT NULL,
    model        text NOT NULL,
    point        float8 NOT NULL,
    lower_80     float8,
    upper_80     float8,
    lower_95     float8,
    upper_95     float8,
    actual       numeric,
    PRIMARY KEY (generated_at, product_id, period)
);
CREATE INDEX demand_forecast_period_idx ON crm_dw.demand_forecast (product_id, period);
COMMENT ON TABLE crm_dw.demand_forecast IS
    'Monthly booked quantity forecast per product; actual is filled once the month is over';

-- KPIs.
CREATE TABLE crm_dw.kpi_standard (
    kpi         text PRIMARY KEY,
    description text NOT NULL,
    unit        text NOT NULL,
    standard    numeric NOT NULL,
    better      text NOT NULL CHECK (better IN ('lower', 'higher'))
);
COMMENT ON TABLE crm_dw.kpi_standard IS
    'The value each KPI is held to; the KPI job adds the defaults it lacks, UPDATE standard to your industry''s';
SELECT pg_catalog.pg_extension_config_dump('crm_dw.kpi_standard', '');

CREATE TABLE crm_dw.kpi_snapshot (
    taken_at timestamptz NOT NULL,
    kpi      text NOT NULL,
    value    numeric,
    basis    bigint NOT NULL,
    PRIMARY KEY (kpi, taken_at)
);
COMMENT ON TABLE crm_dw.kpi_snapshot IS 'KPI values over time; basis is how many requests, clients, leads or orders each was measured on';

-- Data quality.
CREATE TABLE crm_dw.dq_issue (
    kind        text NOT NULL CHECK (kind IN ('duplicate_email', 'duplicate_phone', 'incomplete_profile', 'orphaned_record')),
    table_name  text NOT NULL,
    record_id   bigint NOT NULL,
    detail      text NOT NULL,
    first_seen  timestamptz NOT NULL,
    last_seen   timestamptz NOT NULL,
    PRIMARY KEY (kind, table_name, record_id)
);
COMMENT ON TABLE crm_dw.dq_issue IS 'Open data-quality findings; a finding disappears once fixed, first_seen says how long it has been open';

-- History that cannot be rebuilt from crm goes into backups; the rest is
-- rebuilt by the first refresh after a restore (etl_state is empty then).
SELECT pg_catalog.pg_extension_config_dump('crm_dw.etl_run', '');
SELECT pg_catalog.pg_extension_config_dump('crm_dw.etl_run_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('crm_dw.churn_model', '');
SELECT pg_catalog.pg_extension_config_dump('crm_dw.churn_model_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('crm_dw.segment_model', '');
SELECT pg_catalog.pg_extension_config_dump('crm_dw.segment_model_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('crm_dw.customer_segment', '');
SELECT pg_catalog.pg_extension_config_dump('crm_dw.demand_forecast', '');
SELECT pg_catalog.pg_extension_config_dump('crm_dw.kpi_snapshot', '');
SELECT pg_catalog.pg_extension_config_dump('crm_dw.dq_issue', '');
-- The refresh jobs (docs/warehouse.md, "The refresh model"). Each job is a
-- function returning its mode, the rows it touched and a message;
-- crm.etl_refresh serialises, runs and logs them.

CREATE FUNCTION crm_dw.jobs() RETURNS TABLE (job text, incremental boolean, description text)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    VALUES ('reservations', false, 'expire reservations past their time'),
           ('facts', true, 'dimensions, fact_sales and fact_sales_monthly'),
           ('features', true, 'customer_features: RFM, churn risk'),
           ('segments', false, 'K-means segmentation into segment_model and customer_segment'),
           ('forecast', false, 'demand_forecast per product, six months ahead'),
           ('kpi', false, 'a kpi_snapshot of every KPI'),
           ('data_quality', false, 'dq_issue: duplicates, incomplete profiles, orphaned records')
$$;
COMMENT ON FUNCTION crm_dw.jobs() IS 'The warehouse jobs in the order ''all'' runs them';

-- Sources of the star schema, one row per warehouse row, columns named as
-- in the warehouse table.
CREATE VIEW crm_dw.dim_product_source AS
SELECT p.id AS product_id, p.sku, p.name, p.kind, p.family, p.unit, p.attributes->>'pipe_type' AS pipe_type,
       (p.attributes->>'diameter_mm')::integer AS diameter_mm,
       (p.attributes->>'working_pressure_bar')::numeric AS working_pressure_bar,
       p.attributes->>'material' AS material, p.list_price, p.currency::text AS currency, p.active
FROM crm.product p;

CREATE VIEW crm_dw.dim_account_source AS
SELECT a.id AS account_id, a.name, a.kind, a.industry, a.region, a.source, a.is_vip, a.status, a.registered_on,
       a.manager::text AS manager, a.owner::text AS owner
FROM crm.account a;

CREATE VIEW crm_dw.fact_sales_source AS
SELECT l.id AS order_line_id, o.id AS order_id, o.number AS order_number, l.line_no, o.order_date, o.account_id,
       l.product_id, o.status AS order_status,
       coalesce(o.status NOT IN ('draft', 'cancelled'), false) AS booked, l.quantity, l.unit_price, l.discount_pct,
       l.line_total, o.currency::text AS currency, o.manager::text AS manager
FROM crm.order_line l JOIN crm.sales_order o ON o.id = l.order_id;

-- Monthly totals of booked lines, per product and per account. lines is a
-- query over fact_sales rows with a sign column: +1 adds a line, -1 takes it
-- away, so the same sums serve the full build and the change.
CREATE FUNCTION crm_dw.sales_by_month(lines text) RETURNS SETOF crm_dw.fact_sales_monthly
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN QUERY EXECUTE format(
        'SELECT date_trunc(''month'', order_date)::date, product_id, account_id, currency,
                count(DISTINCT order_id) FILTER (WHERE sign > 0) - count(DISTINCT order_id) FILTER (WHERE sign < 0),
                sum(sign)::bigint, sum(sign * quantity), sum(sign * line_total)
           FROM %s s WHERE booked
          GROUP BY GROUPING SETS ((1, product_id, currency), (1, account_id, currency))', lines);
END $$;

-- The calendar grows, never shrinks: a report of an old month keeps its dates.
CREATE FUNCTION crm_dw.extend_calendar() RETURNS bigint
    LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    WITH bounds AS (
        SELECT least(date '2000-01-01', date_trunc('year', min(order_date))::date) AS first_day,
               (date_trunc('year', greatest(current_date, max(order_date))) + interval '6 years - 1 day')::date AS last_day
        FROM crm.sales_order),
    have AS (SELECT min(date_key) AS first_day, max(date_key) AS last_day FROM crm_dw.dim_date),
    added AS (
        INSERT INTO crm_dw.dim_date
        SELECT d, extract(year FROM d), extract(quarter FROM d), extract(month FROM d), date_trunc('month', d),
               to_char(d, 'FMMonth'), extract(isoyear FROM d), extract(week FROM d), extract(isodow FROM d),
               extract(isodow FROM d) >= 6
        FROM bounds b, have h, generate_series(b.first_day, b.last_day, interval '1 day') g(t), LATERAL (SELECT t::date AS d) x
        WHERE h.first_day IS NULL OR d < h.first_day OR d > h.last_day
        RETURNING 1)
    SELECT count(*) FROM added
$$;

-- The realised demand of every forecast month that is over.
CREATE FUNCTION crm_dw.record_forecast_actuals() RETURNS bigint
    LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    WITH actual AS (
        SELECT f.generated_at, f.product_id, f.period, coalesce(sum(m.quantity), 0) AS quantity
        FROM crm_dw.demand_forecast f
        LEFT JOIN crm_dw.fact_sales_monthly m ON m.product_id = f.product_id AND m.month = f.period
        WHERE f.period < date_trunc('month', current_date)
        GROUP BY 1, 2, 3),
    updated AS (
        UPDATE crm_dw.demand_forecast f SET actual = a.quantity
        FROM actual a
        WHERE (f.generated_at, f.product_id, f.period) = (a.generated_at, a.product_id, a.period)
          AND f.actual IS DISTINCT FROM a.quantity
        RETURNING 1)
    SELECT count(*) FROM updated
$$;

-- A job's scratch table lives until the end of the transaction; a second run
-- in the same transaction starts afresh.
CREATE FUNCTION crm_dw.drop_temp_table(name text) RETURNS void
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF to_regclass('pg_temp.' || quote_ident(name)) IS NOT NULL THEN
        EXECUTE format('DROP TABLE pg_temp.%I', name);
    END IF;
END $$;

-- Takes a job's queued keys: the distinct keys per entity, and whether a full
-- rebuild was asked for.
CREATE FUNCTION crm_dw.take_changes(job text, OUT orders bigint[], OUT products bigint[], OUT accounts bigint[],
                                    OUT rebuild boolean)
    LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    WITH taken AS (DELETE FROM crm_dw.change_queue q WHERE q.job = take_changes.job RETURNING q.entity, q.key)
    SELECT coalesce(array_agg(DISTINCT key) FILTER (WHERE entity = 'order'), '{}'),
           coalesce(array_agg(DISTINCT key) FILTER (WHERE entity = 'product'), '{}'),
           coalesce(array_agg(DISTINCT key) FILTER (WHERE entity = 'account'), '{}'),
           coalesce(bool_or(entity = 'all'), false)
    FROM taken
$$;

CREATE FUNCTION crm_dw.record_state(job text, rebuilt boolean, as_of date) RETURNS void
    LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO crm_dw.etl_state AS s (job, as_of, last_full_at, last_run_at)
    VALUES (job, as_of, CASE WHEN rebuilt THEN now() END, now())
    ON CONFLICT (job) DO UPDATE SET as_of = EXCLUDED.as_of, last_run_at = now(),
                                    last_full_at = coalesce(EXCLUDED.last_full_at, s.last_full_at)
$$;

CREATE FUNCTION crm_dw.refresh_facts(rebuild boolean, OUT mode text, OUT rows_touched bigint, OUT message text)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    changes record;
    n bigint;
BEGIN
    changes := crm_dw.take_changes('facts');
    rebuild := rebuild OR changes.rebuild OR NOT EXISTS (SELECT FROM crm_dw.etl_state WHERE job = 'facts');
    rows_touched := crm_dw.extend_calendar();
    IF rebuild THEN
        mode := 'full';
        TRUNCATE crm_dw.dim_product, crm_dw.dim_account, crm_dw.fact_sales, crm_dw.fact_sales_monthly;
        INSERT INTO crm_dw.dim_product SELECT * FROM crm_dw.dim_product_source;
        INSERT INTO crm_dw.dim_account SELECT * FROM crm_dw.dim_account_source;
        INSERT INTO crm_dw.fact_sales SELECT * FROM crm_dw.fact_sales_source;
        GET DIAGNOSTICS n = ROW_COUNT;
        ANALYZE crm_dw.fact_sales;
        INSERT INTO crm_dw.fact_sales_monthly
        SELECT * FROM crm_dw.sales_by_month('(SELECT 1 AS sign, f.* FROM crm_dw.fact_sales f)');
        -- Later statements and jobs plan with the new sizes, not the truncated ones.
        ANALYZE crm_dw.dim_product, crm_dw.dim_account, crm_dw.fact_sales_monthly;
        -- The next features run rebuilds too, so pending order changes are void.
        TRUNCATE crm_dw.order_delta;
        INSERT INTO crm_dw.change_queue VALUES ('features', 'all', 0);
        rows_touched := rows_touched + n;
        message := format('rebuilt %s order lines', n);
    ELSE
        mode := 'incremental';
        DELETE FROM crm_dw.dim_product WHERE product_id = ANY (changes.products);
        INSERT INTO crm_dw.dim_product SELECT * FROM crm_dw.dim_product_source WHERE product_id = ANY (changes.products);
        DELETE FROM crm_dw.dim_account WHERE account_id = ANY (changes.accounts);
        INSERT INTO crm_dw.dim_account SELECT * FROM crm_dw.dim_account_source WHERE account_id = ANY (changes.accounts);

        -- The changed orders' lines as the warehouse has them and as they are now.
        PERFORM crm_dw.drop_temp_table('etl_old_lines');
        PERFORM crm_dw.drop_temp_table('etl_new_lines');
        CREATE TEMP TABLE etl_old_lines ON COMMIT DROP AS
        SELECT * FROM crm_dw.fact_sales WHERE order_id = ANY (changes.orders);
        CREATE TEMP TABLE etl_new_lines ON COMMIT DROP AS
        SELECT * FROM crm_dw.fact_sales_source WHERE order_id = ANY (changes.orders);
        -- Only lines that differ are written.
        DELETE FROM crm_dw.fact_sales
        WHERE order_line_id IN (SELECT o.order_line_id FROM etl_old_lines o EXCEPT SELECT n.order_line_id FROM etl_new_lines n);
        GET DIAGNOSTICS n = ROW_COUNT;
        rows_touched := rows_touched + n;
        INSERT INTO crm_dw.fact_sales AS f
        SELECT * FROM (SELECT * FROM etl_new_lines EXCEPT SELECT * FROM etl_old_lines) c
        ON CONFLICT (order_line_id) DO UPDATE
            SET (order_id, order_number, line_no, order_date, account_id, product_id, order_status, booked, quantity,
                 unit_price, discount_pct, line_total, currency, manager)
              = (EXCLUDED.order_id, EXCLUDED.order_number, EXCLUDED.line_no, EXCLUDED.order_date, EXCLUDED.account_id,
                 EXCLUDED.product_id, EXCLUDED.order_status, EXCLUDED.booked, EXCLUDED.quantity, EXCLUDED.unit_price,
                 EXCLUDED.discount_pct, EXCLUDED.line_total, EXCLUDED.currency, EXCLUDED.manager);
        GET DIAGNOSTICS n = ROW_COUNT;
        rows_touched := rows_touched + n;

        -- Whole orders go into the monthly difference: an order counts once per product and month.
        PERFORM crm_dw.drop_temp_table('etl_month_delta');
        CREATE TEMP TABLE etl_month_delta ON COMMIT DROP AS
        SELECT * FROM crm_dw.sales_by_month('(SELECT -1 AS sign, * FROM pg_temp.etl_old_lines
                                               UNION ALL SELECT 1, * FROM pg_temp.etl_new_lines)')
        WHERE (orders, lines, quantity, revenue) <> (0, 0, 0, 0);
        INSERT INTO crm_dw.fact_sales_monthly AS m
        SELECT * FROM etl_month_delta
        ON CONFLICT (product_id, account_id, month, currency) DO UPDATE
            SET orders = m.orders + EXCLUDED.orders, lines = m.lines + EXCLUDED.lines,
                quantity = m.quantity + EXCLUDED.quantity, revenue = m.revenue + EXCLUDED.revenue;
        DELETE FROM crm_dw.fact_sales_monthly WHERE lines = 0;

        -- For the features job: each changed booked order as it was (-1) and is (+1), and the changed clients.
        INSERT INTO crm_dw.order_delta (sign, order_id, account_id, order_date, total)
        SELECT sign, order_id, account_id, order_date, sum(line_total)
        FROM (SELECT -1 AS sign, * FROM etl_old_lines UNION ALL SELECT 1, * FROM etl_new_lines) l
        WHERE booked
        GROUP BY sign, order_id, account_id, order_date;
        INSERT INTO crm_dw.change_queue (job, entity, key) SELECT 'features', 'account', unnest(changes.accounts);
        rows_touched := rows_touched + cardinality(changes.products) + cardinality(changes.accounts);
        message := format('%s changed orders, %s products, %s accounts',
                          cardinality(changes.orders), cardinality(changes.products), cardinality(changes.accounts));
    END IF;
    rows_touched := rows_touched + crm_dw.record_forecast_actuals();
    PERFORM crm_dw.record_state('facts', rebuild, NULL);
END $$;

-- Order history and complaints of clients as of a day, from the warehouse
-- facts: the measures customer features and the churn model are built on.
-- accounts NULL means every client.
CREATE FUNCTION crm_dw.customer_history(as_of date, accounts bigint[])
    RETURNS TABLE (account_id bigint, first_order date, last_order date, orders_total integer, revenue_total numeric,
                   frequency integer, monetary numeric, orders_180d integer, orders_prior_180d integer,
                   complaints_90d integer)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH orders AS (
        SELECT f.account_id, f.order_id, f.order_date, sum(f.line_total) AS total
        FROM crm_dw.fact_sales f
        WHERE f.booked AND f.order_date <= as_of AND (accounts IS NULL OR f.account_id = ANY (accounts))
        GROUP BY f.account_id, f.order_id, f.order_date),
    per_account AS (
        SELECT o.account_id, min(o.order_date) AS first_order, max(o.order_date) AS last_order,
               count(*) AS orders_total, sum(o.total) AS revenue_total,
               count(*) FILTER (WHERE o.order_date > as_of - 365) AS frequency,
               coalesce(sum(o.total) FILTER (WHERE o.order_date > as_of - 365), 0) AS monetary,
               count(*) FILTER (WHERE o.order_date > as_of - 180) AS orders_180d,
               count(*) FILTER (WHERE o.order_date > as_of - 360 AND o.order_date <= as_of - 180) AS orders_prior_180d
        FROM orders o GROUP BY o.account_id),
    complaints AS (
        SELECT c.account_id, count(*) AS complaints_90d
        FROM crm.complaint c
        WHERE c.opened_at >= as_of - 89 AND c.opened_at < as_of + 1
          AND (accounts IS NULL OR c.account_id = ANY (accounts))
        GROUP BY c.account_id)
    SELECT a.id, p.first_order, p.last_order, coalesce(p.orders_total, 0)::integer, coalesce(p.revenue_total, 0),
           coalesce(p.frequency, 0)::integer, coalesce(p.monetary, 0), coalesce(p.orders_180d, 0)::integer,
           coalesce(p.orders_prior_180d, 0)::integer, coalesce(c.complaints_90d, 0)::integer
    FROM crm.account a
    LEFT JOIN per_account p ON p.account_id = a.id
    LEFT JOIN complaints c ON c.account_id = a.id
    WHERE accounts IS NULL OR a.id = ANY (accounts)
$$;

-- What the churn model sees of a client: months since the last order, recent
-- frequency, its change (falling frequency is a warning), recent complaints.
CREATE FUNCTION crm_dw.churn_inputs(recency_days integer, frequency integer, orders_180d integer,
                                    orders_prior_180d integer, complaints_90d integer) RETURNS float8[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN ARRAY[recency_days / 30.0, ln(1 + frequency), orders_180d - orders_prior_180d, complaints_90d]::float8[];

-- Today's churn model: trained once a day on what clients looked like 180
-- days ago and whether they ordered since. NULL when the history cannot
-- support a model (too few clients, or all or none of them churned).
CREATE FUNCTION crm_dw.churn_model_for(as_of date) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    cutoff constant date := as_of - 180;
    clients bigint;
    churned bigint;
    id bigint;
BEGIN
    SELECT m.id INTO id FROM crm_dw.churn_model m WHERE m.as_of = churn_model_for.as_of;
    IF FOUND THEN
        RETURN id;
    END IF;
    PERFORM crm_dw.drop_temp_table('etl_churn_history');
    CREATE TEMP TABLE etl_churn_history ON COMMIT DROP AS
    SELECT crm_dw.churn_inputs(cutoff - h.last_order, h.frequency, h.orders_180d, h.orders_prior_180d,
                               h.complaints_90d) AS inputs,
           NOT EXISTS (SELECT FROM crm_dw.fact_sales f
                       WHERE f.account_id = h.account_id AND f.booked
                         AND f.order_date > cutoff AND f.order_date <= churn_model_for.as_of) AS lost
    FROM crm_dw.customer_history(cutoff, NULL) h
    WHERE h.orders_total > 0;
    SELECT count(*), count(*) FILTER (WHERE lost) INTO clients, churned FROM etl_churn_history;
    IF churned < 10 OR clients - churned < 10 THEN
        RETURN NULL;
    END IF;
    INSERT INTO crm_dw.churn_model (as_of, cutoff, n, churned, inputs, model)
    SELECT churn_model_for.as_of, cutoff, clients, churned,
           ARRAY['months_since_last_order', 'ln(1 + orders_365d)', 'orders_180d - orders_prior_180d', 'complaints_90d'],
           crm.logreg(lost, inputs)
    FROM etl_churn_history
    RETURNING churn_model.id INTO id;
    RETURN id;
END $$;

CREATE FUNCTION crm_dw.refresh_features(rebuild boolean, OUT mode text, OUT rows_touched bigint, OUT message text)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    changes record;
    today constant date := current_date;
    model_id bigint;
    model crm.logreg_result;
    recomputed bigint[];
    touched bigint[];
BEGIN
    changes := crm_dw.take_changes('features');
    PERFORM crm_dw.drop_temp_table('etl_order_delta');
    CREATE TEMP TABLE etl_order_delta ON COMMIT DROP AS
    WITH taken AS (DELETE FROM crm_dw.order_delta RETURNING *) SELECT * FROM taken WHERE order_date <= today;
    -- Windows are counted back from today: a new day moves every client's.
    rebuild := rebuild OR changes.rebuild
               OR NOT EXISTS (SELECT FROM crm_dw.etl_state s WHERE s.job = 'features' AND s.as_of = today);
    model_id := crm_dw.churn_model_for(today);
    model := (SELECT m.model FROM crm_dw.churn_model m WHERE m.id = model_id);
    IF rebuild THEN
        mode := 'full';
        TRUNCATE crm_dw.customer_features;
        recomputed := NULL;
    ELSE
        mode := 'incremental';
        -- Recomputed from the facts: queued clients (complaints, client changes),
        -- clients without a row yet, and clients that may have lost their first
        -- or last order. The rest take the orders' changes as sums.
        recomputed := ARRAY(
            SELECT unnest(changes.accounts)
            UNION
            SELECT d.account_id
            FROM (SELECT account_id, order_id, order_date FROM etl_order_delta
                  GROUP BY account_id, order_id, order_date HAVING sum(sign) < 0) d
            LEFT JOIN crm_dw.customer_features c ON c.account_id = d.account_id
            WHERE c.account_id IS NULL OR d.order_date IN (c.first_order, c.last_order)
            UNION
            SELECT d.account_id FROM etl_order_delta d
            WHERE NOT EXISTS (SELECT FROM crm_dw.customer_features c WHERE c.account_id = d.account_id));
        DELETE FROM crm_dw.customer_features WHERE account_id = ANY (recomputed);
        UPDATE crm_dw.customer_features c
        SET orders_total = c.orders_total + d.orders, revenue_total = c.revenue_total + d.revenue,
            frequency = c.frequency + d.frequency, monetary = c.monetary + d.monetary,
            orders_180d = c.orders_180d + d.orders_180d, orders_prior_180d = c.orders_prior_180d + d.orders_prior_180d,
            first_order = least(c.first_order, d.first_added), last_order = greatest(c.last_order, d.last_added)
        FROM (SELECT account_id, sum(sign) AS orders, sum(sign * total) AS revenue,
                     coalesce(sum(sign) FILTER (WHERE order_date > today - 365), 0) AS frequency,
                     coalesce(sum(sign * total) FILTER (WHERE order_date > today - 365), 0) AS monetary,
                     coalesce(sum(sign) FILTER (WHERE order_date > today - 180), 0) AS orders_180d,
                     coalesce(sum(sign) FILTER (WHERE order_date > today - 360 AND order_date <= today - 180), 0)
                         AS orders_prior_180d,
                     min(order_date) FILTER (WHERE sign > 0) AS first_added,
                     max(order_date) FILTER (WHERE sign > 0) AS last_added
              FROM etl_order_delta
              WHERE account_id NOT IN (SELECT unnest(recomputed))
              GROUP BY account_id) d
        WHERE c.account_id = d.account_id;
    END IF;
    INSERT INTO crm_dw.customer_features
        (account_id, as_of, first_order, last_order, frequency, monetary, orders_total, revenue_total,
         orders_180d, orders_prior_180d, complaints_90d)
    SELECT h.account_id, today, h.first_order, h.last_order, h.frequency, h.monetary, h.orders_total, h.revenue_total,
           h.orders_180d, h.orders_prior_180d, h.complaints_90d
    FROM crm_dw.customer_history(today, recomputed) h;
    IF rebuild THEN
        ANALYZE crm_dw.customer_features;
    END IF;

    touched := ARRAY(SELECT unnest(recomputed) UNION SELECT account_id FROM etl_order_delta);
    UPDATE crm_dw.customer_features c
    SET churn_risk = CASE WHEN c.orders_total > 0 THEN
                         crm.logreg_predict(model, crm_dw.churn_inputs(c.recency_days, c.frequency, c.orders_180d,
                                                                       c.orders_prior_180d, c.complaints_90d)) END,
        churn_model_id = CASE WHEN c.orders_total > 0 THEN model_id END
    WHERE rebuild OR c.account_id IN (SELECT unnest(touched));
    GET DIAGNOSTICS rows_touched = ROW_COUNT;

    -- RFM scores are quintiles among all clients with orders, so one client's
    -- change can move others' scores; equal values share a score.
    WITH scored AS (
        SELECT account_id,
               CASE WHEN orders_total > 0 THEN ceil(5 * cume_dist() OVER (PARTITION BY orders_total > 0
                                                                          ORDER BY recency_days DESC)) END AS r,
               CASE WHEN orders_total > 0 THEN ceil(5 * cume_dist() OVER (PARTITION BY orders_total > 0
                                                                          ORDER BY frequency)) END AS f,
               CASE WHEN orders_total > 0 THEN ceil(5 * cume_dist() OVER (PARTITION BY orders_total > 0
                                                                          ORDER BY monetary)) END AS m
        FROM crm_dw.customer_features)
    UPDATE crm_dw.customer_features c
    SET r_score = s.r, f_score = s.f, m_score = s.m
    FROM scored s
    WHERE c.account_id = s.account_id AND (c.r_score, c.f_score, c.m_score) IS DISTINCT FROM (s.r, s.f, s.m);

    PERFORM crm_dw.record_state('features', rebuild, today);
    message := format('%s clients as of %s: %s recomputed, %s changed by their orders%s',
                      (SELECT count(*) FROM crm_dw.customer_features), today,
                      CASE WHEN rebuild THEN 'all' ELSE cardinality(recomputed)::text END,
                      CASE WHEN rebuild THEN 0 ELSE cardinality(touched) - cardinality(recomputed) END,
                      CASE WHEN model_id IS NULL THEN '; too little history for a churn model' END);
END $$;

-- Nightly K-means over the clients who ordered in the last 365 days. k is the
-- knee of the WCSS curve over 2..6 (the best silhouette if there is none);
-- segments are numbered by the value of their centroid, so segment 1 is
-- always the most valuable.
CREATE FUNCTION crm_dw.refresh_segments(OUT mode text, OUT rows_touched bigint, OUT message text)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    source constant text := 'SELECT account_id, ARRAY[ln(1 + monetary), ln(1 + frequency), ln(1 + avg_order_value)]::float8[] '
                            'FROM crm_dw.customer_features WHERE frequency > 0';
    n bigint;
    best_k integer;
    fitted crm.kmeans_model;
    order_by_value integer[];
    labels text[];
    model_id bigint;
BEGIN
    mode := 'run';
    SELECT count(*) INTO n FROM crm_dw.customer_features WHERE frequency > 0;
    IF n < 20 THEN
        rows_touched := 0;
        message := format('%s clients ordered in the last 365 days: too few to segment; segments unchanged', n);
        RETURN;
    END IF;
    SELECT e.k INTO best_k FROM crm.kmeans_elbow(source, 2, 6, sample_size => 2000) e
    ORDER BY e.suggested DESC, e.silhouette DESC NULLS LAST, e.k LIMIT 1;
    fitted := crm.kmeans(source, best_k);
    -- Renumber the clusters by the monetary value of their centroid (feature
    -- 1): crm.kmeans_assign then answers with the segment number itself.
    SELECT array_agg(c ORDER BY fitted.centroids[c][1] DESC, c) INTO order_by_value
    FROM generate_series(1, best_k) c;
    fitted.centroids := ARRAY(SELECT ARRAY(SELECT unnest(fitted.centroids[order_by_value[s]:order_by_value[s]][:]))
                              FROM generate_series(1, best_k) s ORDER BY s);
    fitted.sizes := ARRAY(SELECT fitted.sizes[order_by_value[s]] FROM generate_series(1, best_k) s ORDER BY s);
    labels := ARRAY(SELECT CASE WHEN s = 1 THEN 'key' WHEN s = best_k THEN 'occasional'
                                WHEN best_k = 3 THEN 'regular' ELSE format('regular %s', s - 1) END
                    FROM generate_series(1, best_k) s ORDER BY s);
    INSERT INTO crm_dw.segment_model (as_of, k, n, features, labels, silhouette, model)
    VALUES (current_date, best_k, fitted.n, ARRAY['ln(1 + monetary)', 'ln(1 + frequency)', 'ln(1 + avg_order_value)'],
            labels, crm.silhouette(source, fitted, 2000), fitted)
    RETURNING id INTO model_id;

    TRUNCATE crm_dw.customer_segment;
    INSERT INTO crm_dw.customer_segment (account_id, model_id, segment, label)
    SELECT s.account_id, model_id, s.segment, CASE WHEN s.segment IS NOT NULL THEN labels[s.segment]
                                                   WHEN s.orders_total > 0 THEN 'lapsed' ELSE 'prospect' END
    FROM (SELECT f.account_id, f.orders_total,
                 CASE WHEN f.frequency > 0 THEN
                     crm.kmeans_assign(ARRAY[ln(1 + f.monetary), ln(1 + f.frequency), ln(1 + f.avg_order_value)]::float8[],
                                       fitted) END AS segment
          FROM crm_dw.customer_features f) s;
    GET DIAGNOSTICS rows_touched = ROW_COUNT;
    message := format('k = %s over %s clients (model %s)', best_k, n, model_id);
END $$;

-- Weekly: six months of booked quantity per product, from each product's
-- first month with sales to the last complete month (a month without sales
-- is zero demand).
CREATE FUNCTION crm_dw.refresh_forecast(OUT mode text, OUT rows_touched bigint, OUT message text)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    last_month constant date := (date_trunc('month', current_date) - interval '1 month')::date;
    products bigint;
BEGIN
    mode := 'run';
    WITH demand AS (
        SELECT product_id, month, sum(quantity)::float8 AS quantity
        FROM crm_dw.fact_sales_monthly
        WHERE product_id IS NOT NULL AND month <= last_month
        GROUP BY product_id, month),
    series AS (
        SELECT s.product_id, m.month, coalesce(d.quantity, 0) AS quantity
        FROM (SELECT product_id, min(month) AS first_month FROM demand GROUP BY product_id) s
        CROSS JOIN LATERAL generate_series(s.first_month, last_month, interval '1 month') m(month)
        LEFT JOIN demand d ON d.product_id = s.product_id AND d.month = m.month),
    fitted AS (
        SELECT product_id, crm.forecast(month::timestamptz, quantity, 6, NULL::integer, 'auto',
                                        ARRAY[80, 95]::float8[]) AS f
        FROM series GROUP BY product_id),
    stored AS (
        INSERT INTO crm_dw.demand_forecast (generated_at, product_id, period, step, model, point,
                                            lower_80, upper_80, lower_95, upper_95)
        SELECT now(), x.product_id, p.ts::date, p.step, (x.f).model, p.point, p.lower[1], p.upper[1], p.lower[2], p.upper[2]
        FROM fitted x, crm.forecast_points(x.f) p
        RETURNING product_id)
    SELECT count(*), count(DISTINCT product_id) INTO rows_touched, products FROM stored;
    message := format('%s products, %s months ahead each, up to %s', products, 6, to_char(last_month, 'YYYY-MM'));
END $$;

-- Active clients and what their profile lacks.
CREATE VIEW crm_dw.account_profile_gaps AS
SELECT a.id AS account_id,
       array_remove(ARRAY[CASE WHEN a.industry IS NULL THEN 'industry' END, CASE WHEN a.region IS NULL THEN 'region' END,
                          CASE WHEN a.email IS NULL THEN 'email' END, CASE WHEN a.phone IS NULL THEN 'phone' END,
                          CASE WHEN NOT EXISTS (SELECT FROM crm.contact c WHERE c.account_id = a.id) THEN 'contact' END],
                    NULL) AS missing
FROM crm.account a
WHERE a.status = 'active';

CREATE FUNCTION crm_dw.refresh_kpi(OUT mode text, OUT rows_touched bigint, OUT message text)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    mode := 'run';
    -- Defaults for the KPIs without a standard (an edited standard is kept).
    INSERT INTO crm_dw.kpi_standard VALUES
        ('response_time_hours',
         'Average hours from a client''s incoming request (last 90 days) to the next outgoing interaction', 'hours', 24, 'lower'),
        ('complete_profiles_pct', 'Share of active clients with industry, region, e-mail, phone and a contact', '%', 90, 'higher'),
        ('lead_conversion_pct', 'Share of the leads created in the last 365 days that were converted to deals', '%', 20, 'higher'),
        ('repeat_order_probability', 'Repeat orders ÷ all booked orders of the last 365 days', 'ratio', 0.85, 'higher')
    ON CONFLICT (kpi) DO NOTHING;

    WITH response AS (
        SELECT round(avg(extract(epoch FROM r.reply_at - i.occurred_at) / 3600), 2) AS value, count(*) AS basis
        FROM crm.interaction i
        CROSS JOIN LATERAL (SELECT min(o.occurred_at) AS reply_at FROM crm.interaction o
                            WHERE o.account_id = i.account_id AND o.direction = 'out' AND o.occurred_at >= i.occurred_at) r
        WHERE i.direction = 'in' AND i.occurred_at >= now() - interval '90 days' AND r.reply_at IS NOT NULL),
    profiles AS (
        SELECT round(100.0 * count(*) FILTER (WHERE missing = '{}') / nullif(count(*), 0), 2) AS value, count(*) AS basis
        FROM crm_dw.account_profile_gaps),
    leads AS (
        SELECT round(100.0 * count(*) FILTER (WHERE status = 'converted') / nullif(count(*), 0), 2) AS value,
               count(*) AS basis
        FROM crm.lead WHERE created_at >= now() - interval '365 days'),
    orders AS (
        SELECT o.order_date, row_number() OVER (PARTITION BY o.account_id ORDER BY o.order_date, o.order_id) > 1 AS repeat
        FROM (SELECT DISTINCT order_id, account_id, order_date FROM crm_dw.fact_sales WHERE booked) o),
    repeats AS (
        SELECT round(count(*) FILTER (WHERE repeat)::numeric / nullif(count(*), 0), 4) AS value, count(*) AS basis
        FROM orders WHERE order_date > current_date - 365 AND order_date <= current_date),
    taken AS (
        INSERT INTO crm_dw.kpi_snapshot (taken_at, kpi, value, basis)
        SELECT now(), 'response_time_hours', value, basis FROM response
        UNION ALL SELECT now(), 'complete_profiles_pct', value, basis FROM profiles
        UNION ALL SELECT now(), 'lead_conversion_pct', value, basis FROM leads
        UNION ALL SELECT now(), 'repeat_order_probability', value, basis FROM repeats
        ON CONFLICT (kpi, taken_at) DO UPDATE SET value = EXCLUDED.value, basis = EXCLUDED.basis
        RETURNING 1)
    SELECT count(*) INTO rows_touched FROM taken;
    message := 'KPIs measured; compare them in crm_dw.v_kpi_vs_standard';
END $$;

CREATE FUNCTION crm_dw.normalize_email(email text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN regexp_replace(lower(btrim(email)), '\+[^@]*@', '@');
COMMENT ON FUNCTION crm_dw.normalize_email(text) IS 'Lower case, without a +tag in the local part: A.Buyer+tender@X.ua is a.buyer@x.ua';

CREATE FUNCTION crm_dw.normalize_phone(phone text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN CASE WHEN regexp_replace(phone, '\D', '', 'g') ~ '^0[0-9]{9}$' THEN '38' ELSE '' END
           || regexp_replace(phone, '\D', '', 'g');
COMMENT ON FUNCTION crm_dw.normalize_phone(text) IS
    'Digits only; a ten-digit national number starting with 0 gets the Ukrainian country code 38';

-- Every current finding, one row per (kind, table, record).
CREATE VIEW crm_dw.dq_findings AS
WITH addresses AS (
    SELECT a.id AS account_id, 'email' AS what, crm_dw.normalize_email(a.email) AS norm, a.email::text AS value
    FROM crm.account a WHERE a.email IS NOT NULL
    UNION ALL SELECT c.account_id, 'email', crm_dw.normalize_email(c.email), c.email FROM crm.contact c WHERE c.email IS NOT NULL
    UNION ALL SELECT a.id, 'phone', crm_dw.normalize_phone(a.phone), a.phone FROM crm.account a WHERE a.phone IS NOT NULL
    UNION ALL SELECT c.account_id, 'phone', crm_dw.normalize_phone(c.phone), c.phone FROM crm.contact c WHERE c.phone IS NOT NULL),
shared AS (
    SELECT what, norm, min(account_id) AS first_account
    FROM addresses GROUP BY what, norm HAVING count(DISTINCT account_id) > 1)
(SELECT DISTINCT ON (1, 3) 'duplicate_' || s.what AS kind, 'crm.account' AS table_name, x.account_id AS record_id,
        format('%s %s is also account %s''s', s.what, x.value, s.first_account) AS detail
 FROM shared s JOIN addresses x ON x.what = s.what AND x.norm = s.norm AND x.account_id <> s.first_account
 ORDER BY 1, 3, 4)
UNION ALL
SELECT 'incomplete_profile', 'crm.account', g.account_id, 'missing: ' || array_to_string(g.missing, ', ')
FROM crm_dw.account_profile_gaps g WHERE g.missing <> '{}'
UNION ALL
SELECT 'orphaned_record', 'crm.sales_order', o.id, format('order %s is %s but has no lines', o.number, o.status)
FROM crm.sales_order o
WHERE o.status NOT IN ('draft', 'cancelled') AND NOT EXISTS (SELECT FROM crm.order_line l WHERE l.order_id = o.id)
UNION ALL
SELECT 'orphaned_record', 'crm.production_order', p.id, format('production order in state %s belongs to no order line', p.status)
FROM crm.production_order p WHERE p.order_line_id IS NULL AND p.status <> 'cancelled'
UNION ALL
SELECT 'orphaned_record', 'crm.complaint', c.id, format('complaint of account %s is about order %s of account %s',
                                                       c.account_id, o.number, o.account_id)
FROM crm.complaint c JOIN crm.sales_order o ON o.id = c.order_id WHERE o.account_id <> c.account_id;
COMMENT ON VIEW crm_dw.dq_findings IS 'The data-quality checks, evaluated now; the data_quality job keeps their results in dq_issue';

CREATE FUNCTION crm_dw.refresh_data_quality(OUT mode text, OUT rows_touched bigint, OUT message text)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    fixed bigint;
    found bigint;
BEGIN
    mode := 'run';
    PERFORM crm_dw.drop_temp_table('etl_dq');
    CREATE TEMP TABLE etl_dq ON COMMIT DROP AS SELECT * FROM crm_dw.dq_findings;
    DELETE FROM crm_dw.dq_issue d
    WHERE NOT EXISTS (SELECT FROM etl_dq f WHERE (f.kind, f.table_name, f.record_id) = (d.kind, d.table_name, d.record_id));
    GET DIAGNOSTICS fixed = ROW_COUNT;
    INSERT INTO crm_dw.dq_issue AS d (kind, table_name, record_id, detail, first_seen, last_seen)
    SELECT kind, table_name, record_id, detail, now(), now() FROM etl_dq
    ON CONFLICT (kind, table_name, record_id) DO UPDATE SET detail = EXCLUDED.detail, last_seen = EXCLUDED.last_seen;
    GET DIAGNOSTICS found = ROW_COUNT;
    rows_touched := fixed + found;
    message := format('%s open findings, %s fixed since the last run', found, fixed);
END $$;

-- Runs one job under its advisory lock and logs the run. A failing job is
-- rolled back to its start, logged, and reported, not raised: the caller's
-- transaction keeps the log (crm.run_job raises after committing it).
CREATE FUNCTION crm_dw.run_logged(job text, rebuild boolean, wait boolean) RETURNS crm_dw.etl_run
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    run crm_dw.etl_run;
    result record;
    code text;
BEGIN
    run.job := job;
    run.started := clock_timestamp();
    run.mode := CASE WHEN (SELECT j.incremental FROM crm_dw.jobs() j WHERE j.job = run.job)
                     THEN CASE WHEN rebuild THEN 'full' ELSE 'incremental' END ELSE 'run' END;
    IF wait THEN
        PERFORM pg_advisory_xact_lock(hashtext('pgcrm.etl'), hashtext(job));
    ELSIF NOT pg_try_advisory_xact_lock(hashtext('pgcrm.etl'), hashtext(job)) THEN
        run.status := 'skipped';
        run.message := 'another session is running this job; skipped (wait => true waits for it)';
    END IF;
    IF run.status IS NULL THEN
        BEGIN
            CASE job
                WHEN 'reservations' THEN SELECT 'run' AS mode, crm.expire_reservations()::bigint AS rows_touched,
                                               'expired reservations past their time' AS message INTO result;
                WHEN 'facts' THEN result := crm_dw.refresh_facts(rebuild);
                WHEN 'features' THEN result := crm_dw.refresh_features(rebuild);
                WHEN 'segments' THEN result := crm_dw.refresh_segments();
                WHEN 'forecast' THEN result := crm_dw.refresh_forecast();
                WHEN 'kpi' THEN result := crm_dw.refresh_kpi();
                WHEN 'data_quality' THEN result := crm_dw.refresh_data_quality();
            END CASE;
            run.status := 'succeeded';
            run.mode := result.mode;
            run.rows_touched := result.rows_touched;
            run.message := result.message;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS run.error = MESSAGE_TEXT, code = RETURNED_SQLSTATE;
            run.status := 'failed';
            run.error := format('%s: %s', code, run.error);
        END;
    END IF;
    run.finished := clock_timestamp();
    INSERT INTO crm_dw.etl_run (job, mode, status, started, finished, rows_touched, message, error)
    VALUES (run.job, run.mode, run.status, run.started, run.finished, coalesce(run.rows_touched, 0), run.message, run.error)
    RETURNING * INTO run;
    IF run.status = 'skipped' THEN
        RAISE NOTICE 'pgcrm job "%" skipped: another session is running it', job;
    ELSIF run.status = 'failed' THEN
        RAISE WARNING 'pgcrm job "%" failed: %', job, run.error;
    END IF;
    RETURN run;
END $$;

CREATE FUNCTION crm.etl_refresh(job text DEFAULT 'all', "full" boolean DEFAULT false, wait boolean DEFAULT false)
    RETURNS SETOF crm_dw.etl_run
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    run crm_dw.etl_run;
    name text;
BEGIN
    IF job IS NULL OR "full" IS NULL OR wait IS NULL THEN
        RAISE EXCEPTION 'job, full and wait must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF job <> 'all' AND NOT EXISTS (SELECT FROM crm_dw.jobs() j WHERE j.job = etl_refresh.job) THEN
        RAISE EXCEPTION 'there is no warehouse job "%"', job USING ERRCODE = 'invalid_parameter_value',
            HINT = format('The jobs are all, %s.', (SELECT string_agg(j.job, ', ') FROM crm_dw.jobs() j));
    END IF;
    FOR name IN SELECT j.job FROM crm_dw.jobs() j WHERE etl_refresh.job IN ('all', j.job) LOOP
        run := crm_dw.run_logged(name, "full", wait);
        RETURN NEXT run;
        -- Later jobs read what the failed one should have written.
        EXIT WHEN run.status = 'failed';
    END LOOP;
END $$;
COMMENT ON FUNCTION crm.etl_refresh(text, boolean, boolean) IS
    'Runs a warehouse job (or all, in order), incrementally unless full; returns the crm_dw.etl_run rows it logged';

-- For pg_cron: a job whose run failed fails the command too, after the log
-- of the run is committed, so cron.job_run_details shows it.
CREATE PROCEDURE crm.run_job(job text)
    LANGUAGE plpgsql AS $$
DECLARE
    failed text;
BEGIN
    SELECT string_agg(format('%s: %s', r.job, r.error), '; ') INTO failed
    FROM crm.etl_refresh(job) r WHERE r.status = 'failed';
    COMMIT;
    IF failed IS NOT NULL THEN
        RAISE EXCEPTION 'pgcrm job failed: %', failed USING ERRCODE = 'PC021',
            HINT = 'See crm_dw.etl_run for the run.';
    END IF;
END $$;
COMMENT ON PROCEDURE crm.run_job(text) IS
    'crm.etl_refresh(job) that commits its log and then raises if the job failed: the command pg_cron runs';
-- The BI contract (docs/warehouse.md, "Views"): these views' names and column
-- types are stable across releases. The crm_bi role reads them and nothing else.

CREATE VIEW crm_dw.v_sales_monthly AS
SELECT d.month_start AS month, a.industry, a.region, p.family AS product_family, p.sku, p.name AS product_name,
       f.currency, count(DISTINCT f.order_id) AS orders, sum(f.quantity) AS quantity, sum(f.line_total) AS revenue
FROM crm_dw.fact_sales f
JOIN crm_dw.dim_date d ON d.date_key = f.order_date
JOIN crm_dw.dim_account a ON a.account_id = f.account_id
JOIN crm_dw.dim_product p ON p.product_id = f.product_id
WHERE f.booked
GROUP BY d.month_start, a.industry, a.region, p.family, p.sku, p.name, f.currency;
COMMENT ON VIEW crm_dw.v_sales_monthly IS 'Booked sales by month, client industry and region, and product';

-- Deals are read live: the pipeline is about now.
CREATE VIEW crm_dw.v_pipeline_by_stage AS
SELECT s.sort_order AS stage_order, d.stage, s.label_en AS stage_label, s.is_final, d.currency::text AS currency,
       count(*) AS deals, sum(d.amount)::numeric AS amount,
       round(sum(d.amount * coalesce(d.probability, 0) / 100), 2) AS weighted_amount
FROM crm.deal d
JOIN crm.workflow_state s ON s.workflow = 'deal' AND s.code = d.stage
GROUP BY s.sort_order, d.stage, s.label_en, s.is_final, d.currency::text;
COMMENT ON VIEW crm_dw.v_pipeline_by_stage IS 'Open and closed deals per stage: count, amount, and amount weighted by probability';

CREATE VIEW crm_dw.v_forecast_vs_actual AS
SELECT f.product_id, p.sku, p.name AS product_name, p.family AS product_family, f.period, f.generated_at, f.step,
       f.model, f.point, f.lower_80, f.upper_80, f.lower_95, f.upper_95, f.actual,
       f.actual - f.point::numeric AS error,
       round(100 * abs(f.actual - f.point::numeric) / nullif(f.actual, 0), 2) AS abs_pct_error,
       f.actual BETWEEN f.lower_80::numeric AND f.upper_80::numeric AS within_80,
       f.actual BETWEEN f.lower_95::numeric AND f.upper_95::numeric AS within_95,
       f.generated_at = max(f.generated_at) OVER (PARTITION BY f.product_id) AS latest
FROM crm_dw.demand_forecast f
JOIN crm_dw.dim_product p ON p.product_id = f.product_id;
COMMENT ON VIEW crm_dw.v_forecast_vs_actual IS
    'Every demand forecast with its realised demand once the month is over; latest marks the newest forecast run';

CREATE VIEW crm_dw.v_segments AS
SELECT s.account_id, a.name AS account_name, a.industry, a.region, a.manager, s.segment, s.label,
       f.recency_days, f.frequency, f.monetary, f.avg_order_value, f.r_score, f.f_score, f.m_score,
       s.model_id, m.fitted_at
FROM crm_dw.customer_segment s
JOIN crm_dw.dim_account a ON a.account_id = s.account_id
LEFT JOIN crm_dw.customer_features f ON f.account_id = s.account_id
LEFT JOIN crm_dw.segment_model m ON m.id = s.model_id;
COMMENT ON VIEW crm_dw.v_segments IS 'Each client''s segment (key, regular, occasional; lapsed or prospect when not clustered)';

CREATE VIEW crm_dw.v_churn_risk AS
SELECT f.account_id, a.name AS account_name, a.manager, a.industry, a.region, f.churn_risk, f.last_order,
       f.recency_days, f.orders_180d, f.orders_prior_180d, f.complaints_90d, f.monetary,
       CASE WHEN f.recency_days >= 180 THEN 'send a special offer'
            WHEN f.orders_180d < f.orders_prior_180d AND f.complaints_90d > 0 THEN 'call the client'
            WHEN f.churn_risk >= 0.5 THEN 'call the client' END AS action
FROM crm_dw.customer_features f
JOIN crm_dw.dim_account a ON a.account_id = f.account_id
WHERE f.orders_total > 0;
COMMENT ON VIEW crm_dw.v_churn_risk IS
    'Clients with orders, their churn risk, and the action due: an offer after 180 days without orders, a call when risk is high';

CREATE VIEW crm_dw.v_kpi_vs_standard AS
SELECT s.kpi, s.description, s.unit, k.value, s.standard, s.better,
       CASE s.better WHEN 'lower' THEN k.value <= s.standard ELSE k.value >= s.standard END AS meets_standard,
       k.value - s.standard AS difference, k.basis, k.taken_at
FROM crm_dw.kpi_standard s
JOIN LATERAL (SELECT * FROM crm_dw.kpi_snapshot x WHERE x.kpi = s.kpi ORDER BY x.taken_at DESC LIMIT 1) k ON true;
COMMENT ON VIEW crm_dw.v_kpi_vs_standard IS 'The latest value of each KPI against its standard (lower is better for times)';

CREATE VIEW crm_dw.v_data_quality AS
SELECT kind, table_name, count(*) AS issues, min(first_seen) AS oldest
FROM crm_dw.dq_issue
GROUP BY kind, table_name;
COMMENT ON VIEW crm_dw.v_data_quality IS 'Open data-quality findings per kind';

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'crm_bi') THEN
        CREATE ROLE crm_bi NOLOGIN;
        COMMENT ON ROLE crm_bi IS 'pgcrm: reads the BI views crm_dw.v_* and nothing else';
    END IF;
END $$;
GRANT USAGE ON SCHEMA crm_dw TO crm_bi;
GRANT SELECT ON crm_dw.v_sales_monthly, crm_dw.v_pipeline_by_stage, crm_dw.v_forecast_vs_actual, crm_dw.v_segments,
                crm_dw.v_churn_risk, crm_dw.v_kpi_vs_standard, crm_dw.v_data_quality TO crm_bi;
-- The warehouse's functions are the jobs' internals, not an API.
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA crm_dw FROM PUBLIC;
-- Scheduling the warehouse jobs with pg_cron (docs/operations.md). pgcrm does
-- not need pg_cron: every job runs by hand with crm.etl_refresh or
-- crm.run_job, and pg_cron is called through dynamic SQL only.

CREATE FUNCTION crm.require_pg_cron() RETURNS void
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed in database "%"', current_database()
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = format('Add pg_cron to shared_preload_libraries, set cron.database_name = ''%s'', restart '
                                'PostgreSQL and run CREATE EXTENSION pg_cron here. Until then run the jobs by hand: '
                                'CALL crm.run_job(''all'').', current_database());
    END IF;
END $$;

-- One argument per job: its cron schedule, or NULL to leave the job out
-- (and remove it if it was scheduled).
CREATE FUNCTION crm.schedule_jobs(reservations text DEFAULT '* * * * *',
                                  facts text DEFAULT '*/5 * * * *',
                                  features text DEFAULT '7 * * * *',
                                  segments text DEFAULT '30 1 * * *',
                                  forecast text DEFAULT '0 3 * * 1',
                                  kpi text DEFAULT '45 1 * * *',
                                  data_quality text DEFAULT '0 1 * * *')
    RETURNS TABLE (jobname text, schedule text, command text)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    wanted text[] := ARRAY[reservations, facts, features, segments, forecast, kpi, data_quality];
    jobs text[] := ARRAY(SELECT j.job FROM crm_dw.jobs() j);
BEGIN
    PERFORM crm.require_pg_cron();
    FOR i IN 1..cardinality(jobs) LOOP
        jobname := 'pgcrm-' || jobs[i];
        schedule := wanted[i];
        command := format('CALL crm.run_job(%L)', jobs[i]);
        IF schedule IS NULL THEN
            EXECUTE 'SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname = $1' USING jobname;
        ELSE
            -- cron.schedule replaces a job of the same name, and checks the schedule.
            EXECUTE 'SELECT cron.schedule($1, $2, $3)' USING jobname, schedule, command;
            RETURN NEXT;
        END IF;
    END LOOP;
END $$;
COMMENT ON FUNCTION crm.schedule_jobs(text, text, text, text, text, text, text) IS
    'Registers (or updates) the pg_cron jobs pgcrm-<job>; a NULL schedule leaves that job out. Needs pg_cron';

CREATE FUNCTION crm.unschedule_jobs() RETURNS SETOF text
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    job record;
BEGIN
    PERFORM crm.require_pg_cron();
    FOR job IN EXECUTE 'SELECT j.jobid, j.jobname FROM cron.job j
                         WHERE j.jobname IN (SELECT ''pgcrm-'' || w.job FROM crm_dw.jobs() w) ORDER BY j.jobname' LOOP
        EXECUTE 'SELECT cron.unschedule($1)' USING job.jobid;
        RETURN NEXT job.jobname;
    END LOOP;
END $$;
COMMENT ON FUNCTION crm.unschedule_jobs() IS 'Removes the pg_cron jobs crm.schedule_jobs registers, and no other; returns their names';

-- Refreshing and scheduling are for the database owner and whom it grants them to.
REVOKE EXECUTE ON FUNCTION crm.etl_refresh(text, boolean, boolean), crm.require_pg_cron(),
    crm.schedule_jobs(text, text, text, text, text, text, text), crm.unschedule_jobs() FROM PUBLIC;
REVOKE EXECUTE ON PROCEDURE crm.run_job(text) FROM PUBLIC;
-- Deterministic demo data for the composite-pipe manufacturer, with enough of
-- the IT-services and credit sides that every table has rows.

-- Moves each row of tbl along its path in pg_temp.demo_walk(id, path), one
-- workflow step per statement, so every move passes the workflow triggers.
CREATE FUNCTION crm.demo_walk(tbl regclass, status_column name) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    steps int;
BEGIN
    SELECT max(cardinality(path)) INTO steps FROM pg_temp.demo_walk;
    FOR k IN 1..coalesce(steps, 0) LOOP
        EXECUTE format('UPDATE %s t SET %I = w.path[$1] FROM pg_temp.demo_walk w '
                       'WHERE t.id = w.id AND cardinality(w.path) >= $1', tbl, status_column) USING k;
    END LOOP;
    TRUNCATE pg_temp.demo_walk;
END $$;

CREATE FUNCTION crm.generate_demo_data(scale integer DEFAULT 1, seed integer DEFAULT 42)
    RETURNS TABLE (table_name text, row_count bigint)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    -- 36 full months ending with the last complete month: the same data all month long.
    last_month date := (date_trunc('month', current_date) - interval '1 month')::date;
    first_month date := (date_trunc('month', current_date) - interval '36 months')::date;
    n_accounts int;
    n_orders int;
BEGIN
    IF scale IS NULL OR scale < 1 OR scale > 1000 THEN
        RAISE EXCEPTION 'scale must be 1 to 1000, not %', scale USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF seed IS NULL THEN
        RAISE EXCEPTION 'seed must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    n_accounts := 1000 * scale;
    n_orders := 20000 * scale;  -- about 2.5 lines each: 50,000 lines per unit of scale
    PERFORM setseed(seed / 2147483648.0);
    -- A second call in the same transaction starts from scratch.
    IF to_regclass('pg_temp.demo_walk') IS NOT NULL THEN
        DROP TABLE pg_temp.demo_walk, pg_temp.demo_product, pg_temp.demo_account, pg_temp.demo_order;
    END IF;
    CREATE TEMP TABLE demo_walk (id bigint, path text[]) ON COMMIT DROP;

    -- Products: GRP pipes by family, diameter and pressure class; services; a credit line.
    WITH spec(family, pipe_type, prefix, pressure, dia, price_per_mm) AS (
        VALUES ('pressure pipe', 'pressure', 'GRP-P', 10, ARRAY[100, 200, 300, 500, 800, 1200], 4.2),
               ('pressure pipe', 'pressure', 'GRP-P', 16, ARRAY[200, 300, 500, 800], 5.1),
               ('sewer pipe', 'sewer', 'GRP-S', 1, ARRAY[300, 500, 800, 1200, 1600], 2.9),
               ('oil and gas pipe', 'oil_gas', 'GRP-O', 40, ARRAY[100, 150, 200, 300], 7.8),
               ('chemical pipe', 'chemical', 'GRP-C', 10, ARRAY[50, 100, 200, 300], 6.4))
    INSERT INTO crm.product (sku, name, kind, family, unit, list_price, attributes)
    SELECT format('%s%s-DN%s', s.prefix, s.pressure, d),
           format('GRP %s DN%s PN%s, 12 m', s.pipe_type, d, s.pressure), 'goods', s.family, 'm',
           round(d * s.price_per_mm * (1 + s.pressure / 40.0), 2),
           jsonb_build_object('pipe_type', s.pipe_type, 'diameter_mm', d, 'length_m', 12,
                              'working_pressure_bar', s.pressure, 'material', 'glass-reinforced plastic',
                              'certification', jsonb_build_array('DSTU EN 1796', 'ISO 9001'))
    FROM spec s, unnest(s.dia) d
    ON CONFLICT (sku) DO NOTHING;
    -- Numbered by SKU: chemical 1-4, oil and gas 5-8, PN10 9-14, PN16 15-18, sewer 19-23.
    CREATE TEMP TABLE demo_product ON COMMIT DROP AS
    SELECT row_number() OVER (ORDER BY sku) AS rn, id, family, list_price FROM crm.product WHERE sku ~ '^GRP-[COPS][0-9]+-DN';
    INSERT INTO crm.product (sku, name, kind, family, unit, list_price) VALUES
        ('SRV-INSTALL', 'Installation supervision', 'service', 'services', 'h', 950),
        ('SRV-HYDROTEST', 'Hydraulic pressure test', 'service', 'services', 'service', 18500),
        ('FIN-LEASING', 'Equipment leasing line', 'credit', 'finance', 'month', 0)
    ON CONFLICT (sku) DO NOTHING;
    INSERT INTO crm.warehouse (code, name, region, address) VALUES
        ('KYIV', 'Kyiv central warehouse', 'Kyiv', 'Kyiv, Promyslova 12'),
        ('DNIPRO', 'Dnipro warehouse', 'Dnipropetrovsk', 'Dnipro, Zavodska 3'),
        ('LVIV', 'Lviv warehouse', 'Lviv', 'Lviv, Skladska 7')
    ON CONFLICT (code) DO NOTHING;

    -- Accounts: a few large infrastructure clients, more mid-size builders, many small buyers.
    CREATE TEMP TABLE demo_account ON COMMIT DROP AS
    WITH gen AS (
        SELECT g,
               (ARRAY['water_supply', 'oil_gas', 'chemical', 'construction', 'utilities'])[1 + floor(random() * 5)::int] AS industry,
               (ARRAY['Kyiv', 'Lviv', 'Kharkiv', 'Odesa', 'Dnipropetrovsk', 'Zaporizhzhia', 'Poltava',
                      'Vinnytsia', 'Ivano-Frankivsk', 'Chernihiv', 'Rivne', 'Zakarpattia'])[1 + floor(random() * 12)::int] AS region,
               CASE WHEN g <= n_accounts * 0.05 THEN 'large' WHEN g <= n_accounts * 0.30 THEN 'mid' ELSE 'small' END AS size,
               (ARRAY['exhibition', 'website', 'referral', 'cold_call', 'tender'])[1 + floor(random() * 5)::int] AS source,
               first_month + floor(random() * 300)::int AS registered_on
        FROM generate_series(1, n_accounts) g),
    ins AS (
        INSERT INTO crm.account (kind, name, industry, region, source, is_vip, status, marketing_consent,
                                 registered_on, email, phone)
        SELECT CASE WHEN size = 'small' AND g % 10 = 0 THEN 'individual' ELSE 'legal_entity' END,
               format('%s %s-%s', (ARRAY['Vodokanal', 'Naftobud', 'Khimprom', 'Budinvest', 'Komunservis'])
                        [array_position(ARRAY['water_supply', 'oil_gas', 'chemical', 'construction', 'utilities'], industry)],
                      region, g),
               industry, region, source, size = 'large', 'active', g % 3 <> 0, registered_on,
               format('orders@client-%s-%s.example.ua', seed, g), format('+380 44 %s', lpad(g::text, 7, '0'))
        FROM gen ORDER BY g
        RETURNING id, industry, email)
    SELECT gen.g AS rn, i.id, i.industry, gen.size
    FROM ins i JOIN gen ON format('orders@client-%s-%s.example.ua', seed, gen.g) = i.email;
    CREATE INDEX ON demo_account (rn);

    INSERT INTO crm.contact (account_id, first_name, last_name, position, email, phone, is_primary, channels)
    SELECT a.id, (ARRAY['Olena', 'Taras', 'Iryna', 'Andrii', 'Natalia', 'Serhii', 'Oksana', 'Dmytro'])[1 + (a.rn + k) % 8],
           (ARRAY['Shevchenko', 'Kovalenko', 'Bondarenko', 'Tkachenko', 'Kravchenko', 'Melnyk', 'Boiko'])[1 + (a.rn * 3 + k) % 7],
           (ARRAY['procurement manager', 'chief engineer', 'director', 'accountant'])[1 + k % 4],
           format('c%s.%s@client-%s-%s.example.ua', k, a.rn, seed, a.rn), NULL, k = 1,
           CASE WHEN k = 1 THEN jsonb_build_object('website', format('https://client-%s.example.ua', a.rn)) ELSE '{}' END
    FROM demo_account a, generate_series(1, 1 + a.rn % 3) k;

    -- Orders: monthly counts with a 2%-a-month trend and a spring-summer peak (July high, January low).
    CREATE TEMP TABLE demo_order ON COMMIT DROP AS
    WITH months AS (
        SELECT m, (first_month + make_interval(months => m))::date AS month_start,
               (1 + 0.02 * m) * (1 + 0.35 * cos(2 * pi() * (extract(month FROM first_month + make_interval(months => m)) - 7) / 12)) AS weight
        FROM generate_series(0, 35) m),
    counts AS (SELECT *, round(n_orders * weight / sum(weight) OVER ())::int AS n FROM months),
    picks AS (
        SELECT c.month_start, c.month_start + floor(random() * 28)::int AS order_date,
               1 + floor(n_accounts * power(random(), 2.2))::int AS account_rn
        FROM counts c, generate_series(1, c.n)),
    ins AS (
        INSERT INTO crm.sales_order (account_id, order_date, manager, delivery_terms, payment_terms, delivery_date)
        SELECT a.id, p.order_date, (ARRAY['manager_olena', 'manager_taras', 'manager_iryna'])[1 + a.rn % 3],
               (ARRAY['FCA plant', 'DAP site', 'CPT warehouse'])[1 + a.rn % 3],
               (ARRAY['prepayment 100%', '50/50', 'net 30 days'])[1 + (a.rn / 3) % 3],
               p.order_date + 14 + floor(random() * 30)::int
        FROM picks p JOIN demo_account a ON a.rn = p.account_rn
        ORDER BY p.order_date, a.id
        RETURNING id, account_id, order_date)
    SELECT i.*, a.size, a.industry, 1 + floor(random() * 4)::int AS n_lines FROM ins i JOIN demo_account a ON a.id = i.account_id;

    -- Lines: pipes matched to the client's industry, quantity by client size; bigger volumes get bigger discounts.
    INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price, discount_pct)
    SELECT o.id, k, p.id, q.qty, p.list_price, least(15, round(q.qty / 200.0, 1))
    FROM demo_order o
    CROSS JOIN LATERAL generate_series(1, o.n_lines) k
    CROSS JOIN LATERAL (SELECT round((CASE o.size WHEN 'large' THEN 400 WHEN 'mid' THEN 120 ELSE 24 END)
                                     * (0.3 + random() * 1.4))::numeric AS qty,
                               random() AS r, k AS line) q
    JOIN demo_product p ON p.rn = 1 + (floor(q.r * 6)::int + CASE o.industry WHEN 'water_supply' THEN 8 WHEN 'utilities' THEN 17
                                                               WHEN 'construction' THEN 14 WHEN 'oil_gas' THEN 4 ELSE 0 END) % 23;

    -- Order statuses: delivered when old, moving through the pipeline when recent; a few cancelled.
    INSERT INTO demo_walk
    SELECT id, CASE WHEN random() < 0.03 THEN ARRAY['cancelled']
                    WHEN order_date < last_month - 60 THEN ARRAY['confirmed', 'in_production', 'ready', 'shipped', 'delivered']
                    ELSE (ARRAY['confirmed', 'in_production', 'ready', 'shipped', 'delivered'])[1:floor(random() * 6)::int] END
    FROM demo_order;
    PERFORM crm.demo_walk('crm.sales_order', 'status');

    -- Production orders for the recent lines, in every state.
    WITH ins AS (
        INSERT INTO crm.production_order (order_line_id, product_id, diameter_mm, length_m, quantity)
        SELECT l.id, l.product_id, (p.attributes->>'diameter_mm')::int, 12, l.quantity
        FROM crm.order_line l JOIN crm.product p ON p.id = l.product_id JOIN demo_order o ON o.id = l.order_id
        WHERE o.order_date >= last_month - 90
        RETURNING id)
    INSERT INTO demo_walk
    SELECT id, CASE id % 5 WHEN 0 THEN ARRAY['in_progress', 'quality_control', 'ready_for_shipment']
                           WHEN 1 THEN ARRAY['in_progress', 'quality_control'] WHEN 2 THEN ARRAY['in_progress']
                           WHEN 3 THEN ARRAY[]::text[] ELSE ARRAY['cancelled'] END
    FROM ins;
    PERFORM crm.demo_walk('crm.production_order', 'status');

    INSERT INTO crm.complaint (account_id, order_id, product_id, kind, severity, description, opened_at, closed_at)
    SELECT o.account_id, o.id, l.product_id, (ARRAY['quality', 'delivery', 'documentation', 'service'])[1 + floor(random() * 4)::int],
           (ARRAY['low', 'medium', 'high', 'critical'])[1 + floor(random() * 4)::int], 'Reported by the client',
           o.order_date + 30, CASE WHEN o.order_date < last_month - 60 THEN o.order_date + 45 END
    FROM demo_order o JOIN crm.order_line l ON l.order_id = o.id AND l.line_no = 1
    WHERE random() < 0.03;

    -- Deals in every stage.
    WITH ins AS (
        INSERT INTO crm.deal (account_id, title, amount, expected_close, probability)
        SELECT a.id, format('Pipeline supply, phase %s', g), round((50000 + random() * 2000000)::numeric, 2),
               last_month + floor(random() * 180)::int, round((random() * 100)::numeric, 0)
        FROM generate_series(1, 300 * scale) g JOIN demo_account a ON a.rn = 1 + (g * 7) % n_accounts
        RETURNING id)
    INSERT INTO demo_walk
    SELECT id, CASE id % 6 WHEN 0 THEN ARRAY[]::text[] WHEN 1 THEN ARRAY['qualified'] WHEN 2 THEN ARRAY['qualified', 'proposal']
                           WHEN 3 THEN ARRAY['qualified', 'proposal', 'negotiation']
                           WHEN 4 THEN ARRAY['qualified', 'proposal', 'negotiation', 'won'] ELSE ARRAY['qualified', 'lost'] END
    FROM ins;
    PERFORM crm.demo_walk('crm.deal', 'stage');

    WITH ins AS (
        INSERT INTO crm.lead (source, company_name, contact_first_name, contact_last_name, email, industry, region,
                              technical_requirements, expected_volume, deadline)
        SELECT (ARRAY['website', 'exhibition', 'tender'])[1 + g % 3], format('Prospect %s-%s', seed, g), 'Vasyl', 'Hnatiuk',
               format('lead%s@prospect-%s-%s.example.ua', g, seed, g),
               (ARRAY['water_supply', 'oil_gas', 'chemical', 'construction', 'utilities'])[1 + g % 5], 'Kyiv',
               format('GRP pipe DN%s PN10, delivery to site', (ARRAY[300, 500, 800])[1 + g % 3]), 100 * (1 + g % 20),
               last_month + 30 + g % 90
        FROM generate_series(1, 100 * scale) g
        RETURNING id)
    INSERT INTO demo_walk
    SELECT id, CASE id % 4 WHEN 0 THEN ARRAY[]::text[] WHEN 1 THEN ARRAY['contacted'] WHEN 2 THEN ARRAY['contacted', 'qualified']
                           ELSE ARRAY['contacted', 'disqualified'] END
    FROM ins;
    PERFORM crm.demo_walk('crm.lead', 'status');
    PERFORM crm.convert_lead(l.id) FROM crm.lead l WHERE l.status = 'qualified' AND l.id % 2 = 0;

    INSERT INTO crm.interaction (account_id, contact_id, channel, direction, occurred_at, subject, notes)
    SELECT c.account_id, CASE WHEN k % 3 <> 0 THEN c.id END,
           (ARRAY['call', 'email', 'meeting', 'chat', 'other'])[1 + floor(random() * 5)::int],
           CASE WHEN random() < 0.5 THEN 'in' ELSE 'out' END,
           first_month + floor(random() * 1080) * interval '1 day' + floor(random() * 36000) * interval '1 second',
           (ARRAY['Price request', 'Delivery schedule', 'Technical consultation', 'Invoice question'])[1 + k % 4], NULL
    FROM crm.contact c JOIN demo_account a ON a.id = c.account_id, generate_series(1, 2) k;

    -- Warehouse stock for every pipe, holds for the orders being produced, and shipments.
    PERFORM crm.receive_stock(p.id, w.id, round((400 + 2000 * random()) * scale)::numeric, 'opening balance')
    FROM demo_product p CROSS JOIN crm.warehouse w WHERE w.code IN ('KYIV', 'DNIPRO', 'LVIV');
    PERFORM crm.reserve_order(o.id, interval '14 days')
    FROM (SELECT o.id FROM demo_order d JOIN crm.sales_order o ON o.id = d.id
          WHERE o.status IN ('confirmed', 'in_production') ORDER BY o.order_date DESC, o.id LIMIT 20 * scale) o;
    PERFORM crm.confirm_shipment(crm.plan_shipment(o.id))
    FROM (SELECT DISTINCT l.order_id AS id FROM crm.reservation r JOIN crm.order_line l ON l.id = r.order_line_id
          WHERE r.status = 'active' ORDER BY 1 LIMIT 5 * scale) o;

    -- The credit side.
    INSERT INTO crm.credit_product (name, annual_rate_pct, collateral, description) VALUES
        ('Equipment leasing', 14.5, 'secured', 'Leasing of production equipment'),
        ('Working capital line', 19.9, 'unsecured', 'Revolving working-capital credit'),
        ('Project finance', 11.0, 'secured', 'Financing of infrastructure projects')
    ON CONFLICT (name) DO NOTHING;
    WITH ins AS (
        INSERT INTO crm.credit_application (account_id, product_id, amount, term_months)
        SELECT a.id, (SELECT min(id) FROM crm.credit_product) + g % 3, 100000 * (1 + g % 40), (ARRAY[12, 24, 36, 60])[1 + g % 4]
        FROM generate_series(1, 20 * scale) g JOIN demo_account a ON a.rn = 1 + (g * 13) % n_accounts
        RETURNING id)
    INSERT INTO demo_walk
    SELECT id, CASE id % 4 WHEN 0 THEN ARRAY[]::text[] WHEN 1 THEN ARRAY['started'] WHEN 2 THEN ARRAY['refused']
                           ELSE ARRAY['started', 'finished'] END
    FROM ins;
    PERFORM crm.demo_walk('crm.credit_application', 'status');

    -- The IT-services side: teams, projects, tasks, comments, documents, knowledge base.
    INSERT INTO crm.team (name) VALUES (format('Integration team %s', seed)), (format('Support team %s', seed));
    INSERT INTO crm.team_member (team_id, member, is_lead)
    SELECT t.id, m, m = 'dev_andrii' FROM crm.team t, unnest(ARRAY['dev_andrii', 'dev_natalia', 'dev_serhii']) m
    WHERE t.name LIKE format('%% team %s', seed);
    WITH ins AS (
        INSERT INTO crm.project (account_id, team_id, name, budget, status, starts_on)
        SELECT a.id, (SELECT min(id) FROM crm.team WHERE name LIKE format('%% team %s', seed)) + g % 2,
               format('MES integration %s', g), 150000 * g, (ARRAY['planned', 'active', 'completed'])[1 + g % 3], last_month - 30 * g
        FROM generate_series(1, 5) g JOIN demo_account a ON a.rn = g
        RETURNING id)
    INSERT INTO crm.task (project_id, title, due_date, budget)
    SELECT p.id, format('Task %s of project %s', k, p.id), last_month + 10 * k - 30, 5000 * k
    FROM ins p, generate_series(1, 4) k;
    INSERT INTO crm.task_assignee (task_id, assignee)
    SELECT t.id, m FROM crm.task t, unnest(ARRAY['dev_natalia', 'dev_serhii']) m
    WHERE t.project_id IN (SELECT id FROM crm.project WHERE name LIKE 'MES integration %') AND t.id % 2 = 0
    ON CONFLICT DO NOTHING;
    INSERT INTO crm.comment (task_id, body) SELECT id, 'Waiting for the MES test environment' FROM crm.task WHERE id % 3 = 0;
    INSERT INTO crm.comment (project_id, body) SELECT id, 'Kick-off meeting held' FROM crm.project;
    INSERT INTO crm.knowledge_article (topic, title, body) VALUES
        ('installation', 'Laying GRP pipe in frozen ground', 'Use a sand bed of at least 150 mm and ...'),
        ('sales', 'Answering a tender for water supply', 'Attach the DSTU EN 1796 certificate and ...');
    INSERT INTO crm.comment (article_id, body) SELECT id, 'Useful, thanks' FROM crm.knowledge_article;
    INSERT INTO crm.document (title, file_name, mime_type, content, account_id, project_id)
    SELECT format('Technical specification %s', p.id), format('spec-%s.txt', p.id), 'text/plain',
           convert_to(format('Pipe specification for %s', p.name), 'UTF8'), p.account_id, p.id
    FROM crm.project p;

    FOR table_name IN SELECT c.oid::regclass::text FROM pg_class c
                      WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind = 'r' ORDER BY c.relname LOOP
        EXECUTE format('SELECT count(*) FROM %s', table_name) INTO row_count;
        RETURN NEXT;
    END LOOP;
END $$;
COMMENT ON FUNCTION crm.generate_demo_data(integer, integer) IS
    'Deterministic demo data: ~1,000 accounts and ~50,000 order lines per unit of scale over the 36 months before this one';
-- Last part of the install script.

-- Attachments made by the install script are recreated by CREATE EXTENSION;
-- pg_dump keeps the ones users make.
UPDATE crm.workflow_attachment SET builtin = true;
SELECT pg_catalog.pg_extension_config_dump('crm.workflow_attachment', 'WHERE NOT builtin');

DROP FUNCTION crm.register_table(regclass);
