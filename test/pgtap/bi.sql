-- The BI contract (docs/bi.md): which views crm_bi and managers read, their
-- exact column lists, a comment on every column of every BI view and
-- warehouse table, the Ukrainian labels, the star's keys and joins on a small
-- hand-made data set, and the per-manager views as two managers see them.
-- The driver's view of the same contract is test/client/bi_jdbc.sh.
BEGIN;
SELECT plan(59);
\ir ../lib/pgtap.sql

-- The contract -------------------------------------------------------------------------------
-- A change to any list below is a new view version, never an edit (docs/bi.md, "Versioning").
CREATE FUNCTION pg_temp.columns_of(v regclass) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
    FROM pg_attribute a WHERE a.attrelid = v AND a.attnum > 0 AND NOT a.attisdropped
$$;
CREATE TEMP TABLE contract (view_name text PRIMARY KEY, reader text NOT NULL, columns text NOT NULL);
INSERT INTO contract VALUES
    ('v_fact_sales', 'crm_bi', 'order_line_key bigint, order_id bigint, order_number text, line_no integer, '
        'order_date_key integer, order_date date, account_key bigint, product_key bigint, order_status text, currency text, '
        'manager text, quantity numeric, unit_price numeric(14,2), discount_pct numeric(5,2), line_total numeric(16,2)'),
    ('v_fact_sales_monthly', 'crm_bi', 'month_key integer, month date, account_key bigint, product_key bigint, '
        'currency text, orders bigint, lines bigint, quantity numeric, revenue numeric'),
    ('v_dim_date', 'crm_bi', 'date_key integer, calendar_date date, year integer, quarter integer, month integer, '
        'year_month text, month_name text, month_start date, month_key integer, iso_year integer, iso_week integer, '
        'day_of_week integer, is_weekend boolean'),
    ('v_dim_product', 'crm_bi', 'product_key bigint, product_id bigint, sku text, product_name text, kind text, '
        'family text, unit text, pipe_type text, diameter_mm integer, working_pressure_bar numeric, material text, '
        'list_price numeric(14,2), currency text, active boolean'),
    ('v_dim_account', 'crm_bi', 'account_key bigint, account_id bigint, account_name text, kind text, industry text, '
        'region text, source text, is_vip boolean, status text, registered_on date, manager text, owner text, '
        'segment integer, segment_label text, churn_risk double precision'),
    ('v_sales_monthly', 'crm_bi', 'month date, industry text, region text, product_family text, sku text, '
        'product_name text, currency text, orders bigint, quantity numeric, revenue numeric, revenue_base numeric, '
        'invoiced numeric, paid numeric, invoiced_base numeric, paid_base numeric'),
    ('v_pipeline_by_stage', 'crm_bi', 'stage_order integer, stage text, stage_label text, is_final boolean, '
        'currency text, deals bigint, amount numeric, weighted_amount numeric'),
    ('v_forecast_vs_actual', 'crm_bi', 'product_id bigint, sku text, product_name text, product_family text, '
        'period date, generated_at timestamp with time zone, step integer, model text, point double precision, '
        'lower_80 double precision, upper_80 double precision, lower_95 double precision, upper_95 double precision, '
        'actual numeric, error numeric, abs_pct_error numeric, within_80 boolean, within_95 boolean, latest boolean'),
    ('v_segments', 'crm_bi', 'account_id bigint, account_name text, industry text, region text, manager text, '
        'segment integer, label text, recency_days integer, frequency integer, monetary numeric, '
        'avg_order_value numeric(16,2), r_score smallint, f_score smallint, m_score smallint, model_id bigint, '
        'fitted_at timestamp with time zone'),
    ('v_churn_risk', 'crm_bi', 'account_id bigint, account_name text, manager text, industry text, region text, '
        'churn_risk double precision, last_order date, recency_days integer, orders_180d integer, '
        'orders_prior_180d integer, complaints_90d integer, monetary numeric, action text, avg_days_late numeric(8,2), '
        'paid_on_time_share numeric(5,4)'),
    ('v_kpi_vs_standard', 'crm_bi', 'kpi text, description text, unit text, value numeric, standard numeric, '
        'better text, meets_standard boolean, difference numeric, basis bigint, taken_at timestamp with time zone'),
    ('v_data_quality', 'crm_bi', 'kind text, table_name text, issues bigint, oldest timestamp with time zone'),
    ('v_segment_centroids', 'crm_bi', 'model_id bigint, segment integer, label text, clients bigint, '
        'feature_no integer, feature text, centroid double precision, separation double precision, feature_rank bigint'),
    ('v_segment_points', 'crm_bi', 'account_id bigint, segment integer, label text, feature_no integer, '
        'feature text, value double precision'),
    ('v_segment_elbow', 'crm_bi', 'model_id bigint, k integer, inertia double precision, '
        'silhouette double precision, suggested boolean, chosen boolean'),
    ('bi_relationship', 'crm_bi', 'from_view text, from_column text, to_view text, to_column text'),
    ('v_column_label', 'both', 'view_name text, column_name text, lang text, label text, custom boolean'),
    ('v_my_pipeline_by_stage', 'crm_manager', 'stage_order integer, stage text, stage_label text, is_final boolean, '
        'currency text, deals bigint, amount numeric, weighted_amount numeric'),
    ('v_my_open_orders', 'crm_manager', 'order_id bigint, order_number text, order_date date, account_id bigint, '
        'account_name text, manager text, status text, status_label text, delivery_date date, overdue boolean, '
        'currency text, lines bigint, amount numeric'),
    ('v_my_tasks_due', 'crm_manager', 'task_id bigint, title text, status text, status_label text, due_date date, '
        'days_left integer, overdue boolean, project_id bigint, project_name text, deal_id bigint, account_id bigint, '
        'account_name text, owner text, pending_assignees text, mine boolean');

