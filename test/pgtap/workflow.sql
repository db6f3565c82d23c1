-- The status-transition engine: seeded workflows, every rule, every error,
-- history, cache invalidation inside one session, attach/detach.
BEGIN;
SELECT plan(90);
\ir ../lib/pgtap.sql


-- Seeded workflows ---------------------------------------------------------
SELECT is_empty($$SELECT unnest(ARRAY['workflow', 'workflow_state', 'workflow_transition', 'workflow_attachment', 'status_history'])
                  EXCEPT SELECT tablename FROM pg_tables WHERE schemaname = 'crm'$$, 'the workflow tables exist');
SELECT set_eq('SELECT code FROM crm.workflow',
    ARRAY['production_order', 'sales_order', 'deal', 'lead', 'shipment', 'credit_application', 'task', 'contract', 'quote',
          'invoice'], 'ten seeded workflows');
SELECT results_eq(
    $$SELECT code, label_uk, is_initial, is_final FROM crm.workflow_state WHERE workflow = 'production_order' ORDER BY sort_order$$,
    $$VALUES ('accepted', 'Прийнято у виробництво', true, false), ('in_progress', 'У процесі виготовлення', false, false),
             ('quality_control', 'Контроль якості', false, false), ('ready_for_shipment', 'Готово до відвантаження', false, true),
             ('cancelled', 'Скасовано', false, true)$$,
    'production_order states with Ukrainian labels');
SELECT set_eq($$SELECT from_state || '>' || to_state FROM crm.workflow_transition WHERE workflow = 'production_order'$$,
    ARRAY['accepted>in_progress', 'in_progress>quality_control', 'quality_control>ready_for_shipment',
          'accepted>cancelled', 'in_progress>cancelled'], 'production_order moves only forward, or to cancelled early');
SELECT set_eq($$SELECT from_state || '>' || to_state FROM crm.workflow_transition WHERE workflow = 'sales_order'$$,
    ARRAY['draft>confirmed', 'confirmed>in_production', 'in_production>ready', 'ready>shipped', 'shipped>delivered',
          'draft>cancelled', 'confirmed>cancelled'], 'sales_order transitions');
SELECT set_eq($$SELECT from_state || '>' || to_state FROM crm.workflow_transition WHERE workflow = 'credit_application'$$,
    ARRAY['pending>started', 'pending>refused', 'started>finished'], 'credit_application transitions');
SELECT is_empty($$SELECT workflow FROM crm.workflow_state GROUP BY workflow
                  HAVING count(*) FILTER (WHERE is_initial) <> 1 OR count(*) FILTER (WHERE is_final) = 0$$,
    'every seeded workflow has one initial state and at least one final state');
SELECT results_eq($$SELECT code FROM crm.next_states('production_order', 'accepted')$$,
    ARRAY['in_progress', 'cancelled'], 'next_states lists the allowed moves in display order');

-- Attaching to a user table -----------------------------------------------------
CREATE SCHEMA wft;
CREATE TABLE wft.po (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, product text NOT NULL, status text);
SELECT lives_ok($$SELECT crm.attach_workflow('wft.po', 'status', 'production_order')$$, 'attach to a user table');
SELECT triggers_are('wft', 'po', ARRAY['pgcrm_status_insert', 'pgcrm_status_update', 'pgcrm_status_history'],
    'attach creates the insert, update and history triggers');

INSERT INTO wft.po (product) VALUES ('GRP DN300'), ('GRP DN500'), ('GRP DN800');
SELECT results_eq('SELECT status FROM wft.po ORDER BY id', ARRAY['accepted', 'accepted', 'accepted'],
    'a NULL status starts in the default initial state');
SELECT lives_ok($$INSERT INTO wft.po (product, status) VALUES ('GRP DN1000', 'accepted')$$, 'insert in an initial state');
SELECT is(pg_temp.error_of($$INSERT INTO wft.po (product, status) VALUES ('x', 'in_progress')$$),
    ARRAY['PC001', 'invalid status transition for wft.po row 5: (new row) -> "in_progress"',
          'Workflow "production_order": a new row must start in an initial state.', 'Initial states: accepted.'],
    'an insert in a non-initial state is an invalid transition');

