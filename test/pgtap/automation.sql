-- Automation rules: the seeded ones, checking a rule when it is written, each
-- built-in action, synchronous failure undoing the change, asynchronous
-- failure retried with a doubling delay until it gives up, the depth limit,
-- and the sweeps for conditions that come with time.
BEGIN;
SELECT plan(55);
\ir ../lib/pgtap.sql

-- Seeded rules -------------------------------------------------------------------------------
SELECT results_eq($$SELECT name, kind, action, mode, enabled FROM crm.automation_rules WHERE builtin ORDER BY id$$,
    $$VALUES ('production_for_confirmed_order', 'sales_order.confirmed', 'production_orders', 'sync', false),
             ('call_client_at_churn_risk', 'account.churn_risk', 'task', 'async', false),
             ('offer_after_180_days', 'account.no_order_180d', 'task', 'async', false),
             ('first_contact_for_new_lead', 'lead.created', 'task', 'async', false),
             ('order_shipped_with_shipment', 'shipment.shipped', 'move', 'sync', false),
             ('collect_overdue_invoice', 'invoice.overdue', 'task', 'async', false),
             ('remind_installment_due', 'installment.due_soon', 'task', 'async', false)$$,
    'the domain''s rules are seeded, switched off');
SELECT set_eq('SELECT kind FROM crm.automation_sweep',
    ARRAY['account.churn_risk', 'account.no_order_180d', 'invoice.overdue', 'installment.due_soon'],
    'four sweeps emit the events that come with time');
SELECT is_empty($$SELECT name FROM crm.automation_rule r WHERE builtin
                  AND (SELECT count(*) FROM crm.automation_rule x WHERE x.name = r.name AND x.action = r.action) <> 1$$,
    'sanity: each seeded rule once');
-- Each seeded rule passes the check a rule gets when it is written.
SELECT lives_ok($$UPDATE crm.automation_rule SET description = description WHERE builtin$$, 'the seeded rules pass the rule check');

-- Checking rules -----------------------------------------------------------------------------
SELECT throws_ok($$INSERT INTO crm.automation_rule (name, kind, condition, action, params)
                   VALUES ('r1', 'lead.created', 'payload ->> nosuch = 1', 'task', '{"title": "x"}')$$, '23514',
    'automation rule "r1": its condition is not an expression over payload and event: column "nosuch" does not exist',
    'a condition that is not an expression over payload and event');
SELECT throws_ok($$INSERT INTO crm.automation_rule (name, kind, condition, action, params)
                   VALUES ('r1', 'lead.created', '1) OR (true', 'task', '{"title": "x"}')$$, '23514', NULL, '... or not an expression at all');
SELECT throws_ok($$INSERT INTO crm.automation_rule (name, kind, condition, action, params)
                   VALUES ('r1', 'lead.created', 'payload ->> ''source''', 'task', '{"title": "x"}')$$, '23514', NULL, '... or not boolean');
SELECT throws_ok($$INSERT INTO crm.automation_rule (name, kind, action, params) VALUES ('r1', 'lead.created', 'task', '{}')$$,
    '23514', 'automation rule "r1" (task): a task needs a "title" (text, {field} takes a payload field)', 'a task needs a title');
SELECT throws_ok($$INSERT INTO crm.automation_rule (name, kind, action, params)
                   VALUES ('r1', 'lead.created', 'task', '{"title": "x", "due_in": "soon"}')$$, '23514', NULL, '... a due_in in days or weeks');
SELECT throws_ok($$INSERT INTO crm.automation_rule (name, kind, action, params)
                   VALUES ('r1', 'lead.created', 'task', '{"title": "x", "assignee": "boss"}')$$, '23514', NULL, '... a manager or owner');
SELECT throws_ok($$INSERT INTO crm.automation_rule (name, kind, action) VALUES ('r1', 'lead.created', 'production_orders')$$,
    '23514', 'automation rule "r1" (production_orders): production orders are made for a sales_order.confirmed event',
    'production orders come from confirmed orders');
SELECT throws_ok($$INSERT INTO crm.automation_rule (name, kind, action, params)
                   VALUES ('r1', 'lead.created', 'move', '{"table": "crm.account", "key": "1", "to": "x"}')$$, '23514', NULL,
    'a move needs a table with a workflow');