SELECT set_eq($$SELECT c.relname::text FROM pg_class c WHERE c.relnamespace = 'crm_dw'::regnamespace
                AND has_table_privilege('crm_bi', c.oid, 'SELECT')$$,
              $$SELECT view_name FROM contract WHERE reader IN ('crm_bi', 'both')$$,
              'crm_bi reads exactly the BI views of the contract');
SELECT set_eq($$SELECT c.relname::text FROM pg_class c WHERE c.relnamespace = 'crm_dw'::regnamespace
                AND has_table_privilege('crm_manager', c.oid, 'SELECT')$$,
              $$SELECT view_name FROM contract WHERE reader IN ('crm_manager', 'both')$$,
              'a manager reads exactly the per-manager views of crm_dw (and the labels)');
SELECT is_empty($$SELECT view_name, pg_temp.columns_of(('crm_dw.' || view_name)::regclass), columns FROM contract
                  WHERE pg_temp.columns_of(('crm_dw.' || view_name)::regclass) IS DISTINCT FROM columns$$,
                'every BI view has exactly the columns, order and types of its contract');
SELECT is_empty($$SELECT c.oid::regclass FROM pg_class c JOIN contract t ON c.oid = ('crm_dw.' || t.view_name)::regclass
                  WHERE c.relkind <> 'v' OR (t.reader = 'crm_manager') <> coalesce('security_invoker=true' = ANY (c.reloptions), false)$$,
                'they are views, and exactly the per-manager ones run with the reader''s rights (security_invoker)');

-- Comments and labels --------------------------------------------------------------------------
SELECT is_empty($$SELECT c.oid::regclass, a.attname FROM pg_class c
                  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                  WHERE c.relnamespace = 'crm_dw'::regnamespace AND c.relkind = 'r'
                    AND coalesce(btrim(col_description(c.oid, a.attnum)), '') = ''$$,
                'every column of every warehouse table has a comment');
SELECT is_empty($$SELECT t.view_name, a.attname FROM contract t
                  JOIN pg_attribute a ON a.attrelid = ('crm_dw.' || t.view_name)::regclass AND a.attnum > 0
                  WHERE coalesce(btrim(col_description(a.attrelid, a.attnum)), '') = ''$$,
                'every column of every BI view has a comment');
