-- pgcrm 0.2.0 to 0.3.0: what changes in objects 0.2.0 already has. The
-- Makefile appends the parts this release adds and every part that runs again
-- (functions, views, triggers, policies, grants), so they are written once.
\echo Use "ALTER EXTENSION pgcrm UPDATE TO '0.3.0'" to load this file. \quit

-- The job registry replaces crm_dw.jobs(); every job function takes (rebuild boolean).
DROP FUNCTION crm_dw.jobs();
DROP FUNCTION crm_dw.refresh_segments(), crm_dw.refresh_forecast(), crm_dw.refresh_kpi(), crm_dw.refresh_data_quality();
-- Schedules are given by job name.
DROP FUNCTION crm.schedule_jobs(text, text, text, text, text, text, text);
-- Builtin workflows are seeded by the capability that uses them.
DROP FUNCTION IF EXISTS crm.seed_workflow(text, text, jsonb, jsonb);
-- Aggregate states are bytea (sql/statistics, kmeans, forecast), no longer
-- internal: the aggregates and their support functions are created anew.
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT a.aggfnoid::regprocedure FROM pg_aggregate a JOIN pg_depend d ON d.objid = a.aggfnoid
              WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e' AND a.aggtranstype = 'internal'::regtype
                AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pgcrm') LOOP
        EXECUTE format('DROP AGGREGATE %s', f);
    END LOOP;
    FOR f IN SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid
              WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
                AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pgcrm')
                AND ('internal'::regtype = ANY (p.proargtypes::oid[]) OR p.prorettype = 'internal'::regtype) LOOP
        EXECUTE format('DROP FUNCTION %s', f);
    END LOOP;
END $$;

-- automation (docs/automation.md): tasks about a client or a lead, and the
-- products the plant makes for each order.
ALTER TABLE crm.task ADD COLUMN account_id bigint REFERENCES crm.account, ADD COLUMN lead_id bigint REFERENCES crm.lead;
CREATE INDEX task_account_idx ON crm.task (account_id);
CREATE INDEX task_lead_idx ON crm.task (lead_id);
COMMENT ON COLUMN crm.task.account_id IS 'The client the task is about (a call, an offer), when it is about one';
ALTER TABLE crm.product ADD COLUMN made_to_order boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN crm.product.made_to_order IS 'Made for each order by the plant: a confirmed order line of it needs a production order';

-- merge (docs/merge.md): merged profiles keep the duplicates' e-mails and
-- phones; a duplicate finding names the account it duplicates.
ALTER TABLE crm.account ADD COLUMN alt_emails text[] NOT NULL DEFAULT '{}', ADD COLUMN alt_phones text[] NOT NULL DEFAULT '{}';
COMMENT ON COLUMN crm.account.alt_emails IS 'The e-mails of duplicates merged into this client (docs/merge.md)';
COMMENT ON COLUMN crm.account.alt_phones IS 'The phones of duplicates merged into this client (docs/merge.md)';
ALTER TABLE crm.contact ADD COLUMN alt_emails text[] NOT NULL DEFAULT '{}', ADD COLUMN alt_phones text[] NOT NULL DEFAULT '{}';
COMMENT ON COLUMN crm.contact.alt_emails IS 'The e-mails of duplicates merged into this contact (docs/merge.md)';
COMMENT ON COLUMN crm.contact.alt_phones IS 'The phones of duplicates merged into this contact (docs/merge.md)';
ALTER TABLE crm_dw.dq_issue ADD COLUMN duplicate_of bigint;
COMMENT ON COLUMN crm_dw.dq_issue.duplicate_of IS 'For a duplicate: the account it duplicates, which crm.merge_duplicate(record_id) merges it into';
