-- Roles, row-level security, the audit log and function hygiene. Each role is
-- entered with SET SESSION AUTHORIZATION, which is what logging in as it does
-- to session_user and current_user.
BEGIN;
SELECT plan(75);

-- Who is who. Anna and Olga share a team; Boris works alone; Kim is a client
-- of Anna's account; Nika is a client login nobody mapped.
CREATE ROLE sec_anna LOGIN IN ROLE crm_manager;
CREATE ROLE sec_olga LOGIN IN ROLE crm_manager;
CREATE ROLE sec_boris LOGIN IN ROLE crm_manager;
CREATE ROLE sec_kim LOGIN;
CREATE ROLE sec_nika LOGIN IN ROLE crm_client;
CREATE ROLE sec_alex LOGIN IN ROLE crm_analyst;
CREATE ROLE sec_bea LOGIN IN ROLE crm_bi;
CREATE ROLE sec_ada LOGIN IN ROLE crm_admin;
INSERT INTO crm.team (id, name) VALUES (910001, 'Sec team');
INSERT INTO crm.team_member (team_id, member) VALUES (910001, 'sec_anna'), (910001, 'sec_olga');
INSERT INTO crm.account (id, name, owner) VALUES (910001, 'Anna''s client', 'sec_anna');
INSERT INTO crm.account (id, name, owner, manager) VALUES (910002, 'Boris''s client', 'postgres', 'sec_boris');
INSERT INTO crm.account (id, name, owner) VALUES (910003, 'Nobody''s client', 'postgres');
INSERT INTO crm.contact (id, account_id, first_name, last_name) VALUES (910001, 910001, 'A', 'One'), (910002, 910002, 'B', 'Two');
INSERT INTO crm.product (id, sku, name, kind, list_price, attributes) VALUES (910001, 'SEC-1', 'Sec pipe', 'goods', 5, '{}');
INSERT INTO crm.sales_order (id, account_id) VALUES (910001, 910001), (910002, 910002), (910003, 910003);
INSERT INTO crm.order_line (id, order_id, line_no, product_id, quantity, unit_price)
VALUES (910001, 910001, 1, 910001, 10, 5), (910002, 910002, 1, 910001, 20, 5), (910003, 910003, 1, 910001, 30, 5);
INSERT INTO crm.credit_product (id, name, annual_rate_pct, collateral) VALUES (910001, 'Sec loan', 12, 'unsecured');
INSERT INTO crm.credit_application (id, account_id, product_id, amount, term_months)
VALUES (910001, 910001, 910001, 1000, 12), (910002, 910002, 910001, 2000, 12);
SELECT crm.grant_client_access('sec_kim', 910001);
INSERT INTO crm.warehouse (id, code, name) VALUES (910001, 'SEC', 'Sec store');
SELECT crm.receive_stock(910001, 910001, 100);

-- Roles and grants -----------------------------------------------------------------------
SELECT is_empty($$SELECT r FROM unnest(ARRAY['crm_admin', 'crm_manager', 'crm_analyst', 'crm_bi', 'crm_client']) r
                  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r AND NOT rolcanlogin)$$,
    'the five roles exist and cannot log in');
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
     WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pgcrm') AND d.deptype = 'e'
       AND EXISTS (SELECT FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a WHERE a.grantee = 0)
    UNION ALL
    SELECT c.oid::regclass::text FROM pg_class c
     WHERE c.relnamespace IN ('crm'::regnamespace, 'crm_dw'::regnamespace)
       AND EXISTS (SELECT FROM aclexplode(c.relacl) a WHERE a.grantee = 0)
    UNION ALL
    SELECT n.nspname::text FROM pg_namespace n
     WHERE n.nspname IN ('crm', 'crm_dw') AND EXISTS (SELECT FROM aclexplode(n.nspacl) a WHERE a.grantee = 0)$$,
    'no function, table, view, sequence or schema of the extension is granted to PUBLIC');