SELECT throws_ok($$INSERT INTO crm.automation_rule (name, kind, action, params)
                   VALUES ('r1', 'lead.created', 'move', '{"table": "crm.lead", "key": "payload ->> ''id''", "to": "won"}')$$, '23514',
    'automation rule "r1" (move): "to" must be a state of workflow lead, not won', '... a state of its workflow');
SELECT throws_ok($$INSERT INTO crm.automation_rule (name, kind, action, params)
                   VALUES ('r1', 'lead.created', 'emit', '{"kind": "lead.created"}')$$, '23514', NULL,
    'an emitted kind is one emitted by calls');
SELECT throws_ok($$INSERT INTO crm.automation_rule (name, kind, action, params) VALUES ('r1', 'no.such', 'task', '{"title": "x"}')$$, '23503', NULL,
    'a rule listens to a known kind');
SELECT throws_ok($$SELECT crm.set_automation_rule('no_such', true)$$, '42704', 'automation rule "no_such" does not exist', 'an unknown rule');

-- A confirmed order goes to production (synchronous) -----------------------------------------------
INSERT INTO crm.account (id, name, manager, owner) VALUES (950001, 'Vodokanal Auto', 'auto_mgr', 'auto_owner'),
                                                          (950002, 'Naftobud Auto', NULL, 'auto_owner2');
INSERT INTO crm.product (id, sku, name, kind, list_price, made_to_order, attributes) VALUES
    (950001, 'AUTO-P300', 'GRP pipe DN300', 'goods', 10, true, '{"diameter_mm": 300, "length_m": 12}'),
    (950002, 'AUTO-SRV', 'Installation', 'service', 10, false, '{}'),
    (950003, 'AUTO-BARE', 'Pipe without specs', 'goods', 10, true, '{}');
INSERT INTO crm.sales_order (id, account_id) VALUES (950001, 950001), (950002, 950001);
INSERT INTO crm.order_line (id, order_id, line_no, product_id, quantity, unit_price) VALUES
    (950001, 950001, 1, 950001, 120, 10), (950002, 950001, 2, 950002, 1, 10), (950003, 950001, 3, 950001, 60, 10),
    (950004, 950002, 1, 950003, 5, 10);
INSERT INTO crm.production_order (product_id, order_line_id, diameter_mm, length_m, quantity) VALUES (950001, 950003, 300, 12, 60);
SELECT crm.set_automation_rule('production_for_confirmed_order', true);
UPDATE crm.sales_order SET status = 'confirmed' WHERE id = 950001;
SELECT results_eq($$SELECT order_line_id, diameter_mm, length_m, quantity::numeric, status FROM crm.production_order
                    WHERE order_line_id BETWEEN 950001 AND 950004 ORDER BY order_line_id, id$$,
    $$VALUES (950001::bigint, 300, 12.00, 120::numeric, 'accepted'), (950003, 300, 12.00, 60, 'accepted')$$,
    'confirming an order makes a production order for each made-to-order line that has none');
SELECT results_eq($$SELECT depth FROM crm.event WHERE kind = 'production_order.created'
                    AND payload ->> 'order_line_id' = '950001'$$, ARRAY[1::smallint], '... whose events are one level deeper');
SELECT throws_ok($$UPDATE crm.sales_order SET status = 'confirmed' WHERE id = 950002$$, 'PC043',
    format('automation rule "production_for_confirmed_order" failed on sales_order.confirmed event %s (crm.sales_order 950002): '
           'order 950002 cannot go to production: product AUTO-BARE has no diameter_mm or length_m',
           (SELECT max(id) + 1 FROM crm.event)),
    'a synchronous rule that fails undoes the change and names the rule');
SELECT is((SELECT status FROM crm.sales_order WHERE id = 950002), 'draft', '... the order is still a draft');
SELECT is((pg_temp.error_of($$UPDATE crm.sales_order SET status = 'confirmed' WHERE id = 950002$$))[3],
    'The rule''s action raised SQLSTATE 55000.', '... and the detail gives the action''s own SQLSTATE');
