-- Statuses from the MES: key mapping, each outcome of one message, and a
-- batch of 10,000 messages with duplicates, stale ones, unknown keys, illegal
-- transitions and unknown statuses, whose counts follow from how the batch is
-- built (written out below).
BEGIN;
SELECT plan(39);
\ir ../lib/pgtap.sql

INSERT INTO crm.product (id, sku, name, kind, list_price) VALUES (940001, 'MES-1', 'GRP pipe DN300', 'goods', 10);
INSERT INTO crm.production_order (id, product_id, diameter_mm, length_m, quantity)
SELECT 940000 + i, 940001, 300, 12, 5 FROM generate_series(1, 2010) i;

-- Mapping keys --------------------------------------------------------------------------------
SELECT lives_ok($$SELECT crm.map_external_key('MES', 'production_order', 'WO-' || i, (940000 + i)::text) FROM generate_series(1, 2010) i$$,
    'map_external_key: the MES''s work order numbers name production orders');
SELECT is((SELECT count(*) FROM crm.external_key WHERE system = 'MES' AND entity = 'crm.production_order'::regclass), 2010::bigint,
    '... one mapping each, under the table''s own name');
SELECT throws_ok($$SELECT crm.map_external_key('MES', 'production_order', 'WO-0', '999999')$$, 'PC003',
    'crm.production_order row 999999 does not exist', 'a key of a row that does not exist');
SELECT throws_ok($$SELECT crm.map_external_key('MES', 'production_order', 'WO-0', 'abc')$$, 'PC003', NULL, '... or cannot exist');
SELECT throws_ok($$SELECT crm.map_external_key('MES', 'account', 'A-1', '1')$$, '55000', 'crm.account has no workflow',
    'a table without a workflow takes no statuses');
SELECT throws_ok($$SELECT crm.map_external_key('MES', 'no_such', 'A-1', '1')$$, '42P01', 'entity "no_such" is not a table',
    'an entity that is not a table');

-- One message at a time ----------------------------------------------------------------------
SELECT is(crm.apply_external_status('MES', 'production_order', 'WO-2001', 'in_progress', '2026-03-01 08:00', 'm-1'), 'applied',
    'a status for a mapped key is applied');
SELECT is((SELECT status FROM crm.production_order WHERE id = 942001), 'in_progress', '... through the row''s workflow');
SELECT results_eq($$SELECT from_state, to_state FROM crm.status_history WHERE table_name = 'crm.production_order' AND row_key = '942001'
                    ORDER BY id DESC LIMIT 1$$, $$VALUES ('accepted', 'in_progress')$$, '... with its history');
SELECT is((SELECT count(*) FROM crm.event WHERE kind = 'production_order.status_changed' AND entity_key = '942001'), 1::bigint,
    '... and its event');
SELECT is(crm.apply_external_status('MES', 'production_order', 'WO-2001', 'quality_control', '2026-03-01 09:00', 'm-1'), 'duplicate',
    'a message id seen before is a duplicate');
SELECT results_eq($$SELECT status FROM crm.production_order WHERE id = 942001$$, ARRAY['in_progress'], '... and changes nothing');
SELECT is(crm.apply_external_status('MES', 'crm.production_order', 'WO-2001', 'in_progress', '2026-03-01 08:30', 'm-2'), 'unchanged',
    'the status the row already has is unchanged (however the entity is spelt)');
SELECT is(crm.apply_external_status('MES', 'production_order', 'WO-2001', 'quality_control', '2026-03-01 10:00', 'm-3'), 'applied',
    'the next status applies');
SELECT is(crm.apply_external_status('MES', 'production_order', 'WO-2001', 'in_progress', '2026-03-01 09:00', 'm-4'), 'stale',
    'a message older than the last applied is stale');
SELECT results_eq($$SELECT status FROM crm.production_order WHERE id = 942001$$, ARRAY['quality_control'], '... and changes nothing');
SELECT is(crm.apply_external_status('MES', 'production_order', 'WO-9999', 'in_progress', '2026-03-01 09:00', 'm-5'), 'unknown_key',
    'a key with no mapping is unknown_key');
SELECT is(crm.apply_external_status('MES', 'production_order', 'WO-2002', 'ready_for_shipment', '2026-03-01 09:00', 'm-6'), 'rejected',
    'a transition the workflow refuses is rejected');