SELECT is_empty($$SELECT c.oid::regclass FROM pg_class c
                  WHERE (c.relnamespace = 'crm_dw'::regnamespace AND c.relkind = 'r'
                         OR c.oid IN (SELECT ('crm_dw.' || view_name)::regclass FROM contract))
                    AND coalesce(btrim(obj_description(c.oid, 'pg_class')), '') = ''$$,
                '... and every table and view itself');
SELECT is_empty($$SELECT t.view_name, a.attname FROM contract t
                  JOIN pg_attribute a ON a.attrelid = ('crm_dw.' || t.view_name)::regclass AND a.attnum > 0
                  EXCEPT SELECT view_name, column_name FROM crm_dw.v_column_label WHERE lang = 'uk'$$,
                'every column of every BI view has a Ukrainian label');
SELECT is((SELECT count(*) FROM crm_dw.v_column_label), (SELECT count(DISTINCT (view_name, column_name)) FROM crm_dw.v_column_label),
          '... one each');
SELECT results_eq($$SELECT label FROM crm_dw.v_column_label
                    WHERE lang = 'uk' AND (view_name, column_name) IN (('v_fact_sales', 'line_total'), ('v_dim_date', 'month'),
                                                                       ('v_fact_sales_monthly', 'month'))
                    ORDER BY view_name, column_name$$,
                  ARRAY['Номер місяця', 'Сума рядка', 'Місяць'],
                  'a label belongs to a column name, unless a view gives the name its own');
INSERT INTO crm_dw.column_label VALUES ('v_fact_sales', 'line_total', 'uk', 'Сума'), ('v_fact_sales', 'line_total', 'pl', 'Wartość');
SELECT results_eq($$SELECT lang, label, custom FROM crm_dw.v_column_label
                    WHERE view_name = 'v_fact_sales' AND column_name = 'line_total' ORDER BY lang$$,
                  $$VALUES ('pl', 'Wartość', true), ('uk', 'Сума', true)$$,
                  'a site''s own label replaces the shipped one, and adds a language');
SELECT throws_ok($$INSERT INTO crm_dw.column_label VALUES ('v_fact_sales', 'quantity', 'Ukrainian', 'x')$$, '23514', NULL,
                 'a language is a code');
DELETE FROM crm_dw.column_label;

-- A small star, by hand ---------------------------------------------------------------------------
-- 24 clients: Anna manages twelve utilities that order three times 100·i metres
-- (i = 1..12), Boris twelve chemical plants that order once i metres
-- (i = 13..24), all at 500 UAH a metre in the last year; plus a draft and a
-- cancelled order, which are no sales.
CREATE ROLE bi_anna LOGIN IN ROLE crm_manager;
CREATE ROLE bi_boris LOGIN IN ROLE crm_manager;
INSERT INTO crm.product (id, sku, name, kind, family, list_price, attributes) VALUES
    (920001, 'BI-P1', 'BI pipe', 'goods', 'pressure pipe', 500,
     '{"pipe_type": "pressure", "diameter_mm": 300, "working_pressure_bar": 10, "material": "GRP"}'),
    (920002, 'BI-S1', 'BI service', 'service', 'services', 100, '{}');
INSERT INTO crm.account (id, name, industry, region, owner, manager)
SELECT 920000 + i, 'BI client ' || i, CASE WHEN i <= 12 THEN 'utilities' ELSE 'chemical' END, 'Lviv', 'postgres',
       CASE WHEN i <= 12 THEN 'bi_anna' ELSE 'bi_boris' END
FROM generate_series(1, 24) i;
INSERT INTO crm.sales_order (id, account_id, order_date)
SELECT 920000 + 10 * i + n, 920000 + i, current_date - 20 - 90 * n - i
FROM generate_series(1, 24) i, generate_series(0, 2) n WHERE i <= 12 OR n = 0;
INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price)
SELECT o.id, 1, 920001, CASE WHEN o.account_id <= 920012 THEN 100 * (o.account_id - 920000) ELSE o.account_id - 920000 END, 500
FROM crm.sales_order o WHERE o.id BETWEEN 920010 AND 920250;
UPDATE crm.sales_order SET status = 'confirmed' WHERE id BETWEEN 920010 AND 920250;
INSERT INTO crm.sales_order (id, account_id, order_date) VALUES (920901, 920001, current_date - 2), (920902, 920013, current_date - 2);
INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price)
VALUES (920901, 1, 920001, 7, 500), (920902, 1, 920002, 9, 100);
UPDATE crm.sales_order SET status = 'cancelled' WHERE id = 920902;
SELECT results_eq($$SELECT status FROM crm.etl_refresh('facts') UNION ALL SELECT status FROM crm.etl_refresh('features')
                    UNION ALL SELECT status FROM crm.etl_refresh('segments')$$,
                  ARRAY['succeeded', 'succeeded', 'succeeded'], 'the facts, features and segments jobs run on it');

