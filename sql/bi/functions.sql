-- The BI contract (docs/bi.md): the views BI tools read, each with a comment
-- on every column. A view's name, column names, column order and types never
-- change: a different column list is a new view version (docs/bi.md,
-- "Versioning"). test/pgtap/bi.sql fixes every column list.
-- crm_bi reads the warehouse views here; crm_manager reads the per-manager
-- views (v_my_*), which run with the reader's rights and row-level security.

-- The integer key of a day, yyyymmdd: what facts carry to join v_dim_date.
-- date_part (float8) is several times faster per row than extract (numeric).
CREATE OR REPLACE FUNCTION crm_dw.date_key(day date) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN (date_part('year', day) * 10000 + date_part('month', day) * 100 + date_part('day', day))::integer;
COMMENT ON FUNCTION crm_dw.date_key(date) IS 'The integer date key yyyymmdd of a day, as v_dim_date.date_key and the facts'' *_date_key columns';

-- The star: dimensions ---------------------------------------------------------------------
-- Every dimension has its surrogate key (<name>_key, what facts carry) and its
-- natural key. The warehouse's dimensions are type 1, so today the surrogate
-- key of a client or product equals its CRM id; a later type-2 dimension
-- would give each version its own key and keep the natural key.

CREATE OR REPLACE VIEW crm_dw.v_dim_date AS
SELECT crm_dw.date_key(d.date_key) AS date_key, d.date_key AS calendar_date, d.year, d.quarter, d.month,
       to_char(d.date_key, 'YYYY-MM') AS year_month, d.month_name, d.month_start,
       crm_dw.date_key(d.month_start) AS month_key, d.iso_year, d.iso_week, d.day_of_week, d.is_weekend
FROM crm_dw.dim_date d;
COMMENT ON VIEW crm_dw.v_dim_date IS 'The calendar, one row per day: the date dimension every *_date_key and month_key joins';
COMMENT ON COLUMN crm_dw.v_dim_date.date_key IS 'Surrogate key: the day as the integer yyyymmdd';
COMMENT ON COLUMN crm_dw.v_dim_date.calendar_date IS 'Natural key: the day';
COMMENT ON COLUMN crm_dw.v_dim_date.year IS 'Calendar year';
COMMENT ON COLUMN crm_dw.v_dim_date.quarter IS 'Calendar quarter, 1 to 4';
COMMENT ON COLUMN crm_dw.v_dim_date.month IS 'Calendar month, 1 to 12';
COMMENT ON COLUMN crm_dw.v_dim_date.year_month IS 'Year and month as text, YYYY-MM';
COMMENT ON COLUMN crm_dw.v_dim_date.month_name IS 'Month name in English, January to December';
COMMENT ON COLUMN crm_dw.v_dim_date.month_start IS 'First day of the month';
COMMENT ON COLUMN crm_dw.v_dim_date.month_key IS 'Date key of the month''s first day: joins v_fact_sales_monthly.month_key';
COMMENT ON COLUMN crm_dw.v_dim_date.iso_year IS 'ISO 8601 week-numbering year';
COMMENT ON COLUMN crm_dw.v_dim_date.iso_week IS 'ISO 8601 week number, 1 to 53';
COMMENT ON COLUMN crm_dw.v_dim_date.day_of_week IS 'ISO day of the week: Monday 1 to Sunday 7';
COMMENT ON COLUMN crm_dw.v_dim_date.is_weekend IS 'Saturday or Sunday';

CREATE OR REPLACE VIEW crm_dw.v_dim_product AS
SELECT p.product_id AS product_key, p.product_id, p.sku, p.name AS product_name, p.kind, p.family, p.unit,
       p.pipe_type, p.diameter_mm, p.working_pressure_bar, p.material, p.list_price, p.currency, p.active
FROM crm_dw.dim_product p;
COMMENT ON VIEW crm_dw.v_dim_product IS 'Products with their current attributes, the pipe attributes as columns';
COMMENT ON COLUMN crm_dw.v_dim_product.product_key IS 'Surrogate key: what facts carry as product_key';
COMMENT ON COLUMN crm_dw.v_dim_product.product_id IS 'Natural key: the product''s id in the CRM';
COMMENT ON COLUMN crm_dw.v_dim_product.sku IS 'Stock-keeping unit code, unique per product';
COMMENT ON COLUMN crm_dw.v_dim_product.product_name IS 'Product name';
COMMENT ON COLUMN crm_dw.v_dim_product.kind IS 'goods or service';
COMMENT ON COLUMN crm_dw.v_dim_product.family IS 'Product family, for example pressure pipe';
COMMENT ON COLUMN crm_dw.v_dim_product.unit IS 'Unit of quantity, for example m (metres)';
COMMENT ON COLUMN crm_dw.v_dim_product.pipe_type IS 'Pipe type: pressure, sewer, oil and gas, chemical; NULL for other products';
COMMENT ON COLUMN crm_dw.v_dim_product.diameter_mm IS 'Nominal pipe diameter in millimetres';
COMMENT ON COLUMN crm_dw.v_dim_product.working_pressure_bar IS 'Working pressure in bar';
COMMENT ON COLUMN crm_dw.v_dim_product.material IS 'Pipe material';
COMMENT ON COLUMN crm_dw.v_dim_product.list_price IS 'List price per unit, in currency';
COMMENT ON COLUMN crm_dw.v_dim_product.currency IS 'ISO 4217 currency of the list price';
COMMENT ON COLUMN crm_dw.v_dim_product.active IS 'Still offered';

CREATE OR REPLACE VIEW crm_dw.v_dim_account AS
SELECT a.account_id AS account_key, a.account_id, a.name AS account_name, a.kind, a.industry, a.region, a.source,
       a.is_vip, a.status, a.registered_on, a.manager, a.owner, s.segment, s.label AS segment_label, f.churn_risk
