-- Row-level security, the helpers its policies call, client logins, and the
-- grants of every role (docs/security.md). Nothing is granted to PUBLIC.

CREATE OR REPLACE TRIGGER audit AFTER UPDATE OR DELETE ON crm.client_login
    FOR EACH ROW EXECUTE FUNCTION crm.audit_row('{login}', '{}');
CREATE OR REPLACE TRIGGER audit_insert AFTER INSERT ON crm.client_login REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION crm.audit_inserted('{login}', '{}');
CREATE OR REPLACE TRIGGER audit AFTER UPDATE OR DELETE ON crm.bi_login
    FOR EACH ROW EXECUTE FUNCTION crm.audit_row('{login}', '{}');
CREATE OR REPLACE TRIGGER audit_insert AFTER INSERT ON crm.bi_login REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION crm.audit_inserted('{login}', '{}');

-- The helpers the policies call run as the extension's owner, so a manager or
-- a client needs no right on team_member or client_login to be checked.
CREATE OR REPLACE FUNCTION crm.my_teams() RETURNS SETOF bigint
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT m.team_id FROM crm.team_member m WHERE m.member = crm.acting_role()
$$;
COMMENT ON FUNCTION crm.my_teams() IS 'The teams the current role is a member of';

CREATE OR REPLACE FUNCTION crm.team_peers() RETURNS SETOF name
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT crm.acting_role()
    UNION
    SELECT m.member FROM crm.team_member m WHERE m.team_id IN (SELECT crm.my_teams())
$$;
COMMENT ON FUNCTION crm.team_peers() IS 'The current role and everyone who shares a team with it';

CREATE OR REPLACE FUNCTION crm.my_tasks() RETURNS SETOF bigint
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT a.task_id FROM crm.task_assignee a WHERE a.assignee = crm.acting_role()
$$;
COMMENT ON FUNCTION crm.my_tasks() IS 'The tasks the current role is assigned to';

CREATE OR REPLACE FUNCTION crm.client_account_id() RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT l.account_id FROM crm.client_login l WHERE l.login = crm.acting_role()
$$;
COMMENT ON FUNCTION crm.client_account_id() IS 'The account the current client login is mapped to, or NULL';

CREATE OR REPLACE FUNCTION crm.grant_client_access(login regrole, account bigint) RETURNS void
    LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    r pg_roles;
BEGIN
    SELECT * INTO r FROM pg_roles WHERE oid = login;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'role with OID % does not exist', login::oid USING ERRCODE = 'undefined_object';
    END IF;
    IF r.rolsuper OR r.rolbypassrls OR r.rolname LIKE 'crm\_%' OR r.rolname LIKE 'pg\_%'
       OR EXISTS (SELECT FROM pg_roles p WHERE p.rolname IN ('crm_admin', 'crm_manager', 'crm_analyst', 'crm_bi')
                                            AND pg_has_role(login, p.oid, 'MEMBER')) THEN
        RAISE EXCEPTION 'role % cannot be a client login', r.rolname USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Map a dedicated login role: CREATE ROLE name LOGIN, then crm.grant_client_access(''name'', account).';
    END IF;
    IF NOT EXISTS (SELECT FROM crm.account a WHERE a.id = account) THEN
        RAISE EXCEPTION 'account % does not exist', account USING ERRCODE = 'PC003';
    END IF;
    INSERT INTO crm.client_login AS l (login, account_id) VALUES (r.rolname, account)
    ON CONFLICT ON CONSTRAINT client_login_pkey DO UPDATE SET account_id = excluded.account_id, granted_by = excluded.granted_by,
                                      granted_at = excluded.granted_at;
    EXECUTE format('GRANT crm_client TO %I', r.rolname);
END $$;
COMMENT ON FUNCTION crm.grant_client_access(regrole, bigint) IS
    'Maps a client''s login role to its account and makes it a member of crm_client';

