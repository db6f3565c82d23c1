-- The BI contract (docs/bi.md): these views' names and column
-- types are stable across releases. The crm_bi role reads them and nothing else.

-- Invoiced and paid (billing) are read live from crm by the month of issue:
-- an invoice's paid amount is shared among its lines by their gross, a credit
-- note counts negative. *_base are in pgcrm.base_currency, NULL where a rate
-- is missing.
CREATE OR REPLACE VIEW crm_dw.v_sales_monthly AS
WITH lines AS (
    SELECT f.order_date AS day, f.account_id, f.product_id, f.currency, f.order_id, f.quantity, f.line_total AS revenue,
           f.line_total_base AS revenue_base, f.line_total_base IS NOT NULL AS sale_converted, NULL::boolean AS invoice_converted,
           NULL::numeric AS invoiced, NULL::numeric AS invoiced_base, NULL::numeric AS paid, NULL::numeric AS paid_base
    FROM crm_dw.fact_sales f WHERE f.booked
    UNION ALL
    SELECT i.issued_on, i.account_id, l.product_id, i.currency::text, NULL, NULL, NULL, NULL, NULL, r.rate IS NOT NULL,
           l.gross, l.gross * r.rate, l.gross * i.paid / i.total, l.gross * i.paid / i.total * r.rate
    FROM crm.invoice_line l JOIN crm.invoice i ON i.id = l.invoice_id
    CROSS JOIN LATERAL (SELECT crm.rate_to_base(i.currency, i.issued_on) AS rate) r
    WHERE i.status <> 'cancelled')
SELECT d.month_start AS month, a.industry, a.region, p.family AS product_family, p.sku, p.name AS product_name,
       x.currency, count(DISTINCT x.order_id) AS orders, coalesce(sum(x.quantity), 0) AS quantity,
       coalesce(sum(x.revenue), 0) AS revenue,
       CASE WHEN coalesce(bool_and(x.sale_converted), true) THEN coalesce(sum(x.revenue_base), 0) END AS revenue_base,
       coalesce(sum(x.invoiced), 0) AS invoiced, round(coalesce(sum(x.paid), 0), 2) AS paid,
       CASE WHEN coalesce(bool_and(x.invoice_converted), true) THEN round(coalesce(sum(x.invoiced_base), 0), 2) END AS invoiced_base,
       CASE WHEN coalesce(bool_and(x.invoice_converted), true) THEN round(coalesce(sum(x.paid_base), 0), 2) END AS paid_base
FROM lines x
JOIN crm_dw.dim_date d ON d.date_key = x.day
JOIN crm_dw.dim_account a ON a.account_id = x.account_id
JOIN crm_dw.dim_product p ON p.product_id = x.product_id
GROUP BY d.month_start, a.industry, a.region, p.family, p.sku, p.name, x.currency;
COMMENT ON VIEW crm_dw.v_sales_monthly IS
    'Booked sales, and invoiced and paid amounts (VAT included), by month, client industry and region, and product; *_base in the base currency';

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
            WHEN f.churn_risk >= 0.5 THEN 'call the client' END AS action,
       f.avg_days_late, f.paid_on_time_share
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