FROM crm_dw.dim_account a
LEFT JOIN crm_dw.customer_segment s ON s.account_id = a.account_id
LEFT JOIN crm_dw.customer_features f ON f.account_id = a.account_id;
COMMENT ON VIEW crm_dw.v_dim_account IS 'Clients with the attributes reports slice by, their segment and churn risk';
COMMENT ON COLUMN crm_dw.v_dim_account.account_key IS 'Surrogate key: what facts carry as account_key';
COMMENT ON COLUMN crm_dw.v_dim_account.account_id IS 'Natural key: the client''s id in the CRM';
COMMENT ON COLUMN crm_dw.v_dim_account.account_name IS 'Client name';
COMMENT ON COLUMN crm_dw.v_dim_account.kind IS 'legal_entity or individual';
COMMENT ON COLUMN crm_dw.v_dim_account.industry IS 'Client industry, for example utilities or oil and gas';
COMMENT ON COLUMN crm_dw.v_dim_account.region IS 'Client region (oblast)';
COMMENT ON COLUMN crm_dw.v_dim_account.source IS 'How the client came: tender, referral, cold call…';
COMMENT ON COLUMN crm_dw.v_dim_account.is_vip IS 'VIP client';
COMMENT ON COLUMN crm_dw.v_dim_account.status IS 'prospect, active, inactive or archived';
COMMENT ON COLUMN crm_dw.v_dim_account.registered_on IS 'Day the client was registered';
COMMENT ON COLUMN crm_dw.v_dim_account.manager IS 'Login of the manager who looks after the client';
COMMENT ON COLUMN crm_dw.v_dim_account.owner IS 'Login of the record''s owner';
COMMENT ON COLUMN crm_dw.v_dim_account.segment IS 'Segment number from the nightly K-means, 1 the most valuable; NULL when not clustered';
COMMENT ON COLUMN crm_dw.v_dim_account.segment_label IS 'Segment label: key, regular…, occasional, or lapsed or prospect when not clustered';
COMMENT ON COLUMN crm_dw.v_dim_account.churn_risk IS 'Probability of no order in the next 180 days, 0 to 1; NULL without orders or without a churn model';

-- The star: facts --------------------------------------------------------------------------
-- Sales are booked lines: orders neither draft nor cancelled.

CREATE OR REPLACE VIEW crm_dw.v_fact_sales AS
SELECT f.order_line_id AS order_line_key, f.order_id, f.order_number, f.line_no,
       crm_dw.date_key(f.order_date) AS order_date_key, f.order_date, f.account_id AS account_key,
       f.product_id AS product_key, f.order_status, f.currency, f.manager, f.quantity, f.unit_price, f.discount_pct,
       f.line_total
FROM crm_dw.fact_sales f
WHERE f.booked;
COMMENT ON VIEW crm_dw.v_fact_sales IS 'Booked sales, one row per order line (orders neither draft nor cancelled)';
COMMENT ON COLUMN crm_dw.v_fact_sales.order_line_key IS 'Key: the order line''s id';
COMMENT ON COLUMN crm_dw.v_fact_sales.order_id IS 'The order''s id';
COMMENT ON COLUMN crm_dw.v_fact_sales.order_number IS 'The order''s number, ORD-<year>-<number>';
COMMENT ON COLUMN crm_dw.v_fact_sales.line_no IS 'Line number within the order';
COMMENT ON COLUMN crm_dw.v_fact_sales.order_date_key IS 'Order date: joins v_dim_date.date_key';
COMMENT ON COLUMN crm_dw.v_fact_sales.order_date IS 'Order date';
COMMENT ON COLUMN crm_dw.v_fact_sales.account_key IS 'The client: joins v_dim_account.account_key';
COMMENT ON COLUMN crm_dw.v_fact_sales.product_key IS 'The product: joins v_dim_product.product_key';
COMMENT ON COLUMN crm_dw.v_fact_sales.order_status IS 'The order''s workflow state: confirmed, in_production, ready, shipped or delivered';
COMMENT ON COLUMN crm_dw.v_fact_sales.currency IS 'ISO 4217 currency of the order';
COMMENT ON COLUMN crm_dw.v_fact_sales.manager IS 'Login of the order''s manager';
COMMENT ON COLUMN crm_dw.v_fact_sales.quantity IS 'Quantity ordered, in the product''s unit';
COMMENT ON COLUMN crm_dw.v_fact_sales.unit_price IS 'Price per unit before discount';
COMMENT ON COLUMN crm_dw.v_fact_sales.discount_pct IS 'Discount in percent';
COMMENT ON COLUMN crm_dw.v_fact_sales.line_total IS 'Line value after discount, in currency';

-- Summed per order first, so that orders are counted without a DISTINCT
-- (which would sort every line).
CREATE OR REPLACE VIEW crm_dw.v_fact_sales_monthly AS
SELECT crm_dw.date_key(o.month) AS month_key, o.month, o.account_id AS account_key, o.product_id AS product_key, o.currency,
       count(*) AS orders, sum(o.lines)::bigint AS lines, sum(o.quantity) AS quantity, sum(o.revenue) AS revenue
FROM (SELECT date_trunc('month', f.order_date)::date AS month, f.account_id, f.product_id, f.currency, f.order_id,
             count(*) AS lines, sum(f.quantity) AS quantity, sum(f.line_total) AS revenue
      FROM crm_dw.fact_sales f
      WHERE f.booked
      GROUP BY 1, 2, 3, 4, 5) o