SELECT lives_ok($$UPDATE wft.po SET status = 'in_progress' WHERE id = 1$$, 'accepted -> in_progress');
SELECT lives_ok($$UPDATE wft.po SET status = 'quality_control' WHERE id = 1$$, 'in_progress -> quality_control');
SELECT lives_ok($$UPDATE wft.po SET status = 'ready_for_shipment' WHERE id = 1$$, 'quality_control -> ready_for_shipment');
SELECT is((SELECT status FROM wft.po WHERE id = 1), 'ready_for_shipment', 'the walk reached the final state');

SELECT is(pg_temp.error_of($$UPDATE wft.po SET status = 'ready_for_shipment' WHERE id = 2$$),
    ARRAY['PC001', 'invalid status transition for wft.po row 2: "accepted" -> "ready_for_shipment"',
          'Workflow "production_order" has no such transition.', 'Allowed next states from "accepted": in_progress, cancelled.'],
    'skipping states: message names table, row, from and to; hint lists the allowed next states');
UPDATE wft.po SET status = 'in_progress' WHERE id = 2;
UPDATE wft.po SET status = 'quality_control' WHERE id = 2;
SELECT is((pg_temp.error_of($$UPDATE wft.po SET status = 'in_progress' WHERE id = 2$$))[1:2],
    ARRAY['PC001', 'invalid status transition for wft.po row 2: "quality_control" -> "in_progress"'],
    'moving backwards is rejected');
SELECT is((pg_temp.error_of($$UPDATE wft.po SET status = 'cancelled' WHERE id = 2$$))[4],
    'Allowed next states from "quality_control": ready_for_shipment.', 'cancelling after production is rejected');
SELECT is(pg_temp.error_of($$UPDATE wft.po SET status = 'accepted' WHERE id = 1$$),
    ARRAY['PC001', 'invalid status transition for wft.po row 1: "ready_for_shipment" -> "accepted"',
          'Workflow "production_order": "ready_for_shipment" is a final state.', 'A final state cannot be left.'],
    'a final state cannot be left');
SELECT lives_ok($$UPDATE wft.po SET product = 'GRP DN300 PN16', status = 'ready_for_shipment' WHERE id = 1$$,
    'keeping the same state is a no-op, also in a final state');
SELECT is(pg_temp.error_of($$UPDATE wft.po SET status = 'shipped' WHERE id = 3$$),
    ARRAY['PC002', 'unknown status "shipped" for wft.po row 3', 'Workflow "production_order" has no such state.',
          'Allowed next states from "accepted": in_progress, cancelled.'],
    'an unknown state has its own SQLSTATE');
SELECT throws_ok($$UPDATE wft.po SET status = 'Accepted' WHERE id = 3$$, 'PC002', NULL, 'state codes are case-sensitive');
SELECT is((pg_temp.error_of($$UPDATE wft.po SET status = NULL WHERE id = 3$$))[1:2],
    ARRAY['23502', 'status of wft.po row 3 cannot be set to NULL'], 'a status cannot be set to NULL');
SELECT throws_ok($$UPDATE wft.po SET status = CASE id WHEN 3 THEN 'in_progress' ELSE 'cancelled' END WHERE id IN (3, 2)$$,
    'PC001', NULL, 'one bad row fails the whole statement');
SELECT results_eq('SELECT status FROM wft.po WHERE id IN (2, 3) ORDER BY id', ARRAY['quality_control', 'accepted'],
    '... and leaves every row as it was');
SELECT lives_ok($$UPDATE wft.po SET status = 'cancelled' WHERE id = 3$$, 'accepted -> cancelled');
SELECT lives_ok($$UPDATE wft.po SET product = product || ' (rev)'$$, 'updates that do not touch the status pass');

