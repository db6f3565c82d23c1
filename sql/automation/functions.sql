-- Running automation rules (docs/automation.md): checking a rule, its
-- condition and its built-in actions, synchronous rules inside the emitting
-- transaction, asynchronous ones and the sweeps from jobs.

CREATE OR REPLACE VIEW crm.automation_rules AS
SELECT r.id, r.name, r.description, r.kind, r.condition, r.action, r.params, r.mode, r.mode = 'sync' AS sync,
       coalesce(s.enabled, r.enabled) AS enabled, CASE WHEN s.rule IS NULL THEN r.created_at ELSE s.enabled_at END AS active_since,
       r.max_attempts, r.retry_delay, r.builtin, r.created_by
FROM crm.automation_rule r LEFT JOIN crm.automation_rule_setting s ON s.rule = r.name;
COMMENT ON VIEW crm.automation_rules IS
    'Every rule as it runs: enabled by its own flag or crm.set_automation_rule, and the events since active_since are its business';

-- How events of a kind are emitted now (crm.record_event, crm.emit_row_event):
-- 'off' (switched off), 'rules' (on, with synchronous rules to run), 'on';
-- NULL for an unknown kind. A standard body: bound once, nothing to pin, so
-- no settings saved and restored per call.
CREATE OR REPLACE FUNCTION crm.event_kind_mode(kind text) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (SELECT CASE WHEN NOT coalesce(s.enabled, true) THEN 'off'
                        WHEN EXISTS (SELECT FROM crm.automation_rules r WHERE r.kind = k.kind AND r.sync AND r.enabled) THEN 'rules'
                        ELSE 'on' END
            FROM crm.event_kind k LEFT JOIN crm.event_kind_setting s ON s.kind = k.kind
            WHERE k.kind = event_kind_mode.kind);
COMMENT ON FUNCTION crm.event_kind_mode(text) IS
    'How a kind is emitted now: off, on, or rules (on, with synchronous automation rules); NULL for an unknown kind';

-- An administrator's SQL (a rule's condition or key, a sweep's query) runs
-- with crm_admin's rights, whoever fires it: sql/security makes crm_admin the
-- owner of these two, so a rule cannot do what its author could not.
CREATE OR REPLACE FUNCTION crm.automation_value(expression text, payload jsonb, event crm.event) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    value text;
BEGIN
    PERFORM crm.require_arg(expression, 'expression');
    EXECUTE format('SELECT (%s)::text FROM (SELECT $1 AS payload, $2 AS event) input', expression) INTO value USING payload, event;
    RETURN value;
END $$;
COMMENT ON FUNCTION crm.automation_value(text, jsonb, crm.event) IS
    'The value of a SQL expression over payload (jsonb) and event (crm.event), with crm_admin''s rights';

CREATE OR REPLACE FUNCTION crm.automation_sweep_rows(query text)
    RETURNS TABLE (entity text, entity_key text, payload jsonb)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM crm.require_arg(query, 'query');
    RETURN QUERY EXECUTE format('SELECT q.* FROM (%s) AS q(entity, entity_key, payload)', query);
END $$;
COMMENT ON FUNCTION crm.automation_sweep_rows(text) IS 'The rows of a sweep''s query (entity, entity_key, payload), with crm_admin''s rights';

-- A rule is checked when it is written: its condition and key must be
-- expressions over payload and event, its params what its action needs.
CREATE OR REPLACE FUNCTION crm.automation_rule_check() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p jsonb := NEW.params;
    part text;
    expression text;
    problem text;
    tbl regclass;
    attached text;
