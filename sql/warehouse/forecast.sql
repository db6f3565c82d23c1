-- Weekly: six months of booked quantity per product, from each product's
-- first month with sales to the last complete month (a month without sales
-- is zero demand).
CREATE OR REPLACE FUNCTION crm_dw.refresh_forecast(rebuild boolean, OUT mode text, OUT rows_touched bigint, OUT message text)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    last_month constant date := (date_trunc('month', current_date) - interval '1 month')::date;
    products bigint;
BEGIN
    mode := 'run';
    WITH demand AS (
        SELECT product_id, month, sum(quantity)::float8 AS quantity
        FROM crm_dw.fact_sales_monthly
        WHERE product_id IS NOT NULL AND month <= last_month
        GROUP BY product_id, month),
    series AS (
        SELECT s.product_id, m.month, coalesce(d.quantity, 0) AS quantity
        FROM (SELECT product_id, min(month) AS first_month FROM demand GROUP BY product_id) s
        CROSS JOIN LATERAL generate_series(s.first_month, last_month, interval '1 month') m(month)
        LEFT JOIN demand d ON d.product_id = s.product_id AND d.month = m.month),
    fitted AS (
        SELECT product_id, crm.forecast(month::timestamptz, quantity, 6, NULL::integer, 'auto',
                                        ARRAY[80, 95]::float8[]) AS f
        FROM series GROUP BY product_id),
    stored AS (
        INSERT INTO crm_dw.demand_forecast (generated_at, product_id, period, step, model, point,
                                            lower_80, upper_80, lower_95, upper_95)
        SELECT now(), x.product_id, p.ts::date, p.step, (x.f).model, p.point, p.lower[1], p.upper[1], p.lower[2], p.upper[2]
        FROM fitted x, crm.forecast_points(x.f) p
        -- A second run in the same transaction replaces the forecast made at the same time.
        ON CONFLICT (generated_at, product_id, period) DO UPDATE
            SET (step, model, point, lower_80, upper_80, lower_95, upper_95)
              = (EXCLUDED.step, EXCLUDED.model, EXCLUDED.point, EXCLUDED.lower_80, EXCLUDED.upper_80,
                 EXCLUDED.lower_95, EXCLUDED.upper_95)
        RETURNING product_id)
    SELECT count(*), count(DISTINCT product_id) INTO rows_touched, products FROM stored;
    message := format('%s products, %s months ahead each, up to %s', products, 6, to_char(last_month, 'YYYY-MM'));
END $$;

SELECT crm_dw.register_job('forecast', 50, 'crm_dw.refresh_forecast(boolean)', false, '0 3 * * 1',
                           'demand_forecast per product, six months ahead');