-- History -------------------------------------------------------------------
SELECT results_eq(
    $$SELECT row_key, from_state, to_state FROM crm.status_history WHERE table_name = 'wft.po' ORDER BY id$$,
    $$VALUES ('1', NULL, 'accepted'), ('2', NULL, 'accepted'), ('3', NULL, 'accepted'), ('4', NULL, 'accepted'),
             ('1', 'accepted', 'in_progress'), ('1', 'in_progress', 'quality_control'),
             ('1', 'quality_control', 'ready_for_shipment'), ('2', 'accepted', 'in_progress'),
             ('2', 'in_progress', 'quality_control'), ('3', 'accepted', 'cancelled')$$,
    'history has every insert and change, and nothing for no-ops or rejected moves');
SELECT is_empty($$SELECT FROM crm.status_history
                  WHERE table_name = 'wft.po' AND (changed_by <> current_user OR transaction_id <> pg_current_xact_id()
                        OR changed_at <> now() OR workflow <> 'production_order')$$,
    'history records who, when, the workflow and the transaction');

SELECT lives_ok($$SELECT crm.set_workflow_history('wft.po', 'status', false)$$, 'history can be switched off');
SELECT triggers_are('wft', 'po', ARRAY['pgcrm_status_insert', 'pgcrm_status_update'], 'switching history off drops its trigger');
UPDATE wft.po SET status = 'in_progress' WHERE id = 4;
SELECT is((SELECT count(*) FROM crm.status_history WHERE table_name = 'wft.po')::int, 10, 'no history while it is off');
SELECT throws_ok($$UPDATE wft.po SET status = 'accepted' WHERE id = 4$$, 'PC001', NULL, 'rules still hold without history');
SELECT lives_ok($$SELECT crm.set_workflow_history('wft.po', 'status', true)$$, 'history can be switched on again');
UPDATE wft.po SET status = 'quality_control' WHERE id = 4;
SELECT is((SELECT count(*) FROM crm.status_history WHERE table_name = 'wft.po')::int, 11, 'history records again');
SELECT is((SELECT record_history FROM crm.workflow_attachment WHERE table_name = 'wft.po'::regclass), true,
    'the attachment remembers the history setting');
SELECT throws_ok($$SELECT crm.set_workflow_history('wft.po', 'product', true)$$, '42704', NULL,
    'set_workflow_history on a column without a workflow');

-- History per statement -------------------------------------------------------
CREATE TABLE wft.lot (id int PRIMARY KEY, note text, status text);
SELECT crm.attach_workflow('wft.lot', 'status', 'production_order');
SELECT is((SELECT array_agg(tgname || ':' || (tgtype & 1 = 1) || ':' || (tgnewtable IS NOT NULL) ORDER BY tgname)
           FROM pg_trigger WHERE tgrelid = 'wft.lot'::regclass),
    ARRAY['pgcrm_status_history:false:true', 'pgcrm_status_insert:true:false', 'pgcrm_status_update:false:true'],
    'with history, the update and history triggers fire per statement and read its transition tables');
-- 10,001 rows: more than one batch of the trigger's bulk insert.
INSERT INTO wft.lot SELECT g, NULL, NULL FROM generate_series(1, 10001) g;
UPDATE wft.lot SET status = 'in_progress' WHERE id <= 3;
SAVEPOINT before_cancel;
UPDATE wft.lot SET status = 'cancelled' WHERE id > 3;
ROLLBACK TO SAVEPOINT before_cancel;
UPDATE wft.lot SET status = CASE id WHEN 1 THEN 'quality_control' ELSE status END, note = 'checked' WHERE id IN (1, 2);
CREATE FUNCTION pg_temp.cancel_five() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN IF NEW.id = 5 THEN NEW.status := 'cancelled'; END IF; RETURN NEW; END $f$;
CREATE TRIGGER cancel_five BEFORE UPDATE ON wft.lot FOR EACH ROW EXECUTE FUNCTION pg_temp.cancel_five();
UPDATE wft.lot SET note = 'five' WHERE id IN (5, 6);
SELECT results_eq(
    $$SELECT row_key, from_state, to_state FROM crm.status_history
      WHERE table_name = 'wft.lot' AND row_key IN ('1', '2', '4', '5', '6', '10001') ORDER BY row_key::int, id$$,
    $$VALUES ('1', NULL, 'accepted'), ('1', 'accepted', 'in_progress'), ('1', 'in_progress', 'quality_control'),
             ('2', NULL, 'accepted'), ('2', 'accepted', 'in_progress'), ('4', NULL, 'accepted'),
             ('5', NULL, 'accepted'), ('5', 'accepted', 'cancelled'), ('6', NULL, 'accepted'),
             ('10001', NULL, 'accepted')$$,
    'statement history: several statements, a rolled-back one left out, unchanged rows skipped, a status set by another BEFORE trigger recorded');
