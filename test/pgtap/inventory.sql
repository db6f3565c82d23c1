-- Stock, reservations, shipments: every function, every error, the ledger and
-- the invariants. Concurrency is in test/concurrency/reservation_race.sh.
BEGIN;
SELECT plan(65);
\ir ../lib/pgtap.sql


INSERT INTO crm.product (id, sku, name, kind, list_price) VALUES (910001, 'INV-DN300', 'Pipe DN300', 'goods', 100), (910002, 'INV-DN500', 'Pipe DN500', 'goods', 200);
INSERT INTO crm.warehouse (id, code, name) VALUES (910001, 'INV-A', 'A'), (910002, 'INV-B', 'B');

-- Receiving and adjusting -------------------------------------------------------------
SELECT is(crm.receive_stock(910001, 910001, 100, 'GRN-1'), 100::numeric, 'receive_stock returns the new on_hand');
SELECT is(crm.receive_stock(910001, 910001, 20.5, 'GRN-2'), 120.5::numeric, '... and adds up');
SELECT lives_ok($$SELECT crm.receive_stock(910001, 910002, 50, 'GRN-3')$$, 'a second warehouse');
SELECT throws_ok($$SELECT crm.receive_stock(910001, 910001, 0, 'x')$$, '22023', 'received quantity must be a positive, finite number, not 0',
    'receiving nothing');
SELECT throws_ok($$SELECT crm.receive_stock(910001, 910001, 'NaN', 'x')$$, '22023', NULL, 'receiving NaN');
SELECT throws_ok($$SELECT crm.receive_stock(999999, 910001, 1, 'x')$$, 'PC003', 'product 999999 does not exist', 'an unknown product');
SELECT throws_ok($$SELECT crm.receive_stock(910001, 999999, 1, 'x')$$, 'PC003', 'warehouse 999999 does not exist', 'an unknown warehouse');
SELECT is(crm.adjust_stock(910001, 910001, -0.5, 'count 2031-01'), 120::numeric, 'adjust_stock corrects on_hand');
SELECT throws_ok($$SELECT crm.adjust_stock(910001, 910001, -500, 'count')$$, 'PC010', NULL, 'an adjustment below zero');
SELECT throws_ok($$SELECT crm.adjust_stock(910001, 910001, 5, NULL)$$, '22004', NULL, 'an adjustment without a reference');

-- Reserving --------------------------------------------------------------------------
SELECT ok(crm.reserve(910001, 30, 910002) > 0, 'reserve in a named warehouse');
SELECT crm.reserve(910001, 10) AS picked \gset
SELECT is((SELECT warehouse_id FROM crm.reservation WHERE id = :picked), 910001::bigint,
    'with no warehouse, the first warehouse (in lock order) that has the quantity');
SELECT results_eq($$SELECT on_hand, reserved, available FROM crm.stock_available WHERE product_id = 910001 ORDER BY warehouse_id$$,
    $$VALUES (120::numeric, 10::numeric, 110::numeric), (50, 30, 20)$$, 'stock_available shows on hand, reserved and available');
SELECT is(pg_temp.error_of($$SELECT crm.reserve(910001, 25, 910002)$$),
    ARRAY['PC010', 'not enough product in stock: product 910001 (INV-DN300) in warehouse 910002 (INV-B): requested 25, available 20', '', ''],
    'insufficient stock names product, warehouse, requested and available');
SELECT is((pg_temp.error_of($$SELECT crm.reserve(910001, 111)$$))[1:2],
    ARRAY['PC010', 'not enough product in stock: product 910001 (INV-DN300) in any warehouse: requested 111, available 130.0 in total and in no single warehouse'],
    '... also across warehouses');
SELECT throws_ok($$SELECT crm.reserve(910001, 0)$$, '22023', 'quantity to reserve must be a positive, finite number, not 0', 'reserving nothing');
SELECT throws_ok($$SELECT crm.reserve(910001, -3)$$, '22023', NULL, 'a negative quantity');
SELECT throws_ok($$SELECT crm.reserve(910001, 'Infinity')$$, '22023', NULL, 'an infinite quantity');
SELECT throws_ok($$SELECT crm.reserve(910001, 'NaN')$$, '22023', NULL, 'NaN');
SELECT throws_ok($$SELECT crm.reserve(NULL, 1)$$, '22004', NULL, 'no product');
SELECT throws_ok($$SELECT crm.reserve(999999, 1)$$, 'PC003', 'product 999999 does not exist', 'an unknown product');
SELECT throws_ok($$SELECT crm.reserve(910001, 1, 999999)$$, 'PC003', 'warehouse 999999 does not exist', 'an unknown warehouse');
SELECT throws_ok($$SELECT crm.reserve(910001, 1, ttl => '-1 hour')$$, '22023', NULL, 'a negative ttl');
SELECT is((SELECT reserved FROM crm.stock WHERE product_id = 910001 AND warehouse_id = 910002), 30::numeric,
    'failed calls left nothing behind');

