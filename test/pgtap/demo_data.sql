-- The demo data generator: every table gets rows, every workflow state is
-- used, the sales series has a trend and a spring-summer peak, and the same
-- seed gives the same data.
BEGIN;
SELECT plan(22);

-- A digest of the generated business data that does not depend on ids.
CREATE FUNCTION pg_temp.digest() RETURNS text LANGUAGE sql AS $$
    SELECT md5(string_agg(format('%s|%s|%s|%s|%s|%s', o.order_date, a.name, o.status, p.sku, l.quantity, l.unit_price), ','
                          ORDER BY o.order_date, a.name, o.number, l.line_no))
    FROM crm.sales_order o JOIN crm.account a ON a.id = o.account_id
    JOIN crm.order_line l ON l.order_id = o.id JOIN crm.product p ON p.id = l.product_id
$$;

-- ... and of the billing rows (crm.billing_demo_data): documents by their numbers, the rest by what they say.
CREATE FUNCTION pg_temp.billing_digest() RETURNS text LANGUAGE sql AS $$
    SELECT md5(concat_ws('#',
        (SELECT string_agg(format('%s|%s|%s|%s|%s|%s|%s|%s|%s', i.number, a.name, o.number, i.issued_on, i.due_on, i.total, i.paid,
                                  i.credited, i.status), ',' ORDER BY i.number)
           FROM crm.invoice i JOIN crm.account a ON a.id = i.account_id LEFT JOIN crm.sales_order o ON o.id = i.order_id),
        (SELECT string_agg(format('%s|%s|%s|%s|%s|%s', a.name, p.amount, p.currency, p.received_on, p.allocated, p.reference), ','
                           ORDER BY a.name, p.received_on, p.reference, p.amount)
           FROM crm.payment p JOIN crm.account a ON a.id = p.account_id),
        (SELECT string_agg(format('%s|%s|%s|%s|%s', c.number, a.name, c.valid_until, c.credit_limit, c.status), ',' ORDER BY c.number)
           FROM crm.contract c JOIN crm.account a ON a.id = c.account_id),
        (SELECT string_agg(format('%s|%s|%s|%s', q.number, a.name, q.status, q.valid_until), ',' ORDER BY q.number)
           FROM crm.quote q JOIN crm.account a ON a.id = q.account_id),
        (SELECT string_agg(format('%s|%s|%s|%s|%s|%s', a.name, l.principal, l.first_due_on, l.status,
                                  (SELECT sum(i.paid) FROM crm.loan_installment i WHERE i.loan_id = l.id),
                                  (SELECT count(*) FROM crm.loan_installment i WHERE i.loan_id = l.id)), ','
                           ORDER BY a.name, l.first_due_on, l.principal)
           FROM crm.loan l JOIN crm.account a ON a.id = l.account_id)))
$$;

SAVEPOINT fresh;
CREATE TEMP TABLE summary AS SELECT * FROM crm.generate_demo_data(1, 7);
-- Statistics of the rows this transaction made: autovacuum may have left the
-- tables counted empty after an earlier test rolled back (development.md, Tests).
ANALYZE;
SELECT pg_temp.digest() AS first_digest \gset
SELECT pg_temp.billing_digest() AS first_billing_digest \gset
SELECT is_empty($$SELECT table_name FROM summary WHERE row_count = 0
                  AND table_name NOT IN ('crm.audit_setting', 'crm.client_login', 'crm.bi_login')
                  -- what the outbox, the MES and the rules write as the system runs (history is loaded without events)
                  AND table_name NOT IN ('crm.event', 'crm.event_consumer', 'crm.event_kind_setting', 'crm.external_key',
                                         'crm.inbound_message', 'crm.automation_rule_setting', 'crm.automation_run',
                                         'crm.automation_sweep_state', 'crm.account_merge')$$,
                'every table but the admin''s audit switches, client logins and BI logins, and the hub''s logs, has rows');
SELECT cmp_ok((SELECT row_count FROM summary WHERE table_name = 'crm.account'), '>=', 1000::bigint, 'about 1,000 accounts');
SELECT ok((SELECT row_count FROM summary WHERE table_name = 'crm.order_line') BETWEEN 45000 AND 55000, 'about 50,000 order lines');
SELECT is((SELECT count(DISTINCT date_trunc('month', order_date)) FROM crm.sales_order)::int, 36, '36 months of orders');
SELECT set_eq('SELECT DISTINCT status FROM crm.production_order', 'SELECT code FROM crm.workflow_state WHERE workflow = ''production_order''',
    'production orders in every state');
