-- The warehouse: facts against the operational tables, incremental refresh
-- equal to a full rebuild after random changes, failures that leave nothing
-- half-written, and the analytic jobs. Overlapping runs are in
-- test/concurrency/etl_overlap.sh.
BEGIN;
SELECT plan(52);

SELECT setseed(0.25);
SELECT count(*) FROM crm.generate_demo_data(1, 7);
-- Statistics of the rows this transaction made: autovacuum may have analysed
-- the tables empty after an earlier test rolled back.
ANALYZE;

\ir ../lib/derived_rows.sql

-- A random mix of what happens in a day: new orders and lines, changed
-- quantities, prices, dates, clients and statuses, deleted lines and orders,
-- renamed products, moved clients, new and removed clients, complaints.
CREATE FUNCTION pg_temp.random_changes() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    new_account bigint;
BEGIN
    UPDATE crm.order_line SET quantity = quantity + 1 + floor(random() * 50) WHERE random() < 0.01;
    UPDATE crm.order_line SET unit_price = unit_price * 1.1, discount_pct = 5 WHERE random() < 0.002;
    UPDATE crm.sales_order SET status = 'confirmed' WHERE status = 'draft' AND random() < 0.2;
    UPDATE crm.sales_order SET status = 'cancelled' WHERE status = 'confirmed' AND random() < 0.05;
    UPDATE crm.sales_order SET order_date = order_date - 40 WHERE random() < 0.002 AND delivery_date IS NULL;
    UPDATE crm.sales_order SET account_id = (SELECT min(id) FROM crm.account) + floor(random() * 500)::int
     WHERE random() < 0.002 AND contract_id IS NULL;
    -- Invoiced lines and orders are kept (docs/billing.md): they are not deleted.
    DELETE FROM crm.order_line l WHERE random() < 0.002 AND line_no > 1
       AND NOT EXISTS (SELECT FROM crm.invoice_line i WHERE i.order_line_id = l.id)
       AND NOT EXISTS (SELECT FROM crm.reservation r WHERE r.order_line_id = l.id)
       AND NOT EXISTS (SELECT FROM crm.production_order p WHERE p.order_line_id = l.id);
    DELETE FROM crm.sales_order o WHERE random() < 0.002
       AND NOT EXISTS (SELECT FROM crm.complaint c WHERE c.order_id = o.id)
       AND NOT EXISTS (SELECT FROM crm.shipment s WHERE s.order_id = o.id)
       AND NOT EXISTS (SELECT FROM crm.invoice i WHERE i.order_id = o.id)
       AND NOT EXISTS (SELECT FROM crm.quote q WHERE q.order_id = o.id)
       AND NOT EXISTS (SELECT FROM crm.order_line l JOIN crm.reservation r ON r.order_line_id = l.id WHERE l.order_id = o.id)
       AND NOT EXISTS (SELECT FROM crm.order_line l JOIN crm.production_order p ON p.order_line_id = l.id WHERE l.order_id = o.id);
    WITH o AS (
        INSERT INTO crm.sales_order (account_id, order_date)
        SELECT (SELECT min(id) FROM crm.account) + floor(random() * 900)::int, current_date - floor(random() * 700)::int
        FROM generate_series(1, 40)
        RETURNING id)
    INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price)
    SELECT o.id, k, (SELECT min(id) FROM crm.product) + floor(random() * 20)::int, 1 + floor(random() * 300), 150
    FROM o, generate_series(1, 2) k;
    UPDATE crm.sales_order SET status = 'confirmed' WHERE status = 'draft' AND random() < 0.5;
    UPDATE crm.product SET family = family || ' (renamed)' WHERE random() < 0.1;
    UPDATE crm.account SET region = 'Kherson' WHERE random() < 0.01;
    INSERT INTO crm.account (name, industry) VALUES ('A new client', 'utilities') RETURNING id INTO new_account;
    INSERT INTO crm.sales_order (account_id, order_date, status) VALUES (new_account, current_date - 3, 'draft');
    DELETE FROM crm.account a WHERE a.name = 'A new client' AND a.id <> new_account
       AND NOT EXISTS (SELECT FROM crm.sales_order o WHERE o.account_id = a.id);
    INSERT INTO crm.complaint (account_id, kind, description, opened_at)
    SELECT id, 'quality', 'Leaking joint', now() - interval '10 days' FROM crm.account WHERE random() < 0.01;
