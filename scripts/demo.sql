-- pgcrm demo. Each capability adds its part here.
\pset footer off
\set VERBOSITY default

\echo
\echo '=== Workflows: production orders from the MES ==='
\echo 'Seeded workflows and their states:'
SELECT w.code AS workflow,
       string_agg(s.code || CASE WHEN s.is_initial THEN ' (initial)' WHEN s.is_final THEN ' (final)' ELSE '' END,
                  ' | ' ORDER BY s.sort_order) AS states
FROM crm.workflow w JOIN crm.workflow_state s ON s.workflow = w.code
GROUP BY w.code ORDER BY w.code;

\echo
\echo '=== Demo data: a composite-pipe manufacturer, 36 months (crm.generate_demo_data) ==='
CREATE TEMP TABLE loaded AS SELECT * FROM crm.generate_demo_data(1, 42);
SELECT table_name, row_count FROM loaded
WHERE table_name IN ('crm.account', 'crm.contact', 'crm.product', 'crm.sales_order', 'crm.order_line', 'crm.production_order',
                     'crm.deal', 'crm.lead', 'crm.interaction', 'crm.complaint', 'crm.credit_application', 'crm.project',
                     'crm.task', 'crm.status_history')
ORDER BY row_count DESC;

\echo 'Metres sold per year, by customer industry:'
SELECT a.industry, round(sum(l.quantity) FILTER (WHERE o.order_date < now() - interval '2 years')) AS "earliest year",
       round(sum(l.quantity) FILTER (WHERE o.order_date >= now() - interval '1 year')) AS "last 12 months"
FROM crm.sales_order o JOIN crm.account a ON a.id = o.account_id JOIN crm.order_line l ON l.order_id = o.id
GROUP BY a.industry ORDER BY 3 DESC;

\echo 'Average metres sold per calendar month (the construction season peaks in summer):'
SELECT to_char(make_date(2000, mon::int, 1), 'Mon') AS month, round(avg(metres)) AS "avg metres",
       repeat('#', (avg(metres) / 5000)::int) AS chart
FROM (SELECT extract(month FROM o.order_date) AS mon, sum(l.quantity) AS metres
      FROM crm.sales_order o JOIN crm.order_line l ON l.order_id = o.id
      GROUP BY date_trunc('month', o.order_date), 1) m
GROUP BY mon ORDER BY mon;

\echo
\echo '=== Production orders from the MES, through their workflow ==='
CREATE TEMP TABLE picked AS
SELECT id FROM crm.production_order WHERE status = 'accepted' ORDER BY id LIMIT 3;
UPDATE crm.production_order SET status = 'in_progress' WHERE id IN (SELECT id FROM picked);
UPDATE crm.production_order SET status = 'quality_control' WHERE id IN (SELECT min(id) FROM picked UNION SELECT max(id) FROM picked);
UPDATE crm.production_order SET status = 'ready_for_shipment' WHERE id = (SELECT min(id) FROM picked);
SELECT p.id, pr.name AS product, p.diameter_mm, p.length_m, p.quantity, p.status, s.label_uk AS "статус"
FROM crm.production_order p JOIN crm.product pr ON pr.id = p.product_id
JOIN crm.workflow_state s ON s.workflow = 'production_order' AND s.code = p.status
WHERE p.id IN (SELECT id FROM picked) ORDER BY p.id;

\echo 'A report that skips quality control is refused:'
SELECT (SELECT id FROM picked ORDER BY id OFFSET 1 LIMIT 1) AS skipping \gset
\set ON_ERROR_STOP 0
UPDATE crm.production_order SET status = 'ready_for_shipment' WHERE id = :skipping;
\set ON_ERROR_STOP 1

\echo 'The history of the first one:'
SELECT from_state, to_state, changed_by, changed_at::timestamp(0) AS changed_at
FROM crm.status_history WHERE table_name = 'crm.production_order' AND row_key = (SELECT min(id)::text FROM picked) ORDER BY id;

\echo
\echo '=== Inventory: reservations that never oversell ==='
SELECT o.id AS next_order, o.number AS next_number FROM crm.sales_order o
WHERE o.status = 'confirmed'
  AND NOT EXISTS (SELECT FROM crm.order_line l JOIN crm.reservation r ON r.order_line_id = l.id WHERE l.order_id = o.id)
  AND NOT EXISTS (SELECT FROM crm.order_line l WHERE l.order_id = o.id
                  AND l.quantity > (SELECT sum(available) FROM crm.stock_available a WHERE a.product_id = l.product_id))
ORDER BY o.order_date DESC, o.id LIMIT 1 \gset
\echo 'Order' :next_number 'is confirmed; its lines and what the warehouses hold:'
SELECT l.line_no, p.sku, l.quantity AS ordered,
       (SELECT string_agg(format('%s: %s', a.warehouse, a.available), ', ' ORDER BY a.warehouse)
        FROM crm.stock_available a WHERE a.product_id = l.product_id) AS available
FROM crm.order_line l JOIN crm.product p ON p.id = l.product_id WHERE l.order_id = :next_order ORDER BY l.line_no;
SELECT crm.reserve_order(:next_order, '7 days') AS "reservations made (all lines or none)";
SELECT crm.plan_shipment(:next_order) AS shipment \gset
\o /dev/null
SELECT crm.confirm_shipment(:shipment);
\o
SELECT s.id AS shipment, s.status, s.shipped_at::timestamp(0) AS shipped_at, sum(l.quantity) AS metres
FROM crm.shipment s JOIN crm.shipment_line l ON l.shipment_id = s.id WHERE s.id = :shipment GROUP BY s.id;
\echo 'Asking for more than there is, is refused:'
SELECT l.product_id AS big_product FROM crm.order_line l WHERE l.order_id = :next_order ORDER BY l.line_no LIMIT 1 \gset
\set ON_ERROR_STOP 0
SELECT crm.reserve(:big_product, 1000000);
\set ON_ERROR_STOP 1
\echo 'Invariant check: every counter agrees with the ledger and the reservations (no rows = all good):'
SELECT * FROM crm.stock_invariant_violations();
SELECT count(*) FILTER (WHERE status = 'active') AS active_holds, count(*) FILTER (WHERE status = 'consumed') AS shipped_holds,
       (SELECT count(*) FROM crm.stock_movement) AS ledger_rows
FROM crm.reservation;