SELECT crm.reserve(910001, 5, request_key => 'web-order-77') AS keyed \gset
SELECT is(crm.reserve(910001, 5, request_key => 'web-order-77'), :keyed::bigint, 'a repeated request key returns the same reservation');
SELECT is((SELECT count(*) FROM crm.reservation WHERE request_key = 'web-order-77')::int, 1, '... and reserves nothing more');
SELECT throws_ok($$SELECT crm.reserve(910001, 6, request_key => 'web-order-77')$$, '22023', NULL,
    'a request key reused for another quantity');

-- Releasing and expiring ----------------------------------------------------------------
SELECT lives_ok(format('SELECT crm.release(%s)', :keyed), 'release');
SELECT throws_ok(format('SELECT crm.release(%s)', :keyed), 'PC011', format('reservation %s is not active: it is released', :keyed),
    'releasing twice');
SELECT throws_ok($$SELECT crm.release(999999)$$, 'PC003', NULL, 'an unknown reservation');
SELECT crm.reserve(910002 - 1, 7, 910001, ttl => '1 hour') AS expiring \gset
UPDATE crm.reservation SET expires_at = now() - interval '1 second' WHERE id = :expiring;
SELECT is(crm.expire_reservations(), 1, 'expire_reservations expires what is due');
SELECT is((SELECT status FROM crm.reservation WHERE id = :expiring), 'expired', '... marking it expired');
SELECT is(crm.expire_reservations(), 0, '... once');
SELECT throws_ok($$UPDATE crm.stock_movement SET reference = 'x'$$, 'PC014', NULL, 'the ledger cannot be changed');
SELECT throws_ok($$DELETE FROM crm.stock_movement$$, 'PC014', NULL, '... or emptied');

-- Orders and shipments -----------------------------------------------------------------------
INSERT INTO crm.account (id, name) VALUES (910001, 'Inventory client');
INSERT INTO crm.sales_order (id, account_id) VALUES (910001, 910001), (910002, 910001);
INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price) VALUES
    (910001, 1, 910001, 100, 1), (910001, 2, 910001, 25.5, 1), (910002, 1, 910002, 5, 1);
SELECT is((pg_temp.error_of($$SELECT crm.reserve_order(910002)$$))[1], 'PC010', 'an order with a line that cannot be served ...');
SELECT is_empty($$SELECT FROM crm.reservation r JOIN crm.order_line l ON l.id = r.order_line_id WHERE l.order_id = 910002$$,
    '... reserves nothing');
-- Available: A 110, B 20. Line 1 (100) fits in A; line 2 (25.5) fits nowhere whole: B 20 + A 5.5.
SELECT is(crm.reserve_order(910001), 3, 'reserve_order serves every line, splitting one across warehouses');
SELECT is((SELECT sum(r.quantity) FROM crm.reservation r JOIN crm.order_line l ON l.id = r.order_line_id WHERE l.order_id = 910001), 125.5::numeric,
    '... exactly the ordered quantity');
SELECT is(crm.reserve_order(910001), 0, 'calling it again reserves nothing more');
SELECT crm.plan_shipment(910001) AS shipment \gset
SELECT is((SELECT status FROM crm.shipment WHERE id = :shipment), 'planned', 'plan_shipment: a planned shipment');
SELECT is_empty($$SELECT FROM crm.reservation r JOIN crm.order_line l ON l.id = r.order_line_id WHERE l.order_id = 910001 AND r.expires_at IS NOT NULL$$,
    '... whose reservations no longer expire');
SELECT lives_ok(format('SELECT crm.confirm_shipment(%s)', :shipment), 'confirm_shipment');
SELECT results_eq($$SELECT sum(on_hand), sum(reserved) FROM crm.stock WHERE product_id = 910001$$,
    $$VALUES (170 - 125.5, 10 + 30::numeric)$$, 'shipping takes the goods out of on_hand and reserved (other holds stay)');
SELECT throws_ok(format('SELECT crm.cancel_shipment(%s)', :shipment), 'PC013', format('shipment %s is shipped, not planned', :shipment),
    'a shipped shipment cannot be cancelled');
SELECT crm.receive_stock(910002, 910001, 10, 'GRN-4');
SELECT is(crm.reserve_order(910002, '1 hour'), 1, 'the other order can now be reserved');
SELECT crm.plan_shipment(910002) AS second \gset
SELECT throws_ok(format('SELECT crm.release(%s)', (SELECT min(r.id) FROM crm.reservation r JOIN crm.order_line l ON l.id = r.order_line_id WHERE l.order_id = 910002)),
    'PC011', NULL, 'a reservation on a planned shipment is not released by hand');
