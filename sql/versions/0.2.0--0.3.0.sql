-- pgcrm 0.2.0 to 0.3.0: what changes in objects 0.2.0 already has. The
-- Makefile appends the parts this release adds and every part that runs again
-- (functions, views, triggers, policies, grants), so they are written once.
\echo Use "ALTER EXTENSION pgcrm UPDATE TO '0.3.0'" to load this file. \quit

-- First, the locks the update's triggers and constraints need, on every table:
-- an autovacuum that took one after the update's grants had changed the
-- table's catalog row would wait for the update, and the update for it.
DO $$
DECLARE
    tbl regclass;
BEGIN
    FOR tbl IN SELECT d.objid FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
                WHERE d.classid = 'pg_class'::regclass AND d.deptype = 'e' AND c.relkind = 'r'
                  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pgcrm') ORDER BY 1 LOOP
        EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', tbl);
    END LOOP;
END $$;

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

-- bi: the segmentation keeps the WCSS curve its k was chosen from.
ALTER TABLE crm_dw.segment_model ADD COLUMN elbow jsonb;
-- bi: foreign keys on the warehouse, so BI tools reading information_schema
-- see how the star joins. Derived rows that break one (a refresh that raced a
-- change between its statements) are emptied for the next refresh to rebuild;
-- a client's segment from a model since deleted keeps no model.
DO $$
BEGIN
    IF EXISTS (SELECT FROM crm_dw.fact_sales f WHERE NOT EXISTS (SELECT FROM crm_dw.dim_date d WHERE d.date_key = f.order_date)
                                                OR NOT EXISTS (SELECT FROM crm_dw.dim_account a WHERE a.account_id = f.account_id)
                                                OR NOT EXISTS (SELECT FROM crm_dw.dim_product p WHERE p.product_id = f.product_id))
       OR EXISTS (SELECT FROM crm_dw.fact_sales_monthly m
                  WHERE NOT EXISTS (SELECT FROM crm_dw.dim_date d WHERE d.date_key = m.month)
                     OR m.account_id IS NOT NULL AND NOT EXISTS (SELECT FROM crm_dw.dim_account a WHERE a.account_id = m.account_id)
                     OR m.product_id IS NOT NULL AND NOT EXISTS (SELECT FROM crm_dw.dim_product p WHERE p.product_id = m.product_id))
    THEN
        TRUNCATE crm_dw.fact_sales, crm_dw.fact_sales_monthly, crm_dw.order_delta;
        DELETE FROM crm_dw.etl_state WHERE job = 'facts';
    END IF;
    IF EXISTS (SELECT FROM crm_dw.customer_features f
               WHERE f.churn_model_id IS NOT NULL
                 AND NOT EXISTS (SELECT FROM crm_dw.churn_model m WHERE m.id = f.churn_model_id)) THEN
        TRUNCATE crm_dw.customer_features;
        DELETE FROM crm_dw.etl_state WHERE job = 'features';
    END IF;
    UPDATE crm_dw.customer_segment s SET model_id = NULL
    WHERE s.model_id IS NOT NULL AND NOT EXISTS (SELECT FROM crm_dw.segment_model m WHERE m.id = s.model_id);
END $$;
ALTER TABLE crm_dw.fact_sales ADD FOREIGN KEY (order_date) REFERENCES crm_dw.dim_date,
    ADD FOREIGN KEY (account_id) REFERENCES crm_dw.dim_account, ADD FOREIGN KEY (product_id) REFERENCES crm_dw.dim_product;
ALTER TABLE crm_dw.fact_sales_monthly ADD FOREIGN KEY (month) REFERENCES crm_dw.dim_date,
    ADD FOREIGN KEY (product_id) REFERENCES crm_dw.dim_product, ADD FOREIGN KEY (account_id) REFERENCES crm_dw.dim_account;
ALTER TABLE crm_dw.customer_features ADD FOREIGN KEY (churn_model_id) REFERENCES crm_dw.churn_model;
ALTER TABLE crm_dw.customer_segment ADD FOREIGN KEY (model_id) REFERENCES crm_dw.segment_model;