END $$;

-- Facts against the operational tables ------------------------------------------------
SELECT results_eq($$SELECT job, mode, status FROM crm.etl_refresh('facts')$$,
                  $$VALUES ('facts', 'full', 'succeeded')$$, 'the first facts run is a full build');
SELECT is((SELECT count(*) FROM crm_dw.fact_sales), (SELECT count(*) FROM crm.order_line), 'one fact per order line');
SELECT set_eq($$SELECT product_id, month, currency, orders, lines, quantity, revenue FROM crm_dw.fact_sales_monthly
                 WHERE product_id IS NOT NULL$$,
              $$SELECT l.product_id, date_trunc('month', o.order_date)::date AS month, o.currency::text, count(DISTINCT o.id) AS orders,
                       count(*) AS lines, sum(l.quantity) AS quantity, sum(l.line_total) AS revenue
                  FROM crm.order_line l JOIN crm.sales_order o ON o.id = l.order_id
                 WHERE o.status NOT IN ('draft', 'cancelled') GROUP BY 1, 2, 3$$,
              'monthly sales per product equal the booked order lines');
SELECT set_eq($$SELECT account_id, month, currency, orders, revenue FROM crm_dw.fact_sales_monthly WHERE account_id IS NOT NULL$$,
              $$SELECT o.account_id, date_trunc('month', o.order_date)::date AS month, o.currency::text, count(DISTINCT o.id) AS orders,
                       sum(l.line_total) AS revenue
                  FROM crm.order_line l JOIN crm.sales_order o ON o.id = l.order_id
                 WHERE o.status NOT IN ('draft', 'cancelled') GROUP BY 1, 2, 3$$,
              'monthly sales per account equal the booked orders');
SELECT ok((SELECT min(date_key) <= '2000-01-01' AND max(date_key) >= make_date(extract(year FROM current_date)::int + 5, 12, 31)
             AND count(*) = max(date_key) - min(date_key) + 1 FROM crm_dw.dim_date),
          'the calendar has every day from 2000 to five years ahead');
SELECT is_empty($$SELECT * FROM crm_dw.change_queue WHERE job = 'facts'$$, 'the facts run consumed its queue');
-- A manager in a team with the owner of every demo record.
CREATE ROLE test_app_writer IN ROLE crm_manager;
WITH t AS (INSERT INTO crm.team (name) VALUES ('test writers') RETURNING id)
INSERT INTO crm.team_member (team_id, member) SELECT id, m FROM t, unnest(ARRAY[current_user, 'test_app_writer']) m;
SET LOCAL ROLE test_app_writer;
UPDATE crm.order_line SET quantity = quantity + 1 WHERE id = (SELECT min(id) FROM crm.order_line);
RESET ROLE;
SELECT is((SELECT array_agg(key) FROM crm_dw.change_queue WHERE job = 'facts'),
          ARRAY(SELECT order_id FROM crm.order_line WHERE id = (SELECT min(id) FROM crm.order_line)),
          'a role without rights on crm_dw still has its changes captured');

-- Customer features against the operational tables -----------------------------------
SELECT results_eq($$SELECT job, mode, status FROM crm.etl_refresh('features')$$,
                  $$VALUES ('features', 'full', 'succeeded')$$, 'the first features run is a full build');
SELECT set_eq($$SELECT account_id, frequency, monetary, last_order, current_date - last_order FROM crm_dw.customer_features$$,
              $$SELECT a.id, count(DISTINCT o.id) FILTER (WHERE o.order_date > current_date - 365)::int AS frequency,
                       coalesce(sum(l.line_total) FILTER (WHERE o.order_date > current_date - 365), 0) AS monetary,
                       max(o.order_date) AS last_order, current_date - max(o.order_date) AS recency
                  FROM crm.account a
                  LEFT JOIN crm.sales_order o ON o.account_id = a.id AND o.status NOT IN ('draft', 'cancelled') AND o.order_date <= current_date
                  LEFT JOIN crm.order_line l ON l.order_id = o.id
                 GROUP BY a.id$$,
              'frequency, monetary value and recency of every client, from the orders');
