-- The outbox: what each builtin kind emits and when, kinds of your own from
-- tables and from calls, switching kinds off, consumers in commit order with
-- at-least-once delivery, and retention. Concurrent writers and consumers,
-- a late commit and NOTIFY are in test/concurrency/events_race.sh.
BEGIN;
SELECT plan(60);
\ir ../lib/pgtap.sql

-- Builtin kinds and their triggers ------------------------------------------------------------
SELECT set_eq($$SELECT kind FROM crm.event_kinds WHERE builtin$$,
    ARRAY['sales_order.confirmed', 'sales_order.status_changed', 'production_order.created', 'production_order.status_changed',
          'shipment.shipped', 'lead.created', 'account.merged', 'contact.merged', 'invoice.issued', 'payment.received',
          'account.churn_risk', 'account.no_order_180d', 'invoice.overdue', 'installment.due_soon'],
    'the builtin kinds, billing''s four among them');
SELECT set_eq($$SELECT tgrelid::regclass || ' ' || tgname FROM pg_trigger WHERE tgfoid = 'crm.emit_row_event()'::regprocedure$$,
    ARRAY['crm.sales_order sales_order.confirmed', 'crm.sales_order sales_order.status_changed',
          'crm.production_order production_order.created', 'crm.production_order production_order.status_changed',
          'crm.shipment shipment.shipped', 'crm.lead lead.created', 'crm.invoice invoice.issued', 'crm.payment payment.received'],
    'each kind with a source has one trigger, named after it, on that table');
SELECT is_empty($$SELECT kind FROM crm.event_kinds WHERE NOT enabled$$, 'every kind is emitted until switched off');

-- What changes emit -------------------------------------------------------------------------
INSERT INTO crm.account (id, name, manager) VALUES (930001, 'Vodokanal Test', 'mgr_test');
INSERT INTO crm.product (id, sku, name, kind, list_price) VALUES (930001, 'EVT-1', 'Pipe', 'goods', 10);
CREATE TEMP TABLE mark AS SELECT coalesce(max(id), 0) AS id FROM crm.event;
INSERT INTO crm.sales_order (id, account_id) VALUES (930001, 930001);
SELECT is_empty($$SELECT FROM crm.event WHERE id > (SELECT id FROM mark)$$, 'a new draft order emits nothing');
UPDATE crm.sales_order SET status = 'confirmed' WHERE id = 930001;
SELECT results_eq($$SELECT kind, entity, entity_key, payload ->> 'status', payload ->> 'account_id', depth,
                           transaction_id = pg_current_xact_id(), actor = current_user
                    FROM crm.event WHERE id > (SELECT id FROM mark) ORDER BY id$$,
    $$VALUES ('sales_order.confirmed', 'crm.sales_order', '930001', 'confirmed', '930001', 0::smallint, true, true),
             ('sales_order.status_changed', 'crm.sales_order', '930001', 'confirmed', '930001', 0::smallint, true, true)$$,
    'confirming an order emits sales_order.confirmed and status_changed, with the new row, the transaction and the role');
SELECT is((SELECT payload FROM crm.event WHERE kind = 'sales_order.confirmed' AND entity_key = '930001'),
    (SELECT to_jsonb(o) FROM crm.sales_order o WHERE id = 930001), 'the payload is the row as it is after the change');
UPDATE mark SET id = (SELECT max(id) FROM crm.event);
UPDATE crm.sales_order SET delivery_terms = 'FCA' WHERE id = 930001;
SELECT is_empty($$SELECT FROM crm.event WHERE id > (SELECT id FROM mark)$$, 'a change that leaves the status alone emits nothing');
UPDATE crm.sales_order SET status = 'in_production' WHERE id = 930001;
SELECT results_eq($$SELECT kind FROM crm.event WHERE id > (SELECT id FROM mark)$$, ARRAY['sales_order.status_changed'],
    'a move to another status emits status_changed only');
UPDATE mark SET id = (SELECT max(id) FROM crm.event);
INSERT INTO crm.production_order (id, product_id, diameter_mm, length_m, quantity) VALUES (930001, 930001, 300, 12, 5);
UPDATE crm.production_order SET status = 'in_progress' WHERE id = 930001;
INSERT INTO crm.lead (id, source, company_name) VALUES (930001, 'web', 'Prospect');
SELECT results_eq($$SELECT kind, entity_key, payload ->> 'status' FROM crm.event WHERE id > (SELECT id FROM mark) ORDER BY id$$,
    $$VALUES ('production_order.created', '930001', 'accepted'), ('production_order.status_changed', '930001', 'in_progress'),
             ('lead.created', '930001', 'new')$$,
    'production orders emit created and status_changed, leads created');
