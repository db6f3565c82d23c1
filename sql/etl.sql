-- The refresh jobs (docs/warehouse.md, "The refresh model"). Each job is a
-- function returning its mode, the rows it touched and a message;
-- crm.etl_refresh serialises, runs and logs them.

CREATE FUNCTION crm_dw.jobs() RETURNS TABLE (job text, incremental boolean, description text)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    VALUES ('reservations', false, 'expire reservations past their time'),
           ('facts', true, 'dimensions, fact_sales and fact_sales_monthly'),
           ('features', true, 'customer_features: RFM, churn risk'),
           ('segments', false, 'K-means segmentation into segment_model and customer_segment'),
           ('forecast', false, 'demand_forecast per product, six months ahead'),
           ('kpi', false, 'a kpi_snapshot of every KPI'),
           ('data_quality', false, 'dq_issue: duplicates, incomplete profiles, orphaned records')
$$;
COMMENT ON FUNCTION crm_dw.jobs() IS 'The warehouse jobs in the order ''all'' runs them';

-- Sources of the star schema, one row per warehouse row, columns named as
-- in the warehouse table.
CREATE VIEW crm_dw.dim_product_source AS
SELECT p.id AS product_id, p.sku, p.name, p.kind, p.family, p.unit, p.attributes->>'pipe_type' AS pipe_type,
       (p.attributes->>'diameter_mm')::integer AS diameter_mm,
       (p.attributes->>'working_pressure_bar')::numeric AS working_pressure_bar,
       p.attributes->>'material' AS material, p.list_price, p.currency::text AS currency, p.active
FROM crm.product p;

CREATE VIEW crm_dw.dim_account_source AS
SELECT a.id AS account_id, a.name, a.kind, a.industry, a.region, a.source, a.is_vip, a.status, a.registered_on,
       a.manager::text AS manager, a.owner::text AS owner
FROM crm.account a;

CREATE VIEW crm_dw.fact_sales_source AS
SELECT l.id AS order_line_id, o.id AS order_id, o.number AS order_number, l.line_no, o.order_date, o.account_id,
       l.product_id, o.status AS order_status,
       coalesce(o.status NOT IN ('draft', 'cancelled'), false) AS booked, l.quantity, l.unit_price, l.discount_pct,
       l.line_total, o.currency::text AS currency, o.manager::text AS manager
FROM crm.order_line l JOIN crm.sales_order o ON o.id = l.order_id;