CREATE OR REPLACE FUNCTION crm.revoke_client_access(login regrole) RETURNS boolean
    LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    role_name name := (SELECT r.rolname FROM pg_roles r WHERE r.oid = login);
BEGIN
    IF pg_has_role(login, 'crm_client', 'MEMBER') AND role_name <> 'crm_client' THEN
        EXECUTE format('REVOKE crm_client FROM %I', role_name);
    END IF;
    DELETE FROM crm.client_login l WHERE l.login = role_name;
    RETURN FOUND;
END $$;
COMMENT ON FUNCTION crm.revoke_client_access(regrole) IS
    'Removes a client login''s mapping and its crm_client membership; true if it had a mapping';

-- Row-level security. Admins see every row. A manager sees a record when they
-- or a teammate own it, or when they see the record it belongs to (its
-- account, order, project...): those subqueries are themselves filtered by
-- the parent's policy. A client sees its own account, orders and credit
-- applications. The extension's owner and superusers are not filtered.
DO $$
DECLARE
    tbl text;
BEGIN
    FOREACH tbl IN ARRAY ARRAY['account', 'contact', 'deal', 'lead', 'sales_order', 'order_line', 'production_order',
                               'complaint', 'project', 'task', 'task_assignee', 'comment', 'document', 'interaction',
                               'credit_application', 'reservation', 'shipment', 'shipment_line'] LOOP
        EXECUTE format('ALTER TABLE crm.%I ENABLE ROW LEVEL SECURITY', tbl);
        EXECUTE format('DROP POLICY IF EXISTS admin_all ON crm.%I', tbl);
        EXECUTE format('CREATE POLICY admin_all ON crm.%I TO crm_admin USING (true) WITH CHECK (true)', tbl);
    END LOOP;
END $$;

DROP POLICY IF EXISTS manager_team ON crm.account;
CREATE POLICY manager_team ON crm.account TO crm_manager
    USING (owner IN (SELECT crm.team_peers()) OR manager IN (SELECT crm.team_peers()));
DROP POLICY IF EXISTS client_own ON crm.account;
CREATE POLICY client_own ON crm.account FOR SELECT TO crm_client USING (id = crm.client_account_id());

-- Records that belong to an account: seen with their account or by their owner's team.
DO $$
DECLARE
    tbl text;