SELECT set_eq($$SELECT c.relname::text FROM pg_class c WHERE c.relnamespace = 'crm'::regnamespace AND c.relrowsecurity$$,
    ARRAY['account', 'contact', 'deal', 'lead', 'sales_order', 'order_line', 'production_order', 'complaint', 'project',
          'task', 'task_assignee', 'comment', 'document', 'interaction', 'credit_application', 'reservation', 'shipment',
          'shipment_line'],
    'row-level security is on for every customer-facing table');

-- Function hygiene -------------------------------------------------------------------------
SELECT set_eq($$SELECT p.oid::regproc::text FROM pg_proc p
                 WHERE p.pronamespace IN ('crm'::regnamespace, 'crm_dw'::regnamespace) AND p.prosecdef$$,
    ARRAY['crm_dw.capture_change', 'crm.forget_dropped_attachments', 'crm.audit_row', 'crm.set_audit', 'crm.purge_audit_log', 'crm.my_teams',
          'crm.team_peers', 'crm.my_tasks', 'crm.client_account_id', 'crm.grant_client_access', 'crm.revoke_client_access'],
    'exactly the reviewed functions are SECURITY DEFINER');
SELECT is_empty($$SELECT p.oid::regprocedure FROM pg_proc p
                   WHERE p.pronamespace IN ('crm'::regnamespace, 'crm_dw'::regnamespace) AND p.prosecdef
                     AND p.proconfig IS DISTINCT FROM ARRAY['search_path=pg_catalog, crm, crm_dw, pg_temp']
                     AND NOT (p.proname = 'purge_audit_log' AND p.proconfig =
                              ARRAY['search_path=pg_catalog, crm, crm_dw, pg_temp', 'session_replication_role=replica'])$$,
    'every SECURITY DEFINER function pins search_path to pg_catalog, the extension''s schemas, pg_temp last');
SELECT is_empty($$SELECT n.nspname, a.grantee::regrole FROM pg_namespace n, aclexplode(n.nspacl) a
                   WHERE n.nspname IN ('crm', 'crm_dw') AND a.privilege_type = 'CREATE' AND a.grantee <> n.nspowner$$,
    'nobody but the owner can create objects in the schemas on that path');
SELECT is_empty($$SELECT p.oid::regprocedure FROM pg_proc p
                   WHERE p.oid IN ('crm.kmeans'::regproc, 'crm.kmeans_elbow'::regproc, 'crm.silhouette'::regproc,
                                   'crm_dw.sales_by_month'::regproc) AND p.prosecdef$$,
    'functions that run the caller''s query text run with the caller''s rights');

-- A manager: their own and their team's records --------------------------------------------
SET SESSION AUTHORIZATION sec_anna;
SELECT set_eq('SELECT id FROM crm.account', ARRAY[910001::bigint], 'Anna sees her own account only');
SELECT set_eq('SELECT id FROM crm.contact', ARRAY[910001::bigint], '... its contacts');
SELECT set_eq('SELECT id FROM crm.sales_order', ARRAY[910001::bigint], '... its orders');
SELECT set_eq('SELECT id FROM crm.order_line', ARRAY[910001::bigint], '... their lines');
SELECT set_eq('SELECT id FROM crm.credit_application', ARRAY[910001::bigint], '... and its credit applications');
SELECT lives_ok($$INSERT INTO crm.contact (id, account_id, first_name, last_name) VALUES (910003, 910001, 'C', 'Three')$$,
    'Anna adds a contact to her account');
SELECT throws_ok($$INSERT INTO crm.contact (account_id, first_name, last_name) VALUES (910002, 'X', 'Y')$$, '42501', NULL,
    '... but not to Boris''s');
UPDATE crm.sales_order SET delivery_terms = 'FCA' WHERE id = 910002;
SELECT throws_ok($$UPDATE crm.account SET owner = 'sec_boris' WHERE id = 910001$$, '42501', NULL,
    'Anna cannot hand her account to someone outside her team');
SELECT lives_ok($$UPDATE crm.sales_order SET status = 'confirmed' WHERE id = 910001$$,
    'Anna moves her order through its workflow (history written with her rights)');