\echo
\echo '=== Credit: an annuity schedule for 500,000 UAH at 14.5% over 24 months (first and last rows) ==='
SELECT * FROM crm.loan_schedule(500000, 14.5, 24, 'annuity', (date_trunc('month', current_date) + interval '1 month')::date + 14)
WHERE period IN (1, 2, 3, 23, 24);

\echo
\echo '=== Segmentation: K-means over each customer''s recency, frequency, value and complaints ==='
CREATE TEMP TABLE customer_features AS
WITH orders AS (
    SELECT s.account_id, count(*) AS orders, max(s.order_date) AS last_order, sum(s.total) AS value,
           (max(s.order_date) - min(s.order_date) + 30) / 365.25 AS years
    FROM crm.order_summary s WHERE s.status <> 'cancelled' GROUP BY s.account_id
), horizon AS (SELECT max(order_date) AS today FROM crm.sales_order)
SELECT o.account_id,
       ARRAY[(h.today - o.last_order)::float8,                      -- recency, days
             o.orders / o.years::float8,                             -- orders per year
             ln(1 + o.value)::float8,                                -- value, log scale (money is skewed)
             (SELECT count(*) FROM crm.complaint c WHERE c.account_id = o.account_id
                AND c.opened_at > h.today - 365)::float8] AS features  -- complaints in the last year
FROM orders o, horizon h;
\echo 'Choosing k: the within-segment sum of squares (of z-scores) falls with k; the knee is suggested;'
\echo 'the silhouettes (-1..1) say how distinct the segments are.'
CREATE TEMP TABLE elbow AS SELECT * FROM crm.kmeans_elbow('SELECT features FROM customer_features', 2, 8);
SELECT k, round(inertia::numeric) AS inertia, round(silhouette::numeric, 3) AS silhouette,
       round(simplified_silhouette::numeric, 3) AS simplified, CASE WHEN suggested THEN '<- knee' ELSE '' END AS " "
FROM elbow ORDER BY k;
SELECT coalesce((SELECT k FROM elbow WHERE suggested), 4) AS k \gset
CREATE TEMP TABLE segmentation AS SELECT crm.kmeans('SELECT features FROM customer_features', :k) AS m;
\echo :k 'segments, centroids in the features'' own units:'
SELECT i AS segment, (m).sizes[i] AS customers, round((m).centroids[i][1]) AS recency_days,
       round((m).centroids[i][2]::numeric, 1) AS orders_per_year, round(exp((m).centroids[i][3]) - 1) AS typical_value_uah,
       round((m).centroids[i][4]::numeric, 2) AS complaints_per_year
FROM segmentation, generate_series(1, (m).k) i ORDER BY i;
SELECT (m).iterations, (m).converged, round((m).inertia::numeric) AS inertia,
       round(crm.silhouette('SELECT features FROM customer_features', m)::numeric, 3) AS silhouette
FROM segmentation;
\echo 'Labelling every customer (crm.kmeans_assign parses the model once per query):'
SELECT crm.kmeans_assign(features, (SELECT m FROM segmentation)) AS segment, count(*) AS customers
FROM customer_features GROUP BY 1 ORDER BY 1;

\echo
\echo '=== Statistics: what drives demand, who is likely to leave, did a campaign work ==='
\echo 'Ordered metres per line against price, delivery time and the client''s industry (OLS, as R''s lm):'
SELECT array_agg(DISTINCT industry ORDER BY industry) AS industries FROM crm.account WHERE industry IS NOT NULL \gset
CREATE TEMP TABLE demand AS
SELECT crm.linreg(l.quantity::float8,
                  ARRAY[l.unit_price::float8, coalesce(o.delivery_date - o.order_date, 0)::float8]
                  || crm.one_hot(a.industry, :'industries')) AS m
FROM crm.order_line l JOIN crm.sales_order o ON o.id = l.order_id JOIN crm.account a ON a.id = o.account_id
WHERE a.industry IS NOT NULL AND o.status <> 'cancelled';
SELECT term, round(b::numeric, 3) AS coefficient, round(se::numeric, 3) AS std_error, round(t::numeric, 2) AS t,
       CASE WHEN p < 0.001 THEN '< 0.001' ELSE round(p::numeric, 3)::text END AS p_value
FROM demand, unnest((m).coefficients, (m).std_errors, (m).t_values, (m).p_values,
                    ARRAY['(intercept)', 'unit price', 'delivery days']
                    || ARRAY(SELECT 'industry: ' || i FROM unnest((:'industries')::text[]) WITH ORDINALITY u(i, n) WHERE n > 1)
             ) WITH ORDINALITY u(b, se, t, p, term, n)
ORDER BY n;
SELECT (m).n AS lines, round((m).r_squared::numeric, 4) AS r_squared, round((m).f_statistic::numeric, 1) AS f,
       (m).f_p_value < 0.001 AS "F significant at 0.1%" FROM demand;
\echo 'The same standard errors robust to unequal variance (HC3, as R''s sandwich::vcovHC): a second pass over the lines:'
SELECT term, round(se::numeric, 3) AS std_error, round(hc3::numeric, 3) AS robust_std_error,
       CASE WHEN p < 0.001 THEN '< 0.001' ELSE round(p::numeric, 3)::text END AS robust_p_value
FROM demand, (SELECT crm.linreg_robust((SELECT m FROM demand), l.quantity::float8,
                                       ARRAY[l.unit_price::float8, coalesce(o.delivery_date - o.order_date, 0)::float8]
                                       || crm.one_hot(a.industry, :'industries')) AS r
              FROM crm.order_line l JOIN crm.sales_order o ON o.id = l.order_id JOIN crm.account a ON a.id = o.account_id
              WHERE a.industry IS NOT NULL AND o.status <> 'cancelled') robust,
     unnest((m).std_errors, (r).std_errors, (r).p_values, ARRAY['(intercept)', 'unit price', 'delivery days']
            || ARRAY(SELECT 'industry: ' || i FROM unnest((:'industries')::text[]) WITH ORDINALITY u(i, n) WHERE n > 1))
         WITH ORDINALITY u(se, hc3, p, term, n)
ORDER BY n;

\echo 'Churn risk: logistic regression of "no order in the last 180 days" on behaviour before that, then scoring today:'
CREATE TEMP TABLE churn_history AS
WITH cut AS (SELECT max(order_date) - 180 AS day FROM crm.sales_order)
SELECT o.account_id,
       bool_and(o.order_date <= cut.day) AS churned,
       ARRAY[cut.day - max(o.order_date) FILTER (WHERE o.order_date <= cut.day),
             ln(count(*) FILTER (WHERE o.order_date <= cut.day)),
             (SELECT count(*) FROM crm.complaint c WHERE c.account_id = o.account_id AND c.opened_at::date <= cut.day)]::float8[] AS x
