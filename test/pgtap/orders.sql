-- Orders: numbering, lines and their totals, the order workflow, production
-- orders and complaints.
BEGIN;
SELECT plan(24);

INSERT INTO crm.account (id, name, industry, region, email) VALUES (900001, 'Vodokanal Test', 'water_supply', 'Kyiv', 'info@vodokanal.example.ua');
INSERT INTO crm.product (id, sku, name, kind, unit, list_price, attributes) VALUES
    (900001, 'T-DN300', 'GRP pressure pipe DN300', 'goods', 'm', 1500,
     '{"pipe_type": "pressure", "diameter_mm": 300, "length_m": 12, "working_pressure_bar": 16, "material": "GRP", "certification": ["ISO 9001"]}');

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

SELECT * FROM finish();
ROLLBACK;