SELECT ok(crm.reserve(910001, 4, 910001, 910001) IS NOT NULL, 'Anna reserves stock for her order line');
SELECT throws_ok('SELECT crm.reserve(910001, 4, 910001, 910002)', '42501', NULL, '... but not for Boris''s');
SELECT throws_ok($$UPDATE crm.stock_movement SET on_hand_delta = 0$$, '42501', NULL, '... and cannot rewrite the ledger');
SELECT throws_ok('SELECT * FROM crm_dw.fact_sales', '42501', NULL, 'a manager does not read the warehouse');
SELECT throws_ok('SELECT * FROM crm.audit_log', '42501', NULL, '... nor the audit log');
SELECT throws_ok($$SELECT crm.etl_refresh('facts')$$, '42501', NULL, '... nor runs the warehouse jobs');
SELECT throws_ok($$UPDATE crm.product SET name = 'x' WHERE id = 910001$$, '42501', NULL, '... nor edits the catalogue');
SET SESSION AUTHORIZATION sec_olga;
SELECT set_eq('SELECT id FROM crm.account', ARRAY[910001::bigint], 'Olga sees her teammate Anna''s account');
SET SESSION AUTHORIZATION sec_boris;
SELECT set_eq('SELECT id FROM crm.account', ARRAY[910002::bigint], 'Boris sees the account he manages');
SELECT set_eq('SELECT id FROM crm.contact', ARRAY[910002::bigint], '... and its contacts, not Anna''s new one');
DELETE FROM crm.contact WHERE id = 910001;
RESET SESSION AUTHORIZATION;
SELECT is((SELECT delivery_terms FROM crm.sales_order WHERE id = 910002), NULL, 'Anna''s update of Boris''s order found no row');
SELECT ok(EXISTS (SELECT FROM crm.contact WHERE id = 910001), 'Boris''s delete of Anna''s contact found no row');

-- A client: its own account, orders and applications, read-only --------------------------
SELECT ok(pg_has_role('sec_kim', 'crm_client', 'MEMBER'), 'grant_client_access makes the login a client');
SET SESSION AUTHORIZATION sec_kim;
SELECT set_eq('SELECT id FROM crm.account', ARRAY[910001::bigint], 'Kim sees her account');
SELECT set_eq('SELECT id FROM crm.sales_order', ARRAY[910001::bigint], '... her orders');
SELECT set_eq('SELECT id FROM crm.order_line', ARRAY[910001::bigint], '... their lines');
SELECT set_eq('SELECT id FROM crm.credit_application', ARRAY[910001::bigint], '... and her credit applications');
SELECT throws_ok($$UPDATE crm.account SET name = 'Mine' WHERE id = 910001$$, '42501', NULL, 'she changes nothing');
SELECT throws_ok($$INSERT INTO crm.credit_application (account_id, product_id, amount, term_months) VALUES (910001, 910001, 5, 12)$$,
    '42501', NULL, '... adds nothing');
SELECT throws_ok('SELECT * FROM crm.contact', '42501', NULL, '... and reads no other table');
SET SESSION AUTHORIZATION sec_nika;
SELECT is_empty('SELECT id FROM crm.account UNION ALL SELECT id FROM crm.sales_order', 'an unmapped client sees nothing');
RESET SESSION AUTHORIZATION;
SELECT throws_ok($$SELECT crm.grant_client_access('postgres', 910001)$$, '22023', NULL, 'a superuser cannot be a client login');
SELECT throws_ok($$SELECT crm.grant_client_access('sec_anna', 910001)$$, '22023', NULL, '... nor a manager');
SELECT throws_ok($$SELECT crm.grant_client_access('sec_nika', 123456789)$$, 'PC003', NULL, '... nor a login mapped to no account');
SELECT is(crm.revoke_client_access('sec_kim'), true, 'revoke_client_access removes the mapping');
SELECT ok(NOT pg_has_role('sec_kim', 'crm_client', 'MEMBER'), '... and the membership');