BEGIN
    -- Parsed and planned, never run (WHERE false; one statement: it has a parameter);
    -- a condition must be boolean.
    FOREACH part IN ARRAY ARRAY['condition', 'key'] LOOP
        expression := CASE part WHEN 'condition' THEN NEW.condition WHEN 'key' THEN CASE WHEN NEW.action = 'move' THEN p ->> 'key' END END;
        CONTINUE WHEN expression IS NULL;
        BEGIN
            EXECUTE format(CASE part WHEN 'condition' THEN 'SELECT CASE WHEN (%s) THEN 1 END' ELSE 'SELECT (%s)::text' END
                           || ' FROM (SELECT $1 AS payload, NULL::crm.event AS event) input WHERE false', expression)
                USING NULL::jsonb;
        EXCEPTION WHEN syntax_error_or_access_rule_violation OR invalid_text_representation THEN
            GET STACKED DIAGNOSTICS problem = MESSAGE_TEXT;
            RAISE EXCEPTION 'automation rule "%": its % is not an expression over payload and event: %', NEW.name, part, problem
                USING ERRCODE = 'check_violation',
                      HINT = 'For example: (payload ->> ''total'')::numeric > 100000. Name tables and functions with their schema.';
        END;
    END LOOP;
    CASE NEW.action
    WHEN 'task' THEN
        IF jsonb_typeof(p -> 'title') IS DISTINCT FROM 'string' OR btrim(p ->> 'title') = '' THEN
            problem := 'a task needs a "title" (text, {field} takes a payload field)';
        ELSIF p ? 'due_in' AND (jsonb_typeof(p -> 'due_in') <> 'string' OR p ->> 'due_in' !~ '^\s*[0-9]+\s+(days?|weeks?)\s*$') THEN
            problem := '"due_in" must be a number of days or weeks, such as "3 days"';
        ELSIF p ? 'assignee' AND p ->> 'assignee' NOT IN ('manager', 'owner') THEN
            problem := '"assignee" must be "manager" or "owner"';
        END IF;
    WHEN 'production_orders' THEN
        IF NEW.kind IS DISTINCT FROM 'sales_order.confirmed' THEN
            problem := 'production orders are made for a sales_order.confirmed event';
        END IF;
    WHEN 'move' THEN
        tbl := crm.inbound_table(p ->> 'table');
        SELECT a.workflow INTO attached FROM crm.workflow_attachment a WHERE a.table_name = tbl;
        IF attached IS NULL THEN
            problem := format('"table" must name a table with a workflow, not %s', coalesce(p ->> 'table', 'nothing'));
        ELSIF jsonb_typeof(p -> 'key') IS DISTINCT FROM 'string' THEN
            problem := '"key" must be an expression giving the row''s key, such as "payload ->> ''order_id''"';
        ELSIF NOT EXISTS (SELECT FROM crm.workflow_state s WHERE s.workflow = attached AND s.code = p ->> 'to') THEN
            problem := format('"to" must be a state of workflow %s, not %s', attached, coalesce(p ->> 'to', 'nothing'));
        ELSIF p ? 'from' AND (jsonb_typeof(p -> 'from') <> 'array'
                              OR EXISTS (SELECT FROM jsonb_array_elements_text(p -> 'from') f
                                         WHERE NOT EXISTS (SELECT FROM crm.workflow_state s WHERE s.workflow = attached AND s.code = f))) THEN
            problem := format('"from" must be an array of states of workflow %s', attached);
        END IF;
    WHEN 'emit' THEN
        IF NOT EXISTS (SELECT FROM crm.event_kind k WHERE k.kind = p ->> 'kind' AND k.source IS NULL) THEN
            problem := format('"kind" must be a kind emitted by calls (crm.add_event_kind), not %s', coalesce(p ->> 'kind', 'nothing'));
        ELSIF p ? 'payload' AND jsonb_typeof(p -> 'payload') <> 'object' THEN
            problem := '"payload" must be an object, added to the event''s';
        END IF;
    END CASE;
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'automation rule "%" (%): %', NEW.name, NEW.action, problem USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER check_rule BEFORE INSERT OR UPDATE ON crm.automation_rule
    FOR EACH ROW EXECUTE FUNCTION crm.automation_rule_check();