FROM crm.sales_order o, cut WHERE o.status <> 'cancelled'
GROUP BY o.account_id, cut.day HAVING count(*) FILTER (WHERE o.order_date <= cut.day) > 0;
CREATE TEMP TABLE churn_model AS SELECT crm.logreg(churned, x) AS m FROM churn_history;
SELECT term, round(b::numeric, 4) AS coefficient, round(z::numeric, 2) AS z,
       CASE WHEN p < 0.001 THEN '< 0.001' ELSE round(p::numeric, 3)::text END AS p_value,
       round(odds::numeric, 3) AS odds_ratio, round(lo::numeric, 3) || ' .. ' || round(hi::numeric, 3) AS odds_ratio_ci_95
FROM churn_model, unnest((m).coefficients, (m).z_values, (m).p_values, (m).odds_ratios, (m).odds_ratio_low, (m).odds_ratio_high,
                         '{(intercept),days since last order,ln(orders so far),complaints so far}'::text[])
                  WITH ORDINALITY u(b, z, p, odds, lo, hi, term, n)
ORDER BY n;
SELECT (m).n AS clients, (m).iterations, (m).converged, (m).separation, round((m).aic::numeric, 1) AS aic FROM churn_model;
\echo 'The ten clients most at risk now:'
WITH today AS (SELECT max(order_date) AS day FROM crm.sales_order)
SELECT a.name, a.region, round(crm.logreg_predict((SELECT m FROM churn_model),
           ARRAY[today.day - max(o.order_date), ln(count(*)),
                 (SELECT count(*) FROM crm.complaint c WHERE c.account_id = a.id)]::float8[])::numeric, 3) AS churn_risk
FROM crm.account a JOIN crm.sales_order o ON o.account_id = a.id AND o.status <> 'cancelled', today
GROUP BY a.id, today.day ORDER BY churn_risk DESC, a.name LIMIT 10;

\echo 'A/A check of the A/B tools: clients split in two by a hash of their id, so no real difference exists'
\echo '(expect p > 0.05 in 19 checks out of 20). Average order value per client, Welch''s t-test:'
SELECT round((t).mean_treatment::numeric) AS avg_order_b, round((t).mean_control::numeric) AS avg_order_a,
       round((t).difference::numeric) AS difference, round((t).ci_low::numeric) || ' .. ' || round((t).ci_high::numeric) AS ci_95,
       round((t).p_value::numeric, 3) AS p_value
FROM (SELECT crm.ttest(avg_order, (hashint8(account_id) & 1) = 0) t
      FROM (SELECT account_id, avg(total)::float8 AS avg_order FROM crm.order_summary WHERE status <> 'cancelled'
            GROUP BY account_id) c) s;
\echo 'Lead conversion, two-proportion z-test with the relative lift:'
SELECT round((p).p_treatment::numeric, 3) AS conversion_b, round((p).p_control::numeric, 3) AS conversion_a,
       round((p).lift::numeric, 3) AS lift, round((p).lift_ci_low::numeric, 3) || ' .. ' || round((p).lift_ci_high::numeric, 3) AS lift_ci_95,
       round((p).p_value::numeric, 3) AS p_value
FROM (SELECT crm.prop_test(status = 'converted', (hashint8(id) & 1) = 0) p FROM crm.lead) s;

\echo
\echo '=== Forecasting: metres of pipe ordered per family, next 6 months, with 80% and 95% intervals ==='
-- Every family gets every month (a month without orders is zero demand);
-- the last, possibly partial month is left out.
CREATE TEMP TABLE family_month AS
WITH months AS (
    SELECT generate_series(date_trunc('month', min(order_date)),
                           date_trunc('month', max(order_date)) - interval '1 month', interval '1 month') AS month
      FROM crm.sales_order),
     demand AS (
    SELECT p.family, date_trunc('month', o.order_date) AS month, sum(l.quantity)::float8 AS metres
      FROM crm.order_line l JOIN crm.sales_order o ON o.id = l.order_id JOIN crm.product p ON p.id = l.product_id
     WHERE o.status NOT IN ('cancelled', 'draft') AND p.family LIKE '%pipe'
     GROUP BY 1, 2)
SELECT f.family, m.month::timestamptz AS month, coalesce(d.metres, 0) AS metres
  FROM (SELECT DISTINCT family FROM crm.product WHERE family LIKE '%pipe') f CROSS JOIN months m
  LEFT JOIN demand d ON d.family = f.family AND d.month = m.month;

\echo 'One query forecasts every family (crm.forecast ... GROUP BY family). Method auto averages automatic ETS,'
\echo 'automatic ARIMA and Theta, and reports the members it combined:'
CREATE TEMP TABLE family_forecast AS
SELECT family, crm.forecast(month, metres, 6) AS f FROM family_month GROUP BY family;
SELECT family, m.i AS member, m.model, (f).n AS months, round((f).ljung_box_p::numeric, 3) AS ljung_box_p
  FROM family_forecast, unnest((f).members) WITH ORDINALITY m(model, i) ORDER BY family, m.i;
SELECT family, to_char(p.ts, 'YYYY-MM') AS month, round(p.point) AS metres,
       round(p.lower[1]) || ' .. ' || round(p.upper[1]) AS "80% interval",
       round(p.lower[2]) || ' .. ' || round(p.upper[2]) AS "95% interval"
  FROM family_forecast, crm.forecast_points(f) p ORDER BY family, p.step;

\echo 'Backtest of the seasonal families: three rolling origins, 6 months ahead each, for auto (the combination),'
\echo 'ETS alone (what auto used to be) and seasonal naive. MASE is the error over the in-sample seasonal-naive'
\echo 'error; coverage is the share of actual months inside the 80% interval; MSIS scores that interval:'
CREATE TEMP TABLE family_backtest AS
SELECT family, m.method, b.*
  FROM (SELECT family, array_agg(month ORDER BY month) AS t, array_agg(metres ORDER BY month) AS v
          FROM family_month GROUP BY family) s,
       unnest(ARRAY['auto', 'ets', 'snaive']) m(method),
       crm.backtest(s.t, s.v, 6, 3, NULL, m.method, 'error', 80) b;
