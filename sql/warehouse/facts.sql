-- The facts job: the calendar, the product and account dimensions, order-line
-- facts and their monthly totals, from the orders the change queue names.

-- Sources of the star schema, one row per warehouse row, columns named as
-- in the warehouse table.
CREATE OR REPLACE VIEW crm_dw.dim_product_source AS
SELECT p.id AS product_id, p.sku, p.name, p.kind, p.family, p.unit, p.attributes->>'pipe_type' AS pipe_type,
       (p.attributes->>'diameter_mm')::integer AS diameter_mm,
       (p.attributes->>'working_pressure_bar')::numeric AS working_pressure_bar,
       p.attributes->>'material' AS material, p.list_price, p.currency::text AS currency, p.active
FROM crm.product p;

CREATE OR REPLACE VIEW crm_dw.dim_account_source AS
SELECT a.id AS account_id, a.name, a.kind, a.industry, a.region, a.source, a.is_vip, a.status, a.registered_on,
       a.manager::text AS manager, a.owner::text AS owner
FROM crm.account a;

CREATE OR REPLACE VIEW crm_dw.fact_sales_source AS
SELECT l.id AS order_line_id, o.id AS order_id, o.number AS order_number, l.line_no, o.order_date, o.account_id,
       l.product_id, o.status AS order_status,
       coalesce(o.status NOT IN ('draft', 'cancelled'), false) AS booked, l.quantity, l.unit_price, l.discount_pct,
       l.line_total, o.currency::text AS currency, o.manager::text AS manager,
       round(l.line_total * crm.rate_to_base(o.currency, o.order_date), 2) AS line_total_base
FROM crm.order_line l JOIN crm.sales_order o ON o.id = l.order_id;

-- Monthly totals of booked lines, per product and per account. lines is a
-- query over fact_sales rows with a sign column: +1 adds a line, -1 takes it
-- away, so the same sums serve the full build and the change.
CREATE OR REPLACE FUNCTION crm_dw.sales_by_month(lines text) RETURNS SETOF crm_dw.fact_sales_monthly
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
-- The days are generated only when the bounds moved past it.
CREATE OR REPLACE FUNCTION crm_dw.extend_calendar() RETURNS bigint
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
        FROM bounds b JOIN have h ON h.first_day IS NULL OR b.first_day < h.first_day OR b.last_day > h.last_day,
             generate_series(b.first_day, b.last_day, interval '1 day') g(t), LATERAL (SELECT t::date AS d) x
        WHERE h.first_day IS NULL OR d < h.first_day OR d > h.last_day
        RETURNING 1)
    SELECT count(*) FROM added
$$;

-- The realised demand of every forecast month that is over.
CREATE OR REPLACE FUNCTION crm_dw.record_forecast_actuals() RETURNS bigint
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

-- The incremental facts job: applies the changed orders (and products and
-- accounts) to the dimensions, fact_sales and fact_sales_monthly, and hands
-- the changed orders on to the features job. Its work follows the change:
-- a 1% change is a few percent of the rows but spread over most pages, where
-- the planner's estimate prefers reading whole tables; here every table is
-- read by key. Those estimates, inflated by the ban on sequential scans,
-- would start the JIT compiler on statements of milliseconds. The change's
-- sorts and sums fit in memory.
CREATE OR REPLACE FUNCTION crm_dw.apply_fact_changes(changed_orders bigint[], changed_products bigint[],
                                                     changed_accounts bigint[], OUT rows_touched bigint, OUT message text)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
    SET enable_seqscan = off SET jit = off SET work_mem = '64MB' AS $$
DECLARE
    n bigint;
    emptied tid[];