CREATE OR REPLACE FUNCTION crm.set_automation_rule(rule text, enabled boolean) RETURNS void
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
BEGIN
    PERFORM crm.require_arg(rule, 'rule');
    PERFORM crm.require_arg(enabled, 'enabled');
    IF NOT EXISTS (SELECT FROM crm.automation_rule r WHERE r.name = rule) THEN
        RAISE EXCEPTION 'automation rule "%" does not exist', rule USING ERRCODE = 'undefined_object',
            HINT = 'The rules are in crm.automation_rules.';
    END IF;
    INSERT INTO crm.automation_rule_setting AS s (rule, enabled, enabled_at, changed_by)
    VALUES (rule, enabled, CASE WHEN enabled THEN now() END, crm.acting_role())
    ON CONFLICT ON CONSTRAINT automation_rule_setting_pkey DO UPDATE
        SET enabled = EXCLUDED.enabled, changed_by = EXCLUDED.changed_by, changed_at = now(),
            enabled_at = CASE WHEN s.enabled AND EXCLUDED.enabled THEN s.enabled_at ELSE EXCLUDED.enabled_at END;
END $$;
COMMENT ON FUNCTION crm.set_automation_rule(text, boolean) IS
    'Switches a rule on (for events from now on) or off; kept by pg_dump, for the seeded rules too';

-- {field} in a template becomes the payload's field (nothing when it has none).
CREATE OR REPLACE FUNCTION crm.fill_template(template text, payload jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (SELECT string_agg(s.piece || coalesce(payload ->> f.field[1], ''), '' ORDER BY s.n)
              FROM unnest(regexp_split_to_array(template, '\{\w+\}')) WITH ORDINALITY AS s(piece, n)
              LEFT JOIN regexp_matches(template, '\{(\w+)\}', 'g') WITH ORDINALITY AS f(field, n) ON f.n = s.n);
COMMENT ON FUNCTION crm.fill_template(text, jsonb) IS 'The template with each {field} replaced by that field of the payload';

-- The action "task": a task for the client's manager (or the record's owner),
-- about the client or lead of the event, due after due_in.
CREATE OR REPLACE FUNCTION crm.automation_task(rule crm.automation_rules, e crm.event) RETURNS text
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    account crm.account;
    lead_id bigint;
    deal_id bigint;
    assignee name;
    task_id bigint;
BEGIN
    SELECT * INTO account FROM crm.account a
    WHERE a.id = CASE WHEN e.entity = 'crm.account' THEN e.entity_key::bigint ELSE (e.payload ->> 'account_id')::bigint END;
    lead_id := CASE WHEN e.entity = 'crm.lead' THEN e.entity_key::bigint END;
    deal_id := CASE WHEN e.entity = 'crm.deal' THEN e.entity_key::bigint END;
    assignee := CASE coalesce(rule.params ->> 'assignee', 'manager')
                WHEN 'manager' THEN coalesce(account.manager, account.owner, (e.payload ->> 'owner')::name, e.actor)
                ELSE coalesce((e.payload ->> 'owner')::name, account.owner, e.actor) END;
    INSERT INTO crm.task (title, description, due_date, owner, account_id, lead_id, deal_id)
    VALUES (left(crm.fill_template(rule.params ->> 'title', e.payload), 500),
            format('Made by automation rule "%s" for event %s (%s of %s %s).', rule.name, e.id, e.kind, e.entity, e.entity_key),
            current_date + coalesce(rule.params ->> 'due_in', '1 day')::interval, assignee, account.id, lead_id, deal_id)
    RETURNING id INTO task_id;
    RETURN format('task %s for %s', task_id, assignee);
END $$;

-- The action "production_orders": one production order per line of the
-- confirmed order whose product is made to order and has none yet. The order
-- and its lines are read from the tables, not from the payload.
CREATE OR REPLACE FUNCTION crm.automation_production_orders(rule crm.automation_rules, e crm.event) RETURNS text
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    sales_order bigint := e.entity_key::bigint;
    missing text;
    made bigint;
