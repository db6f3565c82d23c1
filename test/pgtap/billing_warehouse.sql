-- Billing in the warehouse: base-currency totals beside the original ones, a
-- new rate reaching the facts incrementally, invoiced and paid amounts in
-- crm_dw.v_sales_monthly, and each client's payment behaviour in
-- crm_dw.customer_features. Expected values are worked out in the comments.
BEGIN;
SELECT plan(13);

INSERT INTO crm.exchange_rate (currency, rate_date, rate) VALUES ('EUR', '2026-01-01', 44.5), ('EUR', '2026-02-01', 45.1);
INSERT INTO crm.account (id, name, industry, region) VALUES (942001, 'Export client', 'oil_gas', 'Odesa'),
    (942002, 'Late payer', 'utilities', 'Lviv'), (942003, 'Cash client', 'construction', 'Kyiv');
INSERT INTO crm.product (id, sku, name, kind, family, list_price) VALUES (942001, 'BW-PIPE', 'Pipe', 'goods', 'bw pipe', 100);
-- Three orders of 1 × 100.00: in EUR on 2026-01-15 and on 2026-02-10, in USD (no rate yet) on 2026-01-20.
INSERT INTO crm.sales_order (id, account_id, currency, order_date) VALUES
    (942001, 942001, 'EUR', '2026-01-15'), (942002, 942001, 'EUR', '2026-02-10'), (942003, 942001, 'USD', '2026-01-20');
INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price)
SELECT id, 1, 942001, 1, 100 FROM crm.sales_order WHERE id BETWEEN 942001 AND 942003;
UPDATE crm.sales_order SET status = 'confirmed' WHERE id BETWEEN 942001 AND 942003;
SELECT crm.etl_refresh('facts', "full" => true);

SELECT results_eq($$SELECT order_id, currency, line_total, line_total_base FROM crm_dw.fact_sales WHERE order_id BETWEEN 942001 AND 942003
                    ORDER BY order_id$$,
    $$VALUES (942001::bigint, 'EUR', 100.00, 4450.00), (942002::bigint, 'EUR', 100.00, 4510.00), (942003::bigint, 'USD', 100.00, NULL)$$,
    'a fact''s base-currency total is at its order''s day''s rate (100 × 44.5, 100 × 45.1), NULL without one');
INSERT INTO crm.exchange_rate (currency, rate_date, rate) VALUES ('USD', '2026-01-01', 41.25);
SELECT ok((SELECT count(*) = 1 FROM crm_dw.change_queue WHERE job = 'facts' AND entity = 'order' AND key = 942003),
    'a new rate queues the orders of its currency from its day on');
SELECT results_eq($$SELECT mode FROM crm.etl_refresh('facts')$$, $$VALUES ('incremental')$$, '... and the next refresh is incremental');
SELECT is((SELECT line_total_base FROM crm_dw.fact_sales WHERE order_id = 942003), 4125.00, '... and fills it: 100 × 41.25');
SELECT results_eq($$SELECT month, currency, orders, revenue, revenue_base FROM crm_dw.v_sales_monthly WHERE sku = 'BW-PIPE' ORDER BY month, currency$$,
    $$VALUES (date '2026-01-01', 'EUR', 1::bigint, 100.00, 4450.00), (date '2026-01-01', 'USD', 1::bigint, 100.00, 4125.00),
             (date '2026-02-01', 'EUR', 1::bigint, 100.00, 4510.00)$$,
    'v_sales_monthly shows the base-currency revenue beside the original');

-- Invoicing the January EUR order on 2026-02-03 (gross 100.00 + 20.00 VAT = 120.00) and paying 30.00 of it:
-- invoiced 120.00, paid 30.00, in base currency at the rate of 2026-02-03: 120 × 45.1 = 5412.00, 30 × 45.1 = 1353.00.
SELECT crm.invoice_order(942001, '2026-02-03') AS invoice \gset
SELECT crm.record_payment(942001, 30, 'EUR', '2026-02-20', 'part');
SELECT results_eq($$SELECT revenue, invoiced, paid, invoiced_base, paid_base FROM crm_dw.v_sales_monthly
                    WHERE sku = 'BW-PIPE' AND month = '2026-02-01' AND currency = 'EUR'$$,
    $$VALUES (100.00, 120.00, 30.00, 5412.00, 1353.00)$$,
    'v_sales_monthly gains the month''s invoiced and paid amounts, with their base-currency values');