BEGIN
    -- The changed orders' lines as the warehouse has them and as they are now.
    PERFORM crm_dw.drop_temp_table('etl_old_lines');
    PERFORM crm_dw.drop_temp_table('etl_new_lines');
    CREATE TEMP TABLE etl_old_lines ON COMMIT DROP AS
    SELECT * FROM crm_dw.fact_sales WHERE order_id = ANY (changed_orders);
    CREATE TEMP TABLE etl_new_lines ON COMMIT DROP AS
    SELECT * FROM crm_dw.fact_sales_source WHERE order_id = ANY (changed_orders);
    PERFORM 'PRAGMA:TABLE: etl_old_lines (LIKE crm_dw.fact_sales)';
    PERFORM 'PRAGMA:TABLE: etl_new_lines (LIKE crm_dw.fact_sales)';

    -- Dimension rows before the facts that name them (foreign keys): the
    -- changed ones, and any a new line names that was added after the
    -- changes were taken.
    INSERT INTO crm_dw.dim_product
    SELECT * FROM crm_dw.dim_product_source s
    WHERE s.product_id = ANY (changed_products || ARRAY(
              SELECT DISTINCT l.product_id FROM etl_new_lines l
              WHERE NOT EXISTS (SELECT FROM crm_dw.dim_product p WHERE p.product_id = l.product_id)))
    ON CONFLICT (product_id) DO UPDATE
        SET (sku, name, kind, family, unit, pipe_type, diameter_mm, working_pressure_bar, material, list_price, currency,
             active)
          = (EXCLUDED.sku, EXCLUDED.name, EXCLUDED.kind, EXCLUDED.family, EXCLUDED.unit, EXCLUDED.pipe_type,
             EXCLUDED.diameter_mm, EXCLUDED.working_pressure_bar, EXCLUDED.material, EXCLUDED.list_price,
             EXCLUDED.currency, EXCLUDED.active);
    INSERT INTO crm_dw.dim_account
    SELECT * FROM crm_dw.dim_account_source s
    WHERE s.account_id = ANY (changed_accounts || ARRAY(
              SELECT DISTINCT l.account_id FROM etl_new_lines l
              WHERE NOT EXISTS (SELECT FROM crm_dw.dim_account a WHERE a.account_id = l.account_id)))
    ON CONFLICT (account_id) DO UPDATE
        SET (name, kind, industry, region, source, is_vip, status, registered_on, manager, owner)
          = (EXCLUDED.name, EXCLUDED.kind, EXCLUDED.industry, EXCLUDED.region, EXCLUDED.source, EXCLUDED.is_vip,
             EXCLUDED.status, EXCLUDED.registered_on, EXCLUDED.manager, EXCLUDED.owner);
    -- Only lines that differ are written, in key order, which is about the
    -- table's order: each page and index page is visited once.
    DELETE FROM crm_dw.fact_sales
    WHERE order_line_id IN (SELECT o.order_line_id FROM etl_old_lines o EXCEPT SELECT l.order_line_id FROM etl_new_lines l);
    GET DIAGNOSTICS rows_touched = ROW_COUNT;
    INSERT INTO crm_dw.fact_sales AS f
    SELECT * FROM (SELECT * FROM etl_new_lines EXCEPT SELECT * FROM etl_old_lines) c ORDER BY c.order_line_id
    ON CONFLICT (order_line_id) DO UPDATE
        SET (order_id, order_number, line_no, order_date, account_id, product_id, order_status, booked, quantity,
             unit_price, discount_pct, line_total, currency, manager, line_total_base)
          = (EXCLUDED.order_id, EXCLUDED.order_number, EXCLUDED.line_no, EXCLUDED.order_date, EXCLUDED.account_id,
             EXCLUDED.product_id, EXCLUDED.order_status, EXCLUDED.booked, EXCLUDED.quantity, EXCLUDED.unit_price,
             EXCLUDED.discount_pct, EXCLUDED.line_total, EXCLUDED.currency, EXCLUDED.manager, EXCLUDED.line_total_base);
    GET DIAGNOSTICS n = ROW_COUNT;
    rows_touched := rows_touched + n;

    -- Whole orders go into the monthly difference: an order counts once per
    -- product and month. Only the (product or account, month) rows the change
    -- touches are written; those it empties are deleted (by the row version
    -- the upsert left).
    PERFORM crm_dw.drop_temp_table('etl_month_delta');
    CREATE TEMP TABLE etl_month_delta ON COMMIT DROP AS
    SELECT * FROM crm_dw.sales_by_month('(SELECT -1 AS sign, * FROM pg_temp.etl_old_lines
                                           UNION ALL SELECT 1, * FROM pg_temp.etl_new_lines)')
    WHERE (orders, lines, quantity, revenue) <> (0, 0, 0, 0);
    PERFORM 'PRAGMA:TABLE: etl_month_delta (LIKE crm_dw.fact_sales_monthly)';
    WITH applied AS (
        INSERT INTO crm_dw.fact_sales_monthly AS m
        SELECT * FROM etl_month_delta d ORDER BY d.product_id, d.account_id, d.month, d.currency
        ON CONFLICT (product_id, account_id, month, currency) DO UPDATE
            SET orders = m.orders + EXCLUDED.orders, lines = m.lines + EXCLUDED.lines,
                quantity = m.quantity + EXCLUDED.quantity, revenue = m.revenue + EXCLUDED.revenue
        RETURNING m.ctid, m.lines)
    SELECT array_agg(a.ctid) FILTER (WHERE a.lines = 0) INTO emptied FROM applied a;
    DELETE FROM crm_dw.fact_sales_monthly m WHERE m.ctid = ANY (emptied);
    -- Products and clients that are gone, now that no fact names them.
    DELETE FROM crm_dw.dim_product d
    WHERE d.product_id = ANY (changed_products)
      AND NOT EXISTS (SELECT FROM crm_dw.dim_product_source s WHERE s.product_id = d.product_id);
    DELETE FROM crm_dw.dim_account d
    WHERE d.account_id = ANY (changed_accounts)
      AND NOT EXISTS (SELECT FROM crm_dw.dim_account_source s WHERE s.account_id = d.account_id);

    -- For the features job: each changed booked order as it was (-1) and is (+1), and the changed clients.
    INSERT INTO crm_dw.order_delta (sign, order_id, account_id, order_date, total)
    SELECT sign, order_id, account_id, order_date, sum(line_total)
    FROM (SELECT -1 AS sign, * FROM etl_old_lines UNION ALL SELECT 1, * FROM etl_new_lines) l
    WHERE booked
    GROUP BY sign, order_id, account_id, order_date;
    INSERT INTO crm_dw.change_queue (job, entity, key) SELECT 'features', 'account', unnest(changed_accounts);
    rows_touched := rows_touched + cardinality(changed_products) + cardinality(changed_accounts);
    message := format('%s changed orders, %s products, %s accounts',
                      cardinality(changed_orders), cardinality(changed_products), cardinality(changed_accounts));