SELECT results_eq($$SELECT count(*), sum(line_total), sum(quantity) FROM crm_dw.v_fact_sales WHERE product_key >= 920001$$,
                  $$VALUES (48::bigint, 11811000.00::numeric, 23622::numeric)$$,
                  'v_fact_sales holds the 48 booked lines: 3·100·500·78 + 500·222 = 11,811,000.00 UAH, 3·100·78 + 222 metres');
SELECT results_eq($$SELECT sum(orders), sum(lines), sum(revenue) FROM crm_dw.v_fact_sales_monthly WHERE product_key >= 920001$$,
                  $$VALUES (48::numeric, 48::numeric, 11811000.00::numeric)$$,
                  'v_fact_sales_monthly adds up to the same');
SELECT is_empty($$SELECT order_line_key FROM crm_dw.v_fact_sales
                  WHERE order_date_key <> to_char(order_date, 'YYYYMMDD')::integer$$,
                'a fact''s date key is its date as yyyymmdd');
SELECT results_eq($$SELECT date_key, month_key, year_month, quarter, iso_week, day_of_week FROM crm_dw.v_dim_date
                    WHERE calendar_date = '2024-12-30'$$,
                  $$VALUES (20241230, 20241201, '2024-12', 4, 1, 1)$$,
                  'v_dim_date: 30 December 2024 is a Monday in ISO week 1 of 2025');
SELECT results_eq($$SELECT product_key, product_id, sku, pipe_type, diameter_mm, working_pressure_bar, material
                    FROM crm_dw.v_dim_product WHERE sku = 'BI-P1'$$,
                  $$VALUES (920001::bigint, 920001::bigint, 'BI-P1', 'pressure', 300, 10::numeric, 'GRP')$$,
                  'v_dim_product has the pipe attributes as columns, and both keys');
SELECT is_empty($$SELECT a.account_key FROM crm_dw.v_dim_account a
                  LEFT JOIN crm_dw.customer_features f ON f.account_id = a.account_id
                  LEFT JOIN crm_dw.customer_segment s ON s.account_id = a.account_id
                  WHERE a.account_key BETWEEN 920001 AND 920024
                    AND (f.account_id IS NULL OR s.account_id IS NULL OR a.account_key <> a.account_id
                         OR (a.churn_risk, a.segment, a.segment_label) IS DISTINCT FROM (f.churn_risk, s.segment, s.label))$$,
                'v_dim_account carries every client''s segment and churn risk');
SELECT results_eq($$SELECT industry, count(*) FROM crm_dw.v_dim_account WHERE account_key BETWEEN 920001 AND 920024
                    GROUP BY 1 ORDER BY 1$$,
                  $$VALUES ('chemical', 12::bigint), ('utilities', 12::bigint)$$, '... and its industry');

-- Every join of bi_relationship holds: each key a fact carries is in its
-- dimension, once.
CREATE FUNCTION pg_temp.broken_joins() RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    r crm_dw.bi_relationship;
    n bigint;
BEGIN
    FOR r IN SELECT * FROM crm_dw.bi_relationship LOOP
        EXECUTE format('SELECT count(*) FROM crm_dw.%I f WHERE f.%I IS NOT NULL
                          AND NOT EXISTS (SELECT FROM crm_dw.%I d WHERE d.%I = f.%I)',
                       r.from_view, r.from_column, r.to_view, r.to_column, r.from_column) INTO n;
        IF n > 0 THEN RETURN NEXT format('%s.%s: %s keys not in %s', r.from_view, r.from_column, n, r.to_view); END IF;
        EXECUTE format('SELECT count(*) - count(DISTINCT %I) FROM crm_dw.%I', r.to_column, r.to_view) INTO n;
        IF n > 0 THEN RETURN NEXT format('%s.%s is not unique', r.to_view, r.to_column); END IF;
    END LOOP;
