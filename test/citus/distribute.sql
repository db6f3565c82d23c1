-- crm.distribute() on the cluster (docs/citus.md): the warehouse's facts
-- spread over the workers; the features job computes from them what it did
-- on one node; the CRM's own flows (order to shipment, workflow, row-level
-- security for two managers, audit) still work on the coordinator; the
-- refreshes write the distributed facts, incremental equals full, and the
-- aggregates over the facts split across the workers with the single-node result.
-- Outside a transaction: crm.distribute() moves rows to the workers.
SET client_min_messages = error;  -- Citus warns that pg_temp functions stay on the coordinator
SELECT plan(40);
CREATE FUNCTION pg_temp.plan_lines(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN RETURN QUERY EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || q; END $$;

-- 300 clients, 20 products, 3,000 orders of two lines over two years.
SELECT setseed(0.5);
INSERT INTO crm.account (id, name, region) SELECT 930000 + i, 'Client ' || i, (ARRAY['Kyiv', 'Lviv', 'Odesa'])[1 + i % 3]
FROM generate_series(1, 300) i;
INSERT INTO crm.product (id, sku, name, kind, family, list_price)
SELECT 930000 + i, 'CIT-' || i, 'Pipe ' || i, 'goods', 'pipes', 100 + i FROM generate_series(1, 20) i;
INSERT INTO crm.sales_order (id, account_id, order_date)
SELECT 930000 + i, 930001 + i % 300, current_date - (i % 730) FROM generate_series(1, 3000) i;
INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price)
SELECT 930000 + i, k, 930001 + (i * k) % 20, 1 + floor(random() * 300), 100 + floor(random() * 100)
FROM generate_series(1, 3000) i, generate_series(1, 2) k;
UPDATE crm.sales_order SET status = 'confirmed' WHERE id BETWEEN 930001 AND 933000 AND random() < 0.8;
-- 40 clients who stopped ordering 200 to 590 days ago: churn examples for
-- today's model and for the one of 180 days ago that scores it.
INSERT INTO crm.account (id, name) SELECT 930300 + i, 'Lost client ' || i FROM generate_series(1, 40) i;
INSERT INTO crm.sales_order (id, account_id, order_date)
SELECT 933000 + i, 930301 + i % 40, current_date - 200 - 10 * (i % 40) - 100 * (i / 40) FROM generate_series(1, 120) i;
INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price)
SELECT 933000 + i, 1, 930001 + i % 20, 1 + i % 50, 120 FROM generate_series(1, 120) i;
UPDATE crm.sales_order SET status = 'confirmed' WHERE id BETWEEN 933001 AND 933120;
ANALYZE;
\ir ../lib/derived_rows.sql
SELECT results_eq($$SELECT job, mode, status FROM crm.etl_refresh('facts')$$,
                  $$VALUES ('facts', 'full', 'succeeded')$$, 'a first refresh before distributing');
SELECT results_eq($$SELECT job, mode, status FROM crm.etl_refresh('features', "full" => true)$$,
                  $$VALUES ('features', 'full', 'succeeded')$$, 'the features job before distributing');
CREATE TEMP TABLE local_features AS SELECT * FROM crm_dw.customer_features;
CREATE TEMP TABLE local_models AS SELECT * FROM crm_dw.churn_model;

SELECT results_eq($$SELECT table_name::text, layout, done FROM crm.distribute()$$,
                  $$VALUES ('crm_dw.fact_sales', 'distributed', 'created')$$,
                  'crm.distribute spreads the layout''s tables');
SELECT results_eq($$SELECT done FROM crm.distribute()$$, $$VALUES ('already')$$,
                  'a second call changes nothing');
SELECT results_eq($$SELECT logicalrelid::regclass::text, partmethod::text, column_to_column_name(logicalrelid, partkey)
                     FROM pg_dist_partition WHERE logicalrelid::regclass::text LIKE 'crm%' ORDER BY 1$$,
                  $$VALUES ('crm_dw.fact_sales', 'h', 'order_line_id')$$,
                  'Citus''s metadata: the facts hash-distributed by order line');
