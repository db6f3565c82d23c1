-- The CRM data model: tables, constraints and bad input, lead conversion,
-- the task completion rule, interactions and order numbering.
BEGIN;
SELECT plan(82);

SELECT tables_are('crm', ARRAY[
    'workflow', 'workflow_state', 'workflow_transition', 'workflow_attachment', 'status_history', 'document_counter',
    'account', 'contact', 'lead', 'deal', 'interaction', 'team', 'team_member', 'project', 'task', 'task_assignee',
    'comment', 'document', 'knowledge_article', 'product', 'warehouse', 'sales_order', 'order_line',
    'production_order', 'complaint', 'credit_product', 'credit_application',
    'stock', 'reservation', 'stock_movement', 'shipment', 'shipment_line', 'audit_log', 'audit_setting', 'client_login']);
SELECT set_eq($$SELECT table_name::text || '.' || status_column FROM crm.workflow_attachment$$,
    ARRAY['crm.deal.stage', 'crm.lead.status', 'crm.sales_order.status', 'crm.production_order.status',
          'crm.task.status', 'crm.credit_application.status', 'crm.shipment.status'], 'every status column follows its workflow');
SELECT is_empty($$SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = 'crm' AND c.relkind IN ('r', 'S') AND c.relname NOT LIKE 'workflow%'
                    AND c.oid NOT IN (SELECT unnest(extconfig) FROM pg_extension WHERE extname = 'pgcrm')$$,
    'every table and sequence holding user data is kept by pg_dump');
SELECT is_empty($$SELECT conrelid::regclass FROM pg_constraint
                  WHERE contype = 'f' AND connamespace = 'crm'::regnamespace AND confdeltype = 'c'
                    AND conrelid::regclass::text NOT IN ('crm.order_line', 'crm.team_member', 'crm.task_assignee', 'crm.comment',
                                                         'crm.workflow_state', 'crm.workflow_transition', 'crm.shipment_line',
                                                         'crm.client_login')$$,
    'only lines owned by their header (and a client login by its account) cascade on delete');

-- Accounts and contacts --------------------------------------------------------
INSERT INTO crm.account (id, name, industry, region, email) VALUES (900001, 'Vodokanal Test', 'water_supply', 'Kyiv', 'info@vodokanal.example.ua');
SELECT throws_ok($$INSERT INTO crm.account (name) VALUES (NULL)$$, '23502', NULL, 'an account needs a name');
SELECT throws_ok($$INSERT INTO crm.account (name) VALUES ('  ')$$, '23514', NULL, 'a blank name is no name');
SELECT throws_ok($$INSERT INTO crm.account (name, kind) VALUES ('X', 'alien')$$, '23514', NULL, 'account kind is legal_entity or individual');
SELECT throws_like($$INSERT INTO crm.account (name, email) VALUES ('X', 'not-an-email')$$,
    '%violates check constraint "email_format"', 'an e-mail that is not an e-mail');
SELECT throws_ok($$INSERT INTO crm.account (name, email) VALUES ('X', 'INFO@Vodokanal.example.ua')$$, '23505', NULL,
    'account e-mails are unique case-insensitively');
SELECT throws_ok($$INSERT INTO crm.account (name, phone) VALUES ('X', 'call me')$$, '23514', NULL, 'a phone that is not a phone');
INSERT INTO crm.contact (id, account_id, first_name, last_name, email, channels)
VALUES (900001, 900001, 'Olena', 'Shevchenko', 'olena@vodokanal.example.ua', '{"fax": "+380 44 000 0000"}');
SELECT throws_ok($$INSERT INTO crm.contact (account_id, first_name, last_name, email) VALUES (900001, 'A', 'B', 'Olena@VODOKANAL.example.ua')$$,
    '23505', NULL, 'contact e-mails are unique case-insensitively');
SELECT throws_ok($$INSERT INTO crm.contact (account_id, first_name, last_name) VALUES (123456789, 'A', 'B')$$, '23503', NULL,
    'a contact needs an existing account');
SELECT throws_ok($$INSERT INTO crm.contact (account_id, first_name, last_name, channels) VALUES (900001, 'A', 'B', '[1]')$$, '23514', NULL,
    'channels is an object');
