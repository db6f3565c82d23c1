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
-- The workflow definition check is a trigger function per table (its triggers come back with sql/workflow).
DROP FUNCTION crm.workflow_definition_check() CASCADE;
DROP FUNCTION IF EXISTS crm.seed_workflow(text, text, jsonb, jsonb);
-- The demo data loads most workflow paths instead of walking them (sql/demo_data).
DROP FUNCTION crm.demo_walk(regclass, name);
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

-- forecast: the result reports combinations' members, fitted values,
-- residuals and their Ljung-Box test; accuracy and backtests score intervals
-- and bias, so their signatures and result types grow.
ALTER TYPE crm.forecast_result ADD ATTRIBUTE members text[], ADD ATTRIBUTE fitted float8[],
    ADD ATTRIBUTE residuals float8[], ADD ATTRIBUTE ljung_box float8, ADD ATTRIBUTE ljung_box_p float8;
ALTER TYPE crm.forecast_accuracy_result ADD ATTRIBUTE bias float8, ADD ATTRIBUTE coverage float8,
    ADD ATTRIBUTE winkler float8, ADD ATTRIBUTE msis float8;
ALTER TYPE crm.backtest_columns ADD ATTRIBUTE bias float8[], ADD ATTRIBUTE coverage float8[],
    ADD ATTRIBUTE winkler float8[], ADD ATTRIBUTE msis float8[];
DROP FUNCTION crm.forecast_accuracy(float8[], float8[], float8[], int);
DROP FUNCTION crm.backtest(timestamptz[], float8[], int, int, int, text, text);
DROP FUNCTION crm.backtest_arrays(timestamptz[], float8[], int, int, int, text, text);

-- statistics: the regression results gain the coefficient covariance, odds
-- ratios with their intervals, and the count of skipped rows.
ALTER TYPE crm.linreg_result ADD ATTRIBUTE covariance float8[], ADD ATTRIBUTE skipped bigint;
ALTER TYPE crm.logreg_result ADD ATTRIBUTE covariance float8[], ADD ATTRIBUTE odds_ratios float8[],
    ADD ATTRIBUTE odds_ratio_low float8[], ADD ATTRIBUTE odds_ratio_high float8[], ADD ATTRIBUTE skipped bigint;
CREATE TYPE crm.linreg_robust_result AS (
    type text, std_errors float8[], t_values float8[], p_values float8[], covariance float8[], n bigint, skipped bigint);
CREATE TYPE crm.ttest_one_result AS (t float8, df float8, p_value float8, mean float8, ci_low float8, ci_high float8, mu float8, n bigint);
CREATE TYPE crm.chisq_test_result AS (statistic float8, df float8, p_value float8, n bigint, row_labels text[], column_labels text[],
                                      observed bigint[], expected float8[], warning text);
CREATE TYPE crm.mann_whitney_result AS (w float8, p_value float8, z float8, exact boolean, n_treatment bigint, n_control bigint);
CREATE TYPE crm.classification_result AS (n bigint, positives bigint, auc float8, brier float8, log_loss float8, threshold float8,
    true_positives bigint, false_positives bigint, true_negatives bigint, false_negatives bigint,
    accuracy float8, precision float8, recall float8, specificity float8);
CREATE TYPE crm.roc_point AS (threshold float8, false_positive_rate float8, true_positive_rate float8);
-- statistics: the nightly churn job scores the previous model out of sample.
ALTER TABLE crm_dw.churn_model ADD COLUMN scored_model_id bigint, ADD COLUMN scored_clients bigint,
    ADD COLUMN auc float8 CHECK (auc BETWEEN 0 AND 1), ADD COLUMN brier float8 CHECK (brier BETWEEN 0 AND 1);
COMMENT ON TABLE crm_dw.churn_model IS
    'Per day: logistic regression of "no order in the next 180 days" on the features clients had 180 days earlier, and the AUC and Brier score of the model before it on the same clients';

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

-- Incremental facts (warehouse): the refresh deletes the months a change
-- empties by the rows it updated, so the index that found them goes; without
-- it, and with room left on each page, a changed row stays on its page (HOT).
-- The room is made by the next full rebuild.
DROP INDEX crm_dw.fact_sales_monthly_empty_idx;
ALTER TABLE crm_dw.fact_sales SET (fillfactor = 90);
ALTER TABLE crm_dw.fact_sales_monthly SET (fillfactor = 90);