GROUP BY o.month, o.account_id, o.product_id, o.currency;
COMMENT ON VIEW crm_dw.v_fact_sales_monthly IS 'Booked sales per month, client, product and currency';
COMMENT ON COLUMN crm_dw.v_fact_sales_monthly.month_key IS 'The month: joins v_dim_date.date_key (its first day)';
COMMENT ON COLUMN crm_dw.v_fact_sales_monthly.month IS 'First day of the month';
COMMENT ON COLUMN crm_dw.v_fact_sales_monthly.account_key IS 'The client: joins v_dim_account.account_key';
COMMENT ON COLUMN crm_dw.v_fact_sales_monthly.product_key IS 'The product: joins v_dim_product.product_key';
COMMENT ON COLUMN crm_dw.v_fact_sales_monthly.currency IS 'ISO 4217 currency of the orders';
COMMENT ON COLUMN crm_dw.v_fact_sales_monthly.orders IS 'Booked orders with this product';
COMMENT ON COLUMN crm_dw.v_fact_sales_monthly.lines IS 'Order lines';
COMMENT ON COLUMN crm_dw.v_fact_sales_monthly.quantity IS 'Quantity, in the product''s unit';
COMMENT ON COLUMN crm_dw.v_fact_sales_monthly.revenue IS 'Value after discounts, in currency';

-- Aggregated views ----------------------------------------------------------------------------

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
COMMENT ON COLUMN crm_dw.v_sales_monthly.month IS 'First day of the month';
COMMENT ON COLUMN crm_dw.v_sales_monthly.industry IS 'Client industry';
COMMENT ON COLUMN crm_dw.v_sales_monthly.region IS 'Client region (oblast)';
COMMENT ON COLUMN crm_dw.v_sales_monthly.product_family IS 'Product family';
COMMENT ON COLUMN crm_dw.v_sales_monthly.sku IS 'Product SKU';
COMMENT ON COLUMN crm_dw.v_sales_monthly.product_name IS 'Product name';
COMMENT ON COLUMN crm_dw.v_sales_monthly.currency IS 'ISO 4217 currency of the orders';
COMMENT ON COLUMN crm_dw.v_sales_monthly.orders IS 'Booked orders';
COMMENT ON COLUMN crm_dw.v_sales_monthly.quantity IS 'Quantity, in the product''s unit';
COMMENT ON COLUMN crm_dw.v_sales_monthly.revenue IS 'Value after discounts, in currency';
COMMENT ON COLUMN crm_dw.v_sales_monthly.revenue_base IS 'Value after discounts in the base currency (pgcrm.base_currency); NULL when a rate is missing';
COMMENT ON COLUMN crm_dw.v_sales_monthly.invoiced IS 'Invoiced in the month (VAT included, credit notes negative), in currency';
COMMENT ON COLUMN crm_dw.v_sales_monthly.paid IS 'Paid of those invoices, shared among their lines by gross, in currency';
COMMENT ON COLUMN crm_dw.v_sales_monthly.invoiced_base IS 'Invoiced, in the base currency; NULL when a rate is missing';
COMMENT ON COLUMN crm_dw.v_sales_monthly.paid_base IS 'Paid, in the base currency; NULL when a rate is missing';