SELECT is(crm.apply_external_status('MES', 'production_order', 'WO-2003', 'painted', '2026-03-01 09:00', 'm-7'), 'rejected',
    '... as is an unknown status');
SELECT is(crm.apply_external_status('MES', 'Prod Order!', 'WO-2003', 'in_progress', '2026-03-01 09:00', 'm-8'), 'rejected',
    '... and an entity that is not a table');
SELECT results_eq($$SELECT message_id, outcome, sqlstate FROM crm.inbound_problems WHERE message_id LIKE 'm-%' ORDER BY message_id$$,
    $$VALUES ('m-4', 'stale', 'PC045'), ('m-5', 'unknown_key', 'PC003'), ('m-6', 'rejected', 'PC001'), ('m-7', 'rejected', 'PC002'),
             ('m-8', 'rejected', '42P01')$$,
    'crm.inbound_problems reports each with its SQLSTATE');
SELECT matches((SELECT error FROM crm.inbound_problems WHERE message_id = 'm-6'),
    'invalid status transition for crm.production_order row 942002: "accepted" -> "ready_for_shipment"', '... and the refusal''s message');
SELECT is((SELECT count(*) FROM crm.inbound_message WHERE message_id LIKE 'm-%'), 8::bigint, 'every message is logged once');
SELECT throws_ok($$SELECT crm.apply_external_status('MES', 'production_order', 'WO-1', 'in_progress', now(), NULL)$$, '22004',
    'message_id must not be NULL', 'a message without an id is the caller''s error');
SELECT throws_ok($$SELECT * FROM crm.apply_external_statuses('MES', '[{"entity": "production_order", "key": "WO-1"}]')$$, '22023', NULL,
    'a batch with an incomplete message is refused whole');
SELECT throws_ok($$SELECT * FROM crm.apply_external_statuses('MES', '{}')$$, '22023', NULL, 'a batch is a JSON array');

-- A batch of 10,000 messages ---------------------------------------------------------------------
-- For production orders i = 1..2000, in order: ready_for_shipment at +30 min when i % 8 = 1 (illegal from
-- accepted), "painted" at +42 min when i % 10 = 3 (unknown status), in_progress at +1 h, in_progress again at
-- +72 min when i % 25 = 7 (unchanged), quality_control at +2 h, the same message again when i % 4 = 0
-- (duplicate), in_progress at +90 min when i % 5 = 0 (stale: older than the quality_control applied),
-- ready_for_shipment at +3 h. Then 2,570 messages for keys nobody mapped.
-- Counts: 3 x 2000 = 6000 applied; 2000 / 25 = 80 unchanged; 2000 / 4 = 500 duplicates; 2000 / 5 = 400 stale;
-- 2000 / 8 = 250 illegal; 2000 / 10 = 200 unknown statuses; 2,570 unknown keys; 6000 + 80 + 500 + 400 + 250 + 200 + 2570 = 10,000.
CREATE TEMP TABLE batch AS
WITH steps(step, minutes, status, wanted) AS (
    VALUES (1, 30, 'ready_for_shipment', 'i % 8 = 1'), (2, 42, 'painted', 'i % 10 = 3'), (3, 60, 'in_progress', 'true'),
           (4, 72, 'in_progress', 'i % 25 = 7'), (5, 120, 'quality_control', 'true'), (6, 120, 'quality_control', 'i % 4 = 0'),
           (7, 90, 'in_progress', 'i % 5 = 0'), (8, 180, 'ready_for_shipment', 'true'))
SELECT row_number() OVER (ORDER BY i, step) AS n,
       jsonb_build_object('entity', 'production_order', 'key', 'WO-' || i, 'status', status,
                          'occurred_at', timestamptz '2026-04-01' + i * interval '1 second' + minutes * interval '1 minute',
                          'message_id', format('b-%s-%s', i, CASE step WHEN 6 THEN 5 ELSE step END)) AS message
FROM generate_series(1, 2000) i, steps
WHERE CASE wanted WHEN 'true' THEN true WHEN 'i % 8 = 1' THEN i % 8 = 1 WHEN 'i % 10 = 3' THEN i % 10 = 3
                  WHEN 'i % 25 = 7' THEN i % 25 = 7 WHEN 'i % 4 = 0' THEN i % 4 = 0 ELSE i % 5 = 0 END