END $$;
SELECT is_empty('SELECT * FROM pg_temp.broken_joins()', 'every join bi_relationship lists finds exactly one dimension row');
SELECT is((SELECT count(*) FROM crm_dw.bi_relationship r JOIN contract f ON f.view_name = r.from_view
           JOIN contract d ON d.view_name = r.to_view), 10::bigint, '... and names views of the contract');
SELECT is_empty($$SELECT r.from_view, r.from_column FROM crm_dw.bi_relationship r
                  WHERE NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = ('crm_dw.' || r.from_view)::regclass
                                                                AND a.attname = r.from_column)
                     OR NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = ('crm_dw.' || r.to_view)::regclass
                                                                AND a.attname = r.to_column)$$,
                '... and their columns');

-- The segment chart's views: centroids are the means of their segment's
-- points, and separation is 1 − within-segment ÷ total sum of squares
-- (the view computes it as between ÷ total).
SELECT is((SELECT sum(clients) FROM crm_dw.v_segment_centroids WHERE feature_no = 1), 24::numeric,
          'v_segment_centroids: the segments hold the 24 clients');
SELECT is_empty($$SELECT c.segment, c.feature_no FROM crm_dw.v_segment_centroids c
                  JOIN (SELECT segment, feature_no, avg(value) AS mean FROM crm_dw.v_segment_points GROUP BY 1, 2) p
                    USING (segment, feature_no)
                  WHERE abs(c.centroid - p.mean) > 1e-9 * greatest(1, abs(p.mean))$$,
                '... each centroid is the mean of its segment''s points (v_segment_points)');
SELECT is_empty($$WITH p AS (SELECT *, avg(value) OVER (PARTITION BY feature_no, segment) AS seg_mean,
                                       avg(value) OVER (PARTITION BY feature_no) AS mean
                             FROM crm_dw.v_segment_points),
                       eta AS (SELECT feature_no, 1 - sum((value - seg_mean) ^ 2) / sum((value - mean) ^ 2) AS e FROM p GROUP BY 1)
                  SELECT DISTINCT c.feature_no FROM crm_dw.v_segment_centroids c JOIN eta USING (feature_no)
                  WHERE abs(c.separation - eta.e) > 1e-9$$,
                '... separation is eta squared');
SELECT is((SELECT DISTINCT feature_no FROM crm_dw.v_segment_centroids WHERE feature_rank = 1),
          (SELECT feature_no FROM crm_dw.v_segment_centroids ORDER BY separation DESC LIMIT 1),
          '... and the feature of rank 1 separates best');
SELECT results_eq($$SELECT array_agg(k ORDER BY k), count(*) FILTER (WHERE chosen), max(k) FILTER (WHERE chosen) FROM crm_dw.v_segment_elbow$$,
                  $$SELECT ARRAY[2, 3, 4, 5, 6], 1::bigint, k FROM crm_dw.segment_model$$,
                  'v_segment_elbow: the curve over k = 2..6, and the k the run chose');

