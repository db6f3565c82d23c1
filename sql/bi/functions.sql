-- The BI contract (docs/bi.md): these views' names and column
-- types are stable across releases. The crm_bi role reads them and nothing else.

CREATE OR REPLACE VIEW crm_dw.v_sales_monthly AS
SELECT d.month_start AS month, a.industry, a.region, p.family AS product_family, p.sku, p.name AS product_name,
       f.currency, count(DISTINCT f.order_id) AS orders, sum(f.quantity) AS quantity, sum(f.line_total) AS revenue
FROM crm_dw.fact_sales f
JOIN crm_dw.dim_date d ON d.date_key = f.order_date
JOIN crm_dw.dim_account a ON a.account_id = f.account_id
JOIN crm_dw.dim_product p ON p.product_id = f.product_id
WHERE f.booked
GROUP BY d.month_start, a.industry, a.region, p.family, p.sku, p.name, f.currency;
COMMENT ON VIEW crm_dw.v_sales_monthly IS 'Booked sales by month, client industry and region, and product';

-- Deals are read live: the pipeline is about now.
CREATE OR REPLACE VIEW crm_dw.v_pipeline_by_stage AS
SELECT s.sort_order AS stage_order, d.stage, s.label_en AS stage_label, s.is_final, d.currency::text AS currency,
       count(*) AS deals, sum(d.amount)::numeric AS amount,
       round(sum(d.amount * coalesce(d.probability, 0) / 100), 2) AS weighted_amount
FROM crm.deal d
JOIN crm.workflow_state s ON s.workflow = 'deal' AND s.code = d.stage
GROUP BY s.sort_order, d.stage, s.label_en, s.is_final, d.currency::text;
COMMENT ON VIEW crm_dw.v_pipeline_by_stage IS 'Open and closed deals per stage: count, amount, and amount weighted by probability';

CREATE OR REPLACE VIEW crm_dw.v_forecast_vs_actual AS
SELECT f.product_id, p.sku, p.name AS product_name, p.family AS product_family, f.period, f.generated_at, f.step,
       f.model, f.point, f.lower_80, f.upper_80, f.lower_95, f.upper_95, f.actual,
       f.actual - f.point::numeric AS error,
       round(100 * abs(f.actual - f.point::numeric) / nullif(f.actual, 0), 2) AS abs_pct_error,
       f.actual BETWEEN f.lower_80::numeric AND f.upper_80::numeric AS within_80,
       f.actual BETWEEN f.lower_95::numeric AND f.upper_95::numeric AS within_95,
       f.generated_at = max(f.generated_at) OVER (PARTITION BY f.product_id) AS latest
FROM crm_dw.demand_forecast f
JOIN crm_dw.dim_product p ON p.product_id = f.product_id;
COMMENT ON VIEW crm_dw.v_forecast_vs_actual IS
    'Every demand forecast with its realised demand once the month is over; latest marks the newest forecast run';

CREATE OR REPLACE VIEW crm_dw.v_segments AS
SELECT s.account_id, a.name AS account_name, a.industry, a.region, a.manager, s.segment, s.label,
       f.recency_days, f.frequency, f.monetary, f.avg_order_value, f.r_score, f.f_score, f.m_score,
       s.model_id, m.fitted_at
FROM crm_dw.customer_segment s
JOIN crm_dw.dim_account a ON a.account_id = s.account_id
LEFT JOIN crm_dw.customer_features f ON f.account_id = s.account_id
LEFT JOIN crm_dw.segment_model m ON m.id = s.model_id;
COMMENT ON VIEW crm_dw.v_segments IS 'Each client''s segment (key, regular, occasional; lapsed or prospect when not clustered)';

CREATE OR REPLACE VIEW crm_dw.v_churn_risk AS
SELECT f.account_id, a.name AS account_name, a.manager, a.industry, a.region, f.churn_risk, f.last_order,
       f.recency_days, f.orders_180d, f.orders_prior_180d, f.complaints_90d, f.monetary,
       CASE WHEN f.recency_days >= 180 THEN 'send a special offer'
            WHEN f.orders_180d < f.orders_prior_180d AND f.complaints_90d > 0 THEN 'call the client'
            WHEN f.churn_risk >= 0.5 THEN 'call the client' END AS action
FROM crm_dw.customer_features f
JOIN crm_dw.dim_account a ON a.account_id = f.account_id
WHERE f.orders_total > 0;
COMMENT ON VIEW crm_dw.v_churn_risk IS
    'Clients with orders, their churn risk, and the action due: an offer after 180 days without orders, a call when risk is high';

CREATE OR REPLACE VIEW crm_dw.v_kpi_vs_standard AS
SELECT s.kpi, s.description, s.unit, k.value, s.standard, s.better,
       CASE s.better WHEN 'lower' THEN k.value <= s.standard ELSE k.value >= s.standard END AS meets_standard,
       k.value - s.standard AS difference, k.basis, k.taken_at
FROM crm_dw.kpi_standard s
JOIN LATERAL (SELECT * FROM crm_dw.kpi_snapshot x WHERE x.kpi = s.kpi ORDER BY x.taken_at DESC LIMIT 1) k ON true;
COMMENT ON VIEW crm_dw.v_kpi_vs_standard IS 'The latest value of each KPI against its standard (lower is better for times)';

CREATE OR REPLACE VIEW crm_dw.v_data_quality AS
SELECT kind, table_name, count(*) AS issues, min(first_seen) AS oldest
FROM crm_dw.dq_issue
GROUP BY kind, table_name;
COMMENT ON VIEW crm_dw.v_data_quality IS 'Open data-quality findings per kind';