SELECT family, method, round(avg(mase)::numeric, 2) AS mase, round(avg(smape)::numeric, 1) AS smape_pct,
       round(avg(bias)::numeric) AS bias_metres, round(avg(coverage)::numeric, 2) AS coverage_80,
       round(avg(msis)::numeric, 1) AS msis
  FROM family_backtest GROUP BY family, method ORDER BY family, mase;
SELECT method, round(avg(mase)::numeric, 3) AS mean_mase, round(avg(smape)::numeric, 2) AS mean_smape_pct
  FROM family_backtest GROUP BY method ORDER BY mean_mase;

-- The chart's data: history and forecast of the largest family.
\pset format unaligned
\pset tuples_only on
\pset fieldsep ' '
\o demo-output/forecast-history.dat
SELECT to_char(month, 'YYYY-MM-DD'), metres FROM family_month
 WHERE family = (SELECT family FROM family_month GROUP BY family ORDER BY sum(metres) DESC LIMIT 1) ORDER BY month;
\o demo-output/forecast-future.dat
SELECT to_char(p.ts, 'YYYY-MM-DD'), p.point, p.lower[1], p.upper[1], p.lower[2], p.upper[2]
  FROM family_forecast, crm.forecast_points(f) p
 WHERE family = (SELECT family FROM family_month GROUP BY family ORDER BY sum(metres) DESC LIMIT 1) ORDER BY p.step;
\o demo-output/forecast-family.txt
SELECT family FROM family_month GROUP BY family ORDER BY sum(metres) DESC LIMIT 1;
\o
\pset format aligned
\pset tuples_only off

\echo
\echo '=== Warehouse: the whole pipeline once by hand (pg_cron runs the same jobs on a schedule) ==='
-- What every real CRM has: a client entered twice, a production order nobody linked to an order.
INSERT INTO crm.account (name, industry, region, email, phone)
SELECT name || ' (entered again)', industry, region, 'Orders+tender@' || split_part(email, '@', 2), '+380 50 765 4321'
  FROM crm.account ORDER BY id LIMIT 1;
INSERT INTO crm.production_order (product_id, diameter_mm, length_m, quantity)
SELECT id, 300, 12, 24 FROM crm.product WHERE sku = 'GRP-P10-DN300';
SELECT job, mode, status, rows_touched AS rows, round(extract(epoch FROM finished - started)::numeric, 2) AS seconds, message
  FROM crm.etl_refresh();
\echo 'Then a few changes (an order placed, a price corrected, a client moved) and the 5-minute job refreshes only them:'
WITH o AS (INSERT INTO crm.sales_order (account_id, status) SELECT min(id), 'draft' FROM crm.account RETURNING id)
INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price)
SELECT o.id, 1, p.id, 120, p.list_price FROM o, crm.product p WHERE p.sku = 'GRP-P10-DN300';
UPDATE crm.sales_order SET status = 'confirmed' WHERE id = (SELECT max(id) FROM crm.sales_order);
UPDATE crm.order_line SET unit_price = unit_price * 0.95 WHERE id = (SELECT min(id) FROM crm.order_line);
UPDATE crm.account SET region = 'Lviv' WHERE id = (SELECT max(id) FROM crm.account WHERE industry = 'chemical');
SELECT job, mode, rows_touched AS rows, round(extract(epoch FROM finished - started)::numeric, 3) AS seconds, message
  FROM crm.etl_refresh('facts');

\echo 'Sales by industry over the last four complete quarters (crm_dw.v_sales_monthly):'
SELECT industry, round(sum(quantity)) AS metres, round(sum(revenue) / 1e6, 1) AS revenue_m_uah, sum(orders) AS orders
  FROM crm_dw.v_sales_monthly
 WHERE month >= date_trunc('quarter', current_date) - interval '12 months' AND month < date_trunc('quarter', current_date)
 GROUP BY industry ORDER BY revenue_m_uah DESC;
\echo 'Segments from the nightly K-means (crm_dw.v_segments):'
SELECT segment, label, count(*) AS clients, round(avg(monetary) / 1e3) AS avg_value_k_uah, round(avg(frequency), 1) AS orders_a_year
  FROM crm_dw.v_segments GROUP BY segment, label ORDER BY segment NULLS LAST, label;
\echo 'Clients due an action (crm_dw.v_churn_risk):'
SELECT action, count(*) AS clients, round(avg(churn_risk)::numeric, 3) AS avg_churn_risk
  FROM crm_dw.v_churn_risk WHERE action IS NOT NULL GROUP BY action ORDER BY action;
SELECT account_name, manager, round(churn_risk::numeric, 3) AS churn_risk, recency_days, orders_180d, orders_prior_180d,
       complaints_90d, action
  FROM crm_dw.v_churn_risk WHERE action IS NOT NULL ORDER BY churn_risk DESC LIMIT 5;
\echo 'The weekly demand forecast, the three biggest products, next three months (crm_dw.v_forecast_vs_actual):'
SELECT sku, to_char(period, 'YYYY-MM') AS month, model, round(point) AS metres,
       round(lower_80) || ' .. ' || round(upper_80) AS "80% interval"
  FROM crm_dw.v_forecast_vs_actual
 WHERE latest AND step <= 3
   AND product_id IN (SELECT product_id FROM crm_dw.fact_sales_monthly WHERE product_id IS NOT NULL
                       GROUP BY product_id ORDER BY sum(quantity) DESC LIMIT 3)
 ORDER BY sku, period;
\echo 'KPIs against their standards (crm_dw.v_kpi_vs_standard):'
SELECT kpi, value, unit, standard, better || ' is better' AS rule, CASE WHEN meets_standard THEN 'meets' ELSE 'MISSES' END AS verdict,
       basis FROM crm_dw.v_kpi_vs_standard ORDER BY kpi;
\echo 'Data-quality findings (crm_dw.dq_issue):'
SELECT kind, table_name, count(*) AS findings, min(detail) AS example FROM crm_dw.dq_issue GROUP BY 1, 2 ORDER BY 1, 2;
\echo 'The pg_cron schedule crm.schedule_jobs() installs, given in Kyiv time: pg_cron 1.4 runs it in GMT'
\echo '(shown in a transaction that is rolled back), and the jobs'' health (crm.job_health):'
BEGIN;
SET LOCAL client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_cron;
SELECT * FROM crm.schedule_jobs('{}', 'Europe/Kyiv');
SELECT job, schedule, cron_schedule, last_status, last_success::timestamp(0), next_run::timestamp(0), overdue
  FROM crm.job_health;