BEGIN
    IF e.entity <> 'crm.sales_order' THEN
        RAISE EXCEPTION 'production orders are made for a sales order, not for % %', e.entity, e.entity_key
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT string_agg(DISTINCT p.sku, ', ') INTO missing
    FROM crm.order_line l JOIN crm.product p ON p.id = l.product_id
    WHERE l.order_id = sales_order AND p.made_to_order
      AND (jsonb_typeof(p.attributes -> 'diameter_mm') IS DISTINCT FROM 'number' OR jsonb_typeof(p.attributes -> 'length_m') IS DISTINCT FROM 'number');
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'order % cannot go to production: product % has no diameter_mm or length_m', sales_order, missing
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Give the product its pipe attributes (docs/catalog.md).';
    END IF;
    INSERT INTO crm.production_order (order_line_id, product_id, diameter_mm, length_m, quantity)
    SELECT l.id, l.product_id, (p.attributes ->> 'diameter_mm')::integer, (p.attributes ->> 'length_m')::numeric, l.quantity
    FROM crm.order_line l JOIN crm.product p ON p.id = l.product_id
    WHERE l.order_id = sales_order AND p.made_to_order
      AND NOT EXISTS (SELECT FROM crm.production_order x WHERE x.order_line_id = l.id)
    ORDER BY l.line_no;
    GET DIAGNOSTICS made = ROW_COUNT;
    RETURN format('%s production orders', made);
END $$;

-- The action "move": the row the key expression names moves to "to", when it
-- is in one of the "from" states (any, when none are given).
CREATE OR REPLACE FUNCTION crm.automation_move(rule crm.automation_rules, e crm.event) RETURNS text
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    target record := crm.inbound_target(rule.params ->> 'table');
    key text := crm.automation_value(rule.params ->> 'key', e.payload, e);
    current_status text;
    rows_found bigint;
BEGIN
    IF key IS NULL THEN
        RETURN 'no row: the key is NULL';
    END IF;
    EXECUTE format('SELECT %I FROM %s WHERE %I = $1::%s FOR UPDATE', target.status_column, target.tbl, target.key_column, target.key_type)
        INTO current_status USING key;
    GET DIAGNOSTICS rows_found = ROW_COUNT;
    IF rows_found = 0 THEN
        RAISE EXCEPTION '% row % does not exist', target.tbl, key USING ERRCODE = 'PC003';
    END IF;
    IF current_status = rule.params ->> 'to'
       OR (rule.params ? 'from' AND NOT rule.params -> 'from' ? current_status) THEN
        RETURN format('%s %s left in %s', target.tbl, key, current_status);
    END IF;
    EXECUTE format('UPDATE %s SET %I = $1 WHERE %I = $2::%s', target.tbl, target.status_column, target.key_column, target.key_type)
        USING rule.params ->> 'to', key;
    RETURN format('%s %s moved from %s to %s', target.tbl, key, current_status, rule.params ->> 'to');
END $$;

-- Runs one rule on one event, one level deeper than the event: the events the
-- action emits carry that depth, and a rule past pgcrm.automation_max_depth
-- fails, so rules that fire each other stop. Returns what it did.
CREATE OR REPLACE FUNCTION crm.run_rule(rule crm.automation_rules, e crm.event) RETURNS text
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    max_depth integer := coalesce(current_setting('pgcrm.automation_max_depth', true), '8')::integer;
    outer_depth text := coalesce(current_setting('pgcrm.automation_depth', true), '0');
    result text;
BEGIN
    IF e.depth >= max_depth THEN
        RAISE EXCEPTION 'automation rule "%" would run % levels deep on % event %, past pgcrm.automation_max_depth (%)',
            rule.name, e.depth + 1, e.kind, e.id, max_depth
            USING ERRCODE = 'PC044', HINT = 'Rules that emit events fire each other: find the loop in crm.automation_rules.';
    END IF;
    IF rule.condition IS NOT NULL AND crm.automation_value(rule.condition, e.payload, e) IS DISTINCT FROM 'true' THEN
        RETURN 'condition not met';
    END IF;
    PERFORM set_config('pgcrm.automation_depth', (e.depth + 1)::text, true);
    result := CASE rule.action
        WHEN 'task' THEN crm.automation_task(rule, e)
        WHEN 'production_orders' THEN crm.automation_production_orders(rule, e)
        WHEN 'move' THEN crm.automation_move(rule, e)
        WHEN 'emit' THEN format('event %s', crm.record_event(rule.params ->> 'kind', e.entity, e.entity_key,
                                                               e.payload || coalesce(rule.params -> 'payload', '{}')))
        END;
    PERFORM set_config('pgcrm.automation_depth', outer_depth, true);
    RETURN result;
