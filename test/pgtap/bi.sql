-- The BI contract: what the crm_bi role may read, and nothing more.
BEGIN;
SELECT plan(4);

-- What crm_bi may read ------------------------------------------------------------------
SET LOCAL ROLE crm_bi;
SELECT lives_ok($$SELECT * FROM crm_dw.v_sales_monthly, crm_dw.v_pipeline_by_stage, crm_dw.v_forecast_vs_actual,
                          crm_dw.v_segments, crm_dw.v_churn_risk, crm_dw.v_kpi_vs_standard, crm_dw.v_data_quality LIMIT 1$$,
                'crm_bi reads every BI view');
SELECT throws_ok($$SELECT * FROM crm_dw.fact_sales$$, '42501', NULL, 'crm_bi cannot read the warehouse tables');
SELECT throws_ok($$SELECT * FROM crm.account$$, '42501', NULL, 'crm_bi cannot read the operational tables');
SELECT throws_ok($$SELECT crm.etl_refresh()$$, '42501', NULL, 'crm_bi cannot run refreshes');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