SELECT crm.set_automation_rule('production_for_confirmed_order', false);
SELECT lives_ok($$UPDATE crm.sales_order SET status = 'confirmed' WHERE id = 950002$$, 'a rule switched off does nothing');

-- Moving a related row (synchronous) --------------------------------------------------------------
SELECT crm.set_automation_rule('order_shipped_with_shipment', true);
UPDATE crm.sales_order SET status = 'in_production' WHERE id = 950001;
UPDATE crm.sales_order SET status = 'ready' WHERE id = 950001;
INSERT INTO crm.shipment (id, order_id) VALUES (950001, 950001), (950002, 950002);
UPDATE crm.shipment SET status = 'shipped' WHERE id IN (950001, 950002);
SELECT results_eq($$SELECT id, status FROM crm.sales_order WHERE id IN (950001, 950002) ORDER BY id$$,
    $$VALUES (950001::bigint, 'shipped'), (950002, 'confirmed')$$,
    'a shipped shipment moves its ready order to shipped, and leaves one in another state alone');
SELECT crm.set_automation_rule('order_shipped_with_shipment', false);

-- Loops stop --------------------------------------------------------------------------------------
SELECT crm.add_event_kind('auto.ping', 'ping');
SELECT crm.add_event_kind('auto.pong', 'pong');
INSERT INTO crm.automation_rule (name, kind, action, params, mode, enabled) VALUES
    ('ping_pong', 'auto.ping', 'emit', '{"kind": "auto.pong", "payload": {"via": "ping_pong"}}', 'sync', true),
    ('pong_ping', 'auto.pong', 'emit', '{"kind": "auto.ping"}', 'sync', true);
SELECT throws_ok($$SELECT crm.emit_event('auto.ping', 'crm.account', '950001')$$, 'PC044',
    format('automation rule "ping_pong" would run 9 levels deep on auto.ping event %s, past pgcrm.automation_max_depth (8)',
           (SELECT max(id) + 9 FROM crm.event)),
    'rules that fire each other stop at pgcrm.automation_max_depth with a clear error');
SET pgcrm.automation_max_depth = 3;
SELECT throws_ok($$SELECT crm.emit_event('auto.ping', 'crm.account', '950001')$$, 'PC044', NULL, '... which a superuser may set');
RESET pgcrm.automation_max_depth;
UPDATE crm.automation_rule SET enabled = false WHERE name = 'pong_ping';
SELECT ok(crm.emit_event('auto.ping', 'crm.account', '950001', '{"n": 1}') IS NOT NULL, 'without the loop, emit works');
SELECT results_eq($$SELECT kind, depth, payload FROM crm.event WHERE kind LIKE 'auto.%' ORDER BY id DESC LIMIT 2$$,
    $$VALUES ('auto.pong', 1::smallint, '{"n": 1, "via": "ping_pong"}'::jsonb), ('auto.ping', 0::smallint, '{"n": 1}')$$,
    'the emitted event is one level deeper, with the rule''s payload added to the event''s');
SELECT is(current_setting('pgcrm.automation_depth'), '0', 'the depth is back to 0 after a rule');

-- Tasks (asynchronous) and the automation job ---------------------------------------------------------
INSERT INTO crm.automation_rule (name, kind, condition, action, params, enabled) VALUES
    ('call_web_lead', 'lead.created', $$payload ->> 'source' = 'web'$$, 'task',
     '{"title": "Call {company_name} about {technical_requirements}", "due_in": "2 days", "assignee": "owner"}', true);
INSERT INTO crm.lead (id, source, company_name, technical_requirements, owner, account_id) VALUES
    (950001, 'web', 'Prospect Web', 'DN500', 'lead_owner', NULL), (950002, 'fax', 'Prospect Fax', NULL, 'lead_owner', NULL);
SELECT is_empty($$SELECT FROM crm.task WHERE lead_id IN (950001, 950002)$$, 'an asynchronous rule does nothing in the transaction');
SELECT results_eq($$SELECT status FROM crm.etl_refresh('automation')$$, ARRAY['succeeded'], 'the automation job runs');
SELECT results_eq($$SELECT title, owner, lead_id, account_id, due_date - current_date FROM crm.task WHERE lead_id IN (950001, 950002)$$,
    $$VALUES ('Call Prospect Web about DN500', 'lead_owner'::name, 950001::bigint, NULL::bigint, 2)$$,
    'it makes the task from the template, for the owner, about the lead, due in 2 days, where the condition holds');
