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

-- billing: the columns the commercial cycle adds to 0.2.0 tables (as in their
-- tables.sql). The key from an order to its contract is made by
-- sql/billing/tables.sql, which this update runs after this migration.
ALTER TABLE crm.sales_order ADD COLUMN contract_id bigint;
ALTER TABLE crm.product ADD COLUMN vat_rate_pct numeric(5, 2) CHECK (vat_rate_pct >= 0 AND vat_rate_pct <= 100);
COMMENT ON COLUMN crm.product.vat_rate_pct IS 'VAT on this product in percent; NULL: the setting pgcrm.vat_rate (docs/billing.md)';
ALTER TABLE crm.credit_product
    ADD COLUMN repayment_method text NOT NULL DEFAULT 'annuity' CHECK (repayment_method IN ('annuity', 'differentiated'));
ALTER TABLE crm.credit_application
    ADD COLUMN repayment_method text CHECK (repayment_method IN ('annuity', 'differentiated')),
    ADD COLUMN first_payment_date date;
-- The warehouse's base-currency totals and payment behaviour; the next
-- refresh of each job rebuilds it with them.
ALTER TABLE crm_dw.fact_sales ADD COLUMN line_total_base numeric(16, 2);
ALTER TABLE crm_dw.customer_features ADD COLUMN invoices_due_365d integer, ADD COLUMN avg_days_late numeric(8, 2),
    ADD COLUMN paid_on_time_share numeric(5, 4);
COMMENT ON TABLE crm_dw.customer_features IS
    'Per client as of a day: recency, frequency and monetary value over 365 days, RFM scores, churn risk, payment behaviour';
INSERT INTO crm_dw.change_queue VALUES ('facts', 'all', 0), ('features', 'all', 0);