UNION ALL
SELECT 100000 + k, jsonb_build_object('entity', 'production_order', 'key', 'X-' || k, 'status', 'in_progress',
                                      'occurred_at', '2026-04-02', 'message_id', 'b-x-' || k)
FROM generate_series(1, 2570) k;
SELECT is((SELECT count(*) FROM batch), 10000::bigint, 'the batch holds 10,000 messages');
CREATE TEMP TABLE outcomes AS
SELECT * FROM crm.apply_external_statuses('MES', (SELECT jsonb_agg(message ORDER BY n) FROM batch));
SELECT results_eq($$SELECT outcome, count(*) FROM outcomes GROUP BY outcome ORDER BY outcome$$,
    $$VALUES ('applied', 6000::bigint), ('duplicate', 500), ('rejected', 450), ('stale', 400), ('unchanged', 80), ('unknown_key', 2570)$$,
    'the batch applies the good messages and sorts out the rest');
SELECT is((SELECT count(*) FROM crm.production_order WHERE id BETWEEN 940001 AND 942000 AND status = 'ready_for_shipment'), 2000::bigint,
    'every production order reached ready for shipment');
SELECT is((SELECT count(*) FROM crm.status_history WHERE table_name = 'crm.production_order' AND row_key::bigint BETWEEN 940001 AND 942000
             AND from_state IS NOT NULL),
    6000::bigint, '... one history row per applied message');
SELECT results_eq($$SELECT outcome, sqlstate, count(*) FROM crm.inbound_problems WHERE message_id LIKE 'b-%' GROUP BY 1, 2 ORDER BY 1, 2$$,
    $$VALUES ('rejected', 'PC001', 250::bigint), ('rejected', 'PC002', 200), ('stale', 'PC045', 400), ('unknown_key', 'PC003', 2570)$$,
    'crm.inbound_problems reports the stale, unknown and refused ones with their SQLSTATEs');
SELECT is((SELECT count(*) FROM crm.inbound_message WHERE message_id LIKE 'b-%'), 9500::bigint, 'a duplicate is not logged twice');
SELECT is((SELECT count(*) FROM outcomes o JOIN batch b ON b.message ->> 'message_id' = o.message_id
           WHERE b.message ->> 'status' = 'in_progress' AND o.outcome = 'stale'
             AND (b.message ->> 'occurred_at')::timestamptz - timestamptz '2026-04-01'
                 - (split_part(o.message_id, '-', 2)::int * interval '1 second') = interval '90 minutes'), 400::bigint,
    'the stale ones are exactly the late in_progress reports');
SELECT is(crm.apply_external_status('MES', 'production_order', 'WO-8', 'in_progress', '2026-04-01 01:00', 'b-8-3'), 'duplicate',
    'a resend after the batch is still a duplicate');

-- Retention --------------------------------------------------------------------------------------
UPDATE crm.inbound_message SET received_at = now() - interval '31 days' WHERE message_id LIKE 'b-x-%';
SELECT matches((SELECT message FROM crm.etl_refresh('events')), '2570 inbound messages', 'the events job prunes the inbound log');
SELECT is((SELECT count(*) FROM crm.inbound_message WHERE message_id LIKE 'b-%'), 6930::bigint, '... past pgcrm.event_retention only');
SELECT is(crm.apply_external_status('MES', 'production_order', 'X-1', 'in_progress', '2026-04-02', 'b-x-1'), 'unknown_key',
    'a message id is known for as long as its message is kept');

-- A key of a length-limited type ----------------------------------------------------------------
-- The key is compared as its type without the length: 'ABCD'::varchar(3) would be cut to 'ABC'.
CREATE SCHEMA inb;
CREATE TABLE inb.po (code varchar(3) PRIMARY KEY, status text);
SELECT crm.attach_workflow('inb.po', 'status', 'production_order');
INSERT INTO inb.po (code) VALUES ('ABC');
SELECT throws_ok($$SELECT crm.map_external_key('MES', 'inb.po', 'K-1', 'ABCD')$$, 'PC003', 'inb.po row ABCD does not exist',
    'a key longer than the key column names no row, not the row it would be cut to');
SELECT crm.map_external_key('MES', 'inb.po', 'K-1', 'ABC');
SELECT is(crm.apply_external_status('MES', 'inb.po', 'K-1', 'in_progress', '2026-04-03', 'inb-1'), 'applied',
    '... and the row it does name takes statuses');

SELECT * FROM finish();
ROLLBACK;