SELECT results_eq($$SELECT r.status, r.result FROM crm.automation_run r JOIN crm.automation_rule u ON u.id = r.rule_id
                    WHERE u.name = 'call_web_lead' ORDER BY r.event_id$$,
    $$SELECT 'succeeded', 'task ' || (SELECT id FROM crm.task WHERE lead_id = 950001) || ' for lead_owner'
      UNION ALL SELECT 'succeeded', 'condition not met'$$, 'each run records what it did');
SELECT lives_ok($$SELECT crm.etl_refresh('automation')$$, 'running the job again');
SELECT is((SELECT count(*) FROM crm.task WHERE lead_id = 950001), 1::bigint, '... does not repeat a run');
-- Events from before a rule was switched on are not its business.
INSERT INTO crm.lead (id, source, company_name, owner) VALUES (950003, 'web', 'Before', 'lead_owner');
SELECT crm.etl_refresh('automation');
UPDATE crm.event SET occurred_at = now() - interval '1 hour' WHERE kind = 'lead.created' AND entity_key = '950003';
SELECT crm.set_automation_rule('first_contact_for_new_lead', true);
INSERT INTO crm.lead (id, source, company_name, owner) VALUES (950004, 'fax', 'After', 'lead_owner');
SELECT crm.etl_refresh('automation');
SELECT results_eq($$SELECT lead_id, title FROM crm.task WHERE title LIKE 'First contact%' ORDER BY lead_id$$,
    $$VALUES (950004::bigint, 'First contact with After')$$, 'a rule switched on takes the events from then on');
SELECT crm.set_automation_rule('first_contact_for_new_lead', false);

-- Asynchronous failure: logged, retried with a doubling delay, then given up ---------------------
INSERT INTO crm.automation_rule (name, kind, action, params, enabled, max_attempts, retry_delay) VALUES
    ('move_missing', 'auto.pong', 'move', '{"table": "crm.sales_order", "key": "payload ->> ''order''", "to": "cancelled"}', true, 3, '10 minutes');
SELECT crm.emit_event('auto.pong', 'crm.sales_order', '1', '{"order": "999999"}');
SELECT crm.etl_refresh('automation');
SELECT results_eq($$SELECT status, attempts, sqlstate, error, round(extract(epoch FROM next_attempt_at - now()) / 60)
                    FROM crm.automation_run WHERE rule_id = (SELECT id FROM crm.automation_rule WHERE name = 'move_missing')$$,
    $$VALUES ('failed', 1, 'PC003', 'crm.sales_order row 999999 does not exist', 10::numeric)$$,
    'a failing asynchronous rule is logged with its SQLSTATE and retried after retry_delay');
SELECT crm.etl_refresh('automation');
SELECT is((SELECT attempts FROM crm.automation_run WHERE rule_id = (SELECT id FROM crm.automation_rule WHERE name = 'move_missing')),
    1, 'it waits for its next attempt');
UPDATE crm.automation_run SET next_attempt_at = now() WHERE rule_id = (SELECT id FROM crm.automation_rule WHERE name = 'move_missing');
SELECT crm.etl_refresh('automation');
SELECT results_eq($$SELECT status, attempts, round(extract(epoch FROM next_attempt_at - now()) / 60) FROM crm.automation_run
                    WHERE rule_id = (SELECT id FROM crm.automation_rule WHERE name = 'move_missing')$$,
    $$VALUES ('failed', 2, 20::numeric)$$, 'the delay doubles at each attempt');
UPDATE crm.automation_run SET next_attempt_at = now() WHERE rule_id = (SELECT id FROM crm.automation_rule WHERE name = 'move_missing');
SELECT crm.etl_refresh('automation');
SELECT results_eq($$SELECT status, attempts, next_attempt_at FROM crm.automation_run
                    WHERE rule_id = (SELECT id FROM crm.automation_rule WHERE name = 'move_missing')$$,
    $$VALUES ('dead', 3, NULL::timestamptz)$$, 'after max_attempts it gives up, and the change that fired it stands');