END $$;

CREATE OR REPLACE FUNCTION crm_dw.refresh_facts(rebuild boolean, OUT mode text, OUT rows_touched bigint, OUT message text)
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
        -- OFFSET 0: where crm.distribute() spread fact_sales over Citus workers,
        -- which run no GROUPING SETS, its rows come to the coordinator first.
        INSERT INTO crm_dw.fact_sales_monthly
        SELECT * FROM crm_dw.sales_by_month('(SELECT 1 AS sign, f.* FROM crm_dw.fact_sales f OFFSET 0)');
        -- Later statements and jobs plan with the new sizes, not the truncated ones.
        ANALYZE crm_dw.dim_product, crm_dw.dim_account, crm_dw.fact_sales_monthly;
        -- The next features run rebuilds too, so pending order changes are void.
        TRUNCATE crm_dw.order_delta;
        INSERT INTO crm_dw.change_queue VALUES ('features', 'all', 0);
        rows_touched := rows_touched + n;
        message := format('rebuilt %s order lines', n);
    ELSE
        mode := 'incremental';
        SELECT a.rows_touched, a.message INTO n, message
        FROM crm_dw.apply_fact_changes(changes.orders, changes.products, changes.accounts) a;
        rows_touched := rows_touched + n;
    END IF;
    rows_touched := rows_touched + crm_dw.record_forecast_actuals();
    PERFORM crm_dw.record_state('facts', rebuild, NULL);
END $$;

-- A new or corrected exchange rate changes the base-currency totals of the
-- orders in its currency from its day on: they are queued for the next run.
-- Rates are written by admins, who may write the queue.
CREATE OR REPLACE FUNCTION crm_dw.capture_rate_change() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO crm_dw.change_queue VALUES ('facts', 'all', 0);
        RETURN NULL;
    END IF;
    EXECUTE format('INSERT INTO crm_dw.change_queue (job, entity, key)
                    SELECT %L, %L, o.id FROM crm.sales_order o
                    JOIN (SELECT currency, min(rate_date) AS since FROM (%s) c GROUP BY currency) r
                      ON r.currency = o.currency AND o.order_date >= r.since', 'facts', 'order',
                   CASE TG_OP WHEN 'INSERT' THEN 'SELECT currency, rate_date FROM new_rates'
                              WHEN 'DELETE' THEN 'SELECT currency, rate_date FROM old_rates'
                              ELSE 'SELECT currency, rate_date FROM new_rates UNION ALL SELECT currency, rate_date FROM old_rates' END);
    RETURN NULL;
END $$;
COMMENT ON FUNCTION crm_dw.capture_rate_change() IS
    'Statement trigger on crm.exchange_rate: queues the orders whose base-currency totals a rate change moves';
CREATE OR REPLACE TRIGGER capture_facts_insert AFTER INSERT ON crm.exchange_rate REFERENCING NEW TABLE AS new_rates
    FOR EACH STATEMENT EXECUTE FUNCTION crm_dw.capture_rate_change();
CREATE OR REPLACE TRIGGER capture_facts_update AFTER UPDATE ON crm.exchange_rate
    REFERENCING OLD TABLE AS old_rates NEW TABLE AS new_rates FOR EACH STATEMENT EXECUTE FUNCTION crm_dw.capture_rate_change();
CREATE OR REPLACE TRIGGER capture_facts_delete AFTER DELETE ON crm.exchange_rate REFERENCING OLD TABLE AS old_rates
    FOR EACH STATEMENT EXECUTE FUNCTION crm_dw.capture_rate_change();
CREATE OR REPLACE TRIGGER capture_facts_truncate AFTER TRUNCATE ON crm.exchange_rate
    FOR EACH STATEMENT EXECUTE FUNCTION crm_dw.capture_rate_change();

SELECT crm_dw.register_job('facts', 20, 'crm_dw.refresh_facts(boolean)', true, '*/5 * * * *',
                           'dimensions, fact_sales and fact_sales_monthly');