SAVEPOINT before_rollback;
UPDATE crm.production_order SET status = 'quality_control' WHERE id = 930001;
ROLLBACK TO SAVEPOINT before_rollback;
SELECT is((SELECT count(*) FROM crm.event WHERE kind = 'production_order.status_changed' AND entity_key = '930001'), 1::bigint,
    'a change rolled back leaves no event');

-- Kinds of your own -------------------------------------------------------------------------
CREATE SCHEMA evt;
CREATE TABLE evt.ticket (site int, day date, status text, PRIMARY KEY (site, day));
SELECT lives_ok($$SELECT crm.emit_on('evt.ticket', 'ticket.opened', description => 'A ticket was opened')$$,
    'emit_on: a user table emits a kind for each inserted row');
SELECT lives_ok($$SELECT crm.emit_on('evt.ticket', 'ticket.closed', 'status', 'closed')$$,
    '... or for each row whose status column changes to a state');
UPDATE mark SET id = (SELECT max(id) FROM crm.event);
INSERT INTO evt.ticket VALUES (7, '2026-01-01', 'open');
UPDATE evt.ticket SET status = 'waiting';
UPDATE evt.ticket SET status = 'closed';
SELECT results_eq($$SELECT kind, entity, entity_key, payload ->> 'status' FROM crm.event WHERE id > (SELECT id FROM mark) ORDER BY id$$,
    $$VALUES ('ticket.opened', 'evt.ticket', '(7,2026-01-01)', 'open'), ('ticket.closed', 'evt.ticket', '(7,2026-01-01)', 'closed')$$,
    'a composite key is written (7,2026-01-01), as in crm.status_history');
-- Several rows and kinds in one statement: row by row, the kinds in trigger
-- (name) order, each event followed at once by what its synchronous rules emit.
CREATE TABLE evt.lane (id int PRIMARY KEY, status text);
SELECT crm.emit_on('evt.lane', 'lane.moved', 'status');
SELECT crm.emit_on('evt.lane', 'lane.done', 'status', 'done');
SELECT crm.add_event_kind('lane.noted', 'what a rule says of a finished lane');
INSERT INTO crm.automation_rule (name, kind, action, params, mode, enabled) VALUES
    ('note_done_lane', 'lane.done', 'emit', '{"kind": "lane.noted", "payload": {"noted": true}}', 'sync', true);
INSERT INTO evt.lane VALUES (1, 'open'), (2, 'open'), (3, 'done');
UPDATE mark SET id = (SELECT max(id) FROM crm.event);
UPDATE evt.lane SET status = 'done';
SELECT results_eq($$SELECT kind, entity_key, depth, payload ->> 'noted' FROM crm.event WHERE id > (SELECT id FROM mark) ORDER BY id$$,
    $$VALUES ('lane.done', '1', 0::smallint, NULL), ('lane.noted', '1', 1::smallint, 'true'), ('lane.moved', '1', 0::smallint, NULL),
             ('lane.done', '2', 0::smallint, NULL), ('lane.noted', '2', 1::smallint, 'true'), ('lane.moved', '2', 0::smallint, NULL)$$,
    'a multi-row update emits row by row, kinds in name order, each followed by its synchronous rules'' events');
DELETE FROM crm.automation_rule WHERE name = 'note_done_lane';
DROP TABLE evt.lane;
SELECT lives_ok($$SELECT crm.emit_on('evt.ticket', 'ticket.closed', 'status', 'done')$$, 'emit_on again changes the kind');
SELECT ok((SELECT pg_get_triggerdef(oid) LIKE '%''done''%' FROM pg_trigger WHERE tgname = 'ticket.closed'), '... and its trigger');
SELECT throws_ok($$SELECT crm.emit_on('evt.ticket', 'sales_order.confirmed')$$, '22023', 'event kind "sales_order.confirmed" is builtin',
    'a builtin kind cannot be taken over');
SELECT throws_ok($$SELECT crm.emit_on('evt.ticket', 'Ticket')$$, '23514', NULL, 'a kind is entity.action in lower case');
SELECT throws_ok($$SELECT crm.emit_on('evt.ticket', 'ticket.moved', 'no_such')$$, '42703', 'column "no_such" of evt.ticket does not exist',
    'an unknown status column');
SELECT throws_ok($$SELECT crm.emit_on('evt.ticket', 'ticket.moved', NULL, 'x')$$, '22023', 'to_state "x" needs a status_column',
    'to_state without a column');