ROLLBACK;

\echo
\echo '=== Statistics: the churn model''s track record, and tests on the warehouse ==='
\echo 'Each night the features job scores the model of 180 days before on what its clients did since (crm_dw.churn_model):'
SELECT m.as_of, e.as_of AS scored_model_of, m.scored_clients AS clients, round(m.auc::numeric, 3) AS auc,
       round(m.brier::numeric, 3) AS brier
  FROM crm_dw.churn_model m JOIN crm_dw.churn_model e ON e.id = m.scored_model_id WHERE m.as_of = current_date;
\echo 'The same check in full (crm.classification_metrics), with the confusion matrix at a 0.5 threshold:'
SELECT (c).n AS clients, (c).positives AS lost, round((c).auc::numeric, 3) AS auc, round((c).brier::numeric, 3) AS brier,
       round((c).log_loss::numeric, 3) AS log_loss, (c).true_positives AS tp, (c).false_positives AS fp,
       (c).true_negatives AS tn, (c).false_negatives AS fn, round((c).precision::numeric, 3) AS precision,
       round((c).recall::numeric, 3) AS recall
  FROM (SELECT crm.classification_metrics(crm.logreg_predict(e.model, x.inputs), x.lost) c
          FROM crm_dw.churn_model m JOIN crm_dw.churn_model e ON e.id = m.scored_model_id,
               crm_dw.churn_examples(m.as_of) x
         WHERE m.as_of = current_date) s;
\echo 'Are lapsed clients (no order in 180 days) spread evenly over industries? Chi-square test of independence:'
SELECT round((c).statistic::numeric, 2) AS chi_square, (c).df, round((c).p_value::numeric, 4) AS p_value, (c).n AS clients,
       coalesce((c).warning, 'none') AS warning
  FROM (SELECT crm.chisq_test(a.industry, CASE WHEN f.recency_days > 180 THEN 'lapsed' ELSE 'active' END) c
          FROM crm_dw.customer_features f JOIN crm.account a ON a.id = f.account_id
         WHERE f.orders_total > 0 AND a.industry IS NOT NULL) s;
\echo 'Order values are skewed: do oil-and-gas orders run larger than utilities''? Mann–Whitney U:'
SELECT (w).n_treatment AS oil_gas_orders, (w).n_control AS utilities_orders, (w).w,
       round(((w).w / ((w).n_treatment * (w).n_control))::numeric, 3) AS p_oil_gas_larger,
       CASE WHEN (w).p_value < 0.001 THEN '< 0.001' ELSE round((w).p_value::numeric, 3)::text END AS p_value, (w).exact
  FROM (SELECT crm.mann_whitney(s.total::float8, a.industry = 'oil_gas') w
          FROM crm.order_summary s JOIN crm.account a ON a.id = s.account_id
         WHERE s.status <> 'cancelled' AND a.industry IN ('oil_gas', 'utilities')) m;
\echo
\echo '== Security: roles, row-level security, client logins, the audit log (docs/security.md)'
-- Demo logins: a manager with a teammate, a manager alone, and a client.
SET client_min_messages = warning;
DROP ROLE IF EXISTS demo_anna, demo_olga, demo_boris, demo_kim;
CREATE ROLE demo_anna LOGIN IN ROLE crm_manager;
CREATE ROLE demo_olga LOGIN IN ROLE crm_manager;
CREATE ROLE demo_boris LOGIN IN ROLE crm_manager;
CREATE ROLE demo_kim LOGIN;
RESET client_min_messages;
WITH t AS (INSERT INTO crm.team (name) VALUES ('Kyiv sales') RETURNING id)
INSERT INTO crm.team_member (team_id, member, is_lead) SELECT id, m, m = 'demo_anna' FROM t, unnest(ARRAY['demo_anna', 'demo_olga']) m;
UPDATE crm.account SET manager = CASE WHEN id % 3 = 0 THEN 'demo_anna' WHEN id % 3 = 1 THEN 'demo_olga' ELSE 'demo_boris' END;
SELECT crm.grant_client_access('demo_kim', (SELECT min(id) FROM crm.account WHERE manager = 'demo_anna')) \g /dev/null
\echo 'What each login sees (Anna and Olga share a team; Boris works alone; Kim is a client of one of Anna''s accounts):'
CREATE TEMP TABLE seen (login text, accounts bigint, orders bigint, order_lines bigint, credit_applications bigint);
GRANT INSERT ON seen TO crm_manager, crm_client;
SET ROLE demo_anna;
INSERT INTO seen SELECT current_user, (SELECT count(*) FROM crm.account), (SELECT count(*) FROM crm.sales_order),
                       (SELECT count(*) FROM crm.order_line), (SELECT count(*) FROM crm.credit_application);
SET ROLE demo_boris;
INSERT INTO seen SELECT current_user, (SELECT count(*) FROM crm.account), (SELECT count(*) FROM crm.sales_order),
                       (SELECT count(*) FROM crm.order_line), (SELECT count(*) FROM crm.credit_application);
SET ROLE demo_kim;
INSERT INTO seen SELECT current_user, (SELECT count(*) FROM crm.account), (SELECT count(*) FROM crm.sales_order),
                       (SELECT count(*) FROM crm.order_line), (SELECT count(*) FROM crm.credit_application);
RESET ROLE;
INSERT INTO seen SELECT 'postgres (owner)', (SELECT count(*) FROM crm.account), (SELECT count(*) FROM crm.sales_order),
                       (SELECT count(*) FROM crm.order_line), (SELECT count(*) FROM crm.credit_application);
SELECT * FROM seen;
\echo 'Boris tries to change one of Anna''s orders: no row is his to update.'
SET ROLE demo_boris;
UPDATE crm.sales_order SET delivery_terms = 'EXW' WHERE account_id IN (SELECT id FROM crm.account WHERE manager = 'demo_anna');
RESET ROLE;
\echo 'Anna confirms an order of hers; the audit log records who changed what:'
SET ROLE demo_anna;
UPDATE crm.sales_order SET status = 'confirmed', delivery_terms = 'DAP Kyiv'
 WHERE id = (SELECT min(id) FROM crm.sales_order WHERE status = 'draft');
RESET ROLE;
SELECT logged_at::timestamp(0) AS logged_at, actor, login, table_name, operation, row_key, old_values, new_values
  FROM crm.audit_log WHERE table_name = 'crm.sales_order' ORDER BY id DESC LIMIT 1;