-- What crm_bi may read ------------------------------------------------------------------------
CREATE FUNCTION pg_temp.unreadable(reader text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    v text;
BEGIN
    FOR v IN SELECT view_name FROM contract WHERE contract.reader IN (unreadable.reader, 'both') LOOP
        BEGIN
            EXECUTE format('SELECT count(*) FROM crm_dw.%I', v);
        EXCEPTION WHEN OTHERS THEN
            RETURN NEXT v || ': ' || SQLERRM;
        END;
    END LOOP;
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.unreadable(text) TO crm_bi, crm_manager;
GRANT SELECT ON contract TO crm_bi, crm_manager;
SET LOCAL ROLE crm_bi;
SELECT is_empty($$SELECT * FROM pg_temp.unreadable('crm_bi')$$, 'crm_bi reads every BI view');
SELECT ok((SELECT count(*) FROM crm_dw.v_fact_sales) >= 48, '... with the rows behind them');
SELECT throws_ok($$SELECT * FROM crm_dw.fact_sales$$, '42501', NULL, 'crm_bi cannot read the warehouse tables');
SELECT throws_ok($$SELECT * FROM crm_dw.v_my_open_orders$$, '42501', NULL, '... nor the per-manager views');
SELECT throws_ok($$SELECT * FROM crm.account$$, '42501', NULL, '... nor the operational tables');
SELECT throws_ok($$SELECT crm.etl_refresh()$$, '42501', NULL, '... nor run refreshes');
SELECT throws_ok($$INSERT INTO crm_dw.column_label VALUES ('v_fact_sales', 'quantity', 'uk', 'x')$$, '42501', NULL,
                 '... nor write labels');
RESET ROLE;

-- Two managers' dashboards ----------------------------------------------------------------------
-- Anna: two new deals (1,000 and 2,000 UAH at 50%), her 36 confirmed orders and
-- a draft, a task due yesterday on one of her deals, a done one, one without a
-- due date. Boris: a qualified deal (5,000 at 20%), his 12 orders (the
-- cancelled one is closed), a project task due in three days.
INSERT INTO crm.deal (id, account_id, title, amount, probability, owner) VALUES
    (920001, 920001, 'A1', 1000, 50, 'postgres'), (920002, 920002, 'A2', 2000, 50, 'postgres'),
    (920003, 920013, 'B1', 5000, 20, 'postgres');
UPDATE crm.deal SET stage = 'qualified' WHERE id = 920003;
INSERT INTO crm.project (id, account_id, name, owner) VALUES (920001, 920014, 'Boris''s project', 'postgres');
INSERT INTO crm.task (id, deal_id, project_id, title, due_date, owner) VALUES
    (920001, 920001, NULL, 'Call A1', current_date - 1, 'bi_anna'),
    (920002, 920002, NULL, 'Done A2', current_date - 5, 'bi_anna'),
    (920003, 920002, NULL, 'Someday A2', NULL, 'bi_anna'),
    (920004, NULL, 920001, 'Survey B', current_date + 3, 'postgres');
UPDATE crm.task SET status = 'in_progress' WHERE id = 920002;
UPDATE crm.task SET status = 'done' WHERE id = 920002;

SET SESSION AUTHORIZATION bi_anna;
SELECT results_eq('SELECT stage, deals, amount, weighted_amount FROM crm_dw.v_my_pipeline_by_stage',
                  $$VALUES ('new', 2::bigint, 3000.00::numeric, 1500.00::numeric)$$,
                  'Anna''s pipeline: her two new deals, 3,000 UAH, 1,500 weighted');
SELECT results_eq('SELECT count(*), sum(amount), count(*) FILTER (WHERE status = ''draft'') FROM crm_dw.v_my_open_orders',
                  $$VALUES (37::bigint, 11703500.00::numeric, 1::bigint)$$,
                  'Anna''s open orders: 36 confirmed and the draft, 11,700,000 + 3,500 UAH');
SELECT results_eq('SELECT task_id, days_left, overdue, mine, account_id FROM crm_dw.v_my_tasks_due',
                  $$VALUES (920001::bigint, -1, true, true, 920001::bigint)$$,
                  'Anna''s tasks due: the overdue call, hers; not the done task nor the one without a date');
SELECT throws_ok('SELECT * FROM crm_dw.v_fact_sales', '42501', NULL, 'a manager does not read the BI views of the whole firm');
RESET SESSION AUTHORIZATION;

SET SESSION AUTHORIZATION bi_boris;
SELECT results_eq('SELECT stage, deals, amount, weighted_amount FROM crm_dw.v_my_pipeline_by_stage',
                  $$VALUES ('qualified', 1::bigint, 5000.00::numeric, 1000.00::numeric)$$,
                  'Boris''s pipeline: his qualified deal, 5,000 UAH, 1,000 weighted');
SELECT results_eq('SELECT count(*), sum(amount), min(account_id) FROM crm_dw.v_my_open_orders',
                  $$VALUES (12::bigint, 111000.00::numeric, 920013::bigint)$$,
                  'Boris''s open orders: his 12, 500 · 222 UAH; not the cancelled one');
SELECT results_eq('SELECT task_id, days_left, overdue, mine, project_name FROM crm_dw.v_my_tasks_due',
                  $$VALUES (920004::bigint, 3, false, false, 'Boris''s project')$$,
                  'Boris''s tasks due: his project''s survey in three days, owned by someone else');
RESET SESSION AUTHORIZATION;
SELECT is((SELECT sum(deals) FROM crm_dw.v_pipeline_by_stage), 3::numeric,
          'the firm-wide pipeline (its owner''s rights) holds both managers'' deals');

-- Foreign keys on the warehouse -------------------------------------------------------------------
SELECT set_eq($$SELECT k.table_name || '.' || k.column_name || ' -> ' || u.table_name || '.' || u.column_name
                FROM information_schema.referential_constraints r
                JOIN information_schema.key_column_usage k USING (constraint_schema, constraint_name)
                JOIN information_schema.constraint_column_usage u USING (constraint_schema, constraint_name)
                WHERE r.constraint_schema = 'crm_dw' AND u.table_schema = 'crm_dw'$$,
              ARRAY['fact_sales.order_date -> dim_date.date_key', 'fact_sales.account_id -> dim_account.account_id',
                    'fact_sales.product_id -> dim_product.product_id', 'fact_sales_monthly.month -> dim_date.date_key',
                    'fact_sales_monthly.account_id -> dim_account.account_id',
                    'fact_sales_monthly.product_id -> dim_product.product_id',
                    'customer_features.churn_model_id -> churn_model.id', 'customer_segment.model_id -> segment_model.id',
                    'job_setting.job -> job.name'],
              'information_schema shows the warehouse''s joins as foreign keys');
-- The incremental refresh keeps them: a client and a product leave after
-- their facts; a product a new line names is added first, even when its own
-- change came after the job took the queue.
INSERT INTO crm.product (id, sku, name, kind, list_price, attributes) VALUES (920004, 'BI-P4', 'Dropped pipe', 'goods', 1, '{}');
INSERT INTO crm.account (id, name) VALUES (920099, 'BI client gone');
SELECT results_eq($$SELECT mode, status FROM crm.etl_refresh('facts')$$, $$VALUES ('incremental', 'succeeded')$$,
                  'a new product and client reach the dimensions');
DELETE FROM crm.product WHERE id = 920004;
DELETE FROM crm.account WHERE id = 920099;
INSERT INTO crm.product (id, sku, name, kind, list_price, attributes) VALUES (920003, 'BI-P3', 'Late pipe', 'goods', 1, '{}');
INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price) VALUES (920010, 2, 920003, 1, 1);
DELETE FROM crm_dw.change_queue WHERE entity = 'product' AND key = 920003;
SELECT results_eq($$SELECT mode, status FROM crm.etl_refresh('facts')$$, $$VALUES ('incremental', 'succeeded')$$,
                  'the incremental refresh runs under the foreign keys');