SELECT throws_ok($$DELETE FROM crm.account WHERE id = 900001$$, '23503', NULL, 'an account with contacts is never cascade-deleted');
SELECT isnt((SELECT updated_at FROM crm.account WHERE id = 900001), NULL, 'updated_at is set');

-- Products and orders -------------------------------------------------------------
INSERT INTO crm.product (id, sku, name, kind, unit, list_price, attributes) VALUES
    (900001, 'T-DN300', 'GRP pressure pipe DN300', 'goods', 'm', 1500,
     '{"pipe_type": "pressure", "diameter_mm": 300, "length_m": 12, "working_pressure_bar": 16, "material": "GRP", "certification": ["ISO 9001"]}');
SELECT throws_ok($$INSERT INTO crm.product (sku, name, kind, list_price, attributes) VALUES ('T-1', 'x', 'goods', 1, '{"diameter_mm": -5}')$$,
    '23514', NULL, 'a negative diameter');
SELECT throws_ok($$INSERT INTO crm.product (sku, name, kind, list_price, attributes) VALUES ('T-2', 'x', 'goods', 1, '{"diameter_mm": "wide"}')$$,
    '23514', NULL, 'a diameter that is not a number');
SELECT throws_ok($$INSERT INTO crm.product (sku, name, kind, list_price, attributes) VALUES ('T-3', 'x', 'goods', 1, '{"diameter_mm": 300.5}')$$,
    '23514', NULL, 'a fractional diameter');
SELECT throws_ok($$INSERT INTO crm.product (sku, name, kind, list_price, attributes) VALUES ('T-4', 'x', 'goods', 1, '{"certification": [1]}')$$,
    '23514', NULL, 'certification is a list of text');
SELECT lives_ok($$INSERT INTO crm.product (sku, name, kind, list_price, attributes) VALUES ('T-5', 'x', 'service', 1, '{"sla_hours": 4}')$$,
    'attributes not foreseen are allowed');
SELECT throws_ok($$INSERT INTO crm.product (sku, name, kind, list_price) VALUES ('T-6', 'x', 'goods', -1)$$, '23514', NULL, 'a negative price');
SELECT throws_ok($$INSERT INTO crm.product (sku, name, kind, list_price) VALUES ('T-7', 'x', 'goods', 'NaN')$$, '23514', NULL, 'a NaN price');

INSERT INTO crm.sales_order (id, account_id, order_date) VALUES (900001, 900001, '2031-03-15');
SELECT is((SELECT number FROM crm.sales_order WHERE id = 900001), 'ORD-2031-00001', 'the database numbers orders per year');
SELECT throws_ok($$SELECT crm.next_document_number('ORD', 'ORD', '4713-01-01 BC')$$, '22008',
    'no ORD number can be given for 4713-01-01 BC: documents are numbered by year, from 1900 to 9999', 'a date before numbering');
SELECT throws_ok($$SELECT crm.next_document_number('ORD', 'ORD', 'infinity')$$, '22008', NULL, '... or an infinite one');
SELECT throws_ok($$SELECT crm.next_document_number(NULL, 'ORD', current_date)$$, '22004', 'kind must not be NULL', 'a NULL kind');
INSERT INTO crm.sales_order (id, account_id, order_date) VALUES (900002, 900001, '2031-04-01');
SELECT is((SELECT number FROM crm.sales_order WHERE id = 900002), 'ORD-2031-00002', '... consecutively');
INSERT INTO crm.sales_order (id, account_id, order_date, number) VALUES (900003, 900001, '2031-05-01', 'ORD-2031-00056');
INSERT INTO crm.sales_order (id, account_id, order_date) VALUES (900004, 900001, '2031-06-01');
SELECT is((SELECT number FROM crm.sales_order WHERE id = 900004), 'ORD-2031-00057', 'an imported number moves the counter past it');
SELECT throws_ok($$INSERT INTO crm.sales_order (account_id, number) VALUES (900001, 'ORDER-7')$$, '23514', NULL, 'a malformed order number');
INSERT INTO crm.sales_order (account_id, order_date, number) VALUES (900001, '2032-01-01', 'ORD-2032-99999');
INSERT INTO crm.sales_order (id, account_id, order_date) VALUES (900005, 900001, '2032-01-02');
SELECT is((SELECT number FROM crm.sales_order WHERE id = 900005), 'ORD-2032-100000', 'numbers grow past five digits');
SELECT is((SELECT status FROM crm.sales_order WHERE id = 900001), 'draft', 'an order starts as a draft');
SELECT throws_ok($$UPDATE crm.sales_order SET status = 'shipped' WHERE id = 900001$$, 'PC001', NULL, 'an order cannot jump to shipped');

INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price, discount_pct) VALUES (900001, 1, 900001, 120.5, 1500, 5);
SELECT is((SELECT line_total FROM crm.order_line WHERE order_id = 900001), 171712.50::numeric, 'line total = 120.5 m × 1500 × 0.95, computed by the database');
SELECT throws_ok($$UPDATE crm.order_line SET line_total = 1 WHERE order_id = 900001$$, '428C9', NULL, 'the line total cannot be written');
SELECT throws_ok($$INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price) VALUES (900001, 2, 900001, -3, 10)$$,
    '23514', NULL, 'a negative quantity');
SELECT throws_ok($$INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price) VALUES (900001, 2, 900001, 'NaN', 10)$$,
    '23514', NULL, 'a NaN quantity');
SELECT throws_ok($$INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price) VALUES (900001, 2, 900001, 'Infinity', 10)$$,
    '23514', NULL, 'an infinite quantity');
SELECT throws_ok($$INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price) VALUES (900001, 2, 123456789, 1, 10)$$,
    '23503', NULL, 'an unknown product');
SELECT throws_ok($$INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price) VALUES
                   (900001, 2, 900001, 10, 10), (900001, 3, 900001, 0, 10)$$, '23514', NULL, 'one bad line in a multi-row insert ...');
SELECT is((SELECT count(*) FROM crm.order_line WHERE order_id = 900001)::int, 1, '... leaves nothing half-written');
SELECT results_eq($$SELECT number, lines, total FROM crm.order_summary WHERE id = 900001$$,
    $$VALUES ('ORD-2031-00001', 1::bigint, 171712.50::numeric(16, 2))$$, 'order_summary totals the lines');
SELECT throws_ok($$DELETE FROM crm.account WHERE id = 900001$$, '23503', NULL, 'an account with orders is never deleted');
DELETE FROM crm.sales_order WHERE id = 900001;
SELECT is_empty($$SELECT FROM crm.order_line WHERE order_id = 900001$$, 'an order''s lines go with it');

INSERT INTO crm.production_order (id, product_id, diameter_mm, length_m, quantity, status_changed_at)
VALUES (900001, 900001, 300, 12, 40, '2031-01-01');
UPDATE crm.production_order SET status = 'in_progress' WHERE id = 900001;
SELECT is((SELECT status_changed_at FROM crm.production_order WHERE id = 900001), now(), 'the time of the last status change is recorded');
SELECT throws_ok($$UPDATE crm.production_order SET status = 'ready_for_shipment' WHERE id = 900001$$, 'PC001', NULL,
    'production cannot skip quality control');
SELECT throws_ok($$INSERT INTO crm.complaint (account_id, kind, description, opened_at, closed_at) VALUES (900001, 'quality', 'x', '2031-02-01', '2031-01-01')$$,
    '23514', NULL, 'a complaint cannot close before it opens');

-- Lead conversion ---------------------------------------------------------------------
INSERT INTO crm.lead (id, source, company_name, contact_first_name, contact_last_name, email, industry, technical_requirements, expected_volume)
VALUES (900001, 'tender', 'Naftobud Test', 'Taras', 'Melnyk', 'taras@naftobud.example.ua', 'oil_gas', 'DN200 PN40', 800),
       (900002, 'website', 'Vodokanal Test', 'Iryna', 'Boiko', 'info@vodokanal.example.ua', 'water_supply', 'DN500', 300);