SELECT is_empty($$WITH v AS (SELECT s, score, min(x) AS lo, max(x) AS hi
                             FROM crm_dw.customer_features,
                                  LATERAL (VALUES ('r', r_score, -recency_days), ('f', f_score, frequency),
                                                  ('m', m_score, monetary)) t(s, score, x)
                            WHERE orders_total > 0 GROUP BY s, score)
                   SELECT * FROM v a JOIN v b ON b.s = a.s AND b.score = a.score + 1 WHERE b.lo <= a.hi$$,
                'each RFM score holds strictly better values than the score below it');
SELECT is((SELECT array_agg(DISTINCT f_score ORDER BY f_score) FROM crm_dw.customer_features), ARRAY[1, 2, 3, 4, 5, NULL]::smallint[],
          'F scores take all five quintiles; clients without orders have none');
SELECT is((SELECT n FROM crm_dw.churn_model WHERE as_of = current_date),
          (SELECT count(DISTINCT o.account_id) FROM crm.sales_order o JOIN crm.order_line l ON l.order_id = o.id
            WHERE o.status NOT IN ('draft', 'cancelled') AND o.order_date <= current_date - 180),
          'the churn model is trained on every client who had ordered 180 days ago');
SELECT ok((SELECT bool_and(churn_risk BETWEEN 0 AND 1) AND bool_and((churn_risk IS NULL) = (orders_total = 0))
             FROM crm_dw.customer_features),
          'churn risk is a probability for clients with orders and NULL for the others');
-- Out of sample: no model was trained by the cutoff, so one is, as of it, and
-- scores today's clients. The AUC by hand: the share of (lost, kept) pairs
-- of clients of 180 days ago that the earlier model ranked right, ties half,
-- with the outcome read from the orders themselves.
SELECT ok((SELECT e.as_of = m.cutoff AND e.trained_at = m.trained_at AND m.scored_clients = m.n
                  AND m.brier BETWEEN 0 AND 0.25 AND m.auc > 0.5
             FROM crm_dw.churn_model m JOIN crm_dw.churn_model e ON e.id = m.scored_model_id WHERE m.as_of = current_date),
          'the churn job scores the model trained as of the cutoff on today''s clients');
SELECT ok((WITH earlier AS (SELECT e.model FROM crm_dw.churn_model m JOIN crm_dw.churn_model e ON e.id = m.scored_model_id
                              WHERE m.as_of = current_date),
                scores AS (SELECT crm.logreg_predict((SELECT model FROM earlier),
                                                     crm_dw.churn_inputs(current_date - 180 - h.last_order, h.frequency, h.orders_180d,
                                                                         h.orders_prior_180d, h.complaints_90d)) AS risk,
                                  NOT EXISTS (SELECT FROM crm.sales_order o JOIN crm.order_line ol ON ol.order_id = o.id
                                              WHERE o.account_id = h.account_id AND o.status NOT IN ('draft', 'cancelled')
                                                AND o.order_date > current_date - 180 AND o.order_date <= current_date) AS lost
                           FROM crm_dw.customer_history(current_date - 180, NULL) h WHERE h.orders_total > 0)
           SELECT abs((SELECT auc FROM crm_dw.churn_model WHERE as_of = current_date)
                      - (count(*) FILTER (WHERE l.risk > k.risk) + 0.5 * count(*) FILTER (WHERE l.risk = k.risk))::float8 / count(*)) < 1e-12
           FROM scores l, scores k WHERE l.lost AND NOT k.lost),
          '... and its AUC is the rate of correctly ranked pairs');

-- Incremental equals full, after random changes ----------------------------------------
CREATE TEMP TABLE incremental_rows (round int, tbl text, row_text text);
CREATE TEMP TABLE full_rows (round int, tbl text, row_text text);
CREATE TEMP TABLE modes (round int, job text, mode text, status text);
DO $$
BEGIN
    FOR round IN 1..3 LOOP
        PERFORM pg_temp.random_changes();
        INSERT INTO modes SELECT round, r.job, r.mode, r.status FROM crm.etl_refresh('facts') r;
        INSERT INTO modes SELECT round, r.job, r.mode, r.status FROM crm.etl_refresh('features') r;
        INSERT INTO incremental_rows SELECT round, d.* FROM pg_temp.derived_rows() d;
        PERFORM crm.etl_refresh('facts', "full" => true);
        PERFORM crm.etl_refresh('features', "full" => true);
        INSERT INTO full_rows SELECT round, d.* FROM pg_temp.derived_rows() d;
    END LOOP;