CREATE TABLE evt.nokey (status text);
SELECT throws_ok($$SELECT crm.emit_on('evt.nokey', 'nokey.made')$$, '55000', 'evt.nokey has no primary key', 'a table without a key');
SELECT throws_ok($$SELECT crm.emit_on('crm.event', 'event.made')$$, '42809', NULL, 'the outbox itself never emits');
SELECT throws_ok($$SELECT crm.emit_on('pg_catalog.pg_class', 'class.made')$$, '42809', NULL, 'nor a catalog');
SELECT throws_ok($$SELECT crm.emit_on(NULL, 'x.y')$$, '22004', 'tbl must not be NULL', 'NULL arguments are named');
DROP TABLE evt.nokey;
SELECT lives_ok($$SELECT crm.drop_event_kind('ticket.opened')$$, 'drop_event_kind removes a kind of your own');
SELECT is_empty($$SELECT FROM pg_trigger WHERE tgname = 'ticket.opened'$$, '... and its trigger');
SELECT throws_ok($$SELECT crm.drop_event_kind('lead.created')$$, '22023', 'event kind "lead.created" is builtin', 'builtin kinds stay');
SELECT throws_ok($$SELECT crm.drop_event_kind('no.such')$$, 'PC040', 'unknown event kind "no.such"', 'an unknown kind');
DROP TABLE evt.ticket;
SELECT is_empty($$SELECT FROM crm.event_kind WHERE kind = 'ticket.closed'$$, 'dropping a source table drops its kinds');
-- A restore loads kind rows as a replica: the trigger still follows.
CREATE TABLE evt.job (id int PRIMARY KEY);
SET session_replication_role = replica;
INSERT INTO crm.event_kind (kind, source) VALUES ('job.made', 'evt.job');
RESET session_replication_role;
SELECT is((SELECT count(*) FROM pg_trigger WHERE tgrelid = 'evt.job'::regclass AND tgname = 'job.made'), 1::bigint,
    'a kind loaded by a restore gets its trigger');

-- Events emitted by calls -------------------------------------------------------------------
SELECT lives_ok($$SELECT crm.add_event_kind('quote.sent', 'A commercial proposal was sent')$$, 'add_event_kind: a kind for calls');
SELECT ok(crm.emit_event('quote.sent', 'crm.deal', '42', '{"amount": 5000}') > (SELECT id FROM mark), 'emit_event returns the event id');
SELECT results_eq($$SELECT entity, entity_key, payload FROM crm.event WHERE kind = 'quote.sent'$$,
    $$VALUES ('crm.deal', '42', '{"amount": 5000}'::jsonb)$$, '... and writes what it was given');
SELECT throws_ok($$SELECT crm.emit_event('invoice.issued', 'crm.invoice', '1')$$, '22023',
    'event kind "invoice.issued" is emitted by the trigger on crm.invoice, not by a call', 'nor is billing''s');
SELECT throws_ok($$SELECT crm.emit_event('sales_order.confirmed', 'crm.sales_order', '1')$$, '22023',
    'event kind "sales_order.confirmed" is emitted by the trigger on crm.sales_order, not by a call', 'a table''s kind is not emitted by hand');
SELECT throws_ok($$SELECT crm.emit_event('no.such', 'x', '1')$$, 'PC040', 'unknown event kind "no.such"', 'an unknown kind is PC040');
SELECT throws_ok($$SELECT crm.emit_event('quote.sent', 'x', NULL)$$, '22004', 'entity_key must not be NULL', 'a NULL key');

-- Switching kinds off -----------------------------------------------------------------------
SELECT crm.set_event_kind('lead.created', false);
UPDATE mark SET id = (SELECT max(id) FROM crm.event);
INSERT INTO crm.lead (source, company_name) VALUES ('web', 'Quiet');
SELECT is_empty($$SELECT FROM crm.event WHERE kind = 'lead.created' AND id > (SELECT id FROM mark)$$, 'a kind switched off emits nothing');
SELECT crm.set_event_kind('quote.sent', false);
SELECT is(crm.emit_event('quote.sent', 'x', '1'), NULL, 'emit_event returns NULL for a kind switched off');
SELECT crm.set_event_kind('lead.created', true, '2 days');
SELECT results_eq($$SELECT enabled, retention FROM crm.event_kinds WHERE kind = 'lead.created'$$,
    $$VALUES (true, interval '2 days')$$, 'settings show in crm.event_kinds');
