-- Roles, row-level security and function hygiene. Each role is
-- entered with SET SESSION AUTHORIZATION, which is what logging in as it does
-- to session_user and current_user.
BEGIN;
SELECT plan(53);

\ir ../lib/security_fixture.sql

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
          'shipment_line', 'contract', 'contract_override', 'quote', 'quote_line', 'invoice', 'invoice_line', 'payment',
          'payment_allocation', 'loan', 'loan_installment', 'account_merge'],
    'row-level security is on for every customer-facing table');

-- Function hygiene -------------------------------------------------------------------------
SELECT set_eq($$SELECT p.oid::regproc::text FROM pg_proc p
                 WHERE p.pronamespace IN ('crm'::regnamespace, 'crm_dw'::regnamespace) AND p.prosecdef$$,
    ARRAY['crm_dw.capture_change', 'crm.forget_dropped_attachments', 'crm.audit_row', 'crm.audit_inserted', 'crm.set_audit', 'crm.purge_audit_log', 'crm.my_teams',
          'crm.team_peers', 'crm.my_tasks', 'crm.client_account_id', 'crm.grant_client_access', 'crm.revoke_client_access',
          'crm.refuse_late_invoice_lines',
          -- events: the writers of the outbox, and the helpers that put triggers on tables
          'crm.record_event', 'crm.emit_event', 'crm.emit_row_event', 'crm.sequence_events', 'crm.emit_on', 'crm.add_event_kind',
          'crm.drop_event_kind', 'crm.forget_dropped_event_sources', 'crm_dw.prune_events',
          -- automation: the runners of an administrator's SQL (owned by crm_admin) and the jobs
          'crm.automation_value', 'crm.automation_sweep_rows', 'crm_dw.run_automation', 'crm_dw.run_automation_sweeps',
          -- merge: moving every reference of a merge the caller recorded, and telling "not yours" from "not there"
          'crm.move_references', 'crm.record_exists',
          'crm.create_bi_login', 'crm.drop_bi_login'],
    'exactly the reviewed functions are SECURITY DEFINER');
-- docs/development.md, "SQL": functions bound at call time pin the path; SQL
-- functions with a standard body are bound at creation.
SELECT is_empty($$SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
                   WHERE p.pronamespace IN ('crm'::regnamespace, 'crm_dw'::regnamespace) AND p.prokind <> 'a'
                     AND (l.lanname = 'plpgsql' OR l.lanname = 'sql' AND p.prosqlbody IS NULL OR p.prosecdef)
                     AND p.proconfig[1] IS DISTINCT FROM 'search_path=pg_catalog, pg_temp'
                     AND p.oid <> 'crm.run_job(text)'::regprocedure$$,
    'every SECURITY DEFINER, PL/pgSQL or string-bodied SQL function pins search_path to pg_catalog, pg_temp last (a committing procedure cannot)');
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

SELECT is_empty('SELECT * FROM crm.stock_invariant_violations()', 'the stock invariants hold after all of it');
SELECT * FROM finish();
ROLLBACK;