END $$;
SELECT is((SELECT array_agg(DISTINCT mode || ' ' || status) FROM modes), ARRAY['incremental succeeded'],
          'every refresh after the changes ran incrementally');
SELECT ok((SELECT count(*) FROM incremental_rows WHERE round = 3) > 60000, 'the comparison covers every derived table');
SELECT is_empty($$SELECT * FROM incremental_rows EXCEPT ALL SELECT * FROM full_rows$$,
                'incremental refreshes have no row a full rebuild lacks (3 rounds)');
SELECT is_empty($$SELECT * FROM full_rows EXCEPT ALL SELECT * FROM incremental_rows$$,
                'a full rebuild has no row the incremental refreshes lack');
SELECT is((SELECT count(DISTINCT tbl) FROM full_rows), 6::bigint, 'all six derived tables were compared');

SELECT results_eq($$SELECT mode, rows_touched FROM crm.etl_refresh('facts')$$, $$VALUES ('incremental', 0::bigint)$$,
                  'a refresh without changes touches nothing');
TRUNCATE crm.complaint;
SELECT results_eq($$SELECT mode FROM crm.etl_refresh('features')$$, $$VALUES ('full')$$,
                  'a TRUNCATE of a source table makes the next run a full rebuild');

-- A failing job leaves nothing half-written ----------------------------------------------
SET LOCAL client_min_messages = error;  -- the failure's WARNING is expected
ALTER TABLE crm_dw.fact_sales ADD CONSTRAINT test_small CHECK (quantity < 1000000) NOT VALID;
UPDATE crm.order_line SET quantity = 5000000 WHERE id = (SELECT min(id) FROM crm.order_line);
CREATE TEMP TABLE before_failure AS SELECT * FROM crm_dw.fact_sales;
SELECT results_eq($$SELECT status, left(error, 5) FROM crm.etl_refresh('facts')$$, $$VALUES ('failed', '23514')$$,
                  'a job that fails reports failed with the SQLSTATE');
SELECT is((SELECT status || ': ' || error FROM crm_dw.etl_run ORDER BY id DESC LIMIT 1),
          'failed: 23514: new row for relation "fact_sales" violates check constraint "test_small"', 'etl_run logs the error');
SELECT is_empty($$SELECT * FROM crm_dw.fact_sales EXCEPT ALL SELECT * FROM before_failure$$, 'the failed run changed no fact');
SELECT isnt_empty($$SELECT * FROM crm_dw.change_queue WHERE job = 'facts'$$, 'its changes stay queued for the next run');
ALTER TABLE crm_dw.fact_sales DROP CONSTRAINT test_small;
RESET client_min_messages;
SELECT results_eq($$SELECT status FROM crm.etl_refresh('facts')$$, $$VALUES ('succeeded')$$, 'the next run succeeds');
SELECT is((SELECT quantity FROM crm_dw.fact_sales WHERE order_line_id = (SELECT min(id) FROM crm.order_line)), 5000000::numeric,
          '... with the change that failed before');
SELECT results_eq($$SELECT job, status FROM crm.etl_refresh('all') WHERE status <> 'succeeded'$$,
                  $$SELECT NULL::text, NULL::text WHERE false$$, 'every job of all succeeds on the demo data');

-- Arguments -----------------------------------------------------------------------------
SELECT throws_ok($$SELECT crm.etl_refresh('fact')$$, '22023', 'there is no warehouse job "fact"', 'an unknown job');
SELECT throws_ok($$SELECT crm.etl_refresh(NULL)$$, '22004', NULL, 'a NULL job');