-- Analyst, BI and admin ------------------------------------------------------------------------
SET SESSION AUTHORIZATION sec_alex;
SELECT lives_ok('SELECT * FROM crm_dw.customer_features', 'an analyst reads the warehouse');
SELECT lives_ok('SELECT * FROM crm_dw.dq_findings', '... every view of it, the data-quality findings included');
SELECT lives_ok($$SELECT (crm.kmeans('SELECT ARRAY[x::float8] FROM generate_series(1, 10) x', 2)).k$$, '... runs analytics');
SELECT throws_ok($$SELECT crm.kmeans('SELECT ARRAY[id::float8] FROM crm.account', 2)$$, '42501', NULL,
    '... whose query text runs with the analyst''s rights');
SELECT throws_ok('SELECT * FROM crm.account', '42501', NULL, '... and reads no operational table');
SET SESSION AUTHORIZATION sec_bea;
SELECT lives_ok('SELECT * FROM crm_dw.v_sales_monthly', 'BI reads the BI views');
SELECT throws_ok('SELECT * FROM crm_dw.fact_sales', '42501', NULL, '... and not the tables under them');
SET SESSION AUTHORIZATION sec_ada;
SELECT ok((SELECT count(*) FROM crm.account WHERE id BETWEEN 910001 AND 910003) = 3, 'an admin sees every account');
SELECT throws_ok('DELETE FROM crm.audit_log', '42501', NULL, '... but cannot delete the audit log');
SELECT throws_ok($$INSERT INTO crm.client_login VALUES ('x', 910001)$$, '42501', NULL,
    '... nor map client logins except through grant_client_access');

-- Audit -----------------------------------------------------------------------------------------
UPDATE crm.account SET region = 'Lviv', updated_at = now() - interval '1 day' WHERE id = 910003;
UPDATE crm.account SET region = 'Lviv' WHERE id = 910003;
RESET SESSION AUTHORIZATION;
SELECT results_eq($$SELECT actor, login, operation, row_key, old_values, new_values FROM crm.audit_log
                    WHERE table_name = 'crm.account' AND row_key = '{"id": 910003}' AND operation = 'UPDATE'$$,
    $$VALUES ('sec_ada'::name, 'sec_ada'::name, 'UPDATE', '{"id": 910003}'::jsonb, '{"region": null}'::jsonb, '{"region": "Lviv"}'::jsonb)$$,
    'an update is logged once with who, the key and only the changed column (updated_at and no-op updates are not changes)');
SELECT results_eq($$SELECT actor, (new_values ->> 'first_name') FROM crm.audit_log
                    WHERE table_name = 'crm.contact' AND row_key = '{"id": 910003}' AND operation = 'INSERT'$$,
    $$VALUES ('sec_anna'::name, 'C')$$, 'Anna''s insert is logged as hers with the whole row');
SET ROLE sec_ada;
DELETE FROM crm.contact WHERE id = 910003;
RESET ROLE;
SELECT results_eq($$SELECT actor, login, old_values ->> 'last_name' FROM crm.audit_log
                    WHERE table_name = 'crm.contact' AND row_key = '{"id": 910003}' AND operation = 'DELETE'$$,
    $$VALUES ('sec_ada'::name, 'postgres'::name, 'Three')$$, 'a delete keeps the old row; SET ROLE shows as the actor');
SELECT ok((SELECT new_values ->> 'login' = 'sec_kim' FROM crm.audit_log WHERE table_name = 'crm.client_login' AND operation = 'INSERT'
             AND row_key = '{"login": "sec_kim"}'), 'client logins are audited');
INSERT INTO crm.document (id, title, file_name, content, account_id) VALUES (910001, 'Spec', 'spec.pdf', '\x0102', 910001);
SELECT is((SELECT new_values ->> 'content' FROM crm.audit_log WHERE table_name = 'crm.document' AND row_key = '{"id": 910001}'),
    'md5:' || md5('\x0102'), 'binary content is logged as its md5');