SELECT is((SELECT count(DISTINCT groupid) FROM pg_dist_shard JOIN pg_dist_placement USING (shardid)
           WHERE logicalrelid = 'crm_dw.fact_sales'::regclass), 2::bigint,
          'the facts are on both workers');
SELECT is((SELECT count(*) FROM crm_dw.fact_sales), (SELECT count(*) FROM crm.order_line), 'every fact moved with its table');
SELECT is((SELECT count(*) FROM pg_constraint WHERE conrelid = 'crm_dw.fact_sales'::regclass AND contype = 'f'), 0::bigint,
          'the facts'' foreign keys to the local dimensions are gone (Citus cannot enforce them)');

-- The features job reads the distributed facts (customer history, churn
-- examples): the same features and churn models as on one node before.
-- The models are dropped so that both are trained again from the facts.
UPDATE crm_dw.customer_features SET churn_model_id = NULL;
DELETE FROM crm_dw.churn_model;
SELECT results_eq($$SELECT job, mode, status FROM crm.etl_refresh('features', "full" => true)$$,
                  $$VALUES ('features', 'full', 'succeeded')$$, 'the features job runs on the distributed facts');
SELECT results_eq($$SELECT as_of, cutoff, n, churned, inputs, scored_clients FROM crm_dw.churn_model ORDER BY as_of$$,
                  $$SELECT as_of, cutoff, n, churned, inputs, scored_clients FROM local_models ORDER BY as_of$$,
                  'the churn models of today and of the cutoff learn from the same examples');
SELECT is((SELECT count(*) FILTER (WHERE churned >= 10) || ' models, ' || count(auc) || ' scored' FROM local_models),
          '2 models, 1 scored', '... (on one node both were trained, and today''s scored: the comparison is not empty)');
SELECT is(count(*) FILTER (WHERE dc IS NOT DISTINCT FROM lc OR abs(dc - lc) <= 1e-12 * greatest(1, abs(lc))), 10::bigint,
          '... with the same coefficients (1e-12; NULL where an input is constant)')
FROM crm_dw.churn_model d JOIN local_models l USING (as_of), unnest((d.model).coefficients, (l.model).coefficients) c(dc, lc);
SELECT ok(abs(d.auc - l.auc) <= 1e-12 AND abs(d.brier - l.brier) <= 1e-12, '... and today''s the same AUC and Brier score')
FROM crm_dw.churn_model d JOIN local_models l USING (as_of) WHERE l.auc IS NOT NULL;
SELECT results_eq($$SELECT account_id, as_of, first_order, last_order, frequency, monetary, orders_total, revenue_total,
                           orders_180d, orders_prior_180d, complaints_90d, r_score, f_score, m_score, churn_risk IS NULL
                    FROM crm_dw.customer_features ORDER BY account_id$$,
                  $$SELECT account_id, as_of, first_order, last_order, frequency, monetary, orders_total, revenue_total,
                           orders_180d, orders_prior_180d, complaints_90d, r_score, f_score, m_score, churn_risk IS NULL
                    FROM local_features ORDER BY account_id$$,
                  'every client''s history and RFM scores equal the single-node ones');
SELECT is((SELECT max(abs(d.churn_risk - l.churn_risk)) <= 1e-12 FROM crm_dw.customer_features d JOIN local_features l USING (account_id)),
          true, '... and their churn risks to 1e-12');