SELECT table_name, count(*) AS audit_entries FROM crm.audit_log GROUP BY table_name ORDER BY audit_entries DESC LIMIT 5;

\echo
\echo '== Billing: quotes, contracts, invoices, payments, receivables and loans, to the kopiyka (docs/billing.md)'
\echo 'A client accepts a quote: the order has the same lines and prices, and the deal is won:'
SELECT a.id AS bill_client FROM crm.account a WHERE NOT EXISTS (SELECT FROM crm.contract c WHERE c.account_id = a.id)
 ORDER BY a.id LIMIT 1 \gset
INSERT INTO crm.deal (account_id, title) VALUES (:bill_client, 'Water main, stage 2') RETURNING id AS bill_deal \gset
UPDATE crm.deal SET stage = 'qualified' WHERE id = :bill_deal;
INSERT INTO crm.quote (account_id, deal_id, valid_until) VALUES (:bill_client, :bill_deal, current_date + 30) RETURNING id AS bill_quote \gset
INSERT INTO crm.quote_line (quote_id, line_no, product_id, quantity, unit_price, discount_pct)
SELECT :bill_quote, n, p.id, 120 * n, p.list_price, 5 FROM generate_series(1, 2) n
  JOIN crm.product p ON p.sku = (ARRAY['GRP-P10-DN300', 'GRP-P10-DN500'])[n];
UPDATE crm.quote SET status = 'sent' WHERE id = :bill_quote;
SELECT crm.accept_quote(:bill_quote) AS bill_order \gset
SELECT q.number AS quote, q.status, o.number AS "order", o.status AS order_status, d.stage AS deal_stage, s.total AS net_total
FROM crm.quote q JOIN crm.sales_order o ON o.id = q.order_id JOIN crm.deal d ON d.id = q.deal_id
JOIN crm.order_summary s ON s.id = o.id WHERE q.id = :bill_quote;
\echo 'Under a contract with a credit limit of 100,000 UAH, confirming it is refused; an admin overrides, with a reason:'
INSERT INTO crm.contract (account_id, valid_until, credit_limit, payment_terms_days)
VALUES (:bill_client, current_date + 365, 100000, 45) RETURNING id AS bill_contract \gset
UPDATE crm.contract SET status = 'active' WHERE id = :bill_contract;
UPDATE crm.sales_order SET contract_id = :bill_contract WHERE id = :bill_order;
\set ON_ERROR_STOP 0
SELECT crm.confirm_order(:bill_order);
\set ON_ERROR_STOP 1
SELECT crm.confirm_order(:bill_order, 'Strategic client: approved by the CFO') \g /dev/null
SELECT reason, overridden_by, refusal FROM crm.contract_override WHERE order_id = :bill_order;

\echo 'Its invoice: VAT 20 % on each line, each rounded to the kopiyka, due after the contract''s 45 days:'
SELECT crm.invoice_order(:bill_order) AS bill_invoice \gset
SELECT line_no, quantity, unit_price, discount_pct, vat_rate_pct, net, vat, gross FROM crm.invoice_line
 WHERE invoice_id = :bill_invoice ORDER BY line_no;
SELECT number, issued_on, due_on, net_total, tax_total, total, status FROM crm.invoice WHERE id = :bill_invoice;
\echo 'A part paid, then the rest with 5,000.00 too much (the bank line sent twice is recorded once):'
SELECT crm.record_payment(:bill_client, 300000, 'UAH', current_date, 'bank statement 1') \g /dev/null
SELECT number, total, paid, balance, status FROM crm.invoice WHERE id = :bill_invoice;
SELECT balance + 5000 AS rest FROM crm.invoice WHERE id = :bill_invoice \gset
SELECT crm.record_payment(:bill_client, :rest, 'UAH', current_date, 'bank statement 2', 'statement-2/line-7') \g /dev/null
SELECT crm.record_payment(:bill_client, :rest, 'UAH', current_date, 'bank statement 2', 'statement-2/line-7') \g /dev/null
SELECT reference, amount, allocated, unallocated FROM crm.payment WHERE account_id = :bill_client ORDER BY id;
\echo 'The next invoice takes that credit at once:'
INSERT INTO crm.sales_order (account_id, contract_id) VALUES (:bill_client, :bill_contract) RETURNING id AS bill_order_2 \gset
INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price)
SELECT :bill_order_2, 1, id, 2, list_price FROM crm.product WHERE sku = 'GRP-P10-DN300';
SELECT crm.confirm_order(:bill_order_2) \g /dev/null
SELECT crm.invoice_order(:bill_order_2) AS bill_invoice_2 \gset
SELECT number, total, paid, balance, status FROM crm.invoice WHERE id = :bill_invoice_2;
\echo 'A return of 20 m by credit note: the invoice now owes less than was paid, and the difference is credit again:'
SELECT crm.credit_note(:bill_invoice, 'Returned: 20 m damaged in transit', '[{"line_no": 1, "quantity": 20}]') AS bill_note \gset
SELECT number, kind, total, credited, paid, balance, status FROM crm.invoice WHERE id IN (:bill_invoice, :bill_note) ORDER BY id;
SELECT sum(unallocated) AS client_credit FROM crm.payment WHERE account_id = :bill_client;
\echo 'The shipment confirmed in the inventory part, invoiced for what it carried:'
SELECT crm.invoice_shipment(:shipment) AS shipment_invoice \gset
SELECT i.number, i.total, count(l.id) AS lines, sum(l.quantity) AS metres FROM crm.invoice i JOIN crm.invoice_line l ON l.invoice_id = i.id
 WHERE i.id = :shipment_invoice GROUP BY i.id;

\echo 'Receivables by age today (crm.receivables_aging), the ten clients who owe most:'
SELECT account_name, currency, current, days_1_30, days_31_60, days_61_90, days_over_90, total
  FROM crm.receivables_aging() ORDER BY total DESC LIMIT 10;
\echo 'How the clients pay (crm_dw.customer_features): the latest payers with at least five invoices due this year:'
SELECT count(*) AS refreshed FROM crm.etl_refresh() \g /dev/null
SELECT a.name, f.invoices_due_365d, f.avg_days_late, f.paid_on_time_share, round(f.churn_risk::numeric, 3) AS churn_risk
  FROM crm_dw.customer_features f JOIN crm.account a ON a.id = f.account_id
 WHERE f.invoices_due_365d >= 5 ORDER BY f.avg_days_late DESC, a.name LIMIT 5;