SELECT matches((SELECT message FROM crm_dw.etl_run WHERE job = 'automation' ORDER BY id DESC LIMIT 1), '1 gave up',
    'the job''s log counts it');
-- A loop in asynchronous rules gives up at once.
UPDATE crm.automation_rule SET mode = 'async' WHERE name = 'ping_pong';
UPDATE crm.automation_rule SET enabled = false WHERE name = 'move_missing';
SELECT crm.emit_event('auto.ping', 'crm.account', '950001', '{"deep": true}');
UPDATE crm.event SET depth = 8 WHERE kind = 'auto.ping' AND payload ? 'deep';
SELECT crm.etl_refresh('automation');
SELECT results_eq($$SELECT r.status, r.attempts, r.sqlstate FROM crm.automation_run r JOIN crm.event e ON e.id = r.event_id
                    WHERE e.payload ? 'deep'$$, $$VALUES ('dead', 1, 'PC044')$$, 'a run past the depth limit is not retried');
-- A rule switched off after its run was made.
SELECT crm.emit_event('auto.ping', 'crm.account', '950001', '{"late": true}');
SELECT crm.etl_refresh('automation');
UPDATE crm.automation_run r SET status = 'failed', next_attempt_at = now(), attempts = 1
WHERE r.event_id = (SELECT max(id) FROM crm.event WHERE payload ? 'late' AND kind = 'auto.ping');
UPDATE crm.automation_rule SET enabled = false WHERE name = 'ping_pong';
SELECT crm.etl_refresh('automation');
SELECT results_eq($$SELECT r.status, r.result FROM crm.automation_run r JOIN crm.event e ON e.id = r.event_id WHERE e.payload ? 'late'
                    AND e.kind = 'auto.ping'$$, $$VALUES ('skipped', 'the rule was switched off')$$, 'a run of a rule switched off is skipped');

-- Sweeps: churn risk and six months without an order ------------------------------------------------
INSERT INTO crm_dw.customer_features (account_id, as_of, frequency, monetary, orders_total, revenue_total, orders_180d,
                                      orders_prior_180d, complaints_90d, churn_risk)
VALUES (950001, current_date, 1, 100, 3, 500, 0, 2, 1, 0.83), (950002, current_date, 5, 900, 9, 2000, 4, 4, 0, 0.12);
INSERT INTO crm.sales_order (id, account_id, order_date) VALUES (950003, 950002, current_date - 200);
UPDATE crm.sales_order SET status = 'confirmed' WHERE id = 950003;
SELECT matches((SELECT message FROM crm.etl_refresh('automation_sweeps')), 'no sweep', 'sweeps no enabled rule listens to do not run');
SELECT crm.set_automation_rule('call_client_at_churn_risk', true);
SELECT crm.set_automation_rule('offer_after_180_days', true);
SELECT results_eq($$SELECT status FROM crm.etl_refresh('automation_sweeps')$$, ARRAY['succeeded'], 'the sweeps job runs');
SELECT results_eq($$SELECT kind, entity_key FROM crm.event WHERE kind IN ('account.churn_risk', 'account.no_order_180d')
                    AND entity_key IN ('950001', '950002') ORDER BY kind$$,
    $$VALUES ('account.churn_risk', '950001'), ('account.no_order_180d', '950002')$$,
    'a client at churn risk 0.83 and one whose last order is 200 days old get their events; the others none');
SELECT crm.etl_refresh('automation');
SELECT results_eq($$SELECT title, owner, account_id FROM crm.task WHERE account_id IN (950001, 950002) ORDER BY account_id$$,
    $$VALUES ('Call Vodokanal Auto: churn risk 0.83', 'auto_mgr'::name, 950001::bigint),
             ('Send a special offer to Naftobud Auto (last order ' || (current_date - 200) || ')', 'auto_owner2', 950002)$$,
    'the seeded rules make their tasks, for the manager (the owner when the client has no manager)');
SELECT crm.etl_refresh('automation_sweeps');
SELECT is((SELECT count(*) FROM crm.event WHERE kind IN ('account.churn_risk', 'account.no_order_180d')
           AND entity_key IN ('950001', '950002')), 2::bigint, 'within its cooldown a sweep does not emit a key again');
