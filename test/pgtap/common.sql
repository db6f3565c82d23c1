-- Rules for the whole schema: its tables, which status columns follow a
-- workflow, what pg_dump keeps, and which deletes cascade.
BEGIN;
SELECT plan(4);

SELECT tables_are('crm', ARRAY[
    'workflow', 'workflow_state', 'workflow_transition', 'workflow_attachment', 'status_history', 'document_counter',
    'account', 'contact', 'lead', 'deal', 'interaction', 'team', 'team_member', 'project', 'task', 'task_assignee',
    'comment', 'document', 'knowledge_article', 'product', 'warehouse', 'sales_order', 'order_line',
    'production_order', 'complaint', 'credit_product', 'credit_application',
    'stock', 'reservation', 'stock_movement', 'shipment', 'shipment_line', 'audit_log', 'audit_setting', 'client_login',
    'exchange_rate', 'contract', 'contract_override', 'quote', 'quote_line', 'invoice', 'invoice_line', 'loan', 'payment',
    'loan_installment', 'payment_allocation', 'event_kind', 'event_kind_setting', 'event', 'event_consumer', 'external_key', 'inbound_message',
    'automation_rule', 'automation_rule_setting', 'automation_run', 'automation_sweep', 'automation_sweep_state',
    'account_merge', 'bi_login']);
SELECT set_eq($$SELECT table_name::text || '.' || status_column FROM crm.workflow_attachment$$,
    ARRAY['crm.deal.stage', 'crm.lead.status', 'crm.sales_order.status', 'crm.production_order.status',
          'crm.task.status', 'crm.credit_application.status', 'crm.shipment.status', 'crm.contract.status', 'crm.quote.status',
          'crm.invoice.status'], 'every status column follows its workflow');
SELECT is_empty($$SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = 'crm' AND c.relkind IN ('r', 'S') AND c.relname NOT LIKE 'workflow%'
                    AND c.oid NOT IN (SELECT unnest(extconfig) FROM pg_extension WHERE extname = 'pgcrm')$$,
    'every table and sequence holding user data is kept by pg_dump');
SELECT is_empty($$SELECT conrelid::regclass FROM pg_constraint
                  WHERE contype = 'f' AND connamespace = 'crm'::regnamespace AND confdeltype = 'c'
                    AND conrelid::regclass::text NOT IN ('crm.order_line', 'crm.team_member', 'crm.task_assignee', 'crm.comment',
                                                         'crm.workflow_state', 'crm.workflow_transition', 'crm.shipment_line',
                                                         'crm.client_login', 'crm.quote_line',
                                                         -- a kind's or a rule's settings, runs and sweep
                                                         'crm.event_kind_setting', 'crm.automation_rule', 'crm.automation_rule_setting',
                                                         'crm.automation_run', 'crm.automation_sweep', 'crm.automation_sweep_state')$$,
    'only lines owned by their header (and a client login by its account, settings and runs by their kind or rule) cascade on delete');

SELECT * FROM finish();
ROLLBACK;