\echo 'Exchange rates: converting through the base currency, and the last quarter''s sales, invoices and payments in it:'
SELECT crm.convert(1000, 'EUR', 'UAH') AS "1,000 EUR in UAH", crm.convert(1000000, 'UAH', 'USD') AS "1,000,000 UAH in USD";
SELECT month, currency, sum(revenue) AS revenue, sum(revenue_base) AS revenue_uah, sum(invoiced) AS invoiced,
       sum(invoiced_base) AS invoiced_uah, sum(paid) AS paid
  FROM crm_dw.v_sales_monthly WHERE month >= date_trunc('month', current_date) - interval '3 months'
 GROUP BY month, currency ORDER BY month, currency;

\echo 'A loan of the credit organisation, with one installment paid late (crm.loan_installment):'
SELECT i.loan_id AS bill_loan FROM crm.loan_installment i JOIN crm.payment_allocation a ON a.installment_id = i.id
 GROUP BY i.loan_id ORDER BY max(a.applied_on - i.due_on) DESC, i.loan_id LIMIT 1 \gset
SELECT l.principal, l.annual_rate_pct, l.term_months, l.method, l.first_due_on, l.status FROM crm.loan l WHERE l.id = :bill_loan;
SELECT period, kind, due_on, principal, interest, amount, paid, paid_on, paid_on - due_on AS days_late
  FROM crm.loan_installment WHERE loan_id = :bill_loan AND replaced_by IS NULL AND due_on <= current_date ORDER BY period;
\echo 'What is overdue across all loans (crm.loan_arrears):'
SELECT account_name, period, due_on, days_past_due, overdue_amount, currency FROM crm.loan_arrears ORDER BY days_past_due DESC LIMIT 5;

\echo 'Dashboards: applications, orders by status, and Kim''s own client card as she sees it:'
SELECT * FROM crm.v_application_counts;
SELECT status, label_uk, orders FROM crm.v_order_counts;
SET ROLE demo_kim;
SELECT name, orders, open_orders, open_invoices, open_balance, overdue_balance, unallocated_credit, last_payment_on, applications
  FROM crm.v_account_card;
RESET ROLE;
\echo 'Invariant check: every invoice, payment, allocation and loan agrees (no rows = all good):'
SELECT * FROM crm.receivable_invariant_violations();

\echo
\echo '=== The hub: an order to production, statuses from the MES, a shipment, events to a listener (docs/events.md, inbound.md, automation.md) ==='
\! rm -f demo-output/events.log*; /usr/bin/python3 scripts/event-listener demo-output/events.log 4 &
\! for i in $(seq 300); do [ -f demo-output/events.log.ready ] && break; sleep 0.1; done
SELECT crm.set_automation_rule('production_for_confirmed_order', true) \g /dev/null
SELECT crm.set_automation_rule('order_shipped_with_shipment', true) \g /dev/null
INSERT INTO crm.sales_order (account_id, manager)
SELECT id, manager FROM crm.account WHERE name = 'Vodokanal Lviv-19' RETURNING id AS hub_order, number AS hub_number \gset
INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price)
SELECT :hub_order, v.n, p.id, v.metres, p.list_price
FROM (VALUES (1, 'GRP-P10-DN300', 240), (2, 'GRP-P16-DN500', 120)) v(n, sku, metres) JOIN crm.product p ON p.sku = v.sku;
\echo 'Order' :hub_number 'of Vodokanal Lviv-19 is confirmed. The rule production_for_confirmed_order (synchronous)'
\echo 'sends its made-to-order lines to production in the same transaction:'
UPDATE crm.sales_order SET status = 'confirmed' WHERE id = :hub_order;
SELECT p.id AS production_order, l.line_no, pr.sku, p.diameter_mm, p.length_m, p.quantity AS metres, p.status
FROM crm.production_order p JOIN crm.order_line l ON l.id = p.order_line_id JOIN crm.product pr ON pr.id = p.product_id
WHERE l.order_id = :hub_order ORDER BY l.line_no;
SELECT count(*) AS mapped FROM (SELECT crm.map_external_key('MES', 'production_order', 'WO-' || p.id, p.id::text)
                                FROM crm.production_order p JOIN crm.order_line l ON l.id = p.order_line_id
                                WHERE l.order_id = :hub_order) m \g /dev/null
\echo 'The MES reports a batch: three steps for each work order, one report that arrives late, one work order pgcrm never sent:'
CREATE TEMP TABLE mes_batch AS
SELECT jsonb_agg(m ORDER BY n) AS messages FROM (
    SELECT n * 10 + s AS n, jsonb_build_object('entity', 'production_order', 'key', 'WO-' || p.id, 'status', st,
               'occurred_at', now() + s * interval '1 hour', 'message_id', format('mes-%s-%s', p.id, s)) AS m
    FROM (SELECT p.id, row_number() OVER (ORDER BY p.id) AS n FROM crm.production_order p
          JOIN crm.order_line l ON l.id = p.order_line_id WHERE l.order_id = :hub_order) p,
         (VALUES (1, 'in_progress'), (2, 'quality_control'), (4, 'ready_for_shipment')) v(s, st)
    UNION ALL SELECT 13, jsonb_build_object('entity', 'production_order', 'key', 'WO-' || min(p.id), 'status', 'in_progress',
               'occurred_at', now() + interval '90 minutes', 'message_id', 'mes-late-1')
    FROM crm.production_order p JOIN crm.order_line l ON l.id = p.order_line_id WHERE l.order_id = :hub_order
    UNION ALL SELECT 99, jsonb_build_object('entity', 'production_order', 'key', 'WO-999999', 'status', 'in_progress',
               'occurred_at', now(), 'message_id', 'mes-unknown-1')) x;