-- Segments, forecasts, KPIs, data quality -------------------------------------------------
SELECT ok((SELECT bool_and((model).centroids[s][1] > (model).centroids[s + 1][1]) FROM crm_dw.segment_model m,
                  generate_series(1, m.k - 1) s WHERE m.id = (SELECT max(id) FROM crm_dw.segment_model)),
          'segments are numbered by the value of their centroid');
SELECT is((SELECT labels[1] || ' .. ' || labels[k] FROM crm_dw.segment_model ORDER BY id DESC LIMIT 1), 'key .. occasional',
          'the most valuable segment is key, the least occasional');
SELECT set_eq($$SELECT segment, count(*) FROM crm_dw.customer_segment WHERE segment IS NOT NULL GROUP BY 1$$,
              $$SELECT s, (m.model).sizes[s] FROM crm_dw.segment_model m, generate_subscripts((m.model).sizes, 1) s
                 WHERE m.id = (SELECT max(id) FROM crm_dw.segment_model)$$,
              'assigning every client again reproduces the fitted segment sizes');
SELECT set_eq($$SELECT label, count(*) FROM crm_dw.customer_segment WHERE segment IS NULL GROUP BY 1$$,
              $$SELECT CASE WHEN orders_total > 0 THEN 'lapsed' ELSE 'prospect' END, count(*) FROM crm_dw.customer_features
                 WHERE frequency = 0 GROUP BY 1$$,
              'clients without orders in a year are lapsed or prospects, not clustered');

SELECT is((SELECT count(*) FROM crm_dw.demand_forecast), 6 * (SELECT count(DISTINCT product_id) FROM crm_dw.fact_sales WHERE booked),
          'six months of forecasts for every product sold');
SELECT results_eq($$SELECT status FROM crm.etl_refresh('forecast')$$, ARRAY['succeeded'],
    'the forecast job runs a second time in the same transaction');
SELECT is((SELECT count(*) FROM crm_dw.demand_forecast), 6 * (SELECT count(DISTINCT product_id) FROM crm_dw.fact_sales WHERE booked),
          '... and replaces the forecast it made at the same time');
SELECT is((SELECT array_agg(DISTINCT period ORDER BY period) FROM crm_dw.demand_forecast),
          ARRAY(SELECT (date_trunc('month', current_date) + make_interval(months => s))::date FROM generate_series(0, 5) s),
          'the forecast months start with the current one');
INSERT INTO crm_dw.demand_forecast (generated_at, product_id, period, step, model, point)
SELECT now() - interval '1 year', p.id, (date_trunc('month', current_date) - interval '3 months')::date, 1, 'test', 1
FROM crm.product p WHERE p.sku = 'GRP-P10-DN300';
SELECT results_eq($$SELECT status FROM crm.etl_refresh('facts')$$, $$VALUES ('succeeded')$$, 'facts refresh');
SELECT is((SELECT actual FROM crm_dw.demand_forecast WHERE model = 'test'),
          (SELECT sum(l.quantity) FROM crm.order_line l JOIN crm.sales_order o ON o.id = l.order_id JOIN crm.product p ON p.id = l.product_id
            WHERE p.sku = 'GRP-P10-DN300' AND o.status NOT IN ('draft', 'cancelled')
              AND date_trunc('month', o.order_date) = date_trunc('month', current_date) - interval '3 months'),
          'a past forecast month gets its realised demand');

-- KPIs on data whose answers are known.
DELETE FROM crm.interaction;
INSERT INTO crm.interaction (account_id, channel, direction, occurred_at, subject)
SELECT (SELECT min(id) FROM crm.account), 'email', d, now() - interval '5 days' + t, 'Price request'
FROM (VALUES ('in', interval '0'), ('out', interval '2 hours'), ('out', interval '5 hours'),
             ('in', interval '1 day'), ('out', interval '1 day 4 hours'), ('in', interval '3 days')) v(d, t);
SELECT results_eq($$SELECT count(*) FROM crm.etl_refresh('kpi') WHERE status = 'succeeded'$$, $$VALUES (1::bigint)$$, 'kpi run');
SELECT results_eq($$SELECT value, basis FROM crm_dw.v_kpi_vs_standard WHERE kpi = 'response_time_hours'$$,
                  $$VALUES (3.00, 2::bigint)$$, 'response time: replies after 2 and 4 hours average 3; the open request is left out');