-- The flow of an order on the coordinator, whose operational tables are local.
INSERT INTO crm.product (id, sku, name, kind, list_price) VALUES (920001, 'CIT-DN300', 'Pipe DN300', 'goods', 100);
INSERT INTO crm.warehouse (id, code, name) VALUES (920001, 'CIT-A', 'A');
SELECT crm.receive_stock(920001, 920001, 100, 'GRN-C1');
INSERT INTO crm.account (id, name) VALUES (920001, 'Citus client');
INSERT INTO crm.sales_order (id, account_id, order_date) VALUES (920001, 920001, current_date);
INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price) VALUES (920001, 1, 920001, 40, 100);
SELECT lives_ok('SELECT crm.confirm_order(920001)', 'an order is confirmed');
SELECT is(crm.reserve_order(920001), 1, 'its line is reserved');
SELECT crm.plan_shipment(920001) AS shipment \gset
SELECT lives_ok(format('SELECT crm.confirm_shipment(%s)', :shipment), 'its shipment is confirmed');
SELECT is((SELECT on_hand FROM crm.stock WHERE product_id = 920001 AND warehouse_id = 920001), 60::numeric, 'the stock went out');
SELECT ok((SELECT array_agg(to_state ORDER BY id) FROM crm.status_history WHERE table_name = 'crm.sales_order' AND row_key = '920001')
          @> ARRAY['draft', 'confirmed'], 'the order''s workflow history');
SELECT results_eq($$SELECT operation, old_values, new_values FROM crm.audit_log
                    WHERE table_name = 'crm.sales_order' AND row_key = '{"id": 920001}' AND operation = 'UPDATE'$$,
                  $$VALUES ('UPDATE', '{"status": "draft"}'::jsonb, '{"status": "confirmed"}'::jsonb)$$,
                  'the order''s confirmation is audited with its old and new status');
SELECT throws_ok($$UPDATE crm.sales_order SET status = 'draft' WHERE id = 920001$$, 'PC001', NULL,
                 'a transition its workflow lacks is refused');

-- Row-level security for two managers, on the coordinator with the facts
-- distributed: each sees and changes only the accounts that are theirs.
\ir ../lib/security_fixture.sql
SET SESSION AUTHORIZATION sec_anna;
SELECT set_eq('SELECT id FROM crm.account', ARRAY[910001::bigint], 'Anna sees her own account only');
SELECT set_eq('SELECT id FROM crm.sales_order', ARRAY[910001::bigint], '... and its orders');
SELECT lives_ok($$UPDATE crm.sales_order SET status = 'confirmed', delivery_terms = 'FCA' WHERE id = 910001$$,
                'Anna confirms her order');
UPDATE crm.sales_order SET delivery_terms = 'EXW' WHERE id = 910002;
SELECT throws_ok('SELECT * FROM crm_dw.fact_sales', '42501', NULL, 'a manager does not read the distributed facts');
SET SESSION AUTHORIZATION sec_boris;
SELECT set_eq('SELECT id FROM crm.account', ARRAY[910002::bigint], 'Boris sees the account he manages only');
SELECT set_eq('SELECT id FROM crm.sales_order', ARRAY[910002::bigint], '... and its orders');
UPDATE crm.sales_order SET delivery_terms = 'DAP' WHERE id = 910001;
RESET SESSION AUTHORIZATION;
SELECT results_eq('SELECT id, status, delivery_terms FROM crm.sales_order WHERE id IN (910001, 910002) ORDER BY id',
                  $$VALUES (910001::bigint, 'confirmed', 'FCA'), (910002, 'draft', NULL)$$,
                  'neither manager''s update of the other''s order found a row');
SELECT results_eq($$SELECT from_state, to_state, changed_by FROM crm.status_history
                    WHERE table_name = 'crm.sales_order' AND row_key = '910001' ORDER BY id$$,
                  $$VALUES (NULL, 'draft', 'postgres'::name), ('draft', 'confirmed', 'sec_anna')$$,
                  'the workflow history names who moved Anna''s order');
SELECT results_eq($$SELECT actor, login, old_values, new_values FROM crm.audit_log
                    WHERE table_name = 'crm.sales_order' AND row_key = '{"id": 910001}' AND operation = 'UPDATE'$$,
                  $$VALUES ('sec_anna'::name, 'sec_anna'::name, '{"status": "draft", "delivery_terms": null}'::jsonb,
                            '{"status": "confirmed", "delivery_terms": "FCA"}'::jsonb)$$,
                  '... and so does its audit row, with the old and new values');
SELECT results_eq($$SELECT mode, status FROM crm.etl_refresh('facts')$$, $$VALUES ('incremental', 'succeeded')$$,
                  'the next facts refresh runs incrementally into the distributed facts');