SELECT set_eq($$SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname = 'audit' AND tgfoid = 'crm.audit_row()'::regprocedure$$,
    $$SELECT c.oid::regclass::text FROM pg_class c WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind = 'r'
        AND c.relname NOT IN ('audit_log', 'document_counter', 'status_history', 'stock_movement')$$,
    'every core table is audited (not the log, the counters, nor the append-only history and ledger)');
SELECT throws_ok($$UPDATE crm.audit_log SET actor = 'nobody'$$, 'PC014', NULL, 'not even the owner can change the log');
SELECT throws_ok($$DELETE FROM crm.audit_log$$, 'PC014', NULL, '... delete from it');
SELECT throws_ok($$TRUNCATE crm.audit_log$$, 'PC014', NULL, '... or truncate it');

SET ROLE sec_ada;
SELECT crm.set_audit('crm.contact', false);
INSERT INTO crm.contact (id, account_id, first_name, last_name) VALUES (910004, 910001, 'D', 'Four');
SELECT crm.set_audit('crm.contact', true);
UPDATE crm.contact SET position = 'CEO' WHERE id = 910004;
RESET ROLE;
SELECT results_eq($$SELECT operation FROM crm.audit_log WHERE table_name = 'crm.contact' AND row_key = '{"id": 910004}'$$,
    ARRAY['UPDATE'], 'with audit off a change is not logged; back on, it is');
SELECT results_eq($$SELECT actor, old_values ->> 'enabled', new_values ->> 'enabled' FROM crm.audit_log
                    WHERE table_name = 'crm.audit_setting' ORDER BY id$$,
    $$VALUES ('sec_ada'::name, NULL, 'false'), ('sec_ada'::name, 'false', 'true')$$, 'switching audit off and on is itself logged');
SELECT throws_ok($$SELECT crm.set_audit('crm.stock_movement', false)$$, '22023', NULL, 'set_audit names only audited tables');
SELECT throws_ok($$SELECT crm.set_audit('crm.audit_setting', false)$$, '22023', NULL, '... and never its own switches');
SET ROLE sec_anna;
SELECT throws_ok($$SELECT crm.set_audit('crm.contact', false)$$, '42501', NULL, 'only an admin switches audit');
RESET ROLE;

INSERT INTO crm.audit_log (logged_at, actor, table_name, operation) VALUES (now() - interval '400 days', 'old', 'crm.account', 'DELETE');
SELECT throws_ok($$SELECT crm.purge_audit_log('1 hour')$$, '22023', NULL, 'purging keeps at least a day');
SELECT throws_ok($$SELECT crm.purge_audit_log('178000000 years')$$, '22008',
    'older_than 178000000 years reaches back past the earliest timestamp', 'an age past the calendar is named');
SELECT throws_ok($$SELECT crm.purge_audit_log(NULL)$$, '22004', 'older_than must not be NULL', 'a NULL age');
SELECT throws_ok($$SELECT crm.grant_client_access(0::regrole, 1)$$, '42704', 'role with OID 0 does not exist', 'an unknown client role');
SET ROLE sec_ada;
SELECT is(crm.purge_audit_log('365 days'), 1::bigint, 'purge_audit_log removes entries older than asked');
RESET ROLE;
SELECT results_eq($$SELECT actor, (new_values ->> 'entries')::int FROM crm.audit_log WHERE operation = 'PURGE'$$,
    $$VALUES ('sec_ada'::name, 1)$$, '... and logs who purged how many');
SELECT throws_ok($$DELETE FROM crm.audit_log$$, 'PC014', NULL, 'after a purge the log is append-only again');
SELECT ok((SELECT count(*) FROM crm.audit_log WHERE actor = 'old') = 0 AND (SELECT count(*) FROM crm.audit_log) > 5,
    '... with only the old entry gone');

SELECT is_empty('SELECT * FROM crm.stock_invariant_violations()', 'the stock invariants hold after all of it');
SELECT * FROM finish();
ROLLBACK;