BEGIN
    FOREACH tbl IN ARRAY ARRAY['contact', 'deal', 'complaint', 'interaction', 'credit_application'] LOOP
        EXECUTE format('DROP POLICY IF EXISTS manager_team ON crm.%I', tbl);
        EXECUTE format('CREATE POLICY manager_team ON crm.%I TO crm_manager
            USING (owner IN (SELECT crm.team_peers()) OR account_id IN (SELECT a.id FROM crm.account a))
            WITH CHECK (account_id IN (SELECT a.id FROM crm.account a))', tbl);
    END LOOP;
END $$;
-- A lead may have no account yet.
DROP POLICY IF EXISTS manager_team ON crm.lead;
CREATE POLICY manager_team ON crm.lead TO crm_manager
    USING (owner IN (SELECT crm.team_peers()) OR account_id IN (SELECT a.id FROM crm.account a))
    WITH CHECK (CASE WHEN account_id IS NULL THEN owner IN (SELECT crm.team_peers())
                     ELSE account_id IN (SELECT a.id FROM crm.account a) END);
DROP POLICY IF EXISTS client_own ON crm.credit_application;
CREATE POLICY client_own ON crm.credit_application FOR SELECT TO crm_client
    USING (account_id = crm.client_account_id());

DROP POLICY IF EXISTS manager_team ON crm.sales_order;
CREATE POLICY manager_team ON crm.sales_order TO crm_manager
    USING (owner IN (SELECT crm.team_peers()) OR manager IN (SELECT crm.team_peers())
           OR account_id IN (SELECT a.id FROM crm.account a))
    WITH CHECK (account_id IN (SELECT a.id FROM crm.account a));
DROP POLICY IF EXISTS client_own ON crm.sales_order;
CREATE POLICY client_own ON crm.sales_order FOR SELECT TO crm_client USING (account_id = crm.client_account_id());
DROP POLICY IF EXISTS manager_team ON crm.order_line;
CREATE POLICY manager_team ON crm.order_line TO crm_manager, crm_client
    USING (order_id IN (SELECT o.id FROM crm.sales_order o));
-- The FOR ALL policy above also names crm_client, which has no write grant on order_line.
DROP POLICY IF EXISTS manager_team ON crm.production_order;
CREATE POLICY manager_team ON crm.production_order TO crm_manager
    USING (order_line_id IS NULL OR order_line_id IN (SELECT l.id FROM crm.order_line l));

DROP POLICY IF EXISTS manager_team ON crm.project;
CREATE POLICY manager_team ON crm.project TO crm_manager
    USING (owner IN (SELECT crm.team_peers()) OR team_id IN (SELECT crm.my_teams())
           OR account_id IN (SELECT a.id FROM crm.account a))
    WITH CHECK (account_id IN (SELECT a.id FROM crm.account a));
DROP POLICY IF EXISTS manager_team ON crm.task;
CREATE POLICY manager_team ON crm.task TO crm_manager
    USING (owner IN (SELECT crm.team_peers()) OR project_id IN (SELECT p.id FROM crm.project p)
           OR deal_id IN (SELECT d.id FROM crm.deal d) OR id IN (SELECT crm.my_tasks()));
DROP POLICY IF EXISTS manager_team ON crm.task_assignee;
CREATE POLICY manager_team ON crm.task_assignee TO crm_manager USING (task_id IN (SELECT t.id FROM crm.task t));
DROP POLICY IF EXISTS manager_team ON crm.comment;
CREATE POLICY manager_team ON crm.comment TO crm_manager
    USING (author IN (SELECT crm.team_peers()) OR article_id IS NOT NULL
           OR task_id IN (SELECT t.id FROM crm.task t) OR project_id IN (SELECT p.id FROM crm.project p));
DROP POLICY IF EXISTS manager_team ON crm.document;
CREATE POLICY manager_team ON crm.document TO crm_manager
    USING (owner IN (SELECT crm.team_peers()) OR account_id IN (SELECT a.id FROM crm.account a)
           OR project_id IN (SELECT p.id FROM crm.project p) OR task_id IN (SELECT t.id FROM crm.task t));

DROP POLICY IF EXISTS manager_team ON crm.reservation;
CREATE POLICY manager_team ON crm.reservation TO crm_manager
    USING (owner IN (SELECT crm.team_peers()) OR order_line_id IN (SELECT l.id FROM crm.order_line l))
    WITH CHECK (CASE WHEN order_line_id IS NULL THEN owner IN (SELECT crm.team_peers())
                     ELSE order_line_id IN (SELECT l.id FROM crm.order_line l) END);
DROP POLICY IF EXISTS manager_team ON crm.shipment;
CREATE POLICY manager_team ON crm.shipment TO crm_manager
    USING (owner IN (SELECT crm.team_peers()) OR order_id IN (SELECT o.id FROM crm.sales_order o))
    WITH CHECK (order_id IN (SELECT o.id FROM crm.sales_order o));
DROP POLICY IF EXISTS manager_team ON crm.shipment_line;
CREATE POLICY manager_team ON crm.shipment_line TO crm_manager
    USING (shipment_id IN (SELECT s.id FROM crm.shipment s));

-- Grants. Nothing in the extension is granted to PUBLIC, and the schemas are
-- not usable by PUBLIC either.
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA crm, crm_dw FROM PUBLIC;
REVOKE ALL ON ALL PROCEDURES IN SCHEMA crm, crm_dw FROM PUBLIC;

-- Install-time helper (dropped below): EXECUTE on every overload of the named functions.
CREATE OR REPLACE FUNCTION crm.grant_execute(grantee name, functions text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    fn text;
    overload regprocedure;
BEGIN
    FOREACH fn IN ARRAY functions LOOP
        IF NOT EXISTS (SELECT FROM pg_proc p WHERE p.oid::regproc::text = fn) THEN
            RAISE EXCEPTION 'grant_execute: no function %', fn;
        END IF;
        FOR overload IN SELECT p.oid FROM pg_proc p WHERE p.oid::regproc::text = fn LOOP
            EXECUTE format('GRANT EXECUTE ON ROUTINE %s TO %I', overload, grantee);
        END LOOP;
    END LOOP;
END $$;

GRANT USAGE ON SCHEMA crm, crm_dw TO crm_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA crm TO crm_admin;
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA crm_dw TO crm_admin;
REVOKE INSERT, UPDATE, DELETE ON crm.audit_log FROM crm_admin;
REVOKE INSERT, UPDATE, DELETE ON crm.audit_setting, crm.client_login FROM crm_admin;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA crm, crm_dw TO crm_admin;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA crm, crm_dw TO crm_admin;
GRANT EXECUTE ON ALL PROCEDURES IN SCHEMA crm TO crm_admin;

GRANT USAGE ON SCHEMA crm TO crm_manager;
GRANT SELECT, INSERT, UPDATE, DELETE ON crm.account, crm.contact, crm.deal, crm.lead, crm.sales_order, crm.order_line,
    crm.production_order, crm.complaint, crm.project, crm.task, crm.task_assignee, crm.comment, crm.document,
    crm.interaction, crm.credit_application, crm.knowledge_article, crm.shipment, crm.shipment_line TO crm_manager;
GRANT SELECT, INSERT, UPDATE ON crm.reservation TO crm_manager;
GRANT SELECT ON crm.product, crm.warehouse, crm.credit_product, crm.team, crm.team_member, crm.workflow,
    crm.workflow_state, crm.workflow_transition, crm.workflow_attachment TO crm_manager;
-- What the invoker's-rights order, workflow and reservation functions write
-- on the manager's behalf (docs/security.md, Threat model).
GRANT SELECT, INSERT, UPDATE ON crm.document_counter TO crm_manager;
GRANT INSERT ON crm.status_history TO crm_manager;
GRANT SELECT, UPDATE (reserved, on_hand, changed_at) ON crm.stock TO crm_manager;
GRANT SELECT, INSERT ON crm.stock_movement TO crm_manager;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA crm TO crm_manager;
SELECT crm.grant_execute('crm_manager', ARRAY[
    'crm.team_peers', 'crm.my_teams', 'crm.my_tasks', 'crm.convert_lead', 'crm.next_states', 'crm.overdue', 'crm.next_document_number', 'crm.document_number',
    'crm.loan_schedule', 'crm.loan_schedule_cents', 'crm.reserve', 'crm.reserve_order', 'crm.release',
    'crm.plan_shipment', 'crm.confirm_shipment', 'crm.cancel_shipment', 'crm.finish_shipment',
    'crm.close_reservations', 'crm.require_quantity', 'crm.require_stock_key', 'crm.require_arg']);
-- billing (performance): document numbers taken in blocks, behind crm.next_document_number.
SELECT crm.grant_execute('crm_manager', ARRAY['crm.next_document_numbers']);

GRANT USAGE ON SCHEMA crm, crm_dw TO crm_analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA crm_dw TO crm_analyst;
SELECT crm.grant_execute('crm_analyst', ARRAY[
    'crm.kmeans', 'crm.kmeans_agg', 'crm.kmeans_assign', 'crm.kmeans_elbow', 'crm.kmeans_refine', 'crm.silhouette', 'crm.one_hot',
    'crm.linreg', 'crm.linreg_predict', 'crm.logreg', 'crm.logreg_predict', 'crm.ttest', 'crm.prop_test',
    'crm.forecast', 'crm.forecast_points', 'crm.forecast_accuracy', 'crm.backtest', 'crm.backtest_arrays',
    'crm.decompose', 'crm.decompose_arrays', 'crm.loan_schedule', 'crm.loan_schedule_cents',
    'crm_dw.normalize_email', 'crm_dw.normalize_phone', 'crm.require_arg']);
-- statistics: the tests and model checks added in 0.3.0.
SELECT crm.grant_execute('crm_analyst', ARRAY[
    'crm.linreg_robust', 'crm.ttest_one', 'crm.ttest_paired', 'crm.chisq_test', 'crm.mann_whitney',
    'crm.classification_metrics', 'crm.roc_points']);

-- BI (docs/bi.md): crm_bi reads the BI views, a manager the per-manager views.
GRANT USAGE ON SCHEMA crm_dw TO crm_bi;
GRANT SELECT ON crm_dw.v_sales_monthly, crm_dw.v_pipeline_by_stage, crm_dw.v_forecast_vs_actual, crm_dw.v_segments,
                crm_dw.v_churn_risk, crm_dw.v_kpi_vs_standard, crm_dw.v_data_quality,
                crm_dw.v_fact_sales, crm_dw.v_fact_sales_monthly, crm_dw.v_dim_date, crm_dw.v_dim_product,
                crm_dw.v_dim_account, crm_dw.v_segment_centroids, crm_dw.v_segment_points, crm_dw.v_segment_elbow,
                crm_dw.bi_relationship, crm_dw.v_column_label TO crm_bi;
SELECT crm.grant_execute('crm_bi', ARRAY['crm_dw.date_key']);
SELECT crm.grant_execute('crm_analyst', ARRAY['crm_dw.date_key']);
-- BI logins are made and dropped through crm.create_bi_login and crm.drop_bi_login only.
REVOKE INSERT, UPDATE, DELETE ON crm.bi_login FROM crm_admin;
GRANT USAGE ON SCHEMA crm_dw TO crm_manager;
GRANT SELECT ON crm_dw.v_my_pipeline_by_stage, crm_dw.v_my_open_orders, crm_dw.v_my_tasks_due, crm_dw.v_column_label
    TO crm_manager;

GRANT USAGE ON SCHEMA crm TO crm_client;
GRANT SELECT ON crm.account, crm.sales_order, crm.order_line, crm.credit_application, crm.product, crm.credit_product
    TO crm_client;
SELECT crm.grant_execute('crm_client', ARRAY['crm.client_account_id']);

-- billing (docs/billing.md): contracts, quotes, invoices, payments and loans
-- follow their client's account; lines and allocations follow their document.
-- A client reads its own, drafts aside. Exchange rates are no client's data.
DO $$
DECLARE
    tbl text;
BEGIN
    FOREACH tbl IN ARRAY ARRAY['contract', 'contract_override', 'quote', 'quote_line', 'invoice', 'invoice_line', 'payment',
                               'payment_allocation', 'loan', 'loan_installment'] LOOP
        EXECUTE format('ALTER TABLE crm.%I ENABLE ROW LEVEL SECURITY', tbl);
        EXECUTE format('DROP POLICY IF EXISTS admin_all ON crm.%I', tbl);
        EXECUTE format('CREATE POLICY admin_all ON crm.%I TO crm_admin USING (true) WITH CHECK (true)', tbl);
    END LOOP;
    FOREACH tbl IN ARRAY ARRAY['contract', 'quote', 'invoice', 'payment', 'loan'] LOOP
        EXECUTE format('DROP POLICY IF EXISTS manager_team ON crm.%I', tbl);
        EXECUTE format('CREATE POLICY manager_team ON crm.%I TO crm_manager
            USING (owner IN (SELECT crm.team_peers()) OR account_id IN (SELECT a.id FROM crm.account a))
            WITH CHECK (account_id IN (SELECT a.id FROM crm.account a))', tbl);
        EXECUTE format('DROP POLICY IF EXISTS client_own ON crm.%I', tbl);
        EXECUTE format('CREATE POLICY client_own ON crm.%I FOR SELECT TO crm_client USING (account_id = crm.client_account_id()%s)',
                       tbl, CASE WHEN tbl IN ('contract', 'quote') THEN ' AND status <> ''draft''' ELSE '' END);
    END LOOP;
END $$;
DROP POLICY IF EXISTS manager_team ON crm.contract_override;
CREATE POLICY manager_team ON crm.contract_override FOR SELECT TO crm_manager
    USING (order_id IN (SELECT o.id FROM crm.sales_order o));
DROP POLICY IF EXISTS manager_team ON crm.quote_line;
CREATE POLICY manager_team ON crm.quote_line TO crm_manager, crm_client USING (quote_id IN (SELECT q.id FROM crm.quote q));
-- A document's lines are written before it: a manager writes lines of orders
-- they see, and sees them until the document exists too.
DROP POLICY IF EXISTS manager_team ON crm.invoice_line;
CREATE POLICY manager_team ON crm.invoice_line TO crm_manager
    USING (invoice_id IN (SELECT i.id FROM crm.invoice i) OR order_line_id IN (SELECT l.id FROM crm.order_line l))
    WITH CHECK (order_line_id IN (SELECT l.id FROM crm.order_line l));
DROP POLICY IF EXISTS client_own ON crm.invoice_line;
CREATE POLICY client_own ON crm.invoice_line FOR SELECT TO crm_client USING (invoice_id IN (SELECT i.id FROM crm.invoice i));
-- An allocation is written in the statement that writes its payment, which
-- that statement cannot see yet: the check is on what it pays.
DROP POLICY IF EXISTS manager_team ON crm.payment_allocation;
CREATE POLICY manager_team ON crm.payment_allocation TO crm_manager
    USING (payment_id IN (SELECT p.id FROM crm.payment p))
    WITH CHECK (invoice_id IN (SELECT i.id FROM crm.invoice i) OR installment_id IN (SELECT x.id FROM crm.loan_installment x));
DROP POLICY IF EXISTS client_own ON crm.payment_allocation;
CREATE POLICY client_own ON crm.payment_allocation FOR SELECT TO crm_client USING (payment_id IN (SELECT p.id FROM crm.payment p));
DROP POLICY IF EXISTS manager_team ON crm.loan_installment;
CREATE POLICY manager_team ON crm.loan_installment TO crm_manager, crm_client USING (loan_id IN (SELECT l.id FROM crm.loan l));

-- What the invoker's-rights billing functions write on the manager's behalf
-- (docs/billing.md, "Security"): amounts paid and statuses, never documents.
GRANT SELECT, INSERT, UPDATE, DELETE ON crm.contract, crm.quote, crm.quote_line TO crm_manager;
GRANT SELECT, INSERT ON crm.invoice, crm.invoice_line, crm.payment, crm.payment_allocation, crm.loan, crm.loan_installment
    TO crm_manager;
GRANT UPDATE (paid, credited, status, cancel_reason, updated_at) ON crm.invoice TO crm_manager;
GRANT UPDATE (allocated) ON crm.payment TO crm_manager;
GRANT UPDATE (status, finished_on, updated_at) ON crm.loan TO crm_manager;
GRANT UPDATE (paid, paid_on, replaced_by) ON crm.loan_installment TO crm_manager;
GRANT SELECT ON crm.contract_override, crm.exchange_rate TO crm_manager;
GRANT SELECT ON crm.receivables, crm.loan_arrears, crm.v_application_counts, crm.v_order_counts, crm.v_account_card
    TO crm_manager, crm_client;
GRANT SELECT ON crm.contract, crm.quote, crm.quote_line, crm.invoice, crm.invoice_line, crm.payment, crm.payment_allocation,
    crm.loan, crm.loan_installment, crm.exchange_rate, crm.workflow_state TO crm_client;
-- The BI views convert with the rates: crm_bi may call the conversion (its
-- rights reach no other crm table, nor the schema by name).
GRANT SELECT ON crm.exchange_rate TO crm_analyst, crm_bi;
SELECT crm.grant_execute(role, ARRAY['crm.vat_rate', 'crm.base_currency', 'crm.rate_to_base', 'crm.convert',
                                      'crm.require_currency', 'crm.require_day'])
FROM unnest(ARRAY['crm_manager', 'crm_client', 'crm_analyst']) role;
SELECT crm.grant_execute('crm_bi', ARRAY['crm.base_currency', 'crm.rate_to_base']);
SELECT crm.grant_execute('crm_manager', ARRAY[
    'crm.require_money', 'crm.payment_by_key', 'crm.contract_refusal', 'crm.confirm_order', 'crm.win_deal', 'crm.accept_quote',
    'crm.invoice_status', 'crm.apply_credit', 'crm.write_invoices', 'crm.invoice_order', 'crm.invoice_orders', 'crm.invoice_shipment',
    'crm.cancel_invoice', 'crm.credit_note', 'crm.record_payment', 'crm.allocate', 'crm.unallocate', 'crm.receivables_aging',
    'crm.receivable_invariant_violations', 'crm.loan_owes', 'crm.lock_active_loan', 'crm.pay_installments',
    'crm.finish_loan_if_repaid', 'crm.record_repayment', 'crm.repay_early']);

-- events (docs/events.md): administrators and integrations read the outbox
-- through crm.consume_events; only pgcrm's triggers and functions write it.
-- Any invoker's-rights function may emit a kind of its own with crm.emit_event.
REVOKE INSERT, UPDATE, DELETE ON crm.event, crm.event_kind FROM crm_admin;
SELECT crm.grant_execute('crm_manager', ARRAY['crm.emit_event']);
REVOKE EXECUTE ON FUNCTION crm.record_event(text, text, text, jsonb) FROM crm_admin;
-- automation (docs/automation.md): administrators write the rules. A rule's
-- SQL runs with crm_admin's rights whoever fires it (a manager's change, a
-- superuser's pg_cron job), so crm_admin owns the two functions that run it.
ALTER FUNCTION crm.automation_value(text, jsonb, crm.event) OWNER TO crm_admin;
ALTER FUNCTION crm.automation_sweep_rows(text) OWNER TO crm_admin;
-- search (docs/search.md): managers search and list with their own rights,
-- so row security decides what they find.
SELECT crm.grant_execute('crm_manager', ARRAY['crm.search', 'crm.search_rows', 'crm.list_orders', 'crm_dw.normalize_phone']);
-- merge (docs/merge.md): managers merge what their row security lets them
-- change; the merge record follows the kept row's visibility.
ALTER TABLE crm.account_merge ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS admin_all ON crm.account_merge;
CREATE POLICY admin_all ON crm.account_merge TO crm_admin USING (true) WITH CHECK (true);
DROP POLICY IF EXISTS manager_team ON crm.account_merge;
CREATE POLICY manager_team ON crm.account_merge TO crm_manager
    USING (CASE entity WHEN 'crm.account' THEN keep_id IN (SELECT a.id FROM crm.account a) ELSE keep_id IN (SELECT c.id FROM crm.contact c) END)
    WITH CHECK (CASE entity WHEN 'crm.account' THEN keep_id IN (SELECT a.id FROM crm.account a) AND remove_id IN (SELECT a.id FROM crm.account a)
                            ELSE keep_id IN (SELECT c.id FROM crm.contact c) AND remove_id IN (SELECT c.id FROM crm.contact c) END);
GRANT SELECT, INSERT ON crm.account_merge TO crm_manager;
SELECT crm.grant_execute('crm_manager', ARRAY['crm.merge_accounts', 'crm.merge_contacts', 'crm.resolve_account', 'crm.begin_merge',
    'crm.move_references', 'crm.record_exists', 'crm.merged_alternates', 'crm.acting_role',
    'crm.merged_in_this_transaction', 'crm.moved_by_merge']);

DROP FUNCTION crm.grant_execute(name, text[]);

-- Hot paths: the ledger view (holds derived from crm.reservation), readable where the ledger is.
GRANT SELECT ON crm.stock_ledger TO crm_manager;