SELECT throws_ok($$SELECT crm.set_event_kind('lead.created', true, '1 minute')$$, '22023', NULL, 'a retention under an hour');
SET pgcrm.emit_events = off;
INSERT INTO crm.lead (source, company_name) VALUES ('import', 'Bulk');
RESET pgcrm.emit_events;
SELECT is_empty($$SELECT FROM crm.event WHERE payload ->> 'company_name' = 'Bulk'$$, 'a superuser''s bulk load with pgcrm.emit_events off emits nothing');

-- Consumers ---------------------------------------------------------------------------------
-- Here every event is this transaction's own, so the sequencer sees them all.
SELECT is((SELECT count(*) FROM crm.consume_events('evt-a', 3)), 3::bigint, 'consume_events hands out at most max events');
SELECT results_eq($$SELECT position FROM crm.consume_events('evt-a', 3)$$,
    $$SELECT position FROM crm.event WHERE position IS NOT NULL ORDER BY position LIMIT 3$$,
    'until acknowledged, the same events come again (at least once), in position order');
SELECT is(crm.ack_events('evt-a', (SELECT max(position) FROM crm.consume_events('evt-a', 3))),
    (SELECT position FROM crm.event WHERE position IS NOT NULL ORDER BY position OFFSET 2 LIMIT 1), 'ack_events returns the new position');
SELECT results_eq($$SELECT position FROM crm.consume_events('evt-a', 2)$$,
    $$SELECT position FROM crm.event WHERE position IS NOT NULL ORDER BY position OFFSET 3 LIMIT 2$$, '... and the next ones follow');
SELECT ok(crm.ack_events('evt-a', 1) > 1, 'acknowledging an older position does not move back');
SELECT throws_ok($$SELECT crm.ack_events('evt-a', 1000000000)$$, 'PC042', NULL, 'a position never handed out cannot be acknowledged');
SELECT throws_ok($$SELECT crm.ack_events('evt-nobody', 1)$$, 'PC041', 'unknown event consumer "evt-nobody"', 'an unknown consumer');
SELECT throws_ok($$SELECT crm.consume_events('evt-a', 0)$$, '22023', 'max must be 1 to 10000, not 0', 'max out of range');
SELECT crm.create_event_consumer('evt-quotes', '{quote.sent}');
SELECT results_eq($$SELECT kind, entity_key FROM crm.consume_events('evt-quotes', 100)$$, $$VALUES ('quote.sent', '42')$$,
    'a consumer of some kinds gets only those, from the oldest kept');
SELECT throws_ok($$SELECT crm.create_event_consumer('evt-b', '{no.such}')$$, 'PC040', NULL, 'a consumer of an unknown kind');
SELECT is((SELECT count(*) FROM crm.consume_events((crm.create_event_consumer('evt-late', from_now => true)).consumer)), 0::bigint,
    'a consumer created from now gets only what comes after');
SELECT is((SELECT behind FROM crm.event_consumers WHERE consumer = 'evt-late'), 0::bigint, 'crm.event_consumers shows how far behind');
SELECT ok(crm.drop_event_consumer('evt-late') AND NOT crm.drop_event_consumer('evt-late'), 'drop_event_consumer');

-- Retention ---------------------------------------------------------------------------------
SELECT crm.drop_event_consumer(consumer) FROM crm.event_consumer WHERE consumer NOT IN ('evt-a');
UPDATE crm.event SET occurred_at = now() - interval '40 days' WHERE kind <> 'quote.sent';
SELECT results_eq($$SELECT status FROM crm.etl_refresh('events')$$, ARRAY['succeeded'], 'the events job runs');
SELECT is_empty($$SELECT FROM crm.event WHERE occurred_at < now() - interval '30 days' AND position <= (SELECT position FROM crm.event_consumer)$$,
    'events past retention that every consumer acknowledged are gone');
SELECT ok(EXISTS (SELECT FROM crm.event WHERE occurred_at < now() - interval '30 days'
                  AND position > (SELECT position FROM crm.event_consumer)), 'events a consumer still needs stay');
SELECT matches((SELECT message FROM crm_dw.etl_run WHERE job = 'events' ORDER BY id DESC LIMIT 1), 'wait for consumer evt-a',
    'the job says which consumer holds them');
SELECT crm.drop_event_consumer('evt-a');
SELECT crm.etl_refresh('events');
SELECT is_empty($$SELECT FROM crm.event WHERE occurred_at < now() - interval '30 days'$$, 'with no consumer, age alone decides');

SELECT * FROM finish();
ROLLBACK;