SELECT results_eq($$SELECT (SELECT count(*) FROM crm_dw.dim_product WHERE product_id IN (920003, 920004)),
                           (SELECT count(*) FROM crm_dw.dim_account WHERE account_id = 920099),
                           (SELECT count(*) FROM crm_dw.fact_sales WHERE product_id = 920003)$$,
                  $$VALUES (1::bigint, 0::bigint, 1::bigint)$$,
                  '... the late product and its line are in, the dropped product and client out');
SELECT results_eq($$SELECT mode, status FROM crm.etl_refresh('facts', "full" => true)$$, $$VALUES ('full', 'succeeded')$$,
                  'the full rebuild truncates the star in one statement, facts with their dimensions');

-- BI logins ----------------------------------------------------------------------------------------
-- What a login's sessions start with is pg_roles.rolconfig; test/client/bi_jdbc.sh logs in and sees it work.
CREATE ROLE bi_ada IN ROLE crm_admin;
SET SESSION AUTHORIZATION bi_ada;
SELECT results_eq($$SELECT login::text COLLATE "default", statement_timeout, idle_in_transaction_session_timeout, connection_limit,
                           changed_by::text COLLATE "default"
                    FROM crm.create_bi_login('bi_metabase', 'Secret-1')$$,
                  $$VALUES ('bi_metabase', interval '60 s', interval '5 min', 10, 'bi_ada')$$,
                  'an admin makes a BI login; by default 60 s per statement, 5 minutes idle in a transaction, 10 connections');