SELECT results_eq($$SELECT quantity, line_total, booked FROM crm_dw.fact_sales WHERE order_id = 920001$$,
                  $$VALUES (40::numeric, 4000::numeric(16, 2), true)$$, '... and holds the new order''s line');

-- The facts and features jobs: incremental equals full on the cluster.
CREATE TEMP TABLE incremental_rows (round int, tbl text, row_text text);
CREATE TEMP TABLE full_rows (round int, tbl text, row_text text);
CREATE TEMP TABLE modes (round int, job text, mode text, status text);
DO $$
BEGIN
    FOR round IN 1..2 LOOP
        UPDATE crm.order_line SET quantity = quantity + 1 + floor(random() * 50) WHERE random() < 0.01;
        UPDATE crm.sales_order SET status = 'confirmed' WHERE status = 'draft' AND random() < 0.2;
        UPDATE crm.sales_order SET account_id = 930001 + floor(random() * 300)::int
         WHERE random() < 0.002 AND contract_id IS NULL;
        UPDATE crm.product SET family = family || ' (renamed)' WHERE random() < 0.1;
        UPDATE crm.account SET region = 'Kherson' WHERE random() < 0.01;
        WITH o AS (
            INSERT INTO crm.sales_order (account_id, order_date)
            SELECT 930001 + floor(random() * 300)::int, current_date - floor(random() * 700)::int
            FROM generate_series(1, 40)
            RETURNING id)
        INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price)
        SELECT o.id, 1, 930001 + floor(random() * 20)::int, 1 + floor(random() * 300), 150 FROM o;
        UPDATE crm.sales_order SET status = 'confirmed' WHERE status = 'draft' AND random() < 0.5;
        INSERT INTO modes SELECT round, r.job, r.mode, r.status FROM crm.etl_refresh('facts') r;
        INSERT INTO modes SELECT round, r.job, r.mode, r.status FROM crm.etl_refresh('features') r;
        INSERT INTO incremental_rows SELECT round, d.* FROM pg_temp.derived_rows() d;
        PERFORM crm.etl_refresh('facts', "full" => true);
        PERFORM crm.etl_refresh('features', "full" => true);
        INSERT INTO full_rows SELECT round, d.* FROM pg_temp.derived_rows() d;
    END LOOP;
END $$;
SELECT is((SELECT array_agg(DISTINCT mode || ' ' || status) FROM modes), ARRAY['incremental succeeded'],
          'every facts and features refresh after the changes ran incrementally');
SELECT is_empty($$SELECT * FROM incremental_rows EXCEPT ALL SELECT * FROM full_rows$$,
                'incremental refreshes have no row a full rebuild lacks (2 rounds, six tables)');
SELECT is_empty($$SELECT * FROM full_rows EXCEPT ALL SELECT * FROM incremental_rows$$,
                'a full rebuild has no row the incremental refreshes lack');

-- An aggregate over the distributed facts: split, and equal to the same
-- aggregate over the facts' single-node source (the view over the orders).
SELECT ok(p ~ 'worker_partial_agg\(' AND p ~ 'coord_combine_agg\(', 'linreg over the facts: partial aggregation on the workers')
FROM (SELECT string_agg(l, E'\n') AS p
      FROM pg_temp.plan_lines('SELECT crm.linreg(line_total::float8, ARRAY[quantity::float8, unit_price::float8]) FROM crm_dw.fact_sales') l) x;
SELECT ok(abs(d.c[i] - s.c[i]) <= 1e-12 * greatest(1, abs(s.c[i])), format('coefficient %s equals the single-node fit to 1e-12', i))
FROM (SELECT (crm.linreg(line_total::float8, ARRAY[quantity::float8, unit_price::float8])).coefficients FROM crm_dw.fact_sales) d(c),
     (SELECT (crm.linreg(line_total::float8, ARRAY[quantity::float8, unit_price::float8])).coefficients FROM crm_dw.fact_sales_source) s(c),
     generate_series(1, 3) i;

SELECT * FROM finish();