END $$;
COMMENT ON FUNCTION crm.run_rule(crm.automation_rules, crm.event) IS
    'Runs a rule on an event if its condition holds: the action''s changes and events are one level deeper';

-- The synchronous rules of an event, in the emitting transaction. A failure
-- aborts the change, naming the rule (PC043); a loop's PC044, and a nested
-- rule's PC043, go up as they are.
CREATE OR REPLACE FUNCTION crm.run_sync_rules(e crm.event) RETURNS void
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    rule crm.automation_rules;
    code text;
    problem text;
BEGIN
    FOR rule IN SELECT * FROM crm.automation_rules r WHERE r.kind = e.kind AND r.sync AND r.enabled ORDER BY r.id LOOP
        BEGIN
            PERFORM crm.run_rule(rule, e);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, problem = MESSAGE_TEXT;
            IF code IN ('PC043', 'PC044') THEN
                RAISE;
            END IF;
            RAISE EXCEPTION 'automation rule "%" failed on % event % (% %): %', rule.name, e.kind, e.id, e.entity, e.entity_key, problem
                USING ERRCODE = 'PC043', DETAIL = format('The rule''s action raised SQLSTATE %s.', code),
                      HINT = format('Fix the cause, or switch the rule off: crm.set_automation_rule(%L, false).', rule.name);
        END;
    END LOOP;
END $$;