RESET SESSION AUTHORIZATION;
SELECT results_eq($$SELECT r.rolcanlogin, r.rolconnlimit, array_to_string(r.rolconfig, ' ') COLLATE "default", pg_has_role(r.oid, 'crm_bi', 'USAGE'),
                           a.rolpassword LIKE 'SCRAM-SHA-256$%'
                    FROM pg_roles r JOIN pg_authid a USING (oid) WHERE r.rolname = 'bi_metabase'$$,
                  $$VALUES (true, 10, 'statement_timeout=60000ms idle_in_transaction_session_timeout=300000ms '
                                      'default_transaction_read_only=on search_path=crm_dw', true, true)$$,
                  '... a login in crm_bi, its sessions read-only on crm_dw under those limits, its password hashed');
SELECT results_eq($$SELECT statement_timeout, connection_limit FROM crm.create_bi_login('bi_metabase', NULL, '90 s', '1 min', 3)$$,
                  $$VALUES (interval '90 s', 3)$$, 'called again, it changes the login''s settings');
SELECT results_eq($$SELECT rolconnlimit, array_to_string(rolconfig[1:2], ' ') COLLATE "default" FROM pg_roles WHERE rolname = 'bi_metabase'$$,
                  $$VALUES (3, 'statement_timeout=90000ms idle_in_transaction_session_timeout=60000ms')$$,
                  '... on the role');
SELECT ok(EXISTS (SELECT FROM crm.audit_log WHERE table_name = 'crm.bi_login' AND row_key = '{"login": "bi_metabase"}' AND operation = 'UPDATE'),
          '... and the audit log has it');
SELECT results_eq($$SELECT (pg_temp.error_of(q))[1] FROM unnest(ARRAY[
                        'SELECT crm.create_bi_login(NULL)', 'SELECT crm.create_bi_login('''')', 'SELECT crm.create_bi_login(''crm_x'')',
                        'SELECT crm.create_bi_login(''bi_ada'')', 'SELECT crm.create_bi_login(''bi_y'', '''')',
                        'SELECT crm.create_bi_login(''bi_y'', statement_timeout => ''0'')',
                        'SELECT crm.create_bi_login(''bi_y'', idle_in_transaction_session_timeout => ''30 days'')',
                        'SELECT crm.create_bi_login(''bi_y'', connection_limit => 0)',
                        'SELECT crm.drop_bi_login(''bi_ada'')']) q$$,
                  ARRAY['22004', '22023', '22023', '42710', '22023', '22023', '22023', '22023', '42501'],
                  'refused: no name, an empty or reserved name, an existing role, an empty password, no or too long a timeout, '
                  'no connection, and dropping a role it did not make');
ALTER ROLE bi_metabase CREATEROLE;
SELECT is((pg_temp.error_of($$SELECT crm.create_bi_login('bi_metabase', 'Taken-over')$$))[1], '42501',
          'a BI login that has since been given power is no longer changed');
ALTER ROLE bi_metabase NOCREATEROLE;
SET SESSION AUTHORIZATION bi_anna;
SELECT throws_ok($$SELECT crm.create_bi_login('bi_mine')$$, '42501', NULL, 'a manager cannot make BI logins');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION bi_ada;
SELECT is(crm.drop_bi_login('bi_metabase'), true, 'an admin drops a BI login');
SELECT is(crm.drop_bi_login('bi_metabase'), false, '... once');
RESET SESSION AUTHORIZATION;
SELECT ok(NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bi_metabase') AND NOT EXISTS (SELECT FROM crm.bi_login),
          '... the role and its row are gone');

SELECT * FROM finish();
ROLLBACK;