SELECT outcome, count(*) AS messages FROM crm.apply_external_statuses('MES', (SELECT messages FROM mes_batch)) GROUP BY outcome ORDER BY outcome;
\echo 'What was not applied, reported by crm.inbound_problems:'
SELECT message_id, external_key, status, outcome, sqlstate, error FROM crm.inbound_problems WHERE message_id LIKE 'mes-%' ORDER BY message_id;
UPDATE crm.sales_order SET status = 'in_production' WHERE id = :hub_order;
UPDATE crm.sales_order SET status = 'ready' WHERE id = :hub_order;
SELECT crm.reserve_order(:hub_order) \g /dev/null
SELECT crm.plan_shipment(:hub_order) AS hub_shipment \gset
SELECT crm.confirm_shipment(:hub_shipment) \g /dev/null
\echo 'The shipment leaves the warehouse; the rule order_shipped_with_shipment (synchronous) ships the order with it:'
SELECT o.number, o.status AS order_status, s.id AS shipment, s.status AS shipment_status, s.shipped_at::timestamp(0) AS shipped_at
FROM crm.sales_order o JOIN crm.shipment s ON s.order_id = o.id WHERE o.id = :hub_order;
\echo 'A listener loop (scripts/event-listener) woke on NOTIFY pgcrm_events and consumed the events in commit order:'
\! for i in $(seq 300); do [ -f demo-output/events.log.done ] && break; sleep 0.1; done; cat demo-output/events.log

\echo
\echo '=== Search: a misspelt client name, a phone written another way (docs/search.md) ==='
SELECT kind, id, title, snippet, rank FROM crm.search('Vodokanl Lviv-19', NULL, 5);
SELECT kind, id, title, rank FROM crm.search('044-000-00-19');
\echo 'The order list, by status, a page at a time (the cursor of the last row gives the next page):'
SELECT number, account_name, order_date, status, total, cursor FROM crm.list_orders(with_status => 'shipped', "limit" => 3);

\echo
\echo '=== Merging a duplicate (docs/merge.md) ==='
INSERT INTO crm.account (name, industry, region, phone, email)
VALUES ('Vodokanal Lviv 19 (website)', 'water_supply', 'Lviv', '044 000 0019', 'tender@vodokanal-lviv19.example.ua') RETURNING id AS dup \gset
INSERT INTO crm.sales_order (account_id, order_date) VALUES (:dup, current_date) \g /dev/null
SELECT status FROM crm.etl_refresh('data_quality') \g /dev/null
\echo 'The data_quality job finds the duplicate and names the account it duplicates:'
SELECT record_id, kind, detail, duplicate_of FROM crm_dw.dq_issue WHERE record_id = :dup AND duplicate_of IS NOT NULL;
\echo 'One call merges it: its order moves, its e-mail stays as an alternate, the merge is recorded and emitted:'
SELECT keep_id, remove_id, reason, moved FROM crm.merge_duplicate(:dup);
SELECT id, name, phone, email, alt_emails, (SELECT count(*) FROM crm.sales_order o WHERE o.account_id = a.id) AS orders
FROM crm.account a WHERE id = crm.resolve_account(:dup);

\echo
\echo '=== BI: the star schema BI tools read, a safe BI login, per-manager dashboards (docs/bi.md) ==='
\echo 'Revenue of the last 12 complete months by client industry and pipe type, in million UAH, from the star views alone'
\echo '(v_fact_sales_monthly joined to v_dim_account and to v_dim_product, whose pipe attributes are columns):'
SELECT a.industry,
       round(sum(f.revenue) FILTER (WHERE p.pipe_type = 'pressure') / 1e6, 1) AS pressure,
       round(sum(f.revenue) FILTER (WHERE p.pipe_type = 'sewer') / 1e6, 1) AS sewer,
       round(sum(f.revenue) FILTER (WHERE p.pipe_type = 'oil_gas') / 1e6, 1) AS oil_gas,
       round(sum(f.revenue) FILTER (WHERE p.pipe_type = 'chemical') / 1e6, 1) AS chemical
  FROM crm_dw.v_fact_sales_monthly f
  JOIN crm_dw.v_dim_account a ON a.account_key = f.account_key
  JOIN crm_dw.v_dim_product p ON p.product_key = f.product_key
 WHERE f.month >= date_trunc('month', current_date) - interval '12 months' AND f.month < date_trunc('month', current_date)
   AND f.currency = 'UAH'
 GROUP BY a.industry ORDER BY a.industry;
\echo 'How the star joins, for tools that cannot read it from foreign keys (crm_dw.bi_relationship):'
SELECT * FROM crm_dw.bi_relationship WHERE from_view LIKE 'v_fact%';
\echo 'Every column has an English comment and a Ukrainian label (crm_dw.v_column_label):'
SELECT l.column_name, l.label AS "українською", col_description('crm_dw.v_fact_sales_monthly'::regclass, a.attnum) AS comment
  FROM crm_dw.v_column_label l
  JOIN pg_attribute a ON a.attrelid = 'crm_dw.v_fact_sales_monthly'::regclass AND a.attname = l.column_name
 WHERE l.view_name = 'v_fact_sales_monthly' AND l.lang = 'uk' ORDER BY a.attnum;
\echo 'A login for a BI tool, with its own limits (crm.create_bi_login; the report below is drawn as this login):'
SET client_min_messages = warning;
DROP ROLE IF EXISTS demo_report;
RESET client_min_messages;
SELECT login, statement_timeout, idle_in_transaction_session_timeout, connection_limit FROM crm.create_bi_login('demo_report');
SELECT rolname, rolconnlimit, rolconfig FROM pg_roles WHERE rolname = 'demo_report';
\echo 'The same dashboard query by two managers: the per-manager views show each their own clients, with no WHERE clause'
\echo '(security_invoker views under row-level security; Anna shares a team with Olga, Boris works alone):'
CREATE TEMP TABLE dashboard (login text, open_deals bigint, pipeline_uah numeric, open_orders bigint, orders_uah numeric,
                             overdue_orders bigint);
GRANT INSERT ON dashboard TO crm_manager;
SET ROLE demo_anna;
INSERT INTO dashboard
SELECT current_user, (SELECT sum(deals) FROM crm_dw.v_my_pipeline_by_stage WHERE NOT is_final),
       (SELECT sum(amount) FROM crm_dw.v_my_pipeline_by_stage WHERE NOT is_final),
       count(*), sum(amount), count(*) FILTER (WHERE overdue) FROM crm_dw.v_my_open_orders;
SET ROLE demo_boris;
INSERT INTO dashboard
SELECT current_user, (SELECT sum(deals) FROM crm_dw.v_my_pipeline_by_stage WHERE NOT is_final),
       (SELECT sum(amount) FROM crm_dw.v_my_pipeline_by_stage WHERE NOT is_final),
       count(*), sum(amount), count(*) FILTER (WHERE overdue) FROM crm_dw.v_my_open_orders;
RESET ROLE;
SELECT * FROM dashboard;
