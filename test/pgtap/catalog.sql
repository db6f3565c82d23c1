-- Products and warehouses: typed pipe attributes, prices, codes.
BEGIN;
SELECT plan(8);

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
SELECT throws_ok($$INSERT INTO crm.warehouse (code, name) VALUES ('kyiv central', 'x')$$, '23514', NULL, 'a warehouse code is upper-case');

SELECT * FROM finish();
ROLLBACK;