SELECT is((SELECT count(*) FROM crm.status_history WHERE table_name = 'wft.lot')::int, 10001 + 3 + 1 + 1,
    'one history row per inserted row and per change, nothing more');
SELECT is_empty($$SELECT FROM crm.status_history
                  WHERE table_name = 'wft.lot' AND (changed_by <> current_user OR transaction_id <> pg_current_xact_id()
                        OR changed_at <> now() OR workflow <> 'production_order')$$,
    'statement history records who, when, the workflow and the transaction');
SELECT throws_ok($$UPDATE wft.lot SET status = CASE id WHEN 7 THEN 'in_progress' ELSE 'ready_for_shipment' END
                   WHERE id IN (7, 8)$$,
    'PC001', 'invalid status transition for wft.lot row 8: "accepted" -> "ready_for_shipment"',
    'the statement trigger names the bad row and fails the statement');
SELECT is((SELECT count(*) FROM crm.status_history WHERE table_name = 'wft.lot' AND row_key IN ('7', '8'))::int, 2,
    '... and leaves no history of it');

CREATE TABLE wft.part (id int, region text, status text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE wft.part_ua PARTITION OF wft.part FOR VALUES IN ('ua');
SELECT crm.attach_workflow('wft.part', 'status', 'production_order');
INSERT INTO wft.part VALUES (1, 'ua', NULL);
UPDATE wft.part_ua SET status = 'in_progress';
SELECT throws_ok($$UPDATE wft.part_ua SET status = 'accepted'$$, 'PC001', NULL,
    'a partitioned table keeps row triggers: an update of a partition itself is checked');
SELECT results_eq($$SELECT row_key, from_state, to_state FROM crm.status_history WHERE table_name = 'wft.part_ua' ORDER BY id$$,
    $$VALUES ('(1,ua)', NULL, 'accepted'), ('(1,ua)', 'accepted', 'in_progress')$$,
    '... and its history is recorded row by row');

-- Roles on transitions and user-defined workflows -----------------------------
INSERT INTO crm.workflow (code, description) VALUES ('approval', 'Test: a guarded approval');
INSERT INTO crm.workflow_state (workflow, code, label_en, label_uk, is_initial, is_final, sort_order) VALUES
    ('approval', 'submitted', 'Submitted', 'Подано', true, false, 1),
    ('approval', 'approved', 'Approved', 'Схвалено', false, true, 2),
    ('approval', 'withdrawn', 'Withdrawn', 'Відкликано', false, true, 3);
INSERT INTO crm.workflow_transition (workflow, from_state, to_state, required_role) VALUES
    ('approval', 'submitted', 'approved', 'pgcrm_test_approver'), ('approval', 'submitted', 'withdrawn', NULL);
CREATE ROLE pgcrm_test_approver NOLOGIN;
CREATE ROLE pgcrm_test_clerk NOLOGIN;
CREATE ROLE pgcrm_test_boss NOLOGIN IN ROLE pgcrm_test_approver;
CREATE TABLE public.pgcrm_test_request (id int PRIMARY KEY, state varchar(20));
SELECT lives_ok($$SELECT crm.attach_workflow('public.pgcrm_test_request', 'state', 'approval')$$,
    'attach a user-defined workflow to a varchar column');
GRANT SELECT, INSERT, UPDATE ON public.pgcrm_test_request TO pgcrm_test_clerk, pgcrm_test_boss;
GRANT USAGE ON SCHEMA crm TO pgcrm_test_clerk, pgcrm_test_boss;
GRANT INSERT ON crm.status_history TO pgcrm_test_clerk, pgcrm_test_boss;
INSERT INTO public.pgcrm_test_request VALUES (1, NULL), (2, NULL), (3, NULL);
SET ROLE pgcrm_test_clerk;
SELECT is(pg_temp.error_of($$UPDATE public.pgcrm_test_request SET state = 'approved' WHERE id = 1$$),
    ARRAY['42501', 'permission denied for status transition for public.pgcrm_test_request row 1: "submitted" -> "approved"',
          'Workflow "approval": this transition requires membership in role "pgcrm_test_approver".', ''],
    'a guarded transition needs membership in its role');
SELECT lives_ok($$UPDATE public.pgcrm_test_request SET state = 'withdrawn' WHERE id = 2$$, 'an unguarded transition needs none');
RESET ROLE;
SET ROLE pgcrm_test_boss;
SELECT lives_ok($$UPDATE public.pgcrm_test_request SET state = 'approved' WHERE id = 1$$, 'a member (through another role) may');
RESET ROLE;
SELECT is((SELECT changed_by FROM crm.status_history WHERE table_name = 'public.pgcrm_test_request' AND to_state = 'approved'),
    'pgcrm_test_boss'::name, 'history names the role that made the change');

-- The cache follows rule changes inside the session -------------------------------
SELECT throws_ok($$UPDATE wft.po SET status = 'in_progress' WHERE id = 2$$, 'PC001', NULL, 'before the rule exists');
SAVEPOINT rule;
INSERT INTO crm.workflow_transition (workflow, from_state, to_state) VALUES ('production_order', 'quality_control', 'in_progress');
SELECT lives_ok($$UPDATE wft.po SET status = 'in_progress' WHERE id = 2$$, 'a new transition applies at the next statement');
ROLLBACK TO SAVEPOINT rule;
SELECT throws_ok($$UPDATE wft.po SET status = 'in_progress' WHERE id = 2$$, 'PC001', NULL,
    'a rolled-back transition no longer applies');
SAVEPOINT rule2;
DELETE FROM crm.workflow_transition WHERE workflow = 'production_order' AND from_state = 'accepted' AND to_state = 'in_progress';
INSERT INTO wft.po (product) VALUES ('GRP DN1200');
SELECT throws_ok($$UPDATE wft.po SET status = 'in_progress' WHERE product = 'GRP DN1200'$$, 'PC001', NULL,
    'a deleted transition is refused at once');
ROLLBACK TO SAVEPOINT rule2;
SAVEPOINT rule3;
UPDATE crm.workflow_state SET is_initial = true WHERE workflow = 'production_order' AND code = 'in_progress';
SELECT lives_ok($$INSERT INTO wft.po (product, status) VALUES ('GRP DN1400', 'in_progress')$$,
    'a state made initial is accepted on insert');
ROLLBACK TO SAVEPOINT rule3;

-- Definition rules -------------------------------------------------------------
SELECT throws_ok($$INSERT INTO crm.workflow_transition (workflow, from_state, to_state) VALUES ('production_order', 'cancelled', 'accepted')$$,
    '23514', 'workflow "production_order": state "cancelled" is final and cannot have a transition to "accepted"',
    'a transition out of a final state cannot be defined');
SELECT throws_ok($$UPDATE crm.workflow_state SET is_final = true WHERE workflow = 'production_order' AND code = 'accepted'$$,
    '23514', NULL, 'a state with outgoing transitions cannot become final');
SELECT throws_ok($$INSERT INTO crm.workflow_transition (workflow, from_state, to_state) VALUES ('deal', 'new', 'new')$$,
    '23514', NULL, 'a transition to the same state is meaningless');
SELECT throws_ok($$INSERT INTO crm.workflow_transition (workflow, from_state, to_state) VALUES ('deal', 'new', 'paid')$$,
    '23503', NULL, 'a transition to an undefined state');
SELECT throws_ok($$INSERT INTO crm.workflow_state (workflow, code, label_en, label_uk, is_initial, is_final) VALUES ('deal', 'x', 'x', 'x', true, true)$$,
    '23514', NULL, 'a state cannot be both initial and final');
SELECT throws_ok($$INSERT INTO crm.workflow (code) VALUES ('Bad Name')$$, '23514', NULL, 'workflow codes are identifiers');
SELECT throws_ok($$DELETE FROM crm.workflow WHERE code = 'production_order'$$, '23503', NULL,
    'an attached workflow cannot be deleted');

-- attach_workflow errors ---------------------------------------------------------
CREATE TABLE wft.nopk (status text);
CREATE TABLE wft.intstatus (id int PRIMARY KEY, status int);
CREATE TABLE wft.legacy (id int PRIMARY KEY, status text);
INSERT INTO wft.legacy VALUES (1, 'accepted'), (2, 'done');
CREATE VIEW wft.po_view AS SELECT * FROM wft.po;
SELECT is((pg_temp.error_of($$SELECT crm.attach_workflow('wft.po', 'status', 'no_such')$$))[1:2],
    ARRAY['22023', 'workflow "no_such" does not exist'], 'unknown workflow');
SELECT throws_ok($$SELECT crm.attach_workflow('wft.po', 'state', 'deal')$$, '42703', 'column "state" of wft.po does not exist',
    'unknown column');
SELECT throws_ok($$SELECT crm.attach_workflow('wft.intstatus', 'status', 'deal')$$, '42804', NULL, 'status column of the wrong type');
SELECT throws_ok($$SELECT crm.attach_workflow('wft.nopk', 'status', 'deal')$$, '55000', 'wft.nopk has no primary key',
    'a table without a primary key');
SELECT throws_ok($$SELECT crm.attach_workflow('wft.po_view', 'status', 'deal')$$, '42809', NULL, 'a view');
SELECT is((pg_temp.error_of($$SELECT crm.attach_workflow('wft.legacy', 'status', 'production_order')$$))[1:2],
    ARRAY['PC002', 'unknown status "done" in column "status" of wft.legacy'], 'existing rows in unknown states are named');
SELECT throws_ok($$SELECT crm.attach_workflow('wft.po', 'status', 'deal')$$, '42710', NULL,
    'a column already attached to another workflow');
SELECT lives_ok($$SELECT crm.attach_workflow('wft.po', 'status', 'production_order')$$, 'attaching the same workflow again is harmless');
SELECT throws_ok($$SELECT crm.attach_workflow(NULL, 'status', 'deal')$$, '22004', NULL, 'NULL arguments');
SELECT throws_ok($$SELECT crm.attach_workflow('wft.no_such_table', 'status', 'deal')$$, '42P01', NULL, 'unknown table');
SELECT throws_ok($$SELECT crm.detach_workflow(NULL, NULL)$$, '22004', 'tbl must not be NULL', 'detach_workflow names a NULL table');
SELECT throws_ok($$SELECT crm.set_workflow_history('wft.po', NULL, true)$$, '22004', 'status_column must not be NULL',
    'set_workflow_history names a NULL column');
SELECT throws_ok($$SELECT crm.create_workflow_triggers('crm.account', 'postgres', 'deal', true)$$, '42703',
    'column "postgres" of crm.account does not exist', 'create_workflow_triggers checks the column before writing any trigger');
SELECT throws_ok($$SELECT crm.create_workflow_triggers(0, 'status', 'deal', true)$$, '42809', NULL, '... and the table');
CREATE TABLE wft.unkeyed (id int PRIMARY KEY, status text);
SELECT crm.attach_workflow('wft.unkeyed', 'status', 'deal');
SELECT throws_ok($$INSERT INTO wft.unkeyed (status) VALUES ('won')$$, 'PC001',
    'invalid status transition for a new row of wft.unkeyed: (new row) -> "won"', 'a row without its key yet is a new row, not "row NULL"');

-- Composite keys, detach, dropped tables, misuse --------------------------------
CREATE TABLE wft.stage (deal_id int, version int, stage text, PRIMARY KEY (deal_id, version));
SELECT crm.attach_workflow('wft.stage', 'stage', 'deal', false);
INSERT INTO wft.stage VALUES (7, 2, NULL);
SELECT is((pg_temp.error_of($$UPDATE wft.stage SET stage = 'won'$$))[2],
    'invalid status transition for wft.stage row (7,2): "new" -> "won"', 'a composite key is named in full');
SELECT lives_ok($$SELECT crm.detach_workflow('wft.stage', 'stage')$$, 'detach');
SELECT lives_ok($$UPDATE wft.stage SET stage = 'anything'$$, 'a detached column is free');
SELECT throws_ok($$SELECT crm.detach_workflow('wft.stage', 'stage')$$, '42704', NULL, 'detaching twice');
DROP TABLE wft.legacy, public.pgcrm_test_request;
SELECT is_empty($$SELECT FROM crm.workflow_attachment WHERE table_name::text LIKE '%pgcrm_test_request'$$,
    'dropping a table removes its attachment');
CREATE TABLE wft.misuse (id int PRIMARY KEY, status text);
CREATE TRIGGER t BEFORE UPDATE ON wft.misuse FOR EACH ROW EXECUTE FUNCTION crm.workflow_trigger('deal', 'status', 'false');
INSERT INTO wft.misuse VALUES (1, 'new');
SELECT throws_ok($$UPDATE wft.misuse SET status = 'won'$$, '39P01', NULL, 'the trigger refuses to run in the wrong place');
DROP TRIGGER t ON wft.misuse;
CREATE TRIGGER t AFTER UPDATE ON wft.misuse FOR EACH ROW EXECUTE FUNCTION crm.workflow_trigger('deal');
SELECT throws_ok($$UPDATE wft.misuse SET status = 'won'$$, '39P01', NULL, 'the trigger refuses the wrong arguments');
DROP TRIGGER t ON wft.misuse;
CREATE TRIGGER t AFTER UPDATE ON wft.misuse FOR EACH ROW EXECUTE FUNCTION crm.workflow_trigger('deal', 'no_column', 'false');
SELECT throws_ok($$UPDATE wft.misuse SET status = 'won'$$, '42703', NULL, 'a hand-made trigger naming a missing column');
DROP TRIGGER t ON wft.misuse;
CREATE TRIGGER t AFTER UPDATE ON wft.misuse FOR EACH ROW EXECUTE FUNCTION crm.workflow_trigger('deal', 'status', 'maybe');
SELECT throws_ok($$UPDATE wft.misuse SET status = 'won'$$, '39P01', NULL, 'a hand-made trigger with a non-boolean history flag');
CREATE TABLE wft.bare (id int PRIMARY KEY, status text);
SELECT crm.attach_workflow('wft.bare', 'status', 'deal', false);
SELECT is(pg_temp.error_of($$INSERT INTO wft.bare VALUES (1, 'closed')$$),
    ARRAY['PC002', 'unknown status "closed" for wft.bare row 1', 'Workflow "deal" has no such state.', 'Initial states: new.'],
    'an insert in an unknown state: the hint lists the initial states');
CREATE FUNCTION pg_temp.sneak() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN NEW.status := 'won'; RETURN NEW; END $f$;
CREATE TRIGGER zzz_sneak BEFORE UPDATE ON wft.bare FOR EACH ROW EXECUTE FUNCTION pg_temp.sneak();
INSERT INTO wft.bare VALUES (2, NULL);
SELECT throws_ok($$UPDATE wft.bare SET id = 3 WHERE id = 2$$, 'PC001', NULL,
    'a status changed by another BEFORE trigger is checked too');

SELECT * FROM finish();
ROLLBACK;