SELECT set_eq('SELECT DISTINCT stage FROM crm.deal', 'SELECT code FROM crm.workflow_state WHERE workflow = ''deal''', 'deals in every stage');
SELECT ok((SELECT count(DISTINCT status) FROM crm.sales_order) >= 5, 'orders in the pipeline and delivered');
SELECT ok((SELECT avg(m) FILTER (WHERE mon = 7) > 1.5 * avg(m) FILTER (WHERE mon = 1)
           FROM (SELECT extract(month FROM o.order_date) AS mon, sum(l.quantity) AS m FROM crm.sales_order o
                 JOIN crm.order_line l ON l.order_id = o.id GROUP BY date_trunc('month', o.order_date), 1) x),
    'July sells far more metres than January (construction season)');
SELECT ok((SELECT sum(l.quantity) FILTER (WHERE o.order_date >= (SELECT max(order_date) FROM crm.sales_order) - 365)
           > 1.2 * sum(l.quantity) FILTER (WHERE o.order_date < (SELECT min(order_date) FROM crm.sales_order) + 365)
           FROM crm.sales_order o JOIN crm.order_line l ON l.order_id = o.id), 'the last year sells more than the first (trend)');
SELECT is_empty($$SELECT FROM crm.status_history h JOIN crm.sales_order o ON h.table_name = 'crm.sales_order' AND h.row_key = o.id::text
                  GROUP BY o.id, o.status HAVING (array_agg(h.to_state ORDER BY h.id DESC))[1] <> o.status$$,
    'every order reached its state through the workflow, step by step in the history');
SELECT is_empty($$SELECT h.table_name, h.row_key, h.from_state, h.to_state FROM crm.status_history h
                  WHERE h.from_state IS NOT NULL
                    AND (NOT EXISTS (SELECT FROM crm.workflow_transition t WHERE t.workflow = h.workflow
                                       AND t.from_state = h.from_state AND t.to_state = h.to_state)
                         OR h.from_state IS DISTINCT FROM (SELECT p.to_state FROM crm.status_history p
                                                           WHERE p.table_name = h.table_name AND p.row_key = h.row_key AND p.id < h.id
                                                           ORDER BY p.id DESC LIMIT 1))$$,
    'every step of every history chain is a transition its workflow allows, from the state the step before reached');
-- Billing (crm.billing_demo_data).
SELECT is_empty($$SELECT o.number FROM crm.sales_order o
                  WHERE o.status IN ('shipped', 'delivered') AND o.order_date >= (date_trunc('month', current_date) - interval '1 day')::date - 182
                    AND NOT EXISTS (SELECT FROM crm.invoice i WHERE i.order_id = o.id)$$,
    'every order shipped in the billed half year is invoiced');
SELECT ok((SELECT count(*) FILTER (WHERE settled_late) > 0.1 * count(*) AND count(*) FILTER (WHERE NOT settled_late) > 0.3 * count(*)
             FROM (SELECT max(a.applied_on) > i.due_on AS settled_late FROM crm.invoice i JOIN crm.payment_allocation a ON a.invoice_id = i.id
                   WHERE i.status = 'paid' GROUP BY i.id, i.due_on) x),
    'invoices are paid on time and late, by the client''s habit');
SELECT set_eq('SELECT DISTINCT status FROM crm.invoice', ARRAY['issued', 'partially_paid', 'paid'],
    'invoices are open, partly paid and paid');
SELECT ok((SELECT count(*) = 1 FROM crm.payment WHERE loan_id IS NULL AND unallocated = 1000), 'one overpayment leaves 1000.00 of credit');
SELECT set_eq('SELECT DISTINCT status FROM crm.quote', 'SELECT code FROM crm.workflow_state WHERE workflow = ''quote''', 'quotes in every state');
SELECT ok((SELECT count(*) FILTER (WHERE status = 'finished') > 0 AND count(*) FILTER (WHERE id IN (SELECT loan_id FROM crm.loan_arrears)) > 0
             AND count(*) FILTER (WHERE id IN (SELECT loan_id FROM crm.loan_installment WHERE kind = 'early_repayment')) = 1
             FROM crm.loan), 'loans repaid and finished, one in arrears, one repaid early');
SELECT is_empty('SELECT * FROM crm.receivable_invariant_violations()', 'the billing invariants hold');
ROLLBACK TO SAVEPOINT fresh;
SELECT crm.generate_demo_data(1, 7);
ANALYZE;
SELECT is(pg_temp.digest(), :'first_digest', 'the same seed gives the same data');
SELECT is(pg_temp.billing_digest(), :'first_billing_digest', '... and the same invoices, payments, contracts, quotes and loans');
SELECT throws_ok($$SELECT crm.generate_demo_data(0)$$, '22023', 'scale must be 1 to 1000, not 0', 'a scale below 1');
SELECT throws_ok($$SELECT crm.generate_demo_data(NULL)$$, '22004', 'scale must not be NULL', 'a NULL scale');

SELECT * FROM finish();
ROLLBACK;