UPDATE crm.automation_sweep_state SET emitted_at = now() - interval '31 days' WHERE entity_key = '950001';
SELECT crm.etl_refresh('automation_sweeps');
SELECT is((SELECT count(*) FROM crm.event WHERE kind = 'account.churn_risk' AND entity_key = '950001'), 2::bigint,
    '... after it, it does');

-- Billing's events and sweeps: an invoice a week overdue, an installment due soon ----------------------
-- Order 950001 (confirmed above): 120 m and 60 m at 10.00 and a 10.00 service, VAT 20 % on each line:
-- net 1,810.00, VAT 362.00, gross 2,172.00 (by hand); 5.00 paid leaves 2,167.00.
SELECT crm.invoice_order(950001, current_date - 60) AS overdue_invoice \gset
SELECT results_eq(format($$SELECT entity, payload ->> 'total', payload ->> 'kind' FROM crm.event
                           WHERE kind = 'invoice.issued' AND entity_key = '%s'$$, :overdue_invoice),
    $$VALUES ('crm.invoice', '2172.00', 'invoice')$$, 'issuing an invoice emits invoice.issued with the invoice as issued');
SELECT crm.record_payment(950001, 5, 'UAH', current_date, 'part payment') AS part_payment \gset
SELECT results_eq(format($$SELECT payload ->> 'amount', payload ->> 'allocated' FROM crm.event
                           WHERE kind = 'payment.received' AND entity_key = '%s'$$, :part_payment),
    $$VALUES ('5.00', '5.00')$$, 'recording a payment emits payment.received with what it paid at once');
INSERT INTO crm.credit_product (id, name, annual_rate_pct, collateral, repayment_method) VALUES
    (950001, 'Auto interest-free', 0, 'unsecured', 'differentiated');
INSERT INTO crm.credit_application (id, account_id, product_id, amount, term_months, first_payment_date) VALUES
    (950001, 950002, 950001, 1200, 12, current_date + 2);
UPDATE crm.credit_application SET status = 'started' WHERE id = 950001;
SELECT crm.set_automation_rule('collect_overdue_invoice', true);
SELECT crm.set_automation_rule('remind_installment_due', true);
SELECT crm.etl_refresh('automation_sweeps');
SELECT results_eq($$SELECT kind, entity, payload ->> 'days_overdue' FROM crm.event
                    WHERE kind IN ('invoice.overdue', 'installment.due_soon') ORDER BY kind$$,
    $$VALUES ('installment.due_soon', 'crm.loan_installment', NULL), ('invoice.overdue', 'crm.invoice', '30')$$,
    'the invoice 30 days past due and the first installment, due in 2 days, get their events');
SELECT crm.etl_refresh('automation');
-- 1,200 over 12 months at 0 %: 100.00 an installment (by hand).
SELECT results_eq($$SELECT title, owner FROM crm.task WHERE title LIKE 'Collect%' OR title LIKE 'Remind%' ORDER BY title$$,
    format($$VALUES ('Collect invoice %s: 30 days overdue, 2167.00 UAH left', 'auto_mgr'::name),
                    ('Remind Naftobud Auto of the installment of 100.00 UAH due %s', 'auto_owner2')$$,
           (SELECT number FROM crm.invoice WHERE id = :overdue_invoice), current_date + 2),
    'the collection task goes to the client''s manager, the reminder to the borrower''s owner');

-- Rights ----------------------------------------------------------------------------------------------
SELECT is((SELECT proowner::regrole::text FROM pg_proc WHERE oid = 'crm.automation_value(text, jsonb, crm.event)'::regprocedure),
    'crm_admin', 'a rule''s SQL runs with crm_admin''s rights, whoever fires it');
SELECT is(crm.automation_value('current_user', '{}', NULL), 'crm_admin', '... as its owner shows');
SELECT ok(NOT has_function_privilege('crm_admin', 'crm.record_event(text, text, text, jsonb)', 'EXECUTE'),
    'not even an administrator writes a table''s event by hand');

SELECT * FROM finish();
ROLLBACK;
