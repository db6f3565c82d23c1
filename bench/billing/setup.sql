-- Data for bench/billing/run, the scale of the demo data at scale 1: 1000
-- clients (a quarter under contract) with 10,000 confirmed orders of two or
-- three lines to invoice, and 1000 other clients for the payment runs, with
-- one open invoice each, large enough never to be paid off, already partly
-- paid (its status stays put). The floor's payments leave credit, which the
-- invoicing clients must not have.
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS bench CASCADE;
CREATE SCHEMA bench;
SELECT setseed(0.5);
INSERT INTO crm.account (id, name) SELECT 960000 + a, 'Bench client ' || a FROM generate_series(1, 2000) a;
INSERT INTO crm.product (id, sku, name, kind, list_price, vat_rate_pct)
SELECT 960000 + p, 'BENCH-BILL-' || p, 'Bench product ' || p, 'goods', 10 * p, CASE WHEN p % 4 = 0 THEN 7 END
FROM generate_series(1, 20) p;
INSERT INTO crm.contract (id, account_id, signed_on, valid_until, payment_terms_days)
SELECT 961000 + a, 961000 + a, current_date - 400, current_date + 400, 45 FROM generate_series(4, 1000, 4) a;
UPDATE crm.contract SET status = 'active' WHERE id > 961000;

-- The orders invoice_order invoices.
INSERT INTO crm.sales_order (id, account_id, contract_id, order_date)
SELECT 960000 + o, 961001 + o % 1000, CASE WHEN (1 + o % 1000) % 4 = 0 THEN 961001 + o % 1000 END, current_date - o % 300
FROM generate_series(1, 10000) o;
INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price, discount_pct)
SELECT 960000 + o, k, 960001 + (o + k) % 20, 1 + floor(random() * 200), 10 * (1 + (o + k) % 20), (o % 3) * 2.5
FROM generate_series(1, 10000) o, generate_series(1, 2 + o % 2) k;
UPDATE crm.sales_order SET status = 'confirmed' WHERE id > 960000;

-- One open invoice per client for the payment runs: 10,000,000 units at 100.00, no VAT.
INSERT INTO crm.product (id, sku, name, kind, list_price, vat_rate_pct) VALUES (960100, 'BENCH-PAY', 'Bench payable', 'goods', 100, 0);
INSERT INTO crm.sales_order (id, account_id) SELECT 970000 + a, 960000 + a FROM generate_series(1, 1000) a;
INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price)
SELECT 970000 + a, 1, 960100, 10000000, 100 FROM generate_series(1, 1000) a;
UPDATE crm.sales_order SET status = 'confirmed' WHERE id > 970000;
SELECT count(crm.invoice_order(970000 + a)) FROM generate_series(1, 1000) a;
SELECT count(crm.record_payment(960000 + a, 1, 'UAH', current_date, 'bench: first')) FROM generate_series(1, 1000) a;

ANALYZE;