UPDATE crm.lead SET status = 'contacted' WHERE id IN (900001, 900002);
SELECT throws_ok($$SELECT crm.convert_lead(900001)$$, 'PC001', NULL, 'only a qualified lead converts');
UPDATE crm.lead SET status = 'qualified' WHERE id IN (900001, 900002);
CREATE TEMP TABLE first_call AS SELECT * FROM crm.convert_lead(900001);
SELECT is((SELECT account_created FROM first_call), true, 'a lead from a new company creates the account');
SELECT is((SELECT name FROM crm.account WHERE id = (SELECT account_id FROM first_call)), 'Naftobud Test', '... named after it');
SELECT is((SELECT email::text FROM crm.contact WHERE id = (SELECT contact_id FROM first_call)), 'taras@naftobud.example.ua', '... with its contact');
SELECT is((SELECT stage FROM crm.deal WHERE id = (SELECT deal_id FROM first_call)), 'new', '... and a new deal');
SELECT results_eq($$SELECT status, deal_id FROM crm.lead WHERE id = 900001$$, $$SELECT 'converted'::text, deal_id FROM first_call$$,
    'the lead is converted and points to its deal');
SELECT results_eq($$SELECT * FROM crm.convert_lead(900001)$$, $$SELECT account_id, contact_id, deal_id, false FROM first_call$$,
    'a second call returns the same result');
SELECT is((SELECT count(*) FROM crm.deal WHERE account_id = (SELECT account_id FROM first_call))::int, 1, '... and creates nothing more');
SELECT is(((crm.convert_lead(900002)).account_id), 900001::bigint, 'a lead from a known e-mail links the existing account');
SELECT throws_ok($$SELECT crm.convert_lead(123456789)$$, 'PC003', 'lead 123456789 does not exist', 'an unknown lead');

-- Tasks: each assignee ticks their own box; the task is done when all have -----------------------
CREATE ROLE pgcrm_t_anna NOLOGIN IN ROLE crm_manager;
CREATE ROLE pgcrm_t_ivan NOLOGIN IN ROLE crm_manager;
INSERT INTO crm.task (id, title, due_date) VALUES (900001, 'Connect the MES', current_date - 1), (900002, 'Write the manual', current_date + 10);
INSERT INTO crm.task_assignee (task_id, assignee) VALUES (900001, 'pgcrm_t_anna'), (900001, 'pgcrm_t_ivan');
SELECT is((SELECT crm.overdue(t) FROM crm.task t WHERE id = 900001), true, 'overdue is derived from the due date');
SELECT is((SELECT crm.overdue(t) FROM crm.task t WHERE id = 900002), false, '... and false before it');
SELECT throws_ok($$UPDATE crm.task SET status = 'in_progress' WHERE id = 900001; UPDATE crm.task SET status = 'done' WHERE id = 900001$$,
    '55000', NULL, 'a task with unfinished assignees cannot be declared done');
SET ROLE pgcrm_t_anna;
SELECT throws_ok($$UPDATE crm.task_assignee SET done = true WHERE task_id = 900001 AND assignee = 'pgcrm_t_ivan'$$, '42501', NULL,
    'nobody ticks another''s box');
SELECT lives_ok($$UPDATE crm.task_assignee SET done = true WHERE task_id = 900001 AND assignee = 'pgcrm_t_anna'$$, 'an assignee ticks their own');
SELECT is((SELECT status FROM crm.task WHERE id = 900001), 'open', 'one of two done: the task is not');
RESET ROLE;
SET ROLE pgcrm_t_ivan;
UPDATE crm.task_assignee SET done = true WHERE task_id = 900001 AND assignee = 'pgcrm_t_ivan';
RESET ROLE;
SELECT is((SELECT status FROM crm.task WHERE id = 900001), 'done', 'the last tick makes the task done');
SELECT is((SELECT crm.overdue(t) FROM crm.task t WHERE id = 900001), false, 'a done task is not overdue');
SELECT throws_ok($$INSERT INTO crm.task_assignee (task_id, assignee) VALUES (900001, 'someone')$$, '55000', NULL,
    'a done task takes no new assignees');

-- Interactions, history, comments ------------------------------------------------------------
INSERT INTO crm.account (id, name) VALUES (900002, 'Other client');
SELECT throws_ok($$INSERT INTO crm.interaction (account_id, contact_id, channel, direction, occurred_at, subject)
                   VALUES (900002, 900001, 'call', 'in', now(), 'x')$$, '23503', NULL, 'a contact''s interaction belongs to its account');
INSERT INTO crm.interaction (account_id, contact_id, channel, direction, occurred_at, subject) VALUES
    (900001, NULL, 'email', 'out', '2031-01-01 10:00', 'Offer sent'),
    (900001, 900001, 'call', 'in', '2031-01-03 09:00', 'Price question'),
    (900001, 900001, 'meeting', 'out', '2031-01-02 15:00', 'Site visit');