-- Monthly totals of booked lines, per product and per account. lines is a
-- query over fact_sales rows with a sign column: +1 adds a line, -1 takes it
-- away, so the same sums serve the full build and the change.
CREATE FUNCTION crm_dw.sales_by_month(lines text) RETURNS SETOF crm_dw.fact_sales_monthly
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN QUERY EXECUTE format(
        'SELECT date_trunc(''month'', order_date)::date, product_id, account_id, currency,
                count(DISTINCT order_id) FILTER (WHERE sign > 0) - count(DISTINCT order_id) FILTER (WHERE sign < 0),
                sum(sign)::bigint, sum(sign * quantity), sum(sign * line_total)
           FROM %s s WHERE booked
          GROUP BY GROUPING SETS ((1, product_id, currency), (1, account_id, currency))', lines);
END $$;

-- The calendar grows, never shrinks: a report of an old month keeps its dates.
CREATE FUNCTION crm_dw.extend_calendar() RETURNS bigint
    LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    WITH bounds AS (
        SELECT least(date '2000-01-01', date_trunc('year', min(order_date))::date) AS first_day,
               (date_trunc('year', greatest(current_date, max(order_date))) + interval '6 years - 1 day')::date AS last_day
        FROM crm.sales_order),
    have AS (SELECT min(date_key) AS first_day, max(date_key) AS last_day FROM crm_dw.dim_date),
    added AS (
        INSERT INTO crm_dw.dim_date
        SELECT d, extract(year FROM d), extract(quarter FROM d), extract(month FROM d), date_trunc('month', d),
               to_char(d, 'FMMonth'), extract(isoyear FROM d), extract(week FROM d), extract(isodow FROM d),
               extract(isodow FROM d) >= 6
        FROM bounds b, have h, generate_series(b.first_day, b.last_day, interval '1 day') g(t), LATERAL (SELECT t::date AS d) x
        WHERE h.first_day IS NULL OR d < h.first_day OR d > h.last_day
        RETURNING 1)
    SELECT count(*) FROM added
$$;

-- The realised demand of every forecast month that is over.
CREATE FUNCTION crm_dw.record_forecast_actuals() RETURNS bigint
    LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    WITH actual AS (
        SELECT f.generated_at, f.product_id, f.period, coalesce(sum(m.quantity), 0) AS quantity
        FROM crm_dw.demand_forecast f
        LEFT JOIN crm_dw.fact_sales_monthly m ON m.product_id = f.product_id AND m.month = f.period
        WHERE f.period < date_trunc('month', current_date)
        GROUP BY 1, 2, 3),
    updated AS (
        UPDATE crm_dw.demand_forecast f SET actual = a.quantity
        FROM actual a
        WHERE (f.generated_at, f.product_id, f.period) = (a.generated_at, a.product_id, a.period)
          AND f.actual IS DISTINCT FROM a.quantity
        RETURNING 1)
    SELECT count(*) FROM updated
$$;

-- A job's scratch table lives until the end of the transaction; a second run
-- in the same transaction starts afresh.
CREATE FUNCTION crm_dw.drop_temp_table(name text) RETURNS void
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF to_regclass('pg_temp.' || quote_ident(name)) IS NOT NULL THEN
        EXECUTE format('DROP TABLE pg_temp.%I', name);
    END IF;
END $$;

-- Takes a job's queued keys: the distinct keys per entity, and whether a full
-- rebuild was asked for.
CREATE FUNCTION crm_dw.take_changes(job text, OUT orders bigint[], OUT products bigint[], OUT accounts bigint[],
                                    OUT rebuild boolean)
    LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    WITH taken AS (DELETE FROM crm_dw.change_queue q WHERE q.job = take_changes.job RETURNING q.entity, q.key)
    SELECT coalesce(array_agg(DISTINCT key) FILTER (WHERE entity = 'order'), '{}'),
           coalesce(array_agg(DISTINCT key) FILTER (WHERE entity = 'product'), '{}'),
           coalesce(array_agg(DISTINCT key) FILTER (WHERE entity = 'account'), '{}'),
           coalesce(bool_or(entity = 'all'), false)
    FROM taken
$$;

CREATE FUNCTION crm_dw.record_state(job text, rebuilt boolean, as_of date) RETURNS void
    LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO crm_dw.etl_state AS s (job, as_of, last_full_at, last_run_at)
    VALUES (job, as_of, CASE WHEN rebuilt THEN now() END, now())
    ON CONFLICT (job) DO UPDATE SET as_of = EXCLUDED.as_of, last_run_at = now(),
                                    last_full_at = coalesce(EXCLUDED.last_full_at, s.last_full_at)
$$;

CREATE FUNCTION crm_dw.refresh_facts(rebuild boolean, OUT mode text, OUT rows_touched bigint, OUT message text)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    changes record;
    n bigint;
BEGIN
    changes := crm_dw.take_changes('facts');
    rebuild := rebuild OR changes.rebuild OR NOT EXISTS (SELECT FROM crm_dw.etl_state WHERE job = 'facts');
    rows_touched := crm_dw.extend_calendar();
    IF rebuild THEN
        mode := 'full';
        TRUNCATE crm_dw.dim_product, crm_dw.dim_account, crm_dw.fact_sales, crm_dw.fact_sales_monthly;
        INSERT INTO crm_dw.dim_product SELECT * FROM crm_dw.dim_product_source;
        INSERT INTO crm_dw.dim_account SELECT * FROM crm_dw.dim_account_source;
        INSERT INTO crm_dw.fact_sales SELECT * FROM crm_dw.fact_sales_source;
        GET DIAGNOSTICS n = ROW_COUNT;
        ANALYZE crm_dw.fact_sales;
        INSERT INTO crm_dw.fact_sales_monthly
        SELECT * FROM crm_dw.sales_by_month('(SELECT 1 AS sign, f.* FROM crm_dw.fact_sales f)');
        -- Later statements and jobs plan with the new sizes, not the truncated ones.
        ANALYZE crm_dw.dim_product, crm_dw.dim_account, crm_dw.fact_sales_monthly;
        -- The next features run rebuilds too, so pending order changes are void.
        TRUNCATE crm_dw.order_delta;
        INSERT INTO crm_dw.change_queue VALUES ('features', 'all', 0);
        rows_touched := rows_touched + n;
        message := format('rebuilt %s order lines', n);
    ELSE
        mode := 'incremental';
        DELETE FROM crm_dw.dim_product WHERE product_id = ANY (changes.products);
        INSERT INTO crm_dw.dim_product SELECT * FROM crm_dw.dim_product_source WHERE product_id = ANY (changes.products);
        DELETE FROM crm_dw.dim_account WHERE account_id = ANY (changes.accounts);
        INSERT INTO crm_dw.dim_account SELECT * FROM crm_dw.dim_account_source WHERE account_id = ANY (changes.accounts);

        -- The changed orders' lines as the warehouse has them and as they are now.
        PERFORM crm_dw.drop_temp_table('etl_old_lines');
        PERFORM crm_dw.drop_temp_table('etl_new_lines');
        CREATE TEMP TABLE etl_old_lines ON COMMIT DROP AS
        SELECT * FROM crm_dw.fact_sales WHERE order_id = ANY (changes.orders);
        CREATE TEMP TABLE etl_new_lines ON COMMIT DROP AS
        SELECT * FROM crm_dw.fact_sales_source WHERE order_id = ANY (changes.orders);
        -- Only lines that differ are written.
        DELETE FROM crm_dw.fact_sales
        WHERE order_line_id IN (SELECT o.order_line_id FROM etl_old_lines o EXCEPT SELECT n.order_line_id FROM etl_new_lines n);
        GET DIAGNOSTICS n = ROW_COUNT;
        rows_touched := rows_touched + n;
        INSERT INTO crm_dw.fact_sales AS f
        SELECT * FROM (SELECT * FROM etl_new_lines EXCEPT SELECT * FROM etl_old_lines) c
        ON CONFLICT (order_line_id) DO UPDATE
            SET (order_id, order_number, line_no, order_date, account_id, product_id, order_status, booked, quantity,
                 unit_price, discount_pct, line_total, currency, manager)
              = (EXCLUDED.order_id, EXCLUDED.order_number, EXCLUDED.line_no, EXCLUDED.order_date, EXCLUDED.account_id,
                 EXCLUDED.product_id, EXCLUDED.order_status, EXCLUDED.booked, EXCLUDED.quantity, EXCLUDED.unit_price,
                 EXCLUDED.discount_pct, EXCLUDED.line_total, EXCLUDED.currency, EXCLUDED.manager);
        GET DIAGNOSTICS n = ROW_COUNT;
        rows_touched := rows_touched + n;

        -- Whole orders go into the monthly difference: an order counts once per product and month.
        PERFORM crm_dw.drop_temp_table('etl_month_delta');
        CREATE TEMP TABLE etl_month_delta ON COMMIT DROP AS
        SELECT * FROM crm_dw.sales_by_month('(SELECT -1 AS sign, * FROM pg_temp.etl_old_lines
                                               UNION ALL SELECT 1, * FROM pg_temp.etl_new_lines)')
        WHERE (orders, lines, quantity, revenue) <> (0, 0, 0, 0);
        INSERT INTO crm_dw.fact_sales_monthly AS m
        SELECT * FROM etl_month_delta
        ON CONFLICT (product_id, account_id, month, currency) DO UPDATE
            SET orders = m.orders + EXCLUDED.orders, lines = m.lines + EXCLUDED.lines,
                quantity = m.quantity + EXCLUDED.quantity, revenue = m.revenue + EXCLUDED.revenue;
        DELETE FROM crm_dw.fact_sales_monthly WHERE lines = 0;

        -- For the features job: each changed booked order as it was (-1) and is (+1), and the changed clients.
        INSERT INTO crm_dw.order_delta (sign, order_id, account_id, order_date, total)
        SELECT sign, order_id, account_id, order_date, sum(line_total)
        FROM (SELECT -1 AS sign, * FROM etl_old_lines UNION ALL SELECT 1, * FROM etl_new_lines) l
        WHERE booked
        GROUP BY sign, order_id, account_id, order_date;
        INSERT INTO crm_dw.change_queue (job, entity, key) SELECT 'features', 'account', unnest(changes.accounts);
        rows_touched := rows_touched + cardinality(changes.products) + cardinality(changes.accounts);
        message := format('%s changed orders, %s products, %s accounts',
                          cardinality(changes.orders), cardinality(changes.products), cardinality(changes.accounts));
    END IF;
    rows_touched := rows_touched + crm_dw.record_forecast_actuals();
    PERFORM crm_dw.record_state('facts', rebuild, NULL);
END $$;

-- Order history and complaints of clients as of a day, from the warehouse
-- facts: the measures customer features and the churn model are built on.
-- accounts NULL means every client.
CREATE FUNCTION crm_dw.customer_history(as_of date, accounts bigint[])
    RETURNS TABLE (account_id bigint, first_order date, last_order date, orders_total integer, revenue_total numeric,
                   frequency integer, monetary numeric, orders_180d integer, orders_prior_180d integer,
                   complaints_90d integer)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH orders AS (
        SELECT f.account_id, f.order_id, f.order_date, sum(f.line_total) AS total
        FROM crm_dw.fact_sales f
        WHERE f.booked AND f.order_date <= as_of AND (accounts IS NULL OR f.account_id = ANY (accounts))
        GROUP BY f.account_id, f.order_id, f.order_date),
    per_account AS (
        SELECT o.account_id, min(o.order_date) AS first_order, max(o.order_date) AS last_order,
               count(*) AS orders_total, sum(o.total) AS revenue_total,
               count(*) FILTER (WHERE o.order_date > as_of - 365) AS frequency,
               coalesce(sum(o.total) FILTER (WHERE o.order_date > as_of - 365), 0) AS monetary,
               count(*) FILTER (WHERE o.order_date > as_of - 180) AS orders_180d,
               count(*) FILTER (WHERE o.order_date > as_of - 360 AND o.order_date <= as_of - 180) AS orders_prior_180d
        FROM orders o GROUP BY o.account_id),
    complaints AS (
        SELECT c.account_id, count(*) AS complaints_90d
        FROM crm.complaint c
        WHERE c.opened_at >= as_of - 89 AND c.opened_at < as_of + 1
          AND (accounts IS NULL OR c.account_id = ANY (accounts))
        GROUP BY c.account_id)
    SELECT a.id, p.first_order, p.last_order, coalesce(p.orders_total, 0)::integer, coalesce(p.revenue_total, 0),
           coalesce(p.frequency, 0)::integer, coalesce(p.monetary, 0), coalesce(p.orders_180d, 0)::integer,
           coalesce(p.orders_prior_180d, 0)::integer, coalesce(c.complaints_90d, 0)::integer
    FROM crm.account a
    LEFT JOIN per_account p ON p.account_id = a.id
    LEFT JOIN complaints c ON c.account_id = a.id
    WHERE accounts IS NULL OR a.id = ANY (accounts)
$$;

-- What the churn model sees of a client: months since the last order, recent
-- frequency, its change (falling frequency is a warning), recent complaints.
CREATE FUNCTION crm_dw.churn_inputs(recency_days integer, frequency integer, orders_180d integer,
                                    orders_prior_180d integer, complaints_90d integer) RETURNS float8[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN ARRAY[recency_days / 30.0, ln(1 + frequency), orders_180d - orders_prior_180d, complaints_90d]::float8[];

-- Today's churn model: trained once a day on what clients looked like 180
-- days ago and whether they ordered since. NULL when the history cannot
-- support a model (too few clients, or all or none of them churned).
CREATE FUNCTION crm_dw.churn_model_for(as_of date) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    cutoff constant date := as_of - 180;
    clients bigint;
    churned bigint;
    id bigint;
BEGIN
    SELECT m.id INTO id FROM crm_dw.churn_model m WHERE m.as_of = churn_model_for.as_of;
    IF FOUND THEN
        RETURN id;
    END IF;
    PERFORM crm_dw.drop_temp_table('etl_churn_history');
    CREATE TEMP TABLE etl_churn_history ON COMMIT DROP AS
    SELECT crm_dw.churn_inputs(cutoff - h.last_order, h.frequency, h.orders_180d, h.orders_prior_180d,
                               h.complaints_90d) AS inputs,
           NOT EXISTS (SELECT FROM crm_dw.fact_sales f
                       WHERE f.account_id = h.account_id AND f.booked
                         AND f.order_date > cutoff AND f.order_date <= churn_model_for.as_of) AS lost
    FROM crm_dw.customer_history(cutoff, NULL) h
    WHERE h.orders_total > 0;
    SELECT count(*), count(*) FILTER (WHERE lost) INTO clients, churned FROM etl_churn_history;
    IF churned < 10 OR clients - churned < 10 THEN
        RETURN NULL;
    END IF;
    INSERT INTO crm_dw.churn_model (as_of, cutoff, n, churned, inputs, model)
    SELECT churn_model_for.as_of, cutoff, clients, churned,
           ARRAY['months_since_last_order', 'ln(1 + orders_365d)', 'orders_180d - orders_prior_180d', 'complaints_90d'],
           crm.logreg(lost, inputs)
    FROM etl_churn_history
    RETURNING churn_model.id INTO id;
    RETURN id;
END $$;

CREATE FUNCTION crm_dw.refresh_features(rebuild boolean, OUT mode text, OUT rows_touched bigint, OUT message text)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    changes record;
    today constant date := current_date;
    model_id bigint;
    model crm.logreg_result;
    recomputed bigint[];
    touched bigint[];
BEGIN
    changes := crm_dw.take_changes('features');
    PERFORM crm_dw.drop_temp_table('etl_order_delta');
    CREATE TEMP TABLE etl_order_delta ON COMMIT DROP AS
    WITH taken AS (DELETE FROM crm_dw.order_delta RETURNING *) SELECT * FROM taken WHERE order_date <= today;
    -- Windows are counted back from today: a new day moves every client's.
    rebuild := rebuild OR changes.rebuild
               OR NOT EXISTS (SELECT FROM crm_dw.etl_state s WHERE s.job = 'features' AND s.as_of = today);
    model_id := crm_dw.churn_model_for(today);
    model := (SELECT m.model FROM crm_dw.churn_model m WHERE m.id = model_id);
    IF rebuild THEN
        mode := 'full';
        TRUNCATE crm_dw.customer_features;
        recomputed := NULL;
    ELSE
        mode := 'incremental';
        -- Recomputed from the facts: queued clients (complaints, client changes),
        -- clients without a row yet, and clients that may have lost their first
        -- or last order. The rest take the orders' changes as sums.
        recomputed := ARRAY(
            SELECT unnest(changes.accounts)
            UNION
            SELECT d.account_id
            FROM (SELECT account_id, order_id, order_date FROM etl_order_delta
                  GROUP BY account_id, order_id, order_date HAVING sum(sign) < 0) d
            LEFT JOIN crm_dw.customer_features c ON c.account_id = d.account_id
            WHERE c.account_id IS NULL OR d.order_date IN (c.first_order, c.last_order)
            UNION
            SELECT d.account_id FROM etl_order_delta d
            WHERE NOT EXISTS (SELECT FROM crm_dw.customer_features c WHERE c.account_id = d.account_id));
        DELETE FROM crm_dw.customer_features WHERE account_id = ANY (recomputed);
        UPDATE crm_dw.customer_features c
        SET orders_total = c.orders_total + d.orders, revenue_total = c.revenue_total + d.revenue,
            frequency = c.frequency + d.frequency, monetary = c.monetary + d.monetary,
            orders_180d = c.orders_180d + d.orders_180d, orders_prior_180d = c.orders_prior_180d + d.orders_prior_180d,
            first_order = least(c.first_order, d.first_added), last_order = greatest(c.last_order, d.last_added)
        FROM (SELECT account_id, sum(sign) AS orders, sum(sign * total) AS revenue,
                     coalesce(sum(sign) FILTER (WHERE order_date > today - 365), 0) AS frequency,
                     coalesce(sum(sign * total) FILTER (WHERE order_date > today - 365), 0) AS monetary,
                     coalesce(sum(sign) FILTER (WHERE order_date > today - 180), 0) AS orders_180d,
                     coalesce(sum(sign) FILTER (WHERE order_date > today - 360 AND order_date <= today - 180), 0)
                         AS orders_prior_180d,
                     min(order_date) FILTER (WHERE sign > 0) AS first_added,
                     max(order_date) FILTER (WHERE sign > 0) AS last_added
              FROM etl_order_delta
              WHERE account_id NOT IN (SELECT unnest(recomputed))
              GROUP BY account_id) d
        WHERE c.account_id = d.account_id;
    END IF;
    INSERT INTO crm_dw.customer_features
        (account_id, as_of, first_order, last_order, frequency, monetary, orders_total, revenue_total,
         orders_180d, orders_prior_180d, complaints_90d)
    SELECT h.account_id, today, h.first_order, h.last_order, h.frequency, h.monetary, h.orders_total, h.revenue_total,
           h.orders_180d, h.orders_prior_180d, h.complaints_90d
    FROM crm_dw.customer_history(today, recomputed) h;
    IF rebuild THEN
        ANALYZE crm_dw.customer_features;
    END IF;

    touched := ARRAY(SELECT unnest(recomputed) UNION SELECT account_id FROM etl_order_delta);
    UPDATE crm_dw.customer_features c
    SET churn_risk = CASE WHEN c.orders_total > 0 THEN
                         crm.logreg_predict(model, crm_dw.churn_inputs(c.recency_days, c.frequency, c.orders_180d,
                                                                       c.orders_prior_180d, c.complaints_90d)) END,
        churn_model_id = CASE WHEN c.orders_total > 0 THEN model_id END
    WHERE rebuild OR c.account_id IN (SELECT unnest(touched));
    GET DIAGNOSTICS rows_touched = ROW_COUNT;

    -- RFM scores are quintiles among all clients with orders, so one client's
    -- change can move others' scores; equal values share a score.
    WITH scored AS (
        SELECT account_id,
               CASE WHEN orders_total > 0 THEN ceil(5 * cume_dist() OVER (PARTITION BY orders_total > 0
                                                                          ORDER BY recency_days DESC)) END AS r,
               CASE WHEN orders_total > 0 THEN ceil(5 * cume_dist() OVER (PARTITION BY orders_total > 0
                                                                          ORDER BY frequency)) END AS f,
               CASE WHEN orders_total > 0 THEN ceil(5 * cume_dist() OVER (PARTITION BY orders_total > 0
                                                                          ORDER BY monetary)) END AS m
        FROM crm_dw.customer_features)
    UPDATE crm_dw.customer_features c
    SET r_score = s.r, f_score = s.f, m_score = s.m
    FROM scored s
    WHERE c.account_id = s.account_id AND (c.r_score, c.f_score, c.m_score) IS DISTINCT FROM (s.r, s.f, s.m);

    PERFORM crm_dw.record_state('features', rebuild, today);
    message := format('%s clients as of %s: %s recomputed, %s changed by their orders%s',
                      (SELECT count(*) FROM crm_dw.customer_features), today,
                      CASE WHEN rebuild THEN 'all' ELSE cardinality(recomputed)::text END,
                      CASE WHEN rebuild THEN 0 ELSE cardinality(touched) - cardinality(recomputed) END,
                      CASE WHEN model_id IS NULL THEN '; too little history for a churn model' END);
END $$;

-- Nightly K-means over the clients who ordered in the last 365 days. k is the
-- knee of the WCSS curve over 2..6 (the best silhouette if there is none);
-- segments are numbered by the value of their centroid, so segment 1 is
-- always the most valuable.
CREATE FUNCTION crm_dw.refresh_segments(OUT mode text, OUT rows_touched bigint, OUT message text)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    source constant text := 'SELECT account_id, ARRAY[ln(1 + monetary), ln(1 + frequency), ln(1 + avg_order_value)]::float8[] '
                            'FROM crm_dw.customer_features WHERE frequency > 0';
    n bigint;
    best_k integer;
    fitted crm.kmeans_model;
    order_by_value integer[];
    labels text[];
    model_id bigint;
BEGIN
    mode := 'run';
    SELECT count(*) INTO n FROM crm_dw.customer_features WHERE frequency > 0;
    IF n < 20 THEN
        rows_touched := 0;
        message := format('%s clients ordered in the last 365 days: too few to segment; segments unchanged', n);
        RETURN;
    END IF;
    SELECT e.k INTO best_k FROM crm.kmeans_elbow(source, 2, 6, sample_size => 2000) e
    ORDER BY e.suggested DESC, e.silhouette DESC NULLS LAST, e.k LIMIT 1;
    fitted := crm.kmeans(source, best_k);
    -- Renumber the clusters by the monetary value of their centroid (feature
    -- 1): crm.kmeans_assign then answers with the segment number itself.
    SELECT array_agg(c ORDER BY fitted.centroids[c][1] DESC, c) INTO order_by_value
    FROM generate_series(1, best_k) c;
    fitted.centroids := ARRAY(SELECT ARRAY(SELECT unnest(fitted.centroids[order_by_value[s]:order_by_value[s]][:]))
                              FROM generate_series(1, best_k) s ORDER BY s);
    fitted.sizes := ARRAY(SELECT fitted.sizes[order_by_value[s]] FROM generate_series(1, best_k) s ORDER BY s);
    labels := ARRAY(SELECT CASE WHEN s = 1 THEN 'key' WHEN s = best_k THEN 'occasional'
                                WHEN best_k = 3 THEN 'regular' ELSE format('regular %s', s - 1) END
                    FROM generate_series(1, best_k) s ORDER BY s);
    INSERT INTO crm_dw.segment_model (as_of, k, n, features, labels, silhouette, model)
    VALUES (current_date, best_k, fitted.n, ARRAY['ln(1 + monetary)', 'ln(1 + frequency)', 'ln(1 + avg_order_value)'],
            labels, crm.silhouette(source, fitted, 2000), fitted)
    RETURNING id INTO model_id;

    TRUNCATE crm_dw.customer_segment;
    INSERT INTO crm_dw.customer_segment (account_id, model_id, segment, label)
    SELECT s.account_id, model_id, s.segment, CASE WHEN s.segment IS NOT NULL THEN labels[s.segment]
                                                   WHEN s.orders_total > 0 THEN 'lapsed' ELSE 'prospect' END
    FROM (SELECT f.account_id, f.orders_total,
                 CASE WHEN f.frequency > 0 THEN
                     crm.kmeans_assign(ARRAY[ln(1 + f.monetary), ln(1 + f.frequency), ln(1 + f.avg_order_value)]::float8[],
                                       fitted) END AS segment
          FROM crm_dw.customer_features f) s;
    GET DIAGNOSTICS rows_touched = ROW_COUNT;
    message := format('k = %s over %s clients (model %s)', best_k, n, model_id);
END $$;

-- Weekly: six months of booked quantity per product, from each product's
-- first month with sales to the last complete month (a month without sales
-- is zero demand).
CREATE FUNCTION crm_dw.refresh_forecast(OUT mode text, OUT rows_touched bigint, OUT message text)
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

-- Active clients and what their profile lacks.
CREATE VIEW crm_dw.account_profile_gaps AS
SELECT a.id AS account_id,
       array_remove(ARRAY[CASE WHEN a.industry IS NULL THEN 'industry' END, CASE WHEN a.region IS NULL THEN 'region' END,
                          CASE WHEN a.email IS NULL THEN 'email' END, CASE WHEN a.phone IS NULL THEN 'phone' END,
                          CASE WHEN NOT EXISTS (SELECT FROM crm.contact c WHERE c.account_id = a.id) THEN 'contact' END],
                    NULL) AS missing
FROM crm.account a
WHERE a.status = 'active';

CREATE FUNCTION crm_dw.refresh_kpi(OUT mode text, OUT rows_touched bigint, OUT message text)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    mode := 'run';
    -- Defaults for the KPIs without a standard (an edited standard is kept).
    INSERT INTO crm_dw.kpi_standard VALUES
        ('response_time_hours',
         'Average hours from a client''s incoming request (last 90 days) to the next outgoing interaction', 'hours', 24, 'lower'),
        ('complete_profiles_pct', 'Share of active clients with industry, region, e-mail, phone and a contact', '%', 90, 'higher'),
        ('lead_conversion_pct', 'Share of the leads created in the last 365 days that were converted to deals', '%', 20, 'higher'),
        ('repeat_order_probability', 'Repeat orders ÷ all booked orders of the last 365 days', 'ratio', 0.85, 'higher')
    ON CONFLICT (kpi) DO NOTHING;

    WITH response AS (
        SELECT round(avg(extract(epoch FROM r.reply_at - i.occurred_at) / 3600), 2) AS value, count(*) AS basis
        FROM crm.interaction i
        CROSS JOIN LATERAL (SELECT min(o.occurred_at) AS reply_at FROM crm.interaction o
                            WHERE o.account_id = i.account_id AND o.direction = 'out' AND o.occurred_at >= i.occurred_at) r
        WHERE i.direction = 'in' AND i.occurred_at >= now() - interval '90 days' AND r.reply_at IS NOT NULL),
    profiles AS (
        SELECT round(100.0 * count(*) FILTER (WHERE missing = '{}') / nullif(count(*), 0), 2) AS value, count(*) AS basis
        FROM crm_dw.account_profile_gaps),
    leads AS (
        SELECT round(100.0 * count(*) FILTER (WHERE status = 'converted') / nullif(count(*), 0), 2) AS value,
               count(*) AS basis
        FROM crm.lead WHERE created_at >= now() - interval '365 days'),
    orders AS (
        SELECT o.order_date, row_number() OVER (PARTITION BY o.account_id ORDER BY o.order_date, o.order_id) > 1 AS repeat
        FROM (SELECT DISTINCT order_id, account_id, order_date FROM crm_dw.fact_sales WHERE booked) o),
    repeats AS (
        SELECT round(count(*) FILTER (WHERE repeat)::numeric / nullif(count(*), 0), 4) AS value, count(*) AS basis
        FROM orders WHERE order_date > current_date - 365 AND order_date <= current_date),
    taken AS (
        INSERT INTO crm_dw.kpi_snapshot (taken_at, kpi, value, basis)
        SELECT now(), 'response_time_hours', value, basis FROM response
        UNION ALL SELECT now(), 'complete_profiles_pct', value, basis FROM profiles
        UNION ALL SELECT now(), 'lead_conversion_pct', value, basis FROM leads
        UNION ALL SELECT now(), 'repeat_order_probability', value, basis FROM repeats
        ON CONFLICT (kpi, taken_at) DO UPDATE SET value = EXCLUDED.value, basis = EXCLUDED.basis
        RETURNING 1)
    SELECT count(*) INTO rows_touched FROM taken;
    message := 'KPIs measured; compare them in crm_dw.v_kpi_vs_standard';
END $$;

CREATE FUNCTION crm_dw.normalize_email(email text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN regexp_replace(lower(btrim(email)), '\+[^@]*@', '@');
COMMENT ON FUNCTION crm_dw.normalize_email(text) IS 'Lower case, without a +tag in the local part: A.Buyer+tender@X.ua is a.buyer@x.ua';

CREATE FUNCTION crm_dw.normalize_phone(phone text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN CASE WHEN regexp_replace(phone, '\D', '', 'g') ~ '^0[0-9]{9}$' THEN '38' ELSE '' END
           || regexp_replace(phone, '\D', '', 'g');
COMMENT ON FUNCTION crm_dw.normalize_phone(text) IS
    'Digits only; a ten-digit national number starting with 0 gets the Ukrainian country code 38';

-- Every current finding, one row per (kind, table, record).
CREATE VIEW crm_dw.dq_findings AS
WITH addresses AS (
    SELECT a.id AS account_id, 'email' AS what, crm_dw.normalize_email(a.email) AS norm, a.email::text AS value
    FROM crm.account a WHERE a.email IS NOT NULL
    UNION ALL SELECT c.account_id, 'email', crm_dw.normalize_email(c.email), c.email FROM crm.contact c WHERE c.email IS NOT NULL
    UNION ALL SELECT a.id, 'phone', crm_dw.normalize_phone(a.phone), a.phone FROM crm.account a WHERE a.phone IS NOT NULL
    UNION ALL SELECT c.account_id, 'phone', crm_dw.normalize_phone(c.phone), c.phone FROM crm.contact c WHERE c.phone IS NOT NULL),
shared AS (
    SELECT what, norm, min(account_id) AS first_account
    FROM addresses GROUP BY what, norm HAVING count(DISTINCT account_id) > 1)
(SELECT DISTINCT ON (1, 3) 'duplicate_' || s.what AS kind, 'crm.account' AS table_name, x.account_id AS record_id,
        format('%s %s is also account %s''s', s.what, x.value, s.first_account) AS detail
 FROM shared s JOIN addresses x ON x.what = s.what AND x.norm = s.norm AND x.account_id <> s.first_account
 ORDER BY 1, 3, 4)
UNION ALL
SELECT 'incomplete_profile', 'crm.account', g.account_id, 'missing: ' || array_to_string(g.missing, ', ')
FROM crm_dw.account_profile_gaps g WHERE g.missing <> '{}'
UNION ALL
SELECT 'orphaned_record', 'crm.sales_order', o.id, format('order %s is %s but has no lines', o.number, o.status)
FROM crm.sales_order o
WHERE o.status NOT IN ('draft', 'cancelled') AND NOT EXISTS (SELECT FROM crm.order_line l WHERE l.order_id = o.id)
UNION ALL
SELECT 'orphaned_record', 'crm.production_order', p.id, format('production order in state %s belongs to no order line', p.status)
FROM crm.production_order p WHERE p.order_line_id IS NULL AND p.status <> 'cancelled'
UNION ALL
SELECT 'orphaned_record', 'crm.complaint', c.id, format('complaint of account %s is about order %s of account %s',
                                                       c.account_id, o.number, o.account_id)
FROM crm.complaint c JOIN crm.sales_order o ON o.id = c.order_id WHERE o.account_id <> c.account_id;
COMMENT ON VIEW crm_dw.dq_findings IS 'The data-quality checks, evaluated now; the data_quality job keeps their results in dq_issue';

CREATE FUNCTION crm_dw.refresh_data_quality(OUT mode text, OUT rows_touched bigint, OUT message text)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    fixed bigint;
    found bigint;
BEGIN
    mode := 'run';
    PERFORM crm_dw.drop_temp_table('etl_dq');
    CREATE TEMP TABLE etl_dq ON COMMIT DROP AS SELECT * FROM crm_dw.dq_findings;
    DELETE FROM crm_dw.dq_issue d
    WHERE NOT EXISTS (SELECT FROM etl_dq f WHERE (f.kind, f.table_name, f.record_id) = (d.kind, d.table_name, d.record_id));
    GET DIAGNOSTICS fixed = ROW_COUNT;
    INSERT INTO crm_dw.dq_issue AS d (kind, table_name, record_id, detail, first_seen, last_seen)
    SELECT kind, table_name, record_id, detail, now(), now() FROM etl_dq
    ON CONFLICT (kind, table_name, record_id) DO UPDATE SET detail = EXCLUDED.detail, last_seen = EXCLUDED.last_seen;
    GET DIAGNOSTICS found = ROW_COUNT;
    rows_touched := fixed + found;
    message := format('%s open findings, %s fixed since the last run', found, fixed);
END $$;

-- Runs one job under its advisory lock and logs the run. A failing job is
-- rolled back to its start, logged, and reported, not raised: the caller's
-- transaction keeps the log (crm.run_job raises after committing it).
CREATE FUNCTION crm_dw.run_logged(job text, rebuild boolean, wait boolean) RETURNS crm_dw.etl_run
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    run crm_dw.etl_run;
    result record;
    code text;
BEGIN
    run.job := job;
    run.started := clock_timestamp();
    run.mode := CASE WHEN (SELECT j.incremental FROM crm_dw.jobs() j WHERE j.job = run.job)
                     THEN CASE WHEN rebuild THEN 'full' ELSE 'incremental' END ELSE 'run' END;
    IF wait THEN
        PERFORM pg_advisory_xact_lock(hashtext('pgcrm.etl'), hashtext(job));
    ELSIF NOT pg_try_advisory_xact_lock(hashtext('pgcrm.etl'), hashtext(job)) THEN
        run.status := 'skipped';
        run.message := 'another session is running this job; skipped (wait => true waits for it)';
    END IF;
    IF run.status IS NULL THEN
        BEGIN
            CASE job
                WHEN 'reservations' THEN SELECT 'run' AS mode, crm.expire_reservations()::bigint AS rows_touched,
                                               'expired reservations past their time' AS message INTO result;
                WHEN 'facts' THEN result := crm_dw.refresh_facts(rebuild);
                WHEN 'features' THEN result := crm_dw.refresh_features(rebuild);
                WHEN 'segments' THEN result := crm_dw.refresh_segments();
                WHEN 'forecast' THEN result := crm_dw.refresh_forecast();
                WHEN 'kpi' THEN result := crm_dw.refresh_kpi();
                WHEN 'data_quality' THEN result := crm_dw.refresh_data_quality();
            END CASE;
            run.status := 'succeeded';
            run.mode := result.mode;
            run.rows_touched := result.rows_touched;
            run.message := result.message;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS run.error = MESSAGE_TEXT, code = RETURNED_SQLSTATE;
            run.status := 'failed';
            run.error := format('%s: %s', code, run.error);
        END;
    END IF;
    run.finished := clock_timestamp();
    INSERT INTO crm_dw.etl_run (job, mode, status, started, finished, rows_touched, message, error)
    VALUES (run.job, run.mode, run.status, run.started, run.finished, coalesce(run.rows_touched, 0), run.message, run.error)
    RETURNING * INTO run;
    IF run.status = 'skipped' THEN
        RAISE NOTICE 'pgcrm job "%" skipped: another session is running it', job;
    ELSIF run.status = 'failed' THEN
        RAISE WARNING 'pgcrm job "%" failed: %', job, run.error;
    END IF;
    RETURN run;
END $$;

CREATE FUNCTION crm.etl_refresh(job text DEFAULT 'all', "full" boolean DEFAULT false, wait boolean DEFAULT false)
    RETURNS SETOF crm_dw.etl_run
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    run crm_dw.etl_run;
    name text;
BEGIN
    IF job IS NULL OR "full" IS NULL OR wait IS NULL THEN
        RAISE EXCEPTION 'job, full and wait must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF job <> 'all' AND NOT EXISTS (SELECT FROM crm_dw.jobs() j WHERE j.job = etl_refresh.job) THEN
        RAISE EXCEPTION 'there is no warehouse job "%"', job USING ERRCODE = 'invalid_parameter_value',
            HINT = format('The jobs are all, %s.', (SELECT string_agg(j.job, ', ') FROM crm_dw.jobs() j));
    END IF;
    FOR name IN SELECT j.job FROM crm_dw.jobs() j WHERE etl_refresh.job IN ('all', j.job) LOOP
        run := crm_dw.run_logged(name, "full", wait);
        RETURN NEXT run;
        -- Later jobs read what the failed one should have written.
        EXIT WHEN run.status = 'failed';
    END LOOP;
END $$;
COMMENT ON FUNCTION crm.etl_refresh(text, boolean, boolean) IS
    'Runs a warehouse job (or all, in order), incrementally unless full; returns the crm_dw.etl_run rows it logged';

-- For pg_cron: a job whose run failed fails the command too, after the log
-- of the run is committed, so cron.job_run_details shows it.
CREATE PROCEDURE crm.run_job(job text)
    LANGUAGE plpgsql AS $$
DECLARE
    failed text;
BEGIN
    SELECT string_agg(format('%s: %s', r.job, r.error), '; ') INTO failed
    FROM crm.etl_refresh(job) r WHERE r.status = 'failed';
    COMMIT;
    IF failed IS NOT NULL THEN
        RAISE EXCEPTION 'pgcrm job failed: %', failed USING ERRCODE = 'PC021',
            HINT = 'See crm_dw.etl_run for the run.';
    END IF;
END $$;
COMMENT ON PROCEDURE crm.run_job(text) IS
    'crm.etl_refresh(job) that commits its log and then raises if the job failed: the command pg_cron runs';