SELECT results_eq($$SELECT value FROM crm_dw.v_kpi_vs_standard WHERE kpi = 'lead_conversion_pct'$$,
                  $$SELECT round(100.0 * count(*) FILTER (WHERE deal_id IS NOT NULL) / count(*), 2) FROM crm.lead$$,
                  'lead conversion: leads with a deal among all leads');
SELECT results_eq($$SELECT value FROM crm_dw.v_kpi_vs_standard WHERE kpi = 'repeat_order_probability'$$,
                  $$SELECT round(avg((EXISTS (SELECT FROM crm.sales_order e JOIN crm.order_line el ON el.order_id = e.id
                                              WHERE e.account_id = o.account_id AND e.status NOT IN ('draft', 'cancelled')
                                                AND (e.order_date, e.id) < (o.order_date, o.id)))::int), 4)
                      FROM crm.sales_order o
                     WHERE o.status NOT IN ('draft', 'cancelled') AND o.order_date > current_date - 365 AND o.order_date <= current_date
                       AND EXISTS (SELECT FROM crm.order_line l WHERE l.order_id = o.id)$$,
                  'repeat-order probability: orders with an earlier order of the same client');
SELECT is((SELECT meets_standard FROM crm_dw.v_kpi_vs_standard WHERE kpi = 'response_time_hours'), true,
          '3 hours meets the 24-hour standard (lower is better)');

-- Data quality on planted problems.
INSERT INTO crm.account (id, name, industry, region, email, phone)
SELECT 990001, 'Duplicate by e-mail', 'utilities', 'Kyiv', 'Orders+Tender@' || split_part(email, '@', 2), '+380 99 123 4567'
FROM crm.account WHERE id = (SELECT min(id) FROM crm.account);
INSERT INTO crm.account (id, name, industry, region, email, phone)
SELECT 990002, 'Duplicate by phone', 'utilities', 'Kyiv', 'other@example.ua', substr(regexp_replace(phone, '\D', '', 'g'), 3)
FROM crm.account WHERE id = (SELECT min(id) FROM crm.account);
INSERT INTO crm.contact (account_id, first_name, last_name) VALUES (990001, 'A', 'B'), (990002, 'C', 'D');
INSERT INTO crm.production_order (product_id, diameter_mm, length_m, quantity)
SELECT min(id), 300, 12, 10 FROM crm.product;
SELECT results_eq($$SELECT status FROM crm.etl_refresh('data_quality')$$, $$VALUES ('succeeded')$$, 'data-quality run');
SELECT set_eq($$SELECT kind, record_id FROM crm_dw.dq_issue WHERE record_id IN (990001, 990002)$$,
              $$VALUES ('duplicate_email', 990001::bigint), ('duplicate_phone', 990002)$$,
              'duplicates by normalised e-mail (case, +tag) and phone (national format) are found');
SELECT is((SELECT count(*) FROM crm_dw.dq_issue WHERE kind = 'orphaned_record' AND table_name = 'crm.production_order'), 1::bigint,
          'a production order for no order line is an orphaned record');
SELECT is((SELECT count(*) FROM crm_dw.dq_issue WHERE kind = 'incomplete_profile'),
          (SELECT count(*) FROM crm.account a WHERE a.status = 'active'
              AND (a.industry IS NULL OR a.region IS NULL OR a.email IS NULL OR a.phone IS NULL
                   OR a.id NOT IN (SELECT account_id FROM crm.contact))),
          'every active client with a gap in its profile is listed');
UPDATE crm_dw.dq_issue SET first_seen = '2020-01-01' WHERE record_id = 990002;
UPDATE crm.account SET email = 'buyer@another.example.ua' WHERE id = 990001;
SELECT results_eq($$SELECT status FROM crm.etl_refresh('data_quality')$$, $$VALUES ('succeeded')$$, 'data-quality run again');
SELECT results_eq($$SELECT kind, first_seen FROM crm_dw.dq_issue WHERE record_id IN (990001, 990002)$$,
                  $$VALUES ('duplicate_phone', '2020-01-01'::timestamptz)$$,
                  'a fixed finding disappears; an open one keeps when it was first seen');

SELECT * FROM finish();
ROLLBACK;