-- Deals are read live: the pipeline is about now. One query serves every deal
-- (v_pipeline_by_stage, with its owner's rights) and a manager's own
-- (v_my_pipeline_by_stage, with the reader's rights and row-level security).
-- An invoker's view nested in the other would still check the reader's rights,
-- so the query is written once and created twice.
DO $$
DECLARE
    pipeline constant text := $q$
        SELECT s.sort_order AS stage_order, d.stage, s.label_en AS stage_label, s.is_final, d.currency::text AS currency,
               count(*) AS deals, sum(d.amount)::numeric AS amount,
               round(sum(d.amount * coalesce(d.probability, 0) / 100), 2) AS weighted_amount
        FROM crm.deal d
        JOIN crm.workflow_state s ON s.workflow = 'deal' AND s.code = d.stage
        GROUP BY s.sort_order, d.stage, s.label_en, s.is_final, d.currency::text$q$;
    v text;
BEGIN
    EXECUTE 'CREATE OR REPLACE VIEW crm_dw.v_pipeline_by_stage AS ' || pipeline;
    EXECUTE 'CREATE OR REPLACE VIEW crm_dw.v_my_pipeline_by_stage WITH (security_invoker = true) AS ' || pipeline;
    FOREACH v IN ARRAY ARRAY['v_pipeline_by_stage', 'v_my_pipeline_by_stage'] LOOP
        EXECUTE format($c$
            COMMENT ON COLUMN crm_dw.%1$I.stage_order IS 'Position of the stage in the deal workflow';
            COMMENT ON COLUMN crm_dw.%1$I.stage IS 'Stage code: new, qualified, proposal, negotiation, won, lost';
            COMMENT ON COLUMN crm_dw.%1$I.stage_label IS 'Stage name in English';
            COMMENT ON COLUMN crm_dw.%1$I.is_final IS 'The stage ends the deal (won or lost)';
            COMMENT ON COLUMN crm_dw.%1$I.currency IS 'ISO 4217 currency of the deals';
            COMMENT ON COLUMN crm_dw.%1$I.deals IS 'Number of deals';
            COMMENT ON COLUMN crm_dw.%1$I.amount IS 'Total deal amount, in currency';
            COMMENT ON COLUMN crm_dw.%1$I.weighted_amount IS 'Amount × probability ÷ 100, in currency';$c$, v);
    END LOOP;
END $$;
COMMENT ON VIEW crm_dw.v_pipeline_by_stage IS 'Open and closed deals per stage: count, amount, and amount weighted by probability';
COMMENT ON VIEW crm_dw.v_my_pipeline_by_stage IS
    'The deals the reader sees (row-level security: their own and their team''s clients) per stage';

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
COMMENT ON COLUMN crm_dw.v_forecast_vs_actual.product_id IS 'The product: joins v_dim_product.product_id';
COMMENT ON COLUMN crm_dw.v_forecast_vs_actual.sku IS 'Product SKU';
COMMENT ON COLUMN crm_dw.v_forecast_vs_actual.product_name IS 'Product name';
COMMENT ON COLUMN crm_dw.v_forecast_vs_actual.product_family IS 'Product family';
COMMENT ON COLUMN crm_dw.v_forecast_vs_actual.period IS 'The month forecast (its first day)';
COMMENT ON COLUMN crm_dw.v_forecast_vs_actual.generated_at IS 'When the forecast run was made';
COMMENT ON COLUMN crm_dw.v_forecast_vs_actual.step IS 'Months ahead of the run''s last complete month, 1 to 6';
COMMENT ON COLUMN crm_dw.v_forecast_vs_actual.model IS 'The exponential smoothing model chosen by AICc';
COMMENT ON COLUMN crm_dw.v_forecast_vs_actual.point IS 'Point forecast of the booked quantity';
COMMENT ON COLUMN crm_dw.v_forecast_vs_actual.lower_80 IS 'Lower bound of the 80% prediction interval';
COMMENT ON COLUMN crm_dw.v_forecast_vs_actual.upper_80 IS 'Upper bound of the 80% prediction interval';
COMMENT ON COLUMN crm_dw.v_forecast_vs_actual.lower_95 IS 'Lower bound of the 95% prediction interval';
COMMENT ON COLUMN crm_dw.v_forecast_vs_actual.upper_95 IS 'Upper bound of the 95% prediction interval';
COMMENT ON COLUMN crm_dw.v_forecast_vs_actual.actual IS 'Booked quantity of the month; NULL until the month is over';
COMMENT ON COLUMN crm_dw.v_forecast_vs_actual.error IS 'actual − point';
COMMENT ON COLUMN crm_dw.v_forecast_vs_actual.abs_pct_error IS '|actual − point| ÷ actual, in percent';
COMMENT ON COLUMN crm_dw.v_forecast_vs_actual.within_80 IS 'The actual fell inside the 80% interval';
COMMENT ON COLUMN crm_dw.v_forecast_vs_actual.within_95 IS 'The actual fell inside the 95% interval';
COMMENT ON COLUMN crm_dw.v_forecast_vs_actual.latest IS 'The newest forecast run for the product';

CREATE OR REPLACE VIEW crm_dw.v_segments AS
SELECT s.account_id, a.name AS account_name, a.industry, a.region, a.manager, s.segment, s.label,
       f.recency_days, f.frequency, f.monetary, f.avg_order_value, f.r_score, f.f_score, f.m_score,
       s.model_id, m.fitted_at
FROM crm_dw.customer_segment s
JOIN crm_dw.dim_account a ON a.account_id = s.account_id
LEFT JOIN crm_dw.customer_features f ON f.account_id = s.account_id
LEFT JOIN crm_dw.segment_model m ON m.id = s.model_id;
COMMENT ON VIEW crm_dw.v_segments IS 'Each client''s segment (key, regular, occasional; lapsed or prospect when not clustered)';
COMMENT ON COLUMN crm_dw.v_segments.account_id IS 'The client: joins v_dim_account.account_id';
COMMENT ON COLUMN crm_dw.v_segments.account_name IS 'Client name';
COMMENT ON COLUMN crm_dw.v_segments.industry IS 'Client industry';
COMMENT ON COLUMN crm_dw.v_segments.region IS 'Client region (oblast)';
COMMENT ON COLUMN crm_dw.v_segments.manager IS 'Login of the client''s manager';
COMMENT ON COLUMN crm_dw.v_segments.segment IS 'Segment number, 1 the most valuable; NULL when not clustered';
COMMENT ON COLUMN crm_dw.v_segments.label IS 'Segment label: key, regular…, occasional, lapsed or prospect';
COMMENT ON COLUMN crm_dw.v_segments.recency_days IS 'Days since the last booked order';
COMMENT ON COLUMN crm_dw.v_segments.frequency IS 'Booked orders in the last 365 days';
COMMENT ON COLUMN crm_dw.v_segments.monetary IS 'Value of those orders';
COMMENT ON COLUMN crm_dw.v_segments.avg_order_value IS 'Average value of all booked orders';
COMMENT ON COLUMN crm_dw.v_segments.r_score IS 'Recency score, 1 to 5 (5 the most recent)';
COMMENT ON COLUMN crm_dw.v_segments.f_score IS 'Frequency score, 1 to 5';
COMMENT ON COLUMN crm_dw.v_segments.m_score IS 'Monetary score, 1 to 5';
COMMENT ON COLUMN crm_dw.v_segments.model_id IS 'The segmentation run that assigned the segment';
COMMENT ON COLUMN crm_dw.v_segments.fitted_at IS 'When that run was made';

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
COMMENT ON COLUMN crm_dw.v_churn_risk.account_id IS 'The client: joins v_dim_account.account_id';
COMMENT ON COLUMN crm_dw.v_churn_risk.account_name IS 'Client name';
COMMENT ON COLUMN crm_dw.v_churn_risk.manager IS 'Login of the client''s manager';
COMMENT ON COLUMN crm_dw.v_churn_risk.industry IS 'Client industry';
COMMENT ON COLUMN crm_dw.v_churn_risk.region IS 'Client region (oblast)';
COMMENT ON COLUMN crm_dw.v_churn_risk.churn_risk IS 'Probability of no order in the next 180 days, 0 to 1';
COMMENT ON COLUMN crm_dw.v_churn_risk.last_order IS 'Day of the last booked order';
COMMENT ON COLUMN crm_dw.v_churn_risk.recency_days IS 'Days since the last booked order';
COMMENT ON COLUMN crm_dw.v_churn_risk.orders_180d IS 'Booked orders in the last 180 days';
COMMENT ON COLUMN crm_dw.v_churn_risk.orders_prior_180d IS 'Booked orders in the 180 days before those';
COMMENT ON COLUMN crm_dw.v_churn_risk.complaints_90d IS 'Complaints opened in the last 90 days';
COMMENT ON COLUMN crm_dw.v_churn_risk.monetary IS 'Value of the booked orders of the last 365 days';
COMMENT ON COLUMN crm_dw.v_churn_risk.action IS 'send a special offer, call the client, or NULL when nothing is due';
COMMENT ON COLUMN crm_dw.v_churn_risk.avg_days_late IS 'Average days the client''s invoices due in the last 365 days were paid late; NULL without any';
COMMENT ON COLUMN crm_dw.v_churn_risk.paid_on_time_share IS 'Share of those invoices paid in full by their due date, 0 to 1';

CREATE OR REPLACE VIEW crm_dw.v_kpi_vs_standard AS
SELECT s.kpi, s.description, s.unit, k.value, s.standard, s.better,
       CASE s.better WHEN 'lower' THEN k.value <= s.standard ELSE k.value >= s.standard END AS meets_standard,
       k.value - s.standard AS difference, k.basis, k.taken_at
FROM crm_dw.kpi_standard s
JOIN LATERAL (SELECT * FROM crm_dw.kpi_snapshot x WHERE x.kpi = s.kpi ORDER BY x.taken_at DESC LIMIT 1) k ON true;
COMMENT ON VIEW crm_dw.v_kpi_vs_standard IS 'The latest value of each KPI against its standard (lower is better for times)';
COMMENT ON COLUMN crm_dw.v_kpi_vs_standard.kpi IS 'KPI code';
COMMENT ON COLUMN crm_dw.v_kpi_vs_standard.description IS 'What the KPI measures';
COMMENT ON COLUMN crm_dw.v_kpi_vs_standard.unit IS 'Unit of value and standard: hours, %, ratio';
COMMENT ON COLUMN crm_dw.v_kpi_vs_standard.value IS 'The latest measured value';
COMMENT ON COLUMN crm_dw.v_kpi_vs_standard.standard IS 'The value the KPI is held to';
COMMENT ON COLUMN crm_dw.v_kpi_vs_standard.better IS 'lower or higher: which side of the standard is good';
COMMENT ON COLUMN crm_dw.v_kpi_vs_standard.meets_standard IS 'The value is on the good side of the standard, or equal to it';
COMMENT ON COLUMN crm_dw.v_kpi_vs_standard.difference IS 'value − standard';
COMMENT ON COLUMN crm_dw.v_kpi_vs_standard.basis IS 'How many requests, clients, leads or orders the value was measured on';
COMMENT ON COLUMN crm_dw.v_kpi_vs_standard.taken_at IS 'When the value was measured';

CREATE OR REPLACE VIEW crm_dw.v_data_quality AS
SELECT kind, table_name, count(*) AS issues, min(first_seen) AS oldest
FROM crm_dw.dq_issue
GROUP BY kind, table_name;
COMMENT ON VIEW crm_dw.v_data_quality IS 'Open data-quality findings per kind';
COMMENT ON COLUMN crm_dw.v_data_quality.kind IS 'duplicate_email, duplicate_phone, incomplete_profile or orphaned_record';
COMMENT ON COLUMN crm_dw.v_data_quality.table_name IS 'The table the findings are in';
COMMENT ON COLUMN crm_dw.v_data_quality.issues IS 'Open findings';
COMMENT ON COLUMN crm_dw.v_data_quality.oldest IS 'When the oldest open finding was first seen';

-- Per-manager views -------------------------------------------------------------------------
-- Live, with the reader's rights: row-level security shows a manager their own
-- and their team's clients (docs/security.md), so a dashboard on these views
-- needs no WHERE clause. v_my_pipeline_by_stage is above. Each view is one
-- block; a new capability adds its own here (billing: v_my_receivables).

CREATE OR REPLACE VIEW crm_dw.v_my_open_orders WITH (security_invoker = true) AS
SELECT o.id AS order_id, o.number AS order_number, o.order_date, o.account_id, a.name AS account_name,
       o.manager::text AS manager, o.status, s.label_en AS status_label, o.delivery_date,
       coalesce(o.delivery_date < current_date, false) AS overdue, o.currency::text AS currency, count(l.id) AS lines,
       coalesce(sum(l.line_total), 0) AS amount
FROM crm.sales_order o
JOIN crm.workflow_state s ON s.workflow = 'sales_order' AND s.code = o.status
LEFT JOIN crm.account a ON a.id = o.account_id
LEFT JOIN crm.order_line l ON l.order_id = o.id
WHERE NOT s.is_final
GROUP BY o.id, a.name, s.label_en;
COMMENT ON VIEW crm_dw.v_my_open_orders IS
    'The orders the reader sees (row-level security) that are not delivered or cancelled yet, with their value';
COMMENT ON COLUMN crm_dw.v_my_open_orders.order_id IS 'The order''s id';
COMMENT ON COLUMN crm_dw.v_my_open_orders.order_number IS 'The order''s number, ORD-<year>-<number>';
COMMENT ON COLUMN crm_dw.v_my_open_orders.order_date IS 'Order date';
COMMENT ON COLUMN crm_dw.v_my_open_orders.account_id IS 'The client''s id';
COMMENT ON COLUMN crm_dw.v_my_open_orders.account_name IS 'Client name; NULL when the reader sees the order but not the client';
COMMENT ON COLUMN crm_dw.v_my_open_orders.manager IS 'Login of the order''s manager';
COMMENT ON COLUMN crm_dw.v_my_open_orders.status IS 'Workflow state: draft, confirmed, in_production, ready or shipped';
COMMENT ON COLUMN crm_dw.v_my_open_orders.status_label IS 'State name in English';
COMMENT ON COLUMN crm_dw.v_my_open_orders.delivery_date IS 'Promised delivery date';
COMMENT ON COLUMN crm_dw.v_my_open_orders.overdue IS 'The delivery date has passed';
COMMENT ON COLUMN crm_dw.v_my_open_orders.currency IS 'ISO 4217 currency of the order';
COMMENT ON COLUMN crm_dw.v_my_open_orders.lines IS 'Order lines';
COMMENT ON COLUMN crm_dw.v_my_open_orders.amount IS 'Order value after discounts, in currency';

CREATE OR REPLACE VIEW crm_dw.v_my_tasks_due WITH (security_invoker = true) AS
SELECT t.id AS task_id, t.title, t.status, s.label_en AS status_label, t.due_date, t.due_date - current_date AS days_left,
       t.due_date < current_date AS overdue, t.project_id, p.name AS project_name, t.deal_id,
       coalesce(p.account_id, d.account_id) AS account_id, a.name AS account_name, t.owner::text AS owner,
       (SELECT string_agg(x.assignee::text, ', ' ORDER BY x.assignee) FROM crm.task_assignee x
        WHERE x.task_id = t.id AND NOT x.done) AS pending_assignees,
       t.owner = current_user OR EXISTS (SELECT FROM crm.task_assignee x WHERE x.task_id = t.id AND x.assignee = current_user)
           AS mine
FROM crm.task t
JOIN crm.workflow_state s ON s.workflow = 'task' AND s.code = t.status
LEFT JOIN crm.project p ON p.id = t.project_id
LEFT JOIN crm.deal d ON d.id = t.deal_id
LEFT JOIN crm.account a ON a.id = coalesce(p.account_id, d.account_id)
WHERE NOT s.is_final AND t.due_date IS NOT NULL;
COMMENT ON VIEW crm_dw.v_my_tasks_due IS
    'The open tasks with a due date that the reader sees (row-level security): their own, their team''s, and those of the projects and deals they see';
COMMENT ON COLUMN crm_dw.v_my_tasks_due.task_id IS 'The task''s id';
COMMENT ON COLUMN crm_dw.v_my_tasks_due.title IS 'Task title';
COMMENT ON COLUMN crm_dw.v_my_tasks_due.status IS 'Workflow state: open or in_progress';
COMMENT ON COLUMN crm_dw.v_my_tasks_due.status_label IS 'State name in English';
COMMENT ON COLUMN crm_dw.v_my_tasks_due.due_date IS 'Due date';
COMMENT ON COLUMN crm_dw.v_my_tasks_due.days_left IS 'Days until the due date; negative when overdue';
COMMENT ON COLUMN crm_dw.v_my_tasks_due.overdue IS 'The due date has passed';
COMMENT ON COLUMN crm_dw.v_my_tasks_due.project_id IS 'The task''s project, if any';
COMMENT ON COLUMN crm_dw.v_my_tasks_due.project_name IS 'Project name';
COMMENT ON COLUMN crm_dw.v_my_tasks_due.deal_id IS 'The task''s deal, if any';
COMMENT ON COLUMN crm_dw.v_my_tasks_due.account_id IS 'The client of the project or deal';
COMMENT ON COLUMN crm_dw.v_my_tasks_due.account_name IS 'Client name; NULL when the reader does not see the client';
COMMENT ON COLUMN crm_dw.v_my_tasks_due.owner IS 'Login of the task''s owner';
COMMENT ON COLUMN crm_dw.v_my_tasks_due.pending_assignees IS 'Assignees who have not done their part, comma-separated';
COMMENT ON COLUMN crm_dw.v_my_tasks_due.mine IS 'The reader owns the task or is one of its assignees';

-- The current segmentation, for a segment chart ----------------------------------------------
-- The latest model's centroids, each client's feature values, and the WCSS
-- curve k was chosen from, in the units the model clustered (docs/warehouse.md).

CREATE OR REPLACE VIEW crm_dw.v_segment_centroids AS
WITH model AS (SELECT * FROM crm_dw.segment_model ORDER BY id DESC LIMIT 1),
points AS (
    SELECT c.segment, f AS feature_no, i.features[f] AS value
    FROM model m
    JOIN crm_dw.customer_segment c ON c.model_id = m.id AND c.segment IS NOT NULL
    JOIN crm_dw.segment_input i ON i.account_id = c.account_id
    CROSS JOIN generate_series(1, cardinality(m.features)) f),
-- How well a feature separates the segments: the share of its variance that
-- lies between the segment means (eta squared).
separation AS (
    SELECT s.feature_no, sum(s.n * (s.mean - o.mean) ^ 2) / nullif(o.n * o.variance, 0) AS separation
    FROM (SELECT feature_no, segment, count(*) AS n, avg(value) AS mean FROM points GROUP BY 1, 2) s
    JOIN (SELECT feature_no, count(*) AS n, avg(value) AS mean, var_pop(value) AS variance FROM points GROUP BY 1) o
      USING (feature_no)
    GROUP BY s.feature_no, o.n, o.variance)
SELECT m.id AS model_id, s AS segment, m.labels[s] AS label, (m.model).sizes[s] AS clients, f AS feature_no,
       m.features[f] AS feature, (m.model).centroids[s][f] AS centroid, x.separation,
       dense_rank() OVER (ORDER BY x.separation DESC NULLS LAST, f) AS feature_rank
FROM model m
CROSS JOIN generate_series(1, m.k) s
CROSS JOIN generate_series(1, cardinality(m.features)) f
LEFT JOIN separation x ON x.feature_no = f;
COMMENT ON VIEW crm_dw.v_segment_centroids IS
    'The latest segmentation: each segment''s centroid, one row per feature, and how well each feature separates the segments';
COMMENT ON COLUMN crm_dw.v_segment_centroids.model_id IS 'The segmentation run';
COMMENT ON COLUMN crm_dw.v_segment_centroids.segment IS 'Segment number, 1 the most valuable';
COMMENT ON COLUMN crm_dw.v_segment_centroids.label IS 'Segment label: key, regular…, occasional';
COMMENT ON COLUMN crm_dw.v_segment_centroids.clients IS 'Clients the run put in the segment';
COMMENT ON COLUMN crm_dw.v_segment_centroids.feature_no IS 'Position of the feature in the model';
COMMENT ON COLUMN crm_dw.v_segment_centroids.feature IS 'The feature, for example ln(1 + monetary)';
COMMENT ON COLUMN crm_dw.v_segment_centroids.centroid IS 'The segment''s centre in this feature, in the feature''s units';
COMMENT ON COLUMN crm_dw.v_segment_centroids.separation IS
    'Share of the feature''s variance over the clustered clients that lies between the segments (eta squared, 0 to 1)';
COMMENT ON COLUMN crm_dw.v_segment_centroids.feature_rank IS 'Rank of the feature by separation: 1 separates the segments best';

CREATE OR REPLACE VIEW crm_dw.v_segment_points AS
SELECT c.account_id, c.segment, c.label, f AS feature_no, m.features[f] AS feature, i.features[f] AS value
FROM crm_dw.customer_segment c
JOIN crm_dw.segment_model m ON m.id = c.model_id
JOIN crm_dw.segment_input i ON i.account_id = c.account_id
CROSS JOIN generate_series(1, cardinality(m.features)) f
WHERE c.segment IS NOT NULL;
COMMENT ON VIEW crm_dw.v_segment_points IS 'Each clustered client''s value of every segmentation feature, one row per feature';
COMMENT ON COLUMN crm_dw.v_segment_points.account_id IS 'The client: joins v_dim_account.account_id';
COMMENT ON COLUMN crm_dw.v_segment_points.segment IS 'The client''s segment number';
COMMENT ON COLUMN crm_dw.v_segment_points.label IS 'The segment''s label';
COMMENT ON COLUMN crm_dw.v_segment_points.feature_no IS 'Position of the feature in the model';
COMMENT ON COLUMN crm_dw.v_segment_points.feature IS 'The feature, as in v_segment_centroids';
COMMENT ON COLUMN crm_dw.v_segment_points.value IS 'The client''s value of the feature today';

CREATE OR REPLACE VIEW crm_dw.v_segment_elbow AS
SELECT m.id AS model_id, e.k, e.inertia, e.silhouette, e.suggested, e.k = m.k AS chosen
FROM (SELECT * FROM crm_dw.segment_model ORDER BY id DESC LIMIT 1) m
CROSS JOIN jsonb_to_recordset(m.elbow) e(k integer, inertia float8, silhouette float8, suggested boolean);
COMMENT ON VIEW crm_dw.v_segment_elbow IS 'The within-segment sum of squares per k that the latest segmentation chose its k from';
COMMENT ON COLUMN crm_dw.v_segment_elbow.model_id IS 'The segmentation run';
COMMENT ON COLUMN crm_dw.v_segment_elbow.k IS 'Number of segments tried';
COMMENT ON COLUMN crm_dw.v_segment_elbow.inertia IS 'Within-segment sum of squares at this k, on a sample of up to 2,000 clients';
COMMENT ON COLUMN crm_dw.v_segment_elbow.silhouette IS 'Mean silhouette at this k, -1 to 1: higher is better separated';
COMMENT ON COLUMN crm_dw.v_segment_elbow.suggested IS 'The knee of the curve';
COMMENT ON COLUMN crm_dw.v_segment_elbow.chosen IS 'The k the run used';

-- Join hints: what BI tools would read from foreign keys, for the views ------------------------
CREATE OR REPLACE VIEW crm_dw.bi_relationship AS
SELECT * FROM (VALUES
    ('v_fact_sales', 'order_date_key', 'v_dim_date', 'date_key'),
    ('v_fact_sales', 'account_key', 'v_dim_account', 'account_key'),
    ('v_fact_sales', 'product_key', 'v_dim_product', 'product_key'),
    ('v_fact_sales_monthly', 'month_key', 'v_dim_date', 'date_key'),
    ('v_fact_sales_monthly', 'account_key', 'v_dim_account', 'account_key'),
    ('v_fact_sales_monthly', 'product_key', 'v_dim_product', 'product_key'),
    ('v_forecast_vs_actual', 'product_id', 'v_dim_product', 'product_id'),
    ('v_segments', 'account_id', 'v_dim_account', 'account_id'),
    ('v_churn_risk', 'account_id', 'v_dim_account', 'account_id'),
    ('v_segment_points', 'account_id', 'v_dim_account', 'account_id')
) r(from_view, from_column, to_view, to_column);
COMMENT ON VIEW crm_dw.bi_relationship IS
    'How the BI views join: each row is a many-to-one join from a view''s column to a dimension''s key, all in schema crm_dw';
COMMENT ON COLUMN crm_dw.bi_relationship.from_view IS 'The view on the many side, usually a fact';
COMMENT ON COLUMN crm_dw.bi_relationship.from_column IS 'Its column that holds the key';
COMMENT ON COLUMN crm_dw.bi_relationship.to_view IS 'The dimension view on the one side';
COMMENT ON COLUMN crm_dw.bi_relationship.to_column IS 'The dimension''s key column, unique in it';

-- BI logins -------------------------------------------------------------------------------------
-- A timeout set on the NOLOGIN group crm_bi does not reach its members: each
-- login gets its own settings. SECURITY DEFINER, so that crm_admin, who may
-- not create roles, can; it touches no role it did not make.

-- A role crm.create_bi_login may change or drop: one it made that has since
-- gained no power.
CREATE OR REPLACE FUNCTION crm.require_bi_login(login name) RETURNS void
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
BEGIN
    PERFORM crm.require_arg(login, 'login');
    IF NOT EXISTS (SELECT FROM crm.bi_login b WHERE b.login = login)
       OR EXISTS (SELECT FROM pg_roles r WHERE r.rolname = login
                  AND (r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolreplication OR r.rolbypassrls)) THEN
        RAISE EXCEPTION 'role "%" is not a BI login made by crm.create_bi_login', login USING ERRCODE = 'insufficient_privilege',
            HINT = 'crm.create_bi_login and crm.drop_bi_login change only the plain login roles they made.';
    END IF;
END $$;

-- A setting given as an interval, as the role setting takes it: whole milliseconds.
CREATE OR REPLACE FUNCTION crm.timeout_setting(value interval, name text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM crm.require_arg(name, 'name');
    PERFORM crm.require_arg(value, name);
    IF value < interval '1 millisecond' OR value > interval '2147483647 milliseconds' THEN
        RAISE EXCEPTION '% must be between 1 millisecond and 24 days, not %', name, value USING ERRCODE = 'invalid_parameter_value',
            HINT = 'A BI login always runs under its timeouts; give a large one rather than none.';
    END IF;
    RETURN round(extract(epoch FROM value) * 1000)::bigint || 'ms';
END $$;

CREATE OR REPLACE FUNCTION crm.create_bi_login(login name, password text DEFAULT NULL,
                                               statement_timeout interval DEFAULT '60 seconds',
                                               idle_in_transaction_session_timeout interval DEFAULT '5 minutes',
                                               connection_limit integer DEFAULT 10) RETURNS crm.bi_login
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    statement_ms text := crm.timeout_setting(statement_timeout, 'statement_timeout');
    idle_ms text := crm.timeout_setting(idle_in_transaction_session_timeout, 'idle_in_transaction_session_timeout');
    made crm.bi_login;
BEGIN
    PERFORM crm.require_arg(login, 'login');
    PERFORM crm.require_arg(connection_limit, 'connection_limit');
    IF connection_limit NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION 'connection_limit must be 1 to 10000, not %', connection_limit USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF password = '' THEN
        RAISE EXCEPTION 'password must not be empty' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Give NULL for a login without a password (certificate or peer authentication).';
    END IF;
    IF login = '' OR login LIKE 'crm\_%' OR login LIKE 'pg\_%' THEN
        RAISE EXCEPTION 'a BI login cannot be named "%"', login USING ERRCODE = 'invalid_parameter_value',
            HINT = 'A name is not empty, and the prefixes crm_ and pg_ are reserved for pgcrm''s and PostgreSQL''s roles.';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles r WHERE r.rolname = login) THEN
        EXECUTE format('CREATE ROLE %I LOGIN IN ROLE crm_bi', login);
    ELSIF NOT EXISTS (SELECT FROM crm.bi_login b WHERE b.login = login) THEN
        RAISE EXCEPTION 'role "%" already exists', login USING ERRCODE = 'duplicate_object',
            HINT = 'A BI login is a role of its own: choose another name.';
    ELSE
        PERFORM crm.require_bi_login(login);
    END IF;
    EXECUTE format('ALTER ROLE %I CONNECTION LIMIT %s', login, connection_limit);
    IF password IS NOT NULL THEN
        EXECUTE format('ALTER ROLE %I PASSWORD %L', login, password);
    END IF;
    EXECUTE format('ALTER ROLE %I SET statement_timeout = %L', login, statement_ms);
    EXECUTE format('ALTER ROLE %I SET idle_in_transaction_session_timeout = %L', login, idle_ms);
    EXECUTE format('ALTER ROLE %I SET default_transaction_read_only = on', login);
    EXECUTE format('ALTER ROLE %I SET search_path = crm_dw', login);
    INSERT INTO crm.bi_login AS b (login, statement_timeout, idle_in_transaction_session_timeout, connection_limit)
    VALUES (login, statement_timeout, idle_in_transaction_session_timeout, connection_limit)
    ON CONFLICT ON CONSTRAINT bi_login_pkey DO UPDATE
        SET (statement_timeout, idle_in_transaction_session_timeout, connection_limit, changed_by, changed_at)
          = (EXCLUDED.statement_timeout, EXCLUDED.idle_in_transaction_session_timeout, EXCLUDED.connection_limit,
             EXCLUDED.changed_by, EXCLUDED.changed_at)
    RETURNING * INTO made;
    RETURN made;
END $$;
COMMENT ON FUNCTION crm.create_bi_login(name, text, interval, interval, integer) IS
    'Makes a login role in crm_bi for a BI tool, or changes one it made: its password, timeouts, connection limit, read-only transactions, search_path crm_dw';

CREATE OR REPLACE FUNCTION crm.drop_bi_login(login name) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
BEGIN
    PERFORM crm.require_arg(login, 'login');
    IF NOT EXISTS (SELECT FROM pg_roles r WHERE r.rolname = login) THEN
        DELETE FROM crm.bi_login b WHERE b.login = login;
        RETURN false;
    END IF;
    PERFORM crm.require_bi_login(login);
    -- Its open sessions end with it.
    EXECUTE format('ALTER ROLE %I NOLOGIN', login);
    PERFORM pg_terminate_backend(a.pid) FROM pg_stat_activity a WHERE a.usename = login AND a.pid <> pg_backend_pid();
    EXECUTE format('DROP ROLE %I', login);
    DELETE FROM crm.bi_login b WHERE b.login = login;
    RETURN true;
END $$;
COMMENT ON FUNCTION crm.drop_bi_login(name) IS
    'Ends the sessions of a BI login made by crm.create_bi_login and drops it; false if there is no such role';