-- The automation job: takes the new events from the outbox (as the consumer
-- pgcrm.automation), makes a run for each asynchronous rule that wants one,
-- then runs what is due: a failure is logged and retried after retry_delay,
-- doubled at each attempt, until max_attempts. It and the sweeps job run as
-- the extension's owner: rules act for the system, whoever runs the job.
CREATE OR REPLACE FUNCTION crm_dw.run_automation(rebuild boolean, OUT mode text, OUT rows_touched bigint, OUT message text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    read bigint := 0::bigint;
    upto bigint;
    batch bigint;
    run crm.automation_run;
    rule crm.automation_rules;
    e crm.event;
    outcome text;
    code text;
    problem text;
    done bigint := 0::bigint;
    retried bigint := 0::bigint;
    dead bigint := 0::bigint;
    pruned bigint;
BEGIN
    mode := 'run';
    LOOP
        SELECT count(*), max(c.position) INTO batch, upto FROM crm.consume_events('pgcrm.automation', 1000) c;
        EXIT WHEN batch = 0;
        INSERT INTO crm.automation_run (rule_id, event_id, next_attempt_at)
        SELECT r.id, x.id, now() FROM crm.event x JOIN crm.automation_rules r ON r.kind = x.kind
        WHERE x.position > (SELECT c.position FROM crm.event_consumer c WHERE c.consumer = 'pgcrm.automation') AND x.position <= upto
          AND NOT r.sync AND r.enabled AND x.occurred_at >= r.active_since
        ORDER BY x.position, r.id
        ON CONFLICT (rule_id, event_id) DO NOTHING;
        PERFORM crm.ack_events('pgcrm.automation', upto);
        read := read + batch;
        EXIT WHEN batch < 1000 OR read >= 100000;
    END LOOP;
    FOR run IN SELECT * FROM crm.automation_run u WHERE u.status IN ('pending', 'failed') AND u.next_attempt_at <= now()
               ORDER BY u.next_attempt_at, u.id LIMIT 1000 FOR UPDATE SKIP LOCKED LOOP
        SELECT * INTO rule FROM crm.automation_rules r WHERE r.id = run.rule_id;
        SELECT * INTO e FROM crm.event x WHERE x.id = run.event_id;
        IF NOT rule.enabled OR e.id IS NULL THEN
            UPDATE crm.automation_run SET status = 'skipped', next_attempt_at = NULL, finished_at = now(),
                result = CASE WHEN e.id IS NULL THEN 'the event is no longer kept' ELSE 'the rule was switched off' END
            WHERE id = run.id;
            CONTINUE;
        END IF;
        BEGIN
            outcome := crm.run_rule(rule, e);
            UPDATE crm.automation_run SET status = 'succeeded', attempts = attempts + 1, next_attempt_at = NULL, result = outcome,
                sqlstate = NULL, error = NULL, finished_at = now()
            WHERE id = run.id;
            done := done + 1;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, problem = MESSAGE_TEXT;
            -- A loop does not heal by waiting.
            IF run.attempts + 1 >= rule.max_attempts OR code = 'PC044' THEN
                UPDATE crm.automation_run SET status = 'dead', attempts = attempts + 1, next_attempt_at = NULL, sqlstate = code,
                    error = problem, finished_at = now()
                WHERE id = run.id;
                dead := dead + 1;
                RAISE WARNING 'automation rule "%" gave up on event % at attempt %: %', rule.name, e.id, run.attempts + 1, problem;
            ELSE
                UPDATE crm.automation_run SET status = 'failed', attempts = attempts + 1, sqlstate = code, error = problem,
                    next_attempt_at = now() + rule.retry_delay * power(2, run.attempts)
                WHERE id = run.id;
                retried := retried + 1;
            END IF;
        END;
    END LOOP;
    DELETE FROM crm.automation_run u WHERE u.finished_at < now() - crm.event_retention(NULL);
    GET DIAGNOSTICS pruned = ROW_COUNT;
    rows_touched := read + done + retried + dead + pruned;
    message := format('%s events read; runs: %s succeeded, %s failed and will be retried, %s gave up; %s old runs pruned',
                      read, done, retried, dead, pruned);
END $$;

SELECT crm_dw.register_job('automation', 97, 'crm_dw.run_automation(boolean)', false, '* * * * *',
                           'run the asynchronous automation rules on new events, retry the failed runs');

-- The automation_sweeps job: the sweeps that some enabled rule listens to emit
-- their kind for each row not emitted within cooldown.
CREATE OR REPLACE FUNCTION crm_dw.run_automation_sweeps(rebuild boolean, OUT mode text, OUT rows_touched bigint, OUT message text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    sweep crm.automation_sweep;
    found_rows record;
    emitted bigint := 0::bigint;
    swept text[] := '{}'::text[];
BEGIN
    mode := 'run';
    FOR sweep IN SELECT * FROM crm.automation_sweep s
                 WHERE EXISTS (SELECT FROM crm.automation_rules r WHERE r.kind = s.kind AND r.enabled) ORDER BY s.kind LOOP
        FOR found_rows IN
            SELECT w.* FROM crm.automation_sweep_rows(sweep.query) w
            WHERE NOT EXISTS (SELECT FROM crm.automation_sweep_state t
                              WHERE t.kind = sweep.kind AND t.entity_key = w.entity_key AND t.emitted_at > now() - sweep.cooldown)
        LOOP
            PERFORM crm.record_event(sweep.kind, found_rows.entity, found_rows.entity_key, found_rows.payload);
            INSERT INTO crm.automation_sweep_state AS t (kind, entity_key, emitted_at) VALUES (sweep.kind, found_rows.entity_key, now())
            ON CONFLICT ON CONSTRAINT automation_sweep_state_pkey DO UPDATE SET emitted_at = EXCLUDED.emitted_at;
            emitted := emitted + 1;
        END LOOP;
        swept := swept || sweep.kind;
    END LOOP;
    rows_touched := emitted;
    message := format('%s events from %s', emitted, coalesce(nullif(array_to_string(swept, ', '), ''), 'no sweep (no enabled rule listens)'));
END $$;

SELECT crm_dw.register_job('automation_sweeps', 95, 'crm_dw.run_automation_sweeps(boolean)', false, '30 6 * * *',
                           'emit the events that come with time (churn risk, no order for 180 days) for the rules that listen');
