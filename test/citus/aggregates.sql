-- Every pgcrm aggregate on a distributed table (docs/citus.md): EXPLAIN shows
-- the partial aggregation on the workers (Citus's worker_partial_agg) and the
-- combine on the coordinator (coord_combine_agg), and the result equals the
-- single-node result: the same aggregate over a plain local copy of the same
-- rows on the coordinator, which PostgreSQL runs alone. GROUP BY the
-- distribution column runs whole on the workers.
-- Runs against the coordinator of scripts/citus-cluster, outside a
-- transaction (create_distributed_table copies the rows to the workers).
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS citus_agg CASCADE;
CREATE SCHEMA citus_agg;
SET citus.shard_count = 4;

SELECT plan(49);

-- 6,000 rows in 40 accounts; three well-separated clusters in f; a monthly
-- series of 36 points per group g.
SELECT setseed(0.21);
CREATE TABLE citus_agg.obs_local AS
SELECT i AS id, 1 + i % 40 AS account_id, 1 + i % 3 AS g,
       x1, x2, 1.5 + 2.0 * x1 - 0.75 * x2 + e AS y, ARRAY[x1, x2] AS x,
       i % 2 = 0 AS treated, random() < 0.3 + 0.1 * (i % 2) AS converted,
       (ARRAY['north', 'south', 'east'])[1 + i % 3] AS region, (ARRAY['web', 'phone'])[1 + (i / 3) % 2] AS channel,
       ARRAY[c * 10 + random(), c * 5 + random()] AS f,
       random() < 1 / (1 + exp(-(0.5 * x1 - 0.25 * x2))) AS churned,
       timestamptz '2023-01-01 00:00+00' + make_interval(months => (i / 3) % 36) AS ts,
       100 + 10 * sin((i / 3) % 36 * pi() / 6) + (i / 3) % 36 + 3 * (i % 3) + e AS demand
FROM (SELECT i, random() * 10 AS x1, random() * 5 AS x2, random() - 0.5 AS e, i % 3 AS c
      FROM generate_series(1, 6000) i) s;
CREATE TABLE citus_agg.obs (LIKE citus_agg.obs_local);
SELECT create_distributed_table('citus_agg.obs', 'account_id');
INSERT INTO citus_agg.obs SELECT * FROM citus_agg.obs_local;

-- Each comparison reads the distributed side in a subquery with OFFSET 0:
-- Citus runs it first (its aggregate split as ever) and joins its one row to
-- the local side on the coordinator; it does not join a distributed table
-- to a local one directly.

-- The plan of q, one text.
CREATE FUNCTION citus_agg.plan(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE line text; result text := '';
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || q LOOP result := result || line || E'\n'; END LOOP;
    RETURN result;
END $$;
-- Arrays equal to rel relative (absolute below 1), NULLs in the same places.
CREATE FUNCTION citus_agg.close(a float8[], b float8[], rel float8) RETURNS boolean LANGUAGE sql AS $$
    SELECT cardinality(a) = cardinality(b) AND bool_and(x IS NOT DISTINCT FROM y OR abs(x - y) <= rel * greatest(1, abs(x), abs(y)))
    FROM unnest(a, b) u(x, y) $$;
-- q over the distributed table is split: partial states on the workers, the combine on the coordinator.
CREATE FUNCTION citus_agg.split(q text) RETURNS boolean LANGUAGE sql AS $$
    SELECT p ~ 'coord_combine_agg\(' AND p ~ 'worker_partial_agg\(' FROM citus_agg.plan(q) p $$;
-- The same select list over the distributed table and the local copy.
CREATE FUNCTION citus_agg.both(select_list text, rest text DEFAULT '') RETURNS TABLE (dist text, single text) LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format('SELECT (SELECT %1$s FROM citus_agg.obs %2$s)::text, (SELECT %1$s FROM citus_agg.obs_local %2$s)::text', select_list, rest);
END $$;

SELECT is((SELECT count(*) FROM citus_agg.obs OFFSET 0), 6000::bigint, 'the distributed table holds the rows');
SELECT is((SELECT count(DISTINCT groupid) FROM pg_dist_shard JOIN pg_dist_placement USING (shardid)
           WHERE logicalrelid = 'citus_agg.obs'::regclass), 2::bigint,
          'its shards are on both workers');
SELECT is((SELECT count(*) FROM pg_aggregate a JOIN pg_type t ON t.oid = a.aggtranstype
           WHERE aggfnoid::regproc::text LIKE 'crm.%' AND (t.typtype = 'p' OR a.aggcombinefn = 0)), 0::bigint,
          'no pgcrm aggregate has a pseudo-type transition type or lacks a combine function (Citus''s condition for pushdown)');

-- linreg: moments in double-double; 1e-12 relative.
SELECT ok(citus_agg.split('SELECT crm.linreg(y, x) FROM citus_agg.obs'), 'linreg: partial aggregation on the workers');
SELECT ok(citus_agg.close(d.coefficients, s.coefficients, 1e-12) AND citus_agg.close(d.std_errors, s.std_errors, 1e-12)
          AND d.n = s.n AND abs(d.r_squared - s.r_squared) <= 1e-12,
          'linreg: coefficients, standard errors and R² equal the single-node fit to 1e-12')
FROM (SELECT (crm.linreg(y, x)).* FROM citus_agg.obs OFFSET 0) d, (SELECT (crm.linreg(y, x)).* FROM citus_agg.obs_local) s;
SELECT ok(citus_agg.close(d.coefficients, s.coefficients, 1e-12), 'linreg with every option: equal to 1e-12')
FROM (SELECT (crm.linreg(y, x, false, true, 1e-9::float8)).* FROM citus_agg.obs OFFSET 0) d,
     (SELECT (crm.linreg(y, x, false, true, 1e-9::float8)).* FROM citus_agg.obs_local) s;
SELECT ok(citus_agg.split('SELECT crm.linreg(y, x, false, true, 1e-9::float8) FROM citus_agg.obs'), 'linreg with options: split');

-- linreg_robust: the model is a constant of the query.
SELECT crm.linreg(y, x) AS model FROM citus_agg.obs_local \gset
SELECT ok(citus_agg.split(format('SELECT crm.linreg_robust(%L::crm.linreg_result, y, x, ''HC3'') FROM citus_agg.obs', :'model')),
          'linreg_robust: split');
SELECT ok(citus_agg.close(d.std_errors, s.std_errors, 1e-12), 'linreg_robust: HC3 standard errors equal to 1e-12')
FROM (SELECT (crm.linreg_robust(:'model'::crm.linreg_result, y, x, 'HC3')).* FROM citus_agg.obs OFFSET 0) d,
     (SELECT (crm.linreg_robust(:'model'::crm.linreg_result, y, x, 'HC3')).* FROM citus_agg.obs_local) s;

-- logreg keeps its rows (IRLS makes several passes): they reach the
-- coordinator as partial states; the order differs, so sums may differ in the last bits.
SELECT ok(citus_agg.split('SELECT crm.logreg(churned, x) FROM citus_agg.obs'), 'logreg: split');
SELECT ok(citus_agg.close(d.coefficients, s.coefficients, 1e-12) AND citus_agg.close(d.std_errors, s.std_errors, 1e-12)
          AND d.n = s.n AND d.iterations = s.iterations,
          'logreg: coefficients and standard errors equal the single-node fit to 1e-12')
FROM (SELECT (crm.logreg(churned, x)).* FROM citus_agg.obs OFFSET 0) d, (SELECT (crm.logreg(churned, x)).* FROM citus_agg.obs_local) s;

-- The tests: exact moments or counts.
SELECT ok(citus_agg.split('SELECT crm.ttest(demand, treated) FROM citus_agg.obs'), 'ttest: split');
SELECT ok(citus_agg.close(ARRAY[d.t, d.df, d.p_value, d.difference], ARRAY[s.t, s.df, s.p_value, s.difference], 1e-12)
          AND (d.n_treatment, d.n_control) = (s.n_treatment, s.n_control), 'ttest: equal to 1e-12')
FROM (SELECT (crm.ttest(demand, treated)).* FROM citus_agg.obs OFFSET 0) d, (SELECT (crm.ttest(demand, treated)).* FROM citus_agg.obs_local) s;
SELECT ok(citus_agg.split('SELECT crm.ttest(demand, treated, true) FROM citus_agg.obs'), 'ttest with equal_var: split');
SELECT ok(citus_agg.split('SELECT crm.prop_test(converted, treated) FROM citus_agg.obs'), 'prop_test: split');
SELECT is(d::text, s::text, 'prop_test: the same result')
FROM (SELECT crm.prop_test(converted, treated) FROM citus_agg.obs OFFSET 0) d(r), (SELECT crm.prop_test(converted, treated) FROM citus_agg.obs_local) s(r);
SELECT ok(citus_agg.split('SELECT crm.ttest_one(y, 10) FROM citus_agg.obs'), 'ttest_one: split');
SELECT ok(citus_agg.close(ARRAY[d.t, d.p_value, d.mean], ARRAY[s.t, s.p_value, s.mean], 1e-12) AND d.n = s.n, 'ttest_one: equal to 1e-12')
FROM (SELECT (crm.ttest_one(y, 10)).* FROM citus_agg.obs OFFSET 0) d, (SELECT (crm.ttest_one(y, 10)).* FROM citus_agg.obs_local) s;
SELECT ok(citus_agg.split('SELECT crm.ttest_one(y) FROM citus_agg.obs'), 'ttest_one without mu: split');
SELECT ok(citus_agg.split('SELECT crm.ttest_paired(x1, x2) FROM citus_agg.obs'), 'ttest_paired: split');
SELECT ok(citus_agg.close(ARRAY[d.t, d.p_value, d.mean], ARRAY[s.t, s.p_value, s.mean], 1e-12) AND d.n = s.n, 'ttest_paired: equal to 1e-12')
FROM (SELECT (crm.ttest_paired(x1, x2)).* FROM citus_agg.obs OFFSET 0) d, (SELECT (crm.ttest_paired(x1, x2)).* FROM citus_agg.obs_local) s;
SELECT ok(citus_agg.split('SELECT crm.chisq_test(region, channel) FROM citus_agg.obs'), 'chisq_test: split');
SELECT ok(d.observed = s.observed AND d.row_labels = s.row_labels AND abs(d.statistic - s.statistic) <= 1e-12 * s.statistic,
          'chisq_test: the same table and statistic')
FROM (SELECT (crm.chisq_test(region, channel)).* FROM citus_agg.obs OFFSET 0) d, (SELECT (crm.chisq_test(region, channel)).* FROM citus_agg.obs_local) s;
SELECT ok(citus_agg.split('SELECT crm.chisq_test(region, channel, false) FROM citus_agg.obs'), 'chisq_test without correction: split');
SELECT ok(citus_agg.split('SELECT crm.mann_whitney(demand, treated) FROM citus_agg.obs'), 'mann_whitney: split');
SELECT ok(d.w = s.w AND citus_agg.close(ARRAY[d.p_value, d.z], ARRAY[s.p_value, s.z], 1e-12), 'mann_whitney: the same W, p to 1e-12')
FROM (SELECT (crm.mann_whitney(demand, treated)).* FROM citus_agg.obs OFFSET 0) d, (SELECT (crm.mann_whitney(demand, treated)).* FROM citus_agg.obs_local) s;
SELECT ok(citus_agg.split('SELECT crm.classification_metrics(x1 / 10, churned) FROM citus_agg.obs'), 'classification_metrics: split');
SELECT ok(citus_agg.split('SELECT crm.classification_metrics(x1 / 10, churned, 0.4) FROM citus_agg.obs'), 'classification_metrics with a threshold: split');
SELECT ok(citus_agg.close(ARRAY[d.auc, d.brier, d.log_loss, d.accuracy], ARRAY[s.auc, s.brier, s.log_loss, s.accuracy], 1e-12)
          AND (d.true_positives, d.false_positives) = (s.true_positives, s.false_positives), 'classification_metrics: equal to 1e-12')
FROM (SELECT (crm.classification_metrics(x1 / 10, churned)).* FROM citus_agg.obs OFFSET 0) d,
     (SELECT (crm.classification_metrics(x1 / 10, churned)).* FROM citus_agg.obs_local) s;
SELECT ok(citus_agg.split('SELECT crm.roc_points(x1 / 10, churned) FROM citus_agg.obs'), 'roc_points: split');
SELECT is(d, s, 'roc_points: the same curve')
FROM (SELECT crm.roc_points(x1 / 10, churned)::text FROM citus_agg.obs OFFSET 0) d0(d), (SELECT crm.roc_points(x1 / 10, churned)::text FROM citus_agg.obs_local) s0(s);

-- kmeans_agg keeps its rows; the workers' partial states arrive in another
-- order than a single scan's, so k-means++ starts from other points: on
-- well-separated clusters both runs find the same segments (the same model
-- up to the numbering of the segments).
SELECT ok(citus_agg.split('SELECT crm.kmeans_agg(f, 3) FROM citus_agg.obs'), 'kmeans_agg: split');
SELECT ok(citus_agg.split('SELECT crm.kmeans_agg(f, 3, 4, 100, 1e-6, 7, false) FROM citus_agg.obs'), 'kmeans_agg with options: split');
CREATE FUNCTION citus_agg.segments(m crm.kmeans_model) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(format('%s:%s,%s', m.sizes[i], round(m.centroids[i][1]::numeric, 9), round(m.centroids[i][2]::numeric, 9)), ' ' ORDER BY m.centroids[i][1])
    FROM generate_series(1, m.k) i $$;
SELECT is(citus_agg.segments(d), citus_agg.segments(s), 'kmeans_agg (seed 7): the same segments, sizes and centroids to 1e-9')
FROM (SELECT crm.kmeans_agg(f, 3, 4, 100, 1e-6, 7, false) FROM citus_agg.obs OFFSET 0) d0(d),
     (SELECT crm.kmeans_agg(f, 3, 4, 100, 1e-6, 7, false) FROM citus_agg.obs_local) s0(s);
SELECT ok(abs((d).inertia - (s).inertia) <= 1e-9 * (s).inertia AND (d).n = 6000, 'kmeans_agg: the same inertia to 1e-9')
FROM (SELECT crm.kmeans_agg(f, 3, 4, 100, 1e-6, 7, false) FROM citus_agg.obs OFFSET 0) d0(d),
     (SELECT crm.kmeans_agg(f, 3, 4, 100, 1e-6, 7, false) FROM citus_agg.obs_local) s0(s);
-- crm.kmeans runs its query through the coordinator, which gathers the rows once.
SELECT is(citus_agg.segments(crm.kmeans('SELECT f FROM citus_agg.obs', 3, 4, 100, 1e-6, 7, false)),
          citus_agg.segments(crm.kmeans('SELECT f FROM citus_agg.obs_local', 3, 4, 100, 1e-6, 7, false)),
          'crm.kmeans over a query of the distributed table: the same segments');

-- forecast per group g (not the distribution column): each group's monthly
-- series is spread over the shards by account, put together from the
-- workers' partial states.
CREATE TABLE citus_agg.series_local AS
SELECT 1 + m AS account_id, g, timestamptz '2023-01-01 00:00+00' + make_interval(months => m) AS ts,
       100 + 10 * sin(m * pi() / 6) + m + 3 * g + random() AS demand
FROM generate_series(0, 35) m, generate_series(1, 3) g;
CREATE TABLE citus_agg.series (LIKE citus_agg.series_local);
SELECT create_distributed_table('citus_agg.series', 'account_id', colocate_with => 'citus_agg.obs');
INSERT INTO citus_agg.series SELECT * FROM citus_agg.series_local;
SELECT ok(citus_agg.split('SELECT g, crm.forecast(ts, demand, 6) FROM citus_agg.series GROUP BY g'), 'forecast per group: split');
SELECT ok(citus_agg.split('SELECT g, crm.forecast(ts, demand, 6, 12, ''ets'', ''{90}'', ''zero'') FROM citus_agg.series GROUP BY g'),
          'forecast with every option: split');
SELECT is(d.f, s.f, format('forecast of group %s: the same forecast', d.g))
FROM (SELECT g, crm.forecast(ts, demand, 6)::text FROM citus_agg.series GROUP BY g OFFSET 0) d(g, f)
JOIN (SELECT g, crm.forecast(ts, demand, 6)::text FROM citus_agg.series_local GROUP BY g) s(g, f) USING (g)
ORDER BY g;

-- GROUP BY the distribution column: every group lives on one shard, so the
-- whole aggregate (final function included) runs on the workers.
SELECT ok(p !~ 'coord_combine_agg' AND p ~ 'crm\.linreg\(' , 'linreg GROUP BY account_id: pushed down whole')
FROM citus_agg.plan('SELECT account_id, crm.linreg(y, x) FROM citus_agg.obs GROUP BY account_id') p;
SELECT ok(p !~ 'coord_combine_agg' AND p ~ 'crm\.kmeans_agg\(', 'kmeans_agg GROUP BY account_id: pushed down whole')
FROM citus_agg.plan('SELECT account_id, crm.kmeans_agg(f, 2) FROM citus_agg.obs GROUP BY account_id') p;
SELECT ok(p !~ 'coord_combine_agg' AND p ~ 'crm\.forecast\(', 'forecast GROUP BY account_id: pushed down whole')
FROM citus_agg.plan('SELECT account_id, crm.forecast(ts, demand, 3, 1, ''naive'') FROM citus_agg.obs GROUP BY account_id') p;
SELECT is((SELECT count(*) FROM (SELECT account_id, crm.linreg(y, x) AS m FROM citus_agg.obs GROUP BY account_id OFFSET 0) d
           JOIN (SELECT account_id, crm.linreg(y, x) AS m FROM citus_agg.obs_local GROUP BY account_id) s USING (account_id)
           WHERE citus_agg.close((d.m).coefficients, (s.m).coefficients, 1e-12)), 40::bigint,
          'linreg per account: all 40 fits equal the single-node fits to 1e-12');
SELECT is((SELECT count(*) FROM (SELECT account_id, crm.ttest(demand, treated)::text AS r FROM citus_agg.obs GROUP BY account_id OFFSET 0) d
           JOIN (SELECT account_id, crm.ttest(demand, treated)::text AS r FROM citus_agg.obs_local GROUP BY account_id) s USING (account_id, r)), 40::bigint,
          'ttest per account: the same 40 results');

-- Grouped by a column that is not the distribution column: partial per group.
SELECT ok(citus_agg.split('SELECT g, crm.linreg(y, x) FROM citus_agg.obs GROUP BY g'), 'linreg GROUP BY g: split per group');
SELECT is((SELECT count(*) FROM (SELECT g, crm.linreg(y, x) AS m FROM citus_agg.obs GROUP BY g OFFSET 0) d
           JOIN (SELECT g, crm.linreg(y, x) AS m FROM citus_agg.obs_local GROUP BY g) s USING (g)
           WHERE citus_agg.close((d.m).coefficients, (s.m).coefficients, 1e-12)), 3::bigint,
          'linreg per g: the 3 fits equal the single-node fits to 1e-12');

-- What reaches the coordinator: for linreg a state per shard, not the rows.
SELECT ok(p ~ 'worker_partial_agg\(''crm\.linreg' OR p ~ 'worker_partial_agg\(''[0-9]+''::oid', 'the worker query returns partial states')
FROM citus_agg.plan('SELECT crm.linreg(y, x) FROM citus_agg.obs') p;

SELECT * FROM finish();
DROP SCHEMA citus_agg CASCADE;