SELECT lives_ok(format('SELECT crm.cancel_shipment(%s)', :second), 'cancel_shipment');
SELECT results_eq($$SELECT s.status, st.reserved FROM crm.shipment s, crm.stock st WHERE s.order_id = 910002 AND st.product_id = 910002$$,
    $$VALUES ('cancelled', 0::numeric)$$, '... gives the quantity back');
SELECT throws_ok($$SELECT crm.plan_shipment(910002)$$, 'PC011', 'order 910002 has no active reservations to ship', 'nothing left to ship');
SELECT crm.reserve_order(910002, '1 hour');
UPDATE crm.reservation SET expires_at = now() - interval '1 minute' WHERE status = 'active' AND product_id = 910002;
SELECT throws_like($$SELECT crm.plan_shipment(910002)$$, 'reservation % of order 910002 has expired', 'an expired hold cannot be shipped');
SELECT throws_ok($$SELECT crm.plan_shipment(999999)$$, 'PC003', 'order 999999 does not exist', 'an unknown order');
SELECT throws_ok($$SELECT crm.confirm_shipment(999999)$$, 'PC003', NULL, 'an unknown shipment');
-- Missing and out-of-range arguments are named.
SELECT throws_ok($$SELECT crm.receive_stock(NULL, 1, 5, 'x')$$, '22004', 'product must not be NULL', 'receive_stock names a NULL product');
SELECT throws_ok($$SELECT crm.receive_stock(910001, NULL, 5)$$, '22004', 'warehouse must not be NULL', '... and a NULL warehouse');
SELECT throws_ok($$SELECT crm.adjust_stock(910001, 910001, NULL, 'count')$$, '22004', 'delta must not be NULL',
    'adjust_stock names a NULL delta');
SELECT throws_ok($$SELECT crm.reserve(910001, 1, NULL, NULL, '1000 years')$$, '22023', 'ttl must be at most 100 years, not 1000 years',
    'a ttl past any calendar is refused with a hint, not a timestamp overflow');
SELECT throws_ok($$SELECT crm.reserve(910001, 1, NULL, NULL, NULL, '')$$, '22023', 'request_key must be 1 to 200 characters, not 0',
    'an empty request key');
SELECT throws_ok($$SELECT crm.close_reservations('{}', 'lost', 'release')$$, '22023',
    'a reservation closes as consumed, released or expired, not lost', 'close_reservations checks the new status');
SELECT is_empty('SELECT * FROM crm.stock_invariant_violations()', 'the invariants hold after all of the above');

-- The ledger: a hold is its reservation row, written once ---------------------------
SELECT is_empty($$SELECT FROM crm.stock_movement m JOIN crm.reservation r ON r.id = m.reservation_id
                  WHERE r.product_id IN (910001, 910002) AND m.kind = 'reservation'$$,
    'reserve and reserve_order store no movement that repeats the reservation');
SELECT is((SELECT count(*) FROM crm.stock_ledger l JOIN crm.reservation r ON r.id = l.reservation_id
           WHERE l.kind = 'reservation' AND l.movement_id IS NULL AND l.reserved_delta = r.quantity AND l.on_hand_delta = 0
             AND l.created_by = r.owner AND l.created_at = r.created_at AND r.product_id IN (910001, 910002)),
          (SELECT count(*) FROM crm.reservation WHERE product_id IN (910001, 910002)),
    'stock_ledger shows every reservation as its hold: the quantity, who and when');
SELECT results_eq($$SELECT s.reserved FROM crm.stock s WHERE s.product_id IN (910001, 910002) ORDER BY s.product_id, s.warehouse_id$$,
    $$SELECT sum(l.reserved_delta) FROM crm.stock_ledger l WHERE l.product_id IN (910001, 910002)
      GROUP BY l.product_id, l.warehouse_id ORDER BY l.product_id, l.warehouse_id$$,
    'reserved is the sum of the ledger''s reserved_delta: holds, releases, expiries and shipments');
-- A ledger row as 0.2 stored it, next to the reservation it repeats, counts once.
INSERT INTO crm.stock_movement (product_id, warehouse_id, kind, reserved_delta, reservation_id)
SELECT product_id, warehouse_id, 'reservation', quantity, id FROM crm.reservation WHERE product_id = 910001 ORDER BY id LIMIT 1;
SELECT is_empty('SELECT * FROM crm.stock_invariant_violations()', 'a hold stored as a movement by 0.2 is not counted twice');
UPDATE crm.stock SET reserved = reserved + 1 WHERE product_id = 910001 AND warehouse_id = 910001;
SELECT is((SELECT array_agg(problem ORDER BY problem) FROM crm.stock_invariant_violations()),
    ARRAY['reserved differs from the active reservations', 'reserved differs from the ledger'],
    'a counter changed behind the ledger''s back is caught by both checks');

SELECT * FROM finish();
ROLLBACK;