SELECT results_eq($$SELECT subject, via FROM crm.account_history WHERE account_id = 900001$$,
    $$VALUES ('Price question', 'contact'), ('Site visit', 'contact'), ('Offer sent', 'account')$$,
    'an account''s history joins its own and its contacts'' interactions, newest first');
INSERT INTO crm.project (id, account_id, name) VALUES (900001, 900001, 'MES link');
UPDATE crm.task SET project_id = 900001 WHERE id = 900002;
INSERT INTO crm.comment (project_id, body) VALUES (900001, 'Kick-off');
INSERT INTO crm.comment (task_id, body) VALUES (900002, 'Draft ready');
SELECT set_eq($$SELECT body FROM crm.project_comments WHERE project_id = 900001$$, ARRAY['Kick-off', 'Draft ready'],
    'a project shows its tasks'' comments too');
SELECT throws_ok($$INSERT INTO crm.comment (project_id, task_id, body) VALUES (900001, 900002, 'x')$$, '23514', NULL,
    'a comment belongs to exactly one task, project or article');

-- Remaining constraints, one each ----------------------------------------------------------
INSERT INTO crm.team (id, name) VALUES (900001, 'Team T');
INSERT INTO crm.team_member (team_id, member, is_lead) VALUES (900001, 'lead_a', true);
SELECT throws_ok($$INSERT INTO crm.team_member (team_id, member, is_lead) VALUES (900001, 'lead_b', true)$$, '23505', NULL,
    'a team has at most one lead');
SELECT throws_ok($$INSERT INTO crm.project (account_id, name, starts_on, ends_on) VALUES (900001, 'P', '2031-02-01', '2031-01-01')$$,
    '23514', NULL, 'a project cannot end before it starts');
SELECT throws_ok($$INSERT INTO crm.project (account_id, name, status) VALUES (900001, 'P', 'paused')$$, '23514', NULL, 'an unknown project status');
SELECT throws_ok($$INSERT INTO crm.document (title, file_name, content) VALUES ('T', '../etc/passwd', '\x00')$$, '23514', NULL,
    'a file name with a path');
INSERT INTO crm.document (id, title, file_name, content) VALUES (900001, 'T', 'a.txt', 'hello');
SELECT is((SELECT size_bytes FROM crm.document WHERE id = 900001), 5::bigint, 'a document''s size is computed');
SELECT throws_ok($$INSERT INTO crm.warehouse (code, name) VALUES ('kyiv central', 'x')$$, '23514', NULL, 'a warehouse code is upper-case');
INSERT INTO crm.credit_product (id, name, annual_rate_pct, collateral) VALUES (900001, 'Test credit', 12.5, 'secured');
SELECT throws_ok($$INSERT INTO crm.credit_product (name, annual_rate_pct, collateral) VALUES ('Bad', 12, 'pledged')$$, '23514', NULL,
    'collateral is secured or unsecured');
SELECT throws_ok($$INSERT INTO crm.credit_application (account_id, product_id, amount, term_months) VALUES (900001, 900001, 0, 12)$$,
    '23514', NULL, 'a credit of nothing');
SELECT throws_ok($$INSERT INTO crm.credit_application (account_id, product_id, amount, term_months) VALUES (900001, 900001, 1000, 0)$$,
    '23514', NULL, 'a term of zero months');
INSERT INTO crm.credit_application (id, account_id, product_id, amount, term_months) VALUES (900001, 900001, 900001, 50000, 24);
SELECT is((SELECT status FROM crm.credit_application WHERE id = 900001), 'pending', 'an application starts pending');
SELECT throws_ok($$UPDATE crm.credit_application SET status = 'finished' WHERE id = 900001$$, 'PC001', NULL,
    'an application cannot finish before it starts');
SELECT throws_ok($$INSERT INTO crm.deal (account_id, title, probability) VALUES (900001, 'D', 120)$$, '23514', NULL, 'a probability above 100');
SELECT throws_ok($$INSERT INTO crm.deal (account_id, title, currency) VALUES (900001, 'D', 'uah')$$, '23514', NULL, 'a currency code in lower case');

SELECT * FROM finish();
ROLLBACK;
