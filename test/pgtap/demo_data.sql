-- The demo data generator: every table gets rows, every workflow state is
-- used, the sales series has a trend and a spring-summer peak, and the same
-- seed gives the same data.
BEGIN;
SELECT plan(13);

-- A digest of the generated business data that does not depend on ids.
CREATE FUNCTION pg_temp.digest() RETURNS text LANGUAGE sql AS $$
    SELECT md5(string_agg(format('%s|%s|%s|%s|%s|%s', o.order_date, a.name, o.status, p.sku, l.quantity, l.unit_price), ','
                          ORDER BY o.order_date, a.name, o.number, l.line_no))
    FROM crm.sales_order o JOIN crm.account a ON a.id = o.account_id
    JOIN crm.order_line l ON l.order_id = o.id JOIN crm.product p ON p.id = l.product_id
$$;

SAVEPOINT fresh;
CREATE TEMP TABLE summary AS SELECT * FROM crm.generate_demo_data(1, 7);
-- Statistics of the rows this transaction made: autovacuum may have left the
-- tables counted empty after an earlier test rolled back (development.md, Tests).
ANALYZE;
SELECT pg_temp.digest() AS first_digest \gset
SELECT is_empty($$SELECT table_name FROM summary WHERE row_count = 0
                  AND table_name NOT IN ('crm.audit_setting', 'crm.client_login', 'crm.bi_login')$$,
                'every table but the admin''s audit switches, client logins and BI logins has rows');
SELECT cmp_ok((SELECT row_count FROM summary WHERE table_name = 'crm.account'), '>=', 1000::bigint, 'about 1,000 accounts');
SELECT ok((SELECT row_count FROM summary WHERE table_name = 'crm.order_line') BETWEEN 45000 AND 55000, 'about 50,000 order lines');
SELECT is((SELECT count(DISTINCT date_trunc('month', order_date)) FROM crm.sales_order)::int, 36, '36 months of orders');
SELECT set_eq('SELECT DISTINCT status FROM crm.production_order', 'SELECT code FROM crm.workflow_state WHERE workflow = ''production_order''',
    'production orders in every state');
SELECT set_eq('SELECT DISTINCT stage FROM crm.deal', 'SELECT code FROM crm.workflow_state WHERE workflow = ''deal''', 'deals in every stage');
SELECT ok((SELECT count(DISTINCT status) FROM crm.sales_order) >= 5, 'orders in the pipeline and delivered');
SELECT ok((SELECT avg(m) FILTER (WHERE mon = 7) > 1.5 * avg(m) FILTER (WHERE mon = 1)
           FROM (SELECT extract(month FROM o.order_date) AS mon, sum(l.quantity) AS m FROM crm.sales_order o
                 JOIN crm.order_line l ON l.order_id = o.id GROUP BY date_trunc('month', o.order_date), 1) x),
    'July sells far more metres than January (construction season)');
SELECT ok((SELECT sum(l.quantity) FILTER (WHERE o.order_date >= (SELECT max(order_date) FROM crm.sales_order) - 365)
           > 1.2 * sum(l.quantity) FILTER (WHERE o.order_date < (SELECT min(order_date) FROM crm.sales_order) + 365)
           FROM crm.sales_order o JOIN crm.order_line l ON l.order_id = o.id), 'the last year sells more than the first (trend)');
SELECT is_empty($$SELECT FROM crm.status_history h JOIN crm.sales_order o ON h.table_name = 'crm.sales_order' AND h.row_key = o.id::text
                  GROUP BY o.id, o.status HAVING (array_agg(h.to_state ORDER BY h.id DESC))[1] <> o.status$$,
    'every order reached its state through the workflow, step by step in the history');
ROLLBACK TO SAVEPOINT fresh;
SELECT crm.generate_demo_data(1, 7);
ANALYZE;
SELECT is(pg_temp.digest(), :'first_digest', 'the same seed gives the same data');
SELECT throws_ok($$SELECT crm.generate_demo_data(0)$$, '22023', 'scale must be 1 to 1000, not 0', 'a scale below 1');
SELECT throws_ok($$SELECT crm.generate_demo_data(NULL)$$, '22004', 'scale must not be NULL', 'a NULL scale');

SELECT * FROM finish();
ROLLBACK;
