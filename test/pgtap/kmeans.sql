-- K-means in SQL. Reference values: the worked example of the issue (solved by
-- hand: clusters {200,220,300} and {800,820}, WCSS 5804), and scikit-learn
-- 1.2.1 (Debian's python3-sklearn) for the weighted fit and the silhouette.
BEGIN;
SELECT plan(65);
\ir ../lib/pgtap.sql

CREATE TEMP TABLE example AS
SELECT * FROM (VALUES (1, '{200,5}'::float8[]), (2, '{220,4}'), (3, '{800,15}'), (4, '{820,17}'), (5, '{300,6}')) v(id, f);

-- Centroid rows of a model, sorted, rounded: independent of segment numbering.
CREATE FUNCTION pg_temp.centres(m crm.kmeans_model, digits int DEFAULT 6) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(c, ' ' ORDER BY c) FROM (
        SELECT format('(%s)', string_agg(round(m.centroids[i][j]::numeric, digits)::text, ',' ORDER BY j)) c
        FROM generate_series(1, m.k) i, generate_series(1, array_length(m.centroids, 2)) j GROUP BY i) s
$$;

-- crm.kmeans
SELECT is(pg_temp.centres(crm.kmeans('SELECT f FROM example', 2, standardize => false)), '(240.000000,5.000000) (810.000000,16.000000)',
    'the worked example converges to centroids [240,5] and [810,16]');
SELECT is(round((crm.kmeans('SELECT f FROM example', 2, standardize => false)).inertia::numeric, 9), 5804.000000000,
    '... with inertia 5804');
SELECT is(pg_temp.centres(crm.kmeans('SELECT f FROM example', 2)), '(240.000000,5.000000) (810.000000,16.000000)',
    'standardised, the centroids are still reported in original units');
SELECT is(round((crm.kmeans('SELECT f FROM example', 2)).inertia::numeric, 9), 5804.000000000,
    '... and so is the inertia');
SELECT is((SELECT sizes[1] + sizes[2] FROM crm.kmeans('SELECT id, f FROM example', 2)), 5::bigint,
    'sizes count every point; the features may be the last of several columns');
SELECT ok((SELECT converged AND iterations BETWEEN 1 AND 300 FROM crm.kmeans('SELECT f FROM example', 2)),
    'the model says it converged and after how many iterations');
SELECT is((SELECT feature_mean FROM crm.kmeans('SELECT f FROM example', 2)), '{468,9.4}'::float8[],
    'the standardisation means are recorded');
SELECT ok((SELECT feature_mean IS NULL AND feature_scale IS NULL FROM crm.kmeans('SELECT f FROM example', 2, standardize => false)),
    'no standardisation, no scaling recorded');
SELECT is(crm.kmeans('SELECT f FROM example', 2, seed => 7)::text, crm.kmeans('SELECT f FROM example', 2, seed => 7)::text,
    'the same seed gives the same model');

CREATE TEMP TABLE weighted AS
SELECT * FROM (VALUES (1, 1::float8, '{1,1}'::float8[]), (2, 2, '{1.5,2}'), (3, 1, '{3,4}'), (4, 3, '{5,7}'), (5, 1, '{3.5,5}'),
                      (6, 1, '{4.5,5}'), (7, 2, '{3.5,4.5}'), (8, 1, '{9,9}'), (9, 4, '{8,8.5}'), (10, 1, '{9.5,8}')) v(id, w, f);
SELECT is(round((crm.kmeans('SELECT w, f FROM weighted', 3, standardize => false, weight => 'w')).inertia::numeric, 9),
    19.916666667, 'weights: inertia equals scikit-learn''s KMeans(3).fit(X, sample_weight=w)');
SELECT is(pg_temp.centres(crm.kmeans('SELECT w, f FROM weighted', 3, standardize => false, weight => 'w'), 4),
    '(1.3333,1.6667) (4.1250,5.5000) (8.4167,8.5000)', '... and its centres');

-- crm.kmeans_assign
CREATE TEMP TABLE fixed AS SELECT ROW(2, 4, '{{100,8},{300,25}}', '{2,2}', 0, 0, 1, true, NULL, NULL)::crm.kmeans_model AS m;
SELECT is((SELECT array_agg(crm.kmeans_assign(p, m) ORDER BY o)
           FROM fixed, (VALUES (1, '{80,5}'::float8[]), (2, '{250,20}'), (3, '{120,10}'), (4, '{400,30}')) v(o, p)),
    '{1,2,1,2}'::int[], 'points [80,5],[250,20],[120,10],[400,30] go to segments 1,2,1,2 of centroids [100,8],[300,25]');
SELECT is(crm.kmeans_assign('{6,1}', ROW(2, 2, '{{0,0},{10,100}}', '{1,1}', 0, 0, 1, true, '{0,0}', '{1,100}')::crm.kmeans_model), 2,
    'a standardised model assigns in its own space ([6,1] is nearer [10,100] once feature 2 is divided by 100)');
SELECT is(crm.kmeans_assign('{6,1}', ROW(2, 2, '{{0,0},{10,100}}', '{1,1}', 0, 0, 1, true, NULL, NULL)::crm.kmeans_model), 1,
    '... and in raw units it would be segment 1');
SELECT is((SELECT array_agg(crm.kmeans_assign('{6,1}', m) ORDER BY o) FROM (VALUES
        (1, ROW(2, 2, '{{0,0},{10,100}}', '{1,1}', 0, 0, 1, true, '{0,0}', '{1,100}')::crm.kmeans_model),
        (2, ROW(2, 2, '{{0,0},{10,100}}', '{1,1}', 0, 0, 1, true, NULL, NULL)::crm.kmeans_model),
        (3, ROW(2, 2, '{{0,0},{10,100}}', '{1,1}', 0, 0, 1, true, '{0,0}', '{1,100}')::crm.kmeans_model)) v(o, m)),
    '{2,1,2}'::int[], 'a different model in the next row is noticed (the parsed model is cached per call site)');
SELECT is((SELECT count(*) FROM example
           WHERE crm.kmeans_assign(f, (SELECT crm.kmeans('SELECT f FROM example', 2))) =
                 crm.kmeans_assign('{200,5}', (SELECT crm.kmeans('SELECT f FROM example', 2)))), 3::bigint,
    'labelling the training rows reproduces the clusters');
SELECT is(crm.kmeans_assign(NULL, (SELECT m FROM fixed)), NULL, 'NULL features get no segment');
SELECT throws_ok($$SELECT crm.kmeans_assign('{1,2,3}', m) FROM fixed$$, '2202E', 'the features have 3 values, the model has 2',
    'a point of the wrong length');
SELECT throws_ok($$SELECT crm.kmeans_assign('{1,NaN}', m) FROM fixed$$, '22023', 'feature 2 is NaN', 'a NaN feature');
SELECT throws_ok($$SELECT crm.kmeans_assign('{1,NULL}', m) FROM fixed$$, '22004', NULL, 'a NULL feature');
SELECT throws_ok($$SELECT crm.kmeans_assign('{1,2}', ROW(1, 1, '{1,2}', '{1}', 0, 0, 1, true, NULL, NULL)::crm.kmeans_model)$$,
    '22023', 'not a valid crm.kmeans_model: centroids', 'a model whose centroids are not k × d');
SELECT throws_ok($$SELECT crm.kmeans_assign('{1,2}', ROW(1, 1, '{{1,2}}', '{1}', 0, 0, 1, true, '{0,0}', '{1,0}')::crm.kmeans_model)$$,
    '22023', 'not a valid crm.kmeans_model: feature_scale must be positive', 'a model with a zero scale');

-- crm.kmeans_agg
CREATE TEMP TABLE regional AS
SELECT r.region, ARRAY[c.x + (i % 3) * 0.1, c.y + (i % 5) * 0.1]::float8[] AS f
FROM (VALUES ('north', 0), ('south', 100)) r(region, shift),
     (VALUES (0.0, 0.0), (10.0, 10.0), (20.0, 0.0)) c0(x0, y0),
     LATERAL (SELECT c0.x0 + r.shift AS x, c0.y0 AS y) c,
     generate_series(1, 40) i;
SELECT is((SELECT string_agg(region || ' ' || pg_temp.centres(m, 2), '; ' ORDER BY region)
           FROM (SELECT region, crm.kmeans_agg(f, 3) m FROM regional GROUP BY region) s),
    'north (0.10,0.20) (10.10,10.20) (20.10,0.20); south (100.10,0.20) (110.10,10.20) (120.10,0.20)',
    'GROUP BY region segments each region on its own');
SELECT is((SELECT pg_temp.centres(crm.kmeans_agg(f, 3, 10, 300, 1e-4, 42, false), 2) FROM regional WHERE region = 'north'),
    pg_temp.centres(crm.kmeans($$SELECT f FROM regional WHERE region = 'north'$$, 3, standardize => false), 2),
    'the aggregate with explicit options equals crm.kmeans over the same rows');
SELECT is((SELECT crm.kmeans_agg(f, 3) FROM regional WHERE false), NULL, 'no rows, no model');
SELECT throws_ok($$SELECT crm.kmeans_agg(f, (random() * 100)::int + 2) FROM regional$$, '22023',
    'k-means options differ between rows of one group', 'k must be the same on every row');
SELECT throws_ok($$SELECT crm.kmeans_agg(f, 0) FROM regional$$, '22023', 'k must be at least 1, not 0', 'k < 1 in the aggregate');

-- A plain table: parallel workers cannot read temporary ones.
CREATE TABLE kmeans_big_regional AS SELECT * FROM regional, generate_series(1, 50);
ANALYZE kmeans_big_regional;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT ok((SELECT bool_or(p ~ 'Partial Aggregate') FROM pg_temp.plan_of('SELECT crm.kmeans_agg(f, 3) FROM kmeans_big_regional') p),
    'the aggregate runs as a parallel partial aggregate');
SELECT is((SELECT pg_temp.centres(crm.kmeans_agg(f, 6), 2) FROM kmeans_big_regional),
    '(0.10,0.20) (10.10,10.20) (100.10,0.20) (110.10,10.20) (120.10,0.20) (20.10,0.20)',
    '... and finds the same six clusters from the workers'' combined rows');
SELECT ok((SELECT crm.kmeans_agg(f, 3) IS NULL FROM kmeans_big_regional WHERE generate_series % 100 = -1),
    'parallel workers that see no rows give no model (NULL)');
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- Refining keeps the numbering. Clusters at 0–2 and 10–12, fitted unscaled;
-- new data at 1–3 and 11–13: each centroid moves to its cluster's new mean,
-- 2 and 12 (by hand), and keeps its segment number.
CREATE TEMP TABLE shift (f float8[]);
INSERT INTO shift SELECT ARRAY[v] FROM unnest('{0,1,2,10,11,12}'::float8[]) v;
CREATE TEMP TABLE shifted AS SELECT crm.kmeans('SELECT f FROM shift', 2, standardize => false) m;
SELECT is((SELECT array_agg((r).centroids[s][1] ORDER BY s) FROM (
              SELECT crm.kmeans_refine('SELECT ARRAY[f[1] + 1] FROM shift', m) r FROM shifted) x, generate_series(1, 2) s),
          (SELECT array_agg((m).centroids[s][1] + 1 ORDER BY s) FROM shifted, generate_series(1, 2) s),
          'kmeans_refine moves each centroid to its cluster''s new mean and keeps its number');
SELECT throws_ok($$SELECT crm.kmeans_refine('SELECT ARRAY[1.0, 2.0]::float8[]', m) FROM shifted$$, '2202E',
    'the source has 2 features, the model has 1', 'refine data must match the model');

-- A state passed as text (as Citus ships it) and merged gives the same model.
CREATE AGGREGATE pg_temp.kmeans_partial(float8[], integer) (SFUNC = crm.kmeans_agg_step, STYPE = bytea);
CREATE AGGREGATE pg_temp.kmeans_merge(bytea) (SFUNC = crm.kmeans_agg_combine, STYPE = bytea,
                                              FINALFUNC = crm.kmeans_agg_final, FINALFUNC_MODIFY = READ_WRITE);
SELECT is((SELECT pg_temp.centres(pg_temp.kmeans_merge(s::text::bytea), 2)
           FROM (SELECT pg_temp.kmeans_partial(f, 6) s FROM regional) h),
          (SELECT pg_temp.centres(crm.kmeans_agg(f, 6), 2) FROM regional),
          'a kmeans_agg state through its text form gives the same model');
SELECT throws_ok($$SELECT crm.kmeans_agg_final('\x00'::bytea)$$, '22P03', NULL, 'a final function refuses a value no aggregate made');

-- Groups without rows, and NULL features.
SELECT ok((SELECT crm.kmeans_agg(f, 3) IS NULL FROM regional WHERE false), 'an empty group gives no model (NULL)');
SELECT ok((SELECT bool_and(m IS NULL) FROM (SELECT crm.kmeans_agg(f, 2) m FROM regional WHERE false GROUP BY f[1]) s) IS NULL,
    '... and GROUP BY over no rows gives no groups');
SELECT throws_ok($$SELECT crm.kmeans_agg(NULL::float8[], 2) FROM regional$$, '22004', 'the features of row 1 are NULL',
    'NULL features are refused, naming the row');
SELECT throws_ok($$SELECT crm.kmeans_agg(f, 2) OVER (ORDER BY f[1]) FROM regional$$, '0A000', NULL,
    'kmeans_agg refuses to run as a window function (its final function standardises the state in place)');

-- crm.silhouette and crm.kmeans_elbow
SELECT is(round(crm.silhouette('SELECT f FROM weighted', crm.kmeans('SELECT f FROM weighted', 3, standardize => false))::numeric, 12),
    0.662437565431, 'the silhouette equals scikit-learn''s silhouette_score for the same partition');
SELECT is(crm.silhouette('SELECT f FROM regional', crm.kmeans('SELECT f FROM regional', 6), 50),
          crm.silhouette('SELECT f FROM regional', crm.kmeans('SELECT f FROM regional', 6), 50),
    'a sampled silhouette is deterministic');
SELECT is(crm.silhouette('SELECT f FROM example', crm.kmeans('SELECT f FROM example', 1)), NULL,
    'one segment has no silhouette: NULL');
SELECT throws_ok($$SELECT crm.silhouette('SELECT ARRAY[1.0, 2, 3]::float8[]', m) FROM fixed$$, '2202E',
    'the source has 3 features, the model has 2', 'silhouette data must match the model');
SELECT is((SELECT array_agg(k ORDER BY k) FROM crm.kmeans_elbow($$SELECT f FROM regional WHERE region = 'north'$$, 1, 6)
           WHERE suggested), '{3}'::int[], 'the elbow suggests k = 3 for three clusters');
SELECT ok((SELECT bool_and(silhouette IS NULL AND simplified_silhouette IS NULL) FROM crm.kmeans_elbow('SELECT f FROM regional', 1, 2)
           WHERE k = 1), 'k = 1 has no silhouette');
SELECT ok((SELECT bool_and(silhouette > 0.8 AND simplified_silhouette > 0.8) FROM crm.kmeans_elbow($$SELECT f FROM regional WHERE region = 'north'$$, 3, 3)),
    'well separated clusters score a silhouette near 1');
SELECT throws_ok($$SELECT * FROM crm.kmeans_elbow('SELECT f FROM example', 3, 2)$$, '22023', 'the k range [3, 2] is empty or below 1',
    'an empty k range');

-- Bad input to crm.kmeans
SELECT throws_ok($$SELECT crm.kmeans('VALUES (''{1,2}''::float8[]), (NULL)', 1)$$, '22004', 'the features of row 2 are NULL', 'a NULL row');
SELECT throws_ok($$SELECT crm.kmeans('VALUES (''{1,NULL}''::float8[])', 1)$$, '22004', 'feature 2 of row 1 is NULL', 'a NULL element');
SELECT throws_ok($$SELECT crm.kmeans('VALUES (''{1,2}''::float8[]), (''{NaN,2}'')', 1)$$, '22023', 'feature 1 of row 2 is NaN', 'NaN');
SELECT throws_ok($$SELECT crm.kmeans('VALUES (''{1,-Infinity}''::float8[])', 1)$$, '22023', 'feature 2 of row 1 is -Infinity', 'infinity');
SELECT throws_ok($$SELECT crm.kmeans('VALUES (''{1,2}''::float8[]), (''{1,2,3}'')', 1)$$, '2202E', 'row 2 has 3 features, earlier rows have 2',
    'rows of different lengths');
SELECT throws_ok($$SELECT crm.kmeans('VALUES (''{{1,2}}''::float8[])', 1)$$, '2202E', NULL, 'a two-dimensional array');
SELECT throws_ok($$SELECT crm.kmeans('VALUES (''{}''::float8[])', 1)$$, '2202E', NULL, 'an empty array');
SELECT throws_ok($$SELECT crm.kmeans('SELECT f FROM example', 0)$$, '22023', 'k must be at least 1, not 0', 'k < 1');
SELECT throws_ok($$SELECT crm.kmeans('VALUES (''{1,1}''::float8[]), (''{1,1}''), (''{2,2}'')', 3)$$, 'PC020',
    'k = 3 is more than the 2 distinct points of the data', 'k above the number of distinct points');
-- Refused before anything the size of k is allocated or drawn: such a call
-- once ran for minutes with the restarts' thread deaf to the statement timeout.
SELECT throws_ok($$SELECT crm.kmeans('VALUES (''{1,1}''::float8[]), (''{2,2}'')', 2147483647, n_init => 10)$$, 'PC020',
    'k = 2147483647 is more than the 2 points of the data', 'k above the number of points, with restarts on two threads');
SELECT throws_ok($$SELECT crm.kmeans('SELECT f FROM example WHERE false', 2)$$, 'PC020', 'the source query returned no rows', 'an empty source');
SELECT throws_ok($$SELECT crm.kmeans('SELECT id FROM example', 2)$$, '42804', NULL, 'a last column that is not float8[]');
SELECT throws_ok($$SELECT crm.kmeans('SELECT f FROM example', 2, weight => 'w')$$, '42703',
    'the source query has no column "w" for the weights', 'a missing weight column');
SELECT throws_ok($$SELECT crm.kmeans('SELECT -w AS w, f FROM weighted', 2, weight => 'w')$$, '22023', NULL, 'a negative weight');
SELECT throws_ok($$SELECT crm.kmeans('SELECT f FROM example', NULL)$$, '22004', 'k must not be NULL', 'a NULL k');
SELECT throws_ok($$SELECT crm.kmeans('SET work_mem = ''64MB''', 2)$$, '22023', NULL, 'a source that is not a query');

SET LOCAL pgcrm.max_training_memory = '64kB';
SELECT throws_ok($$SELECT crm.kmeans('SELECT ARRAY[i, i]::float8[] FROM generate_series(1, 5000) i', 2)$$, '54000', NULL,
    'past pgcrm.max_training_memory the call fails cleanly');
RESET pgcrm.max_training_memory;

SET LOCAL statement_timeout = '300ms';
SELECT is(pg_temp.sqlstate_of($$SELECT crm.kmeans('SELECT ARRAY[random(), random(), random()] FROM generate_series(1, 300000)', 40, n_init => 100)$$),
    '57014', 'statement_timeout stops a long fit');
RESET statement_timeout;

-- The caller's privileges apply to the source query.
CREATE TABLE pg_temp.secret AS SELECT '{1,2}'::float8[] AS f;
CREATE ROLE pgcrm_kmeans_tester;
GRANT USAGE ON SCHEMA crm TO pgcrm_kmeans_tester;
SET LOCAL ROLE pgcrm_kmeans_tester;
SELECT throws_ok($$SELECT crm.kmeans('SELECT f FROM secret', 1)$$, '42501', NULL, 'the source runs with the caller''s privileges');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