SELECT crm.credit_note(:invoice, 'returned', NULL, '2026-02-25');
SELECT results_eq($$SELECT invoiced, paid FROM crm_dw.v_sales_monthly WHERE sku = 'BW-PIPE' AND month = '2026-02-01' AND currency = 'EUR'$$,
    $$VALUES (0.00, 0.00)$$, 'a credit note counts negative, and the payment it released is paid no more');

-- Payment behaviour: three invoices of the late payer due in the last year.
--   A due 100 days ago, paid 90 days ago: 10 days late;  B due 50 days ago, paid 60 days ago: on time, 0 late;
--   C due 20 days ago, open: 20 days late as of today.   Average (10 + 0 + 20) / 3 = 10.00; on time 1 of 3 = 0.3333.
-- A fourth, due 400 days ago, is outside the year.
CREATE FUNCTION pg_temp.invoice_due(due date) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    o bigint;
BEGIN
    INSERT INTO crm.sales_order (account_id, order_date) VALUES (942002, due - 40) RETURNING id INTO o;
    INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price) VALUES (o, 1, 942001, 1, 100);
    UPDATE crm.sales_order SET status = 'confirmed' WHERE id = o;
    RETURN crm.invoice_order(o, due - 30);
END $$;
SELECT crm.record_payment(942002, 120, 'UAH', current_date - 90, 'A', invoice => pg_temp.invoice_due(current_date - 100));
SELECT crm.record_payment(942002, 120, 'UAH', current_date - 60, 'B', invoice => pg_temp.invoice_due(current_date - 50));
SELECT pg_temp.invoice_due(current_date - 20) AS invoice_c \gset
SELECT pg_temp.invoice_due(current_date - 400);
SELECT crm.etl_refresh('facts');
SELECT crm.etl_refresh('features', "full" => true);
SELECT results_eq('SELECT invoices_due_365d, avg_days_late, paid_on_time_share FROM crm_dw.customer_features WHERE account_id = 942002',
    $$VALUES (3, 10.00, 0.3333)$$, 'customer features: invoices due in the year, average days late, share paid on time');
SELECT results_eq('SELECT invoices_due_365d, avg_days_late, paid_on_time_share FROM crm_dw.customer_features WHERE account_id = 942001',
    $$VALUES (1, 0.00, 1.0000)$$, 'an invoice settled by its credit note before it was due is on time');
SELECT results_eq('SELECT invoices_due_365d, avg_days_late, paid_on_time_share FROM crm_dw.customer_features WHERE account_id = 942003',
    $$VALUES (NULL::integer, NULL::numeric, NULL::numeric)$$, 'a client with nothing due in the year has no payment behaviour');
-- C paid 25 days ago, before its due date: (10 + 0 + 0) / 3 = 3.33, on time 2 of 3 = 0.6667.
SELECT crm.record_payment(942002, 120, 'UAH', current_date - 25, 'C', invoice => :invoice_c);
SELECT results_eq($$SELECT mode FROM crm.etl_refresh('features')$$, $$VALUES ('incremental')$$, 'a payment queues its client');
SELECT results_eq('SELECT avg_days_late, paid_on_time_share FROM crm_dw.customer_features WHERE account_id = 942002',
    $$VALUES (3.33, 0.6667)$$, '... whose payment behaviour the next run recomputes');
SELECT results_eq('SELECT avg_days_late, paid_on_time_share FROM crm_dw.v_churn_risk WHERE account_id = 942002',
    $$VALUES (3.33, 0.6667)$$, 'v_churn_risk shows it beside the churn risk');

SELECT * FROM finish();
ROLLBACK;
