-- Statistics aggregates. Reference values from R 4.2.2 (Debian's r-base-core):
-- lm / summary.lm / vcov, glm(binomial) / summary.glm / confint.default,
-- t.test and prop.test on R's mtcars and sleep data sets, printed with 17
-- significant digits.
BEGIN;
SELECT plan(118);
\ir ../lib/pgtap.sql

CREATE TEMP TABLE mtcars (mpg float8, wt float8, hp float8, qsec float8, am int, cyl_group int GENERATED ALWAYS AS (hp::int % 3) STORED);
INSERT INTO mtcars VALUES
    (21, 2.6200000000000001, 110, 16.460000000000001, 1),
    (21, 2.875, 110, 17.02, 1),
    (22.800000000000001, 2.3199999999999998, 93, 18.609999999999999, 1),
    (21.399999999999999, 3.2149999999999999, 110, 19.440000000000001, 0),
    (18.699999999999999, 3.4399999999999999, 175, 17.02, 0),
    (18.100000000000001, 3.46, 105, 20.219999999999999, 0),
    (14.300000000000001, 3.5699999999999998, 245, 15.84, 0),
    (24.399999999999999, 3.1899999999999999, 62, 20, 0),
    (22.800000000000001, 3.1499999999999999, 95, 22.899999999999999, 0),
    (19.199999999999999, 3.4399999999999999, 123, 18.300000000000001, 0),
    (17.800000000000001, 3.4399999999999999, 123, 18.899999999999999, 0),
    (16.399999999999999, 4.0700000000000003, 180, 17.399999999999999, 0),
    (17.300000000000001, 3.73, 180, 17.600000000000001, 0),
    (15.199999999999999, 3.7799999999999998, 180, 18, 0),
    (10.4, 5.25, 205, 17.98, 0),
    (10.4, 5.4240000000000004, 215, 17.82, 0),
    (14.699999999999999, 5.3449999999999998, 230, 17.420000000000002, 0),
    (32.399999999999999, 2.2000000000000002, 66, 19.469999999999999, 1),
    (30.399999999999999, 1.615, 52, 18.52, 1),
    (33.899999999999999, 1.835, 65, 19.899999999999999, 1),
    (21.5, 2.4649999999999999, 97, 20.010000000000002, 0),
    (15.5, 3.52, 150, 16.870000000000001, 0),
    (15.199999999999999, 3.4350000000000001, 150, 17.300000000000001, 0),
    (13.300000000000001, 3.8399999999999999, 245, 15.41, 0),
    (19.199999999999999, 3.8450000000000002, 175, 17.050000000000001, 0),
    (27.300000000000001, 1.9350000000000001, 66, 18.899999999999999, 1),
    (26, 2.1400000000000001, 91, 16.699999999999999, 1),
    (30.399999999999999, 1.5129999999999999, 113, 16.899999999999999, 1),
    (15.800000000000001, 3.1699999999999999, 264, 14.5, 1),
    (19.699999999999999, 2.77, 175, 15.5, 1),
    (15, 3.5699999999999998, 335, 14.6, 1),
    (21.399999999999999, 2.7799999999999998, 109, 18.600000000000001, 1);

CREATE FUNCTION pg_temp.close(actual float8[], expected float8[], tolerance float8 DEFAULT 1e-8) RETURNS boolean
LANGUAGE sql AS $$
    SELECT bool_and(CASE WHEN e IS NULL THEN a IS NULL ELSE abs(a - e) <= tolerance * abs(e) END)
           AND array_length(actual, 1) = array_length(expected, 1)
    FROM unnest(actual, expected) u(a, e)
$$;

-- crm.linreg
CREATE TEMP TABLE fit AS SELECT crm.linreg(mpg, ARRAY[wt, hp, qsec]) f FROM mtcars;
SELECT ok(pg_temp.close((f).coefficients, '{27.610526858204938, -4.3587972001626856, -0.017822271605542488, 0.51083369424505742}'), 'lm coefficients') FROM fit;
SELECT ok(pg_temp.close((f).std_errors, '{8.4199284765393205, 0.7527003922347395, 0.014981168848936303, 0.43922153203755343}'), 'lm standard errors') FROM fit;
SELECT ok(pg_temp.close((f).t_values, '{3.2791878143783419, -5.7908794058437758, -1.1896449325986944, 1.1630433778492015}'), 'lm t values') FROM fit;
SELECT ok(pg_temp.close((f).p_values, '{0.0027845556611020826, 3.2172215296399067e-06, 0.24417624090336654, 0.2546283810265022}', 1e-7), 'lm p-values') FROM fit;
SELECT ok(pg_temp.close(ARRAY[(f).r_squared, (f).adj_r_squared, (f).sigma, (f).f_statistic, (f).f_p_value],
    '{0.83476776170582967, 0.81706430760288284, 2.5777848825208176, 47.152818701457747, 4.5064110240248436e-11}', 1e-6),
    'R², adjusted R², residual standard error, F and its p-value') FROM fit;
SELECT is(ARRAY[(f).n, (f).rank, (f).df_residual], '{32,4,28}'::bigint[], 'n, rank, residual df') FROM fit;
SELECT ok(abs(crm.linreg_predict(f, '{3.0, 110, 18}') - (27.610526858204938 - 4.3587972001626856 * 3 - 0.017822271605542488 * 110 + 0.51083369424505742 * 18)) < 1e-9,
    'linreg_predict is b0 + b·x') FROM fit;

SELECT ok(pg_temp.close((crm.linreg(mpg, ARRAY[wt, hp], false)).coefficients, '{6.8404499708353006, -0.033935259906657682}'),
    'without an intercept: lm(mpg ~ 0 + wt + hp)') FROM mtcars;
SELECT ok(pg_temp.close((crm.linreg(mpg, ARRAY[wt, hp, wt + hp, 1])).coefficients,
    '{37.227270116447201, -3.8778307424046821, -0.031772946982161002, NULL, NULL}'),
    'rank-deficient design: aliased columns (wt + hp, a constant) are NULL, as lm''s NA') FROM mtcars;
SELECT ok(pg_temp.close((crm.linreg(mpg, ARRAY[wt, hp, wt + hp, 1])).std_errors,
    '{1.5987875379993941, 0.6327334943773953, 0.0090297096758557224, NULL, NULL}'), '... and their standard errors') FROM mtcars;
SELECT ok((SELECT pg_temp.close((f).coefficients, '{-1, 4}', 1e-12) AND (f).std_errors = '{NULL,NULL}'::float8[] AND (f).df_residual = 0
           FROM (SELECT crm.linreg(y, ARRAY[x]) f FROM (VALUES (1.0, 3.0), (2.0, 7.0)) v(x, y)) s),
    'n = 2: the line through both points, no standard errors');
SELECT ok((SELECT abs((f).coefficients[1] - 120) < 1e-9 AND abs((f).coefficients[2] - 3.5) < 1e-10 AND abs((f).r_squared - 1) < 1e-12
           FROM (SELECT crm.linreg(3.5 * t + 120, ARRAY[t::float8]) f FROM generate_series(1, 24) t) s),
    'a noiseless monthly trend y = 3.5 t + 120 over 24 months is recovered exactly');
SELECT is((SELECT (crm.linreg(y, ARRAY[x])).n FROM (VALUES (1.0, 2.0), (2.0, NULL), (3.0, 5.0)) v(x, y)), 2::bigint,
    'rows with a NULL y are skipped');
SELECT is((SELECT crm.linreg(mpg, ARRAY[wt]) FROM mtcars WHERE false), NULL, 'no rows, no fit');
SELECT ok((SELECT bool_and(pg_temp.close((f).coefficients,
                CASE am WHEN 0 THEN '{31.416055395523159, -3.7859075327813585}'::float8[]
                        ELSE '{46.294477899987399, -9.0842680247530865}'::float8[] END))
           FROM (SELECT am, crm.linreg(mpg, ARRAY[wt]) f FROM mtcars GROUP BY am) a),
    'GROUP BY fits each group: lm(mpg ~ wt) on the am = 0 and am = 1 subsets');

-- Accuracy: NIST StRD Wampler1 (https://www.itl.nist.gov/div898/strd/lls/data/Wampler1.shtml)
-- is y = 1 + x + x² + x³ + x⁴ + x⁵ for x = 0…20, certified coefficients all 1;
-- the powers as a user writes them. test/unit/statistics_nist_test.cpp has all
-- of NIST's problems.
SELECT ok((SELECT (SELECT bool_and(abs(c - 1) < 1e-12) FROM unnest((f).coefficients) c) AND (f).rank = 6 AND (f).sigma < 1e-8
           FROM (SELECT crm.linreg(1 + x + x^2 + x^3 + x^4 + x^5, ARRAY[x, x^2, x^3, x^4, x^5]) f
                 FROM generate_series(0, 20) g, LATERAL (SELECT g::float8 AS x) v) s),
    'NIST Wampler1: every coefficient is 1 to 12 digits (the certified value)');
-- A column that differs from another by 1e-9 of its size: kept at the default
-- tolerance (1e-10), aliased at R's 1e-7 (the fifth argument).
CREATE TEMP TABLE near_alias AS SELECT wt, hp, mpg, wt * (1 + 1e-9 * sin(hp)) AS wt2 FROM mtcars;
SELECT is((SELECT (crm.linreg(mpg, ARRAY[wt, wt2, hp])).rank FROM near_alias), 4, 'a near copy of a column is kept at the default tolerance');
SELECT ok((SELECT (f).rank = 3 AND (f).coefficients[3] IS NULL AND pg_temp.close((f).coefficients, '{37.227270116447201, -3.8778307424046821, NULL, -0.031772946982161002}')
           FROM (SELECT crm.linreg(mpg, ARRAY[wt, wt2, hp], true, false, 1e-7) f FROM near_alias) s),
    '... and aliased with the tolerance 1e-7, as lm(tol = 1e-7) does');
SELECT throws_ok($$SELECT crm.linreg(mpg, ARRAY[wt], true, false, 1.5) FROM mtcars$$, '22023', NULL, 'a tolerance of 1 or more');
SELECT throws_ok($$SELECT crm.linreg(mpg, ARRAY[wt], true, NULL) FROM mtcars$$, '22004', 'skip_nulls must not be NULL', 'a NULL option');
SELECT ok(pg_temp.close((f).covariance[2:2][1:4], '{{2.6923056666197324738, 0.5665578804703307325, -0.0086788867119381996, -0.1816362385604296525}}'::float8[], 1e-10)
          AND array_dims((f).covariance) = '[1:4][1:4]', 'covariance is vcov(lm(mpg ~ wt + hp + qsec)), a 4 × 4 array') FROM fit;
SELECT ok((SELECT (f).covariance[4:4][1:5] = '{{NULL,NULL,NULL,NULL,NULL}}'::float8[] AND (f).covariance[2][2] > 0
           FROM (SELECT crm.linreg(mpg, ARRAY[wt, hp, wt + hp, 1]) f FROM mtcars) s),
    'aliased terms have NULL rows and columns in the covariance');

-- Missing values: a NULL y is skipped and counted; with skip_nulls (the
-- fourth argument) so is a NULL x or a NULL in x. lm(mpg ~ wt + hp, d) with
-- d$wt[d$hp > 200] <- NA (R's default na.omit) on 25 of the 32 cars.
CREATE TEMP TABLE gaps AS SELECT mpg, CASE WHEN hp <= 200 THEN wt END AS wt, hp, am FROM mtcars;
SELECT ok((SELECT pg_temp.close((f).coefficients, '{40.385230174520515334, -4.747341059473111358, -0.038952632836338909}') AND (f).n = 25 AND (f).skipped = 7
           FROM (SELECT crm.linreg(mpg, ARRAY[wt, hp], true, true) f FROM gaps) s),
    'skip_nulls skips the 7 rows with a NULL in x and counts them, as lm with na.omit');
SELECT ok((SELECT (f).n = 25 AND (f).skipped = 7 FROM (SELECT crm.linreg(mpg, CASE WHEN wt IS NOT NULL THEN ARRAY[wt, hp] END, true, true) f FROM gaps) s),
    '... and the rows whose x is NULL');
SELECT ok((SELECT (f).n = 25 AND (f).skipped = 7 FROM (SELECT crm.linreg(CASE WHEN wt IS NOT NULL THEN mpg END, ARRAY[coalesce(wt, 0), hp]) f FROM gaps) s),
    'without skip_nulls, rows with a NULL y are skipped and counted too');
SELECT throws_ok($$SELECT crm.linreg(mpg, ARRAY[wt, hp]) FROM gaps$$, '22004', NULL, 'without skip_nulls a NULL in x stays an error');
SELECT is((SELECT crm.linreg(mpg, ARRAY[wt, hp], true, true) FROM gaps WHERE wt IS NULL), NULL, 'every row skipped: no fit');
SELECT ok((SELECT pg_temp.close((g).coefficients, '{16.748752350943217237, -7.266322847373358762, 0.035173289022077593}', 1e-10) AND (g).n = 25 AND (g).skipped = 7
           FROM (SELECT crm.logreg(am = 1, ARRAY[wt, hp], true, true) g FROM gaps) s),
    'logreg with skip_nulls: glm(am ~ wt + hp, binomial, d) with na.omit');
SELECT throws_ok($$SELECT crm.logreg(am = 1, ARRAY[wt, hp]) FROM gaps$$, '22004', NULL, 'logreg without skip_nulls: a NULL in x is an error');
SELECT throws_ok($$SELECT crm.linreg(mpg, ARRAY[hp], hp > 150) FROM mtcars$$, '22023', NULL, 'options that change between rows');

-- crm.linreg_robust: sqrt(diag(sandwich::vcovHC(lm(mpg ~ wt + hp + qsec, mtcars), type = t)))
-- (r-cran-sandwich 3.0-2); t and p as lmtest::coeftest(m, vcov. = vcovHC(m, "HC3")).
SELECT ok((SELECT bool_and(pg_temp.close((r).std_errors, e, 1e-10)) FROM (
              SELECT t, crm.linreg_robust(f, mpg, ARRAY[wt, hp, qsec], t) r FROM mtcars, fit, unnest('{HC0,HC1,hc2,HC3}'::text[]) t GROUP BY t) s
           JOIN (VALUES ('HC0', '{5.8415424447313766265, 0.7654367522030132154, 0.0098608834284725586, 0.3417746770619309871}'::float8[]),
                        ('HC1', '{6.244871553850995127, 0.818286307996710871, 0.010541727805786849, 0.365372498583058924}'),
                        ('hc2', '{6.559931287424687341, 0.848049768133847692, 0.011497134220106299, 0.380776577746399225}'),
                        ('HC3', '{7.547310887742159302, 0.950065225150502068, 0.013818780475153294, 0.433614349035022328}')) v(t, e) USING (t)),
    'linreg_robust gives sandwich''s HC0, HC1, HC2 and HC3 standard errors');
CREATE TEMP TABLE robust AS SELECT crm.linreg_robust(f, mpg, ARRAY[wt, hp, qsec]) r FROM mtcars, fit;
SELECT ok((r).type = 'HC3' AND (r).n = 32 AND (r).skipped = 0
          AND pg_temp.close((r).t_values, '{3.6583264249851055, -4.5878925833457362, -1.2897137802852883, 1.1780830025156714}', 1e-10)
          AND pg_temp.close((r).p_values, '{1.0418601474243938e-03, 8.5510952933948127e-05, 2.0770155285455960e-01, 2.4867944216014345e-01}', 1e-9)
          AND abs((r).covariance[1][4] - -3.1493873960278051527) < 1e-9, 'HC3 by default, with coeftest''s t and p') FROM robust;
SELECT throws_ok($$SELECT crm.linreg_robust(f, mpg, ARRAY[wt, hp, qsec], 'HC4') FROM mtcars, fit$$, '22023', NULL, 'an unknown type');
SELECT throws_ok($$SELECT crm.linreg_robust(f, mpg, ARRAY[wt, hp]) FROM mtcars, fit$$, '2202E', NULL, 'x that does not fit the model');
SELECT throws_ok($$SELECT crm.linreg_robust(CASE WHEN am = 1 THEN f ELSE (SELECT crm.linreg(mpg, ARRAY[wt, hp, qsec]) FROM mtcars WHERE am = 0) END,
                                            mpg, ARRAY[wt, hp, qsec]) FROM mtcars, fit$$, '22023', NULL, 'two models in one group');
SELECT ok((SELECT pg_temp.close((r).std_errors, '{2.0367350019129633054, 0.6512037548099433026, 0.0069813612520214169, NULL}', 1e-10) AND (r).skipped = 0
           FROM (SELECT crm.linreg_robust(m, mpg, ARRAY[wt, hp, wt + hp], 'HC1') r
                 FROM mtcars, (SELECT crm.linreg(mpg, ARRAY[wt, hp, wt + hp]) m FROM mtcars) f) s),
    'aliased terms have none: vcovHC(lm(mpg ~ wt + hp + I(wt + hp)), "HC1")');
SELECT ok((SELECT (r).n = 25 AND (r).skipped = 7 FROM (
              SELECT crm.linreg_robust(m, mpg, ARRAY[wt, hp], 'HC0', true) r
              FROM gaps, (SELECT crm.linreg(mpg, ARRAY[wt, hp], true, true) m FROM gaps) f) s),
    'with skip_nulls the second pass skips what the fit skipped');
SELECT ok((SELECT r IS NULL FROM (SELECT crm.linreg_robust(NULL::crm.linreg_result, mpg, ARRAY[wt]) r FROM mtcars) s),
    'no model, no robust errors');

-- A plain table: parallel workers cannot read temporary ones.
CREATE TABLE stats_parallel AS SELECT m.*, i FROM mtcars m, generate_series(1, 2000) i;
ANALYZE stats_parallel;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial AS SELECT crm.linreg(mpg, ARRAY[wt, hp, qsec]) f, crm.logreg(am = 1, ARRAY[wt, hp]) g,
    crm.ttest(mpg, am = 1) t, crm.prop_test(hp > 120, am = 1) p FROM stats_parallel;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT ok((SELECT bool_or(p ~ 'Partial Aggregate') FROM pg_temp.plan_of(
    'SELECT crm.linreg(mpg, ARRAY[wt]), crm.logreg(am = 1, ARRAY[wt]), crm.ttest(mpg, am = 1), crm.prop_test(hp > 120, am = 1) FROM stats_parallel') p),
    'all four aggregates run as parallel partial aggregates');
CREATE TEMP TABLE parallel AS SELECT crm.linreg(mpg, ARRAY[wt, hp, qsec]) f, crm.logreg(am = 1, ARRAY[wt, hp]) g,
    crm.ttest(mpg, am = 1) t, crm.prop_test(hp > 120, am = 1) p FROM stats_parallel;
SELECT ok(pg_temp.close((p.f).coefficients, (s.f).coefficients, 1e-10) AND pg_temp.close((p.f).std_errors, (s.f).std_errors, 1e-10),
    'linreg under parallel query equals the serial fit') FROM parallel p, serial s;
SELECT ok(pg_temp.close((p.g).coefficients, (s.g).coefficients, 1e-12), 'logreg under parallel query equals the serial fit')
    FROM parallel p, serial s;
SELECT ok(abs((p.t).t - (s.t).t) < 1e-9 * abs((s.t).t) AND (p.p)::text = (s.p)::text, 'ttest and prop_test too')
    FROM parallel p, serial s;
-- Parallel workers that see no rows pass on no state; the combined result is
-- that of an empty group.
SELECT ok((SELECT bool_or(p ~ 'Partial Aggregate') FROM pg_temp.plan_of(
    'SELECT crm.linreg(NULL::float8, ARRAY[wt]) FROM stats_parallel WHERE i % 2000 = -1') p),
    'the all-NULL and empty shapes below run as parallel partial aggregates');
SELECT ok((SELECT crm.linreg(NULL::float8, ARRAY[wt]) IS NULL AND crm.linreg(mpg, ARRAY[wt], false) IS NULL
                  AND crm.logreg(NULL::boolean, ARRAY[wt]) IS NULL AND crm.logreg(am = 1, ARRAY[wt]) IS NULL
                  AND (crm.ttest(mpg, am = 1)).n_control IS NULL AND crm.prop_test(hp > 120, am = 1) IS NULL
           FROM stats_parallel WHERE i % 2000 = -1),
    'in parallel, no rows give no model or test (NULL)');
SELECT ok((SELECT crm.linreg(NULL::float8, ARRAY[wt]) IS NULL AND crm.logreg(NULL::boolean, ARRAY[wt]) IS NULL
           FROM stats_parallel),
    'in parallel, rows whose every y is NULL give no model (NULL)');
-- The aggregates this release adds, the same ways.
CREATE TABLE stats_model AS SELECT crm.linreg(mpg, ARRAY[wt, hp, qsec]) f FROM mtcars;
CREATE FUNCTION pg_temp.added_aggregates(filter text) RETURNS TABLE (r crm.linreg_robust_result, o crm.ttest_one_result,
    d crm.ttest_one_result, c crm.chisq_test_result, w crm.mann_whitney_result, k crm.classification_result, q crm.roc_point[])
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format('SELECT crm.linreg_robust((SELECT f FROM stats_model), mpg, ARRAY[wt, hp, qsec]), crm.ttest_one(mpg, 20),
        crm.ttest_paired(mpg, qsec), crm.chisq_test(am::text, (hp > 120)::text), crm.mann_whitney(mpg, am = 1),
        crm.classification_metrics(wt / 6, am = 1), crm.roc_points(round(wt)::float8, am = 1) FROM stats_parallel WHERE %s', filter);
END $$;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE added_serial AS SELECT * FROM pg_temp.added_aggregates('true');
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT ok((SELECT bool_or(p ~ 'Partial Aggregate') FROM pg_temp.plan_of(
    'SELECT crm.linreg_robust((SELECT f FROM stats_model), mpg, ARRAY[wt, hp, qsec]), crm.ttest_one(mpg, 20), crm.ttest_paired(mpg, qsec),
            crm.chisq_test(am::text, (hp > 120)::text), crm.mann_whitney(mpg, am = 1), crm.classification_metrics(wt / 6, am = 1),
            crm.roc_points(round(wt)::float8, am = 1) FROM stats_parallel') p),
    'linreg_robust, ttest_one, ttest_paired, chisq_test, mann_whitney, classification_metrics and roc_points run as parallel partial aggregates');
SELECT ok(pg_temp.close((p.r).std_errors, (s.r).std_errors, 1e-10) AND abs((p.o).t - (s.o).t) < 1e-9 * abs((s.o).t)
          AND abs((p.d).t - (s.d).t) < 1e-9 * abs((s.d).t) AND (p.c)::text = (s.c)::text AND (p.w)::text = (s.w)::text
          -- Brier score and log-loss are float sums, whose last bits follow the
          -- order the workers' partial states meet in (forced JIT shows it).
          AND abs((p.k).brier - (s.k).brier) < 1e-12 * (s.k).brier AND abs((p.k).log_loss - (s.k).log_loss) < 1e-12 * (s.k).log_loss
          AND ((p.k).n, (p.k).positives, (p.k).auc, (p.k).true_positives, (p.k).false_positives, (p.k).true_negatives,
               (p.k).false_negatives) = ((s.k).n, (s.k).positives, (s.k).auc, (s.k).true_positives, (s.k).false_positives,
                                         (s.k).true_negatives, (s.k).false_negatives)
          AND (p.q)::text = (s.q)::text,
    '... and give the serial results') FROM pg_temp.added_aggregates('true') p, added_serial s;
SELECT ok((SELECT bool_and(r IS NULL AND o IS NULL AND d IS NULL AND c IS NULL AND w IS NULL AND k IS NULL AND q IS NULL)
           FROM pg_temp.added_aggregates('i % 2000 = -1')),
    '... and in parallel, no rows give NULL');
SELECT ok((SELECT r IS NULL AND (o).n = 0 AND (o).t IS NULL AND c IS NULL AND (w).n_treatment = 0 AND (w).w IS NULL AND k IS NULL AND q IS NULL
           FROM (SELECT crm.linreg_robust((SELECT f FROM stats_model), NULL, ARRAY[wt, hp, qsec]) r, crm.ttest_one(NULL::float8) o,
                        crm.chisq_test(NULL, 'x') c, crm.mann_whitney(NULL, true) w, crm.classification_metrics(NULL, true) k,
                        crm.roc_points(NULL, true) q
                 FROM stats_parallel) s),
    '... and rows whose values are all NULL give no result, or one that counts none');
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;

-- Groups without a state: only NULL rows, or no rows at all. Each used to
-- crash linreg and logreg (a null pointer passed on as a state).
SELECT ok(crm.linreg(NULL::float8, ARRAY[1]::float8[]) IS NULL, 'linreg of one row with a NULL y is NULL');
SELECT ok(crm.linreg(NULL::float8, ARRAY[1]::float8[], false) IS NULL, '... in the three-argument form too');
SELECT ok(crm.logreg(NULL::boolean, ARRAY[1]::float8[]) IS NULL, 'logreg of one row with a NULL y is NULL');
SELECT is((SELECT array_agg(f IS NULL ORDER BY am) FROM (
              SELECT am, crm.linreg(CASE WHEN am = 0 THEN mpg END, ARRAY[wt]) f FROM mtcars GROUP BY am) s),
          '{f,t}'::boolean[], 'GROUP BY: the group whose every y is NULL gets NULL, the other its fit');
SELECT is((SELECT array_agg(f IS NULL ORDER BY am) FROM (
              SELECT am, crm.logreg(CASE WHEN am = 0 THEN hp > 120 END, ARRAY[wt]) f FROM mtcars GROUP BY am) s),
          '{f,t}'::boolean[], '... and the same for logreg');
SELECT ok((SELECT crm.linreg(mpg, ARRAY[wt]) IS NULL AND crm.logreg(am = 1, ARRAY[wt]) IS NULL
                  AND crm.ttest(mpg, am = 1) IS NULL AND crm.prop_test(hp > 120, am = 1) IS NULL FROM mtcars WHERE false),
    'an empty group gives NULL from every statistics aggregate');
SELECT is((SELECT ARRAY[(t).n_treatment, (t).n_control] FROM (SELECT crm.ttest(NULL::float8, true) t) s), '{0,0}'::bigint[],
    'a ttest over NULL values counts no observations');
SELECT is((SELECT ARRAY[(p).n_treatment, (p).n_control] FROM (SELECT crm.prop_test(NULL::boolean, true) p) s), '{0,0}'::bigint[],
    'a prop_test over NULL conversions counts none');
SELECT ok((SELECT crm.linreg_robust(f, mpg, ARRAY[wt, hp, qsec]) IS NULL AND crm.ttest_one(mpg) IS NULL AND crm.ttest_paired(mpg, qsec) IS NULL
                  AND crm.chisq_test(am::text, 'x') IS NULL AND crm.mann_whitney(mpg, true) IS NULL
                  AND crm.classification_metrics(wt, true) IS NULL AND crm.roc_points(wt, true) IS NULL
           FROM mtcars, fit WHERE false),
    'an empty group gives NULL from the aggregates this release adds');
SELECT is((SELECT array_agg(c IS NULL ORDER BY am) FROM (
              SELECT am, crm.chisq_test(CASE WHEN am = 0 THEN 'x' END, 'y') c FROM mtcars GROUP BY am) s),
          '{f,t}'::boolean[], 'GROUP BY: a chisq_test group of NULL labels gets NULL');
-- A moving frame: the final function runs once per row. Slopes by hand: rows
-- 2 and 3 are the points (2, 1) and (3, 3), slope 2; rows 2 to 4 add (5, 8):
-- Sxy = 11, Sxx = 14/3, slope 33/14.
CREATE TEMP TABLE frame (i int, y float8, x float8);
INSERT INTO frame VALUES (1, NULL, 1), (2, 1, 2), (3, 3, 3), (4, 8, 5);
SELECT ok((SELECT array_agg(f IS NULL ORDER BY i) = '{t,f,f,f}' AND abs(max((f).coefficients[2]) FILTER (WHERE i = 3) - 2) < 1e-9
                  AND abs(max((f).coefficients[2]) FILTER (WHERE i = 4) - 33 / 14.0) < 1e-9
           FROM (SELECT i, crm.linreg(y, ARRAY[x]) OVER (ORDER BY i ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) f FROM frame) w),
    'linreg over a window frame: NULL while the frame holds only a NULL y, then each frame''s fit');
SELECT is((SELECT array_agg((t).n_treatment ORDER BY i) FROM (
              SELECT i, crm.ttest(y, true) OVER (ORDER BY i ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) t FROM frame) w),
          '{0,1,2,2}'::bigint[], 'ttest over a window frame counts each frame''s values');
SELECT is((SELECT array_agg((p).n_treatment ORDER BY i) FROM (
              SELECT i, crm.prop_test(y > 2, true) OVER (ORDER BY i) p FROM frame) w),
          '{0,1,2,3}'::bigint[], 'prop_test over a growing window frame');
SELECT is((SELECT array_agg(ARRAY[(o).n, (c).n, (w).n_treatment, (k).n, cardinality(q), (r).n] ORDER BY i) FROM (
              SELECT i, crm.ttest_one(y) OVER w o, crm.chisq_test((y > 2)::text, 'all') OVER w c, crm.mann_whitney(y, i % 2 = 0) OVER w w,
                     crm.classification_metrics(y / 10, i % 2 = 0) OVER w k, crm.roc_points(y / 10, i % 2 = 0) OVER w q,
                     crm.linreg_robust((SELECT crm.linreg(y, ARRAY[x]) FROM frame), y, ARRAY[x], 'HC0') OVER w r
              FROM frame WINDOW w AS (ORDER BY i ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)) f),
          '{{0,NULL,0,NULL,NULL,NULL},{1,1,1,1,0,1},{2,2,1,2,3,2},{2,2,1,2,3,2}}'::bigint[],
    'the aggregates this release adds over a moving window frame: each frame''s rows');
-- logreg's final function reuses its state's memory for the fit.
SELECT throws_ok($$SELECT crm.logreg(y > 2, ARRAY[x]) OVER (ORDER BY i) FROM frame$$, '0A000', NULL,
    'logreg refuses to run as a window function');

SELECT throws_ok($$SELECT crm.linreg(mpg, ARRAY[wt, NULL]) FROM mtcars$$, '22004', 'x of row 1 contains a NULL', 'NULL inside x');
SELECT throws_ok($$SELECT crm.linreg(mpg, CASE WHEN am = 1 THEN ARRAY[wt] ELSE ARRAY[wt, hp] END) FROM mtcars$$, '2202E', NULL,
    'x arrays of different lengths in one group');
SELECT throws_ok($$SELECT crm.linreg(y, ARRAY[x]) FROM (VALUES (1.0, 'NaN'::float8)) v(x, y)$$, '22023', 'y of row 1 is NaN', 'NaN y');
SELECT throws_ok($$SELECT crm.linreg(y, ARRAY[x]) FROM (VALUES ('Infinity'::float8, 1.0)) v(x, y)$$, '22023', NULL, 'infinite x');
SELECT throws_ok($$SELECT crm.linreg(mpg, NULL::float8[]) FROM mtcars$$, '22004', 'x of row 1 is NULL', 'a NULL x');
SELECT throws_ok($$SELECT crm.linreg(mpg, '{}') FROM mtcars$$, '2202E', NULL, 'an empty x');
SELECT throws_ok($$SELECT crm.linreg_predict(f, '{1,2}') FROM fit$$, '2202E', NULL, 'predicting with the wrong number of values');
SELECT throws_ok($$SELECT crm.linreg_predict(f, '{1,NaN,2}') FROM fit$$, '22023', 'an x value is NaN', 'predicting for NaN');
SELECT is((SELECT array_agg(crm.linreg_predict(m, '{2}') ORDER BY o) FROM (VALUES
        (1, ROW('{1,3}', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 9, 2, 7, true, NULL, 0)::crm.linreg_result),
        (2, ROW('{5}', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 9, 1, 8, false, NULL, 0)::crm.linreg_result),
        (3, ROW('{1,3}', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 9, 2, 7, true, NULL, 0)::crm.linreg_result)) v(o, m)),
    '{7,10,7}'::float8[], 'a different model in the next row is noticed (the parsed model is cached per call site)');

-- States are bytea, the same between processes and machines: partial states
-- made per half of the data, passed through their text form (as Citus ships
-- them) and merged by the combine function, give the fit of all the data.
CREATE AGGREGATE pg_temp.linreg_partial(float8, float8[]) (SFUNC = crm.linreg_step, STYPE = bytea);
CREATE AGGREGATE pg_temp.linreg_merge(bytea) (SFUNC = crm.linreg_combine, STYPE = bytea, FINALFUNC = crm.linreg_final);
CREATE AGGREGATE pg_temp.logreg_partial(boolean, float8[]) (SFUNC = crm.logreg_step, STYPE = bytea);
CREATE AGGREGATE pg_temp.logreg_merge(bytea) (SFUNC = crm.logreg_combine, STYPE = bytea, FINALFUNC = crm.logreg_final,
                                              FINALFUNC_MODIFY = READ_WRITE);
SELECT ok(pg_temp.close((SELECT (pg_temp.linreg_merge(s::text::bytea)).coefficients
                         FROM (SELECT pg_temp.linreg_partial(mpg, ARRAY[wt, hp]) s FROM mtcars GROUP BY am) h),
                        (SELECT (crm.linreg(mpg, ARRAY[wt, hp])).coefficients FROM mtcars), 1e-10),
    'linreg partial states merged from their text form give the whole fit');
SELECT ok(pg_temp.close((SELECT (pg_temp.logreg_merge(s::text::bytea)).coefficients
                         FROM (SELECT pg_temp.logreg_partial(am = 1, ARRAY[wt]) s FROM mtcars GROUP BY cyl_group) h),
                        (SELECT (crm.logreg(am = 1, ARRAY[wt])).coefficients FROM mtcars), 1e-8),
    '... and logreg''s, whose states carry their rows');
SELECT throws_ok($$SELECT crm.linreg_final('\x0102'::bytea)$$, '22P03', NULL, 'a final function refuses a value no aggregate made');
SELECT throws_ok($$SELECT crm.logreg_final(decode(repeat('00', 64), 'hex'))$$, '22P03', NULL, '... a rows state too');
CREATE AGGREGATE pg_temp.forged(float8, float8[]) (SFUNC = crm.linreg_step, STYPE = bytea, FINALFUNC = crm.linreg_final,
                                                   INITCOND = '\x00000000000000000000000000000000');
SELECT throws_ok($$SELECT pg_temp.forged(mpg, ARRAY[wt]) FROM mtcars$$, '22P03', NULL, 'a forged initial state is refused');
SELECT throws_ok($$SELECT crm.linreg_step(NULL, 1, '{1}')$$, '0A000', NULL, 'a step function outside an aggregate');

-- crm.one_hot
SELECT is(crm.one_hot('retail', '{construction,retail,utilities}'), '{1,0}'::float8[], 'one-hot against the reference level');
SELECT is(crm.one_hot('construction', '{construction,retail,utilities}', false), '{1,0,0}'::float8[], '... or every level');
SELECT throws_ok($$SELECT crm.one_hot('mining', '{construction,retail}')$$, '22023', NULL, 'an unknown level');

-- crm.logreg
CREATE TEMP TABLE churn AS SELECT crm.logreg(am = 1, ARRAY[wt, hp]) g FROM mtcars;
SELECT ok(pg_temp.close((g).coefficients, '{18.866298717204096, -8.0834751824446283, 0.036255596082216547}', 1e-10), 'glm coefficients') FROM churn;
SELECT ok(pg_temp.close((g).std_errors, '{7.443558060205274, 3.0686751130546961, 0.017734153650769347}', 1e-10), 'glm standard errors') FROM churn;
SELECT ok(pg_temp.close((g).p_values, '{0.011258198716613689, 0.0084338125997070225, 0.040914646459029938}', 1e-10), 'glm p-values') FROM churn;
SELECT ok(pg_temp.close(ARRAY[(g).deviance, (g).null_deviance, (g).aic, (g).log_likelihood],
    '{10.059110472266989, 43.229733276857807, 16.059110472266987, -5.0295552361334934}'), 'deviance, null deviance, AIC, log-likelihood') FROM churn;
SELECT ok((g).converged AND (g).iterations = 8 AND NOT (g).separation, 'converged in 8 iterations like glm') FROM churn;
SELECT ok(pg_temp.close((g).covariance[2:2][1:3], '{{-22.037057580823091740, 9.41676694948125181, -0.04183238803556439}}'::float8[], 1e-10),
    'covariance is vcov(glm)') FROM churn;
SELECT ok(pg_temp.close((g).odds_ratios, '{1.5614548350632006e+08, 3.0859673984047552e-04, 1.0369208455288090e+00}', 1e-10)
          AND pg_temp.close((g).odds_ratio_low, '{7.2037945596981118e+01, 7.5392881418836278e-07, 1.0014984151341872e+00}', 1e-10)
          AND pg_temp.close((g).odds_ratio_high, '{3.3845235059624275e+14, 1.2631424353065951e-01, 1.0735961471772446e+00}', 1e-10),
    'odds ratios and their 95% Wald intervals: exp(coef(g)), exp(confint.default(g))') FROM churn;
SELECT ok(abs(crm.logreg_predict(g, '{2.5, 120}') - 1 / (1 + exp(-(18.866298717204096 - 8.0834751824446283 * 2.5 + 0.036255596082216547 * 120)))) < 1e-6,
    'logreg_predict gives the modelled probability') FROM churn;
SELECT ok((SELECT (g).separation AND (g).iterations <= 25 AND (g).coefficients[2] > 10
           FROM (SELECT crm.logreg(x > 0, ARRAY[x]) g FROM unnest('{-3,-2,-1.5,-1,-0.5,0.5,1,2,2.5,3}'::float8[]) x) s),
    'perfect separation is reported, with finite coefficients');

-- crm.ttest and crm.prop_test
CREATE TEMP TABLE sleep AS SELECT v, g = 2 AS treated FROM unnest(
    '{0.7,-1.6,-0.2,-1.2,-0.1,3.4,3.7,0.8,0.0,2.0,1.9,0.8,1.1,0.1,-0.1,4.4,5.5,1.6,4.6,3.4}'::float8[],
    '{1,1,1,1,1,1,1,1,1,1,2,2,2,2,2,2,2,2,2,2}'::int[]) u(v, g);
SELECT ok(pg_temp.close(ARRAY[(t).t, (t).df, (t).p_value, (t).ci_low, (t).ci_high],
    '{1.8608134674868531, 17.776473516178498, 0.079394140187358173, -0.20548323071171018, 3.3654832307117104}'),
    'Welch''s t-test equals t.test(extra ~ group) on R''s sleep data') FROM (SELECT crm.ttest(v, treated) t FROM sleep) s;
SELECT ok(pg_temp.close(ARRAY[(t).t, (t).df, (t).p_value, (t).ci_low, (t).ci_high],
    '{1.8608134674868528, 18, 0.079186714215938175, -0.20387403228759859, 3.3638740322875984}'),
    'Student''s t-test equals t.test(var.equal = TRUE)') FROM (SELECT crm.ttest(v, treated, true) t FROM sleep) s;
SELECT is((SELECT (crm.ttest(v, treated)).t FROM (VALUES (1.0, true), (2.0, false), (3.0, false)) x(v, treated)), NULL,
    'a group with one observation has no t statistic');
CREATE TEMP TABLE campaign AS
SELECT i <= 230 AS converted, true AS treated FROM generate_series(1, 2000) i
UNION ALL SELECT i <= 200, false FROM generate_series(1, 2100) i;
SELECT ok(pg_temp.close(ARRAY[(p).z * (p).z, (p).p_value, (p).ci_low, (p).ci_high, (p).p_treatment],
    '{4.2614385593284299, 0.038986892615590282, 0.00097078791223200941, 0.038553021611577531, 0.115}'),
    'prop_test equals prop.test(c(230, 200), c(2000, 2100), correct = FALSE)') FROM (SELECT crm.prop_test(converted, treated) p FROM campaign) s;
SELECT ok(abs((p).lift - (0.115 / (200.0 / 2100) - 1)) < 1e-12, 'the lift is p_treatment / p_control - 1')
    FROM (SELECT crm.prop_test(converted, treated) p FROM campaign) s;
SELECT throws_ok($$SELECT crm.ttest(v, true) FROM (VALUES ('NaN'::float8)) x(v)$$, '22023', NULL, 'a NaN value');


-- crm.ttest_one and crm.ttest_paired: R's t.test(mtcars$mpg, mu = 20) and
-- t.test(extra[11:20], extra[1:10], paired = TRUE) on the sleep data.
SELECT ok(pg_temp.close(ARRAY[(t).t, (t).df, (t).p_value, (t).mean, (t).ci_low, (t).ci_high],
    '{0.085060035681333551, 31, 0.9327606409093897, 20.090624999999999, 17.917678508746242, 22.263571491253757}', 1e-10)
    AND (t).n = 32 AND (t).mu = 20, 'ttest_one equals t.test(mpg, mu = 20)') FROM (SELECT crm.ttest_one(mpg, 20) t FROM mtcars) s;
SELECT ok(abs((crm.ttest_one(v)).t - 3.4129649952701091) < 1e-10 * 3.4129649952701091, 'mu is 0 by default: t.test(sleep$extra)') FROM sleep;
CREATE TEMP TABLE sleep_pairs AS SELECT i, a.v AS drug2, c.v AS drug1
    FROM unnest('{1.9,0.8,1.1,0.1,-0.1,4.4,5.5,1.6,4.6,3.4}'::float8[]) WITH ORDINALITY a(v, i)
    JOIN unnest('{0.7,-1.6,-0.2,-1.2,-0.1,3.4,3.7,0.8,0.0,2.0}'::float8[]) WITH ORDINALITY c(v, i) USING (i);
SELECT ok(pg_temp.close(ARRAY[(t).t, (t).df, (t).p_value, (t).mean, (t).ci_low, (t).ci_high],
    '{4.0621276833820366, 9, 0.0028328901973842702, 1.5800000000000001, 0.70011423672301754, 2.4598857632769824}', 1e-10),
    'ttest_paired equals t.test(paired = TRUE)') FROM (SELECT crm.ttest_paired(drug2, drug1) t FROM sleep_pairs) s;
SELECT is((SELECT (crm.ttest_paired(CASE WHEN i > 2 THEN drug2 END, drug1)).n FROM sleep_pairs), 8::bigint, 'pairs with a NULL are skipped');
SELECT throws_ok($$SELECT crm.ttest_one(mpg, hp) FROM mtcars$$, '22023', NULL, 'mu that changes between rows');

-- crm.chisq_test: R's chisq.test example (party by gender), and 2 × 2 tables.
CREATE TEMP TABLE voters AS SELECT gender, party FROM (VALUES
    ('F', 'Democrat', 762), ('F', 'Independent', 327), ('F', 'Republican', 468),
    ('M', 'Democrat', 484), ('M', 'Independent', 239), ('M', 'Republican', 477)) v(gender, party, n), generate_series(1, n);
CREATE TEMP TABLE chisq AS SELECT crm.chisq_test(gender, party) c FROM voters;
SELECT ok(pg_temp.close(ARRAY[(c).statistic, (c).df, (c).p_value], '{30.070149095754672, 2, 2.9535891832117569e-07}', 1e-10)
          AND (c).n = 2757 AND (c).warning IS NULL, 'chisq_test equals chisq.test(M)') FROM chisq;
SELECT ok((c).row_labels = '{F,M}' AND (c).column_labels = '{Democrat,Independent,Republican}'
          AND (c).observed = '{{762,327,468},{484,239,477}}'::bigint[]
          AND pg_temp.close((c).expected[2:2][1:3], '{{542.32861806311212, 246.35473340587595, 411.31664853101199}}'::float8[], 1e-12),
    'labels in order, the observed and the expected counts') FROM chisq;
CREATE TEMP TABLE two_by_two AS SELECT r, c FROM (VALUES ('a', 'x', 12), ('b', 'x', 5), ('a', 'y', 7), ('b', 'y', 9)) v(r, c, n), generate_series(1, n);
SELECT ok(pg_temp.close(ARRAY[(crm.chisq_test(r, c)).statistic, (crm.chisq_test(r, c)).p_value], '{1.4559963788146839, 0.22756821457580992}', 1e-10)
          AND pg_temp.close(ARRAY[(crm.chisq_test(r, c, false)).statistic, (crm.chisq_test(r, c, false)).p_value], '{2.4305755196815575, 0.1189892055321448}', 1e-10),
    'a 2 × 2 table with Yates''s correction, and without: chisq.test(matrix(c(12, 5, 7, 9), 2), correct = …)') FROM two_by_two;
SELECT ok((c).warning = '4 of 4 expected counts are below 5: the chi-square approximation may be incorrect' AND abs((c).p_value - 0.47950012218695348) < 1e-12,
    'expected counts below 5 give R''s warning') FROM (SELECT crm.chisq_test(r, c) c FROM (VALUES ('a', 'x', 3), ('b', 'x', 1), ('a', 'y', 1), ('b', 'y', 3)) v(r, c, n), generate_series(1, n)) s;
SELECT ok((c).statistic IS NULL AND (c).df = 0 AND (c).warning IS NOT NULL, 'one column has no test')
    FROM (SELECT crm.chisq_test(gender, 'all') c FROM voters) s;

-- crm.mann_whitney: wilcox.test(mpg ~ am, mtcars) (ties: normal approximation,
-- W of the automatic cars) and R's exact example wilcox.test(x, y).
SELECT ok((m).w = 42 AND abs((m).p_value - 0.0018713913331785568) < 1e-10 * 0.0018713913331785568 AND NOT (m).exact
          AND abs((m).z - -3.1099182447669036) < 1e-9 AND (m).n_treatment = 19 AND (m).n_control = 13,
    'mann_whitney equals wilcox.test(mpg ~ am)') FROM (SELECT crm.mann_whitney(mpg, am = 0) m FROM mtcars) s;
SELECT ok((m).w = 35 AND abs((m).p_value - 0.2544122544122544) < 1e-12 AND (m).exact AND (m).z IS NULL,
    'small samples without ties: the exact test') FROM (SELECT crm.mann_whitney(v, t) m FROM unnest(
        '{0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46, 1.15, 0.88, 0.90, 0.74, 1.21}'::float8[],
        '{t,t,t,t,t,t,t,t,t,t,f,f,f,f,f}'::boolean[]) u(v, t)) s;
SELECT ok((m).w IS NULL AND (m).n_treatment = 3 AND (m).n_control = 0, 'one group empty: no test')
    FROM (SELECT crm.mann_whitney(v, true) m FROM unnest('{1,2,3}'::float8[]) v) s;

-- crm.classification_metrics and crm.roc_points: scores round(fitted(glm(am ~ wt,
-- binomial, mtcars)), 1); pROC 1.18.0's auc and coords (roc(am, score,
-- direction = "<")), scikit-learn 1.2.1's brier_score_loss and log_loss.
CREATE TEMP TABLE scored AS SELECT s AS score, a = 1 AS actual FROM unnest(
    '{0.8, 0.6, 0.9, 0.3, 0.1, 0.1, 0.1, 0.3, 0.3, 0.1, 0.1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0.9, 0.1, 0.1, 0, 0, 1, 1, 1, 0.3, 0.7, 0.1, 0.7}'::float8[],
    '{1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1}'::int[]) u(s, a);
CREATE TEMP TABLE metrics AS SELECT crm.classification_metrics(score, actual) m FROM scored;
SELECT ok(pg_temp.close(ARRAY[(m).auc, (m).brier, (m).log_loss], '{0.94129554655870451, 0.08875000000000001, 0.2865428440734532}', 1e-12)
          AND (m).n = 32 AND (m).positives = 13, 'AUC as pROC, Brier and log-loss as scikit-learn') FROM metrics;
SELECT is(ARRAY[(m).true_positives, (m).false_positives, (m).true_negatives, (m).false_negatives], '{11,1,18,2}'::bigint[],
    'the confusion matrix at 0.5: table(score >= 0.5, am)') FROM metrics;
SELECT is((SELECT ARRAY[(m).true_positives, (m).false_positives] FROM (SELECT crm.classification_metrics(score, actual, 0.95) m FROM scored) s),
    '{6,0}'::bigint[], '... and at another threshold');
SELECT ok((SELECT array_agg(threshold ORDER BY o) = '{Infinity,1,0.9,0.8,0.7,0.6,0.3,0.1,0}'
                  AND bool_and(abs(true_positive_rate - tpr) < 1e-15 AND abs(false_positive_rate - (1 - spec)) < 1e-15)
           FROM unnest((SELECT crm.roc_points(score, actual) FROM scored)) WITH ORDINALITY p(threshold, false_positive_rate, true_positive_rate, o)
           JOIN unnest('{0, 0.46153846153846156, 0.53846153846153844, 0.61538461538461542, 0.76923076923076927, 0.84615384615384615, 0.92307692307692313, 1, 1}'::float8[],
                       '{1, 1, 0.94736842105263153, 0.94736842105263153, 0.94736842105263153, 0.94736842105263153, 0.78947368421052633, 0.42105263157894735, 0}'::float8[])
                WITH ORDINALITY r(tpr, spec, o) USING (o)),
    'roc_points: a point per distinct score with pROC''s sensitivity and 1 − specificity');
SELECT ok((m).auc IS NULL AND (m).brier IS NOT NULL, 'one outcome only: no AUC') FROM (SELECT crm.classification_metrics(score, true) m FROM scored) s;
SELECT is((SELECT crm.roc_points(score, true) FROM scored), '{}'::crm.roc_point[], '... and no ROC curve');
SELECT throws_ok($$SELECT crm.classification_metrics('NaN', true)$$, '22023', NULL, 'a NaN score');

-- Partial states of the aggregates this release adds, shipped as text.
CREATE AGGREGATE pg_temp.chisq_partial(text, text) (SFUNC = crm.chisq_test_step, STYPE = bytea);
CREATE AGGREGATE pg_temp.chisq_merge(bytea) (SFUNC = crm.chisq_test_combine, STYPE = bytea, FINALFUNC = crm.chisq_test_final);
CREATE AGGREGATE pg_temp.classification_partial(float8, boolean) (SFUNC = crm.classification_step, STYPE = bytea);
CREATE AGGREGATE pg_temp.classification_merge(bytea) (SFUNC = crm.classification_combine, STYPE = bytea,
                                                      FINALFUNC = crm.classification_metrics_final);
CREATE AGGREGATE pg_temp.robust_partial(crm.linreg_result, float8, float8[]) (SFUNC = crm.linreg_robust_step, STYPE = bytea);
CREATE AGGREGATE pg_temp.robust_merge(bytea) (SFUNC = crm.linreg_robust_combine, STYPE = bytea, FINALFUNC = crm.linreg_robust_final);
SELECT ok((SELECT pg_temp.chisq_merge(s::text::bytea)::text FROM (SELECT pg_temp.chisq_partial(party, gender) s FROM voters GROUP BY party <> 'Democrat') h)
          = (SELECT crm.chisq_test(party, gender)::text FROM voters)
          AND (SELECT pg_temp.close(ARRAY[(m).auc, (m).brier, (m).log_loss, (m).n, (m).true_positives], ARRAY[(w).auc, (w).brier, (w).log_loss, (w).n, (w).true_positives], 1e-14)
               FROM (SELECT pg_temp.classification_merge(s::text::bytea) m FROM (SELECT pg_temp.classification_partial(score, actual) s FROM scored GROUP BY score > 0.5) h) a,
                    (SELECT crm.classification_metrics(score, actual) w FROM scored) b)
          AND (SELECT pg_temp.close((m).std_errors, (w).std_errors, 1e-12) AND (m).n = (w).n
               FROM (SELECT pg_temp.robust_merge(s::text::bytea) m FROM (SELECT pg_temp.robust_partial(f, mpg, ARRAY[wt, hp, qsec]) s FROM mtcars, fit GROUP BY am) h) a,
                    (SELECT crm.linreg_robust(f, mpg, ARRAY[wt, hp, qsec]) w FROM mtcars, fit) b),
    'chisq_test, classification and linreg_robust partial states merged from their text form give the whole result');

SELECT * FROM finish();
ROLLBACK;
