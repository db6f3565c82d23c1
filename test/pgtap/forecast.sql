-- Forecasting. Reference values from R 4.2.2 with forecast 8.20 (Debian's
-- r-base-core and r-cran-forecast) on R's AirPassengers, USAccDeaths, UKgas
-- and Nile series: ets(y)$method and $loglik, naive(), snaive(), lm() +
-- predict(interval = "prediction"), decompose() and accuracy(), printed with
-- 17 significant digits; thetaf(), Arima(), auto.arima(), stlf(), stl() and
-- croston() likewise. Method 'ets' is what 'auto' was before combinations:
-- the tests that pinned the old 'auto' choices now ask for 'ets'.
BEGIN;
SELECT plan(71);
SET LOCAL TimeZone = 'UTC';

-- A plain table: parallel workers cannot read temporary ones.
CREATE TABLE series (name text, t timestamptz, v float8);
INSERT INTO series SELECT 'air', timestamptz '1949-01-01' + make_interval(months => (i - 1)::int), v FROM unnest(ARRAY[112,118,132,129,121,135,148,148,136,119,104,118,115,126,141,135,125,149,170,170,158,133,114,140,145,150,178,163,172,178,199,199,184,162,146,166,171,180,193,181,183,218,230,242,209,191,172,194,196,196,236,235,229,243,264,272,237,211,180,201,204,188,235,227,234,264,302,293,259,229,203,229,242,233,267,269,270,315,364,347,312,274,237,278,284,277,317,313,318,374,413,405,355,306,271,306,315,301,356,348,355,422,465,467,404,347,305,336,340,318,362,348,363,435,491,505,404,359,310,337,360,342,406,396,420,472,548,559,463,407,362,405,417,391,419,461,472,535,622,606,508,461,390,432]::float8[]) WITH ORDINALITY u(v, i);
INSERT INTO series SELECT 'usacc', timestamptz '1973-01-01' + make_interval(months => (i - 1)::int), v FROM unnest(ARRAY[ 9007, 8106, 8928, 9137,10017,10826,11317,10744, 9713, 9938, 9161, 8927, 7750, 6981, 8038, 8422, 8714, 9512,10120, 9823, 8743, 9129, 8710, 8680, 8162, 7306, 8124, 7870, 9387, 9556,10093, 9620, 8285, 8466, 8160, 8034, 7717, 7461, 7767, 7925, 8623, 8945,10078, 9179, 8037, 8488, 7874, 8647, 7792, 6957, 7726, 8106, 8890, 9299,10625, 9302, 8314, 8850, 8265, 8796, 7836, 6892, 7791, 8192, 9115, 9434,10484, 9827, 9110, 9070, 8633, 9240]::float8[]) WITH ORDINALITY u(v, i);
INSERT INTO series SELECT 'ukgas', timestamptz '1960-01-01' + make_interval(months => 3 * (i - 1)::int), v FROM unnest(ARRAY[ 160.099999999999994, 129.699999999999989,  84.799999999999997, 120.099999999999994, 160.099999999999994, 124.900000000000006,  84.799999999999997, 116.900000000000006, 169.699999999999989, 140.900000000000006,  89.700000000000003, 123.299999999999997, 187.300000000000011, 144.099999999999994,  92.900000000000006, 120.099999999999994, 176.099999999999994, 147.300000000000011,  89.700000000000003, 123.299999999999997, 185.699999999999989, 155.300000000000011,  99.299999999999997, 131.300000000000011, 200.099999999999994, 161.699999999999989, 102.500000000000000, 136.099999999999994, 204.900000000000006, 176.099999999999994, 112.099999999999994, 140.900000000000006, 227.300000000000011, 195.300000000000011, 115.299999999999997, 142.500000000000000, 244.900000000000006, 214.500000000000000, 118.500000000000000, 153.699999999999989, 244.900000000000006, 216.099999999999994, 188.900000000000006, 142.500000000000000, 301.000000000000000, 196.900000000000006, 136.099999999999994, 267.300000000000011, 317.000000000000000, 230.500000000000000, 152.099999999999994, 336.199999999999989, 371.399999999999977, 240.099999999999994, 158.500000000000000, 355.399999999999977, 449.899999999999977, 286.600000000000023, 179.300000000000011, 403.399999999999977, 491.500000000000000, 321.800000000000011, 177.699999999999989, 409.800000000000011, 593.899999999999977, 329.800000000000011, 176.099999999999994, 483.500000000000000, 584.299999999999955, 395.399999999999977, 187.300000000000011, 485.100000000000023, 669.200000000000045, 421.000000000000000, 216.099999999999994, 509.100000000000023, 827.700000000000045, 467.500000000000000, 209.699999999999989, 542.700000000000045, 840.500000000000000, 414.600000000000023, 217.699999999999989, 670.799999999999955, 848.500000000000000, 437.000000000000000, 209.699999999999989, 701.200000000000045, 925.299999999999955, 443.399999999999977, 214.500000000000000, 683.600000000000023, 917.299999999999955, 515.500000000000000, 224.099999999999994, 694.799999999999955, 989.399999999999977, 477.100000000000023, 233.699999999999989, 730.000000000000000,1087.000000000000000, 534.700000000000045, 281.800000000000011, 787.600000000000023,1163.900000000000091, 613.100000000000023, 347.399999999999977, 782.799999999999955]::float8[]) WITH ORDINALITY u(v, i);
INSERT INTO series SELECT 'nile', timestamptz '1871-01-01' + make_interval(years => (i - 1)::int), v FROM unnest(ARRAY[1120,1160, 963,1210,1160,1160, 813,1230,1370,1140, 995, 935,1110, 994,1020, 960,1180, 799, 958,1140,1100,1210,1150,1250,1260,1220,1030,1100, 774, 840, 874, 694, 940, 833, 701, 916, 692,1020,1050, 969, 831, 726, 456, 824, 702,1120,1100, 832, 764, 821, 768, 845, 864, 862, 698, 845, 744, 796,1040, 759, 781, 865, 845, 944, 984, 897, 822,1010, 771, 676, 649, 846, 812, 742, 801,1040, 860, 874, 848, 890, 744, 749, 838,1050, 918, 986, 797, 923, 975, 815,1020, 906, 901,1170, 912, 746, 919, 718, 714, 740]::float8[]) WITH ORDINALITY u(v, i);
ANALYZE series;

SELECT has_function('crm', 'forecast_points', ARRAY['crm.forecast_result'], 'forecast_points exists');
SELECT has_function('crm', 'decompose', ARRAY['timestamp with time zone[]', 'double precision[]', 'integer', 'text', 'text'], 'decompose exists');

-- One query, one forecast per series: the season length and step inferred.
CREATE TEMP TABLE auto AS
SELECT name, crm.forecast(t, v, 8, NULL, 'ets') AS f FROM series GROUP BY name;
SELECT results_eq($$SELECT name, (f).season_length, (f).step FROM auto ORDER BY name$$,
    $$VALUES ('air', 12, interval '1 month'), ('nile', 1, interval '1 year'), ('ukgas', 4, interval '3 months'),
             ('usacc', 12, interval '1 month')$$, 'season length and step inferred per group');
-- R's ets() picks these three; for AirPassengers it picks ETS(M,Ad,M) with
-- loglik −679.58, and ours must do at least as well.
SELECT results_eq($$SELECT name, (f).model FROM auto WHERE name <> 'air' ORDER BY name$$,
    $$VALUES ('nile', 'ETS(M,N,N)'), ('ukgas', 'ETS(M,A,M)'), ('usacc', 'ETS(A,N,A)')$$, 'auto chooses R''s models');
SELECT ok((f).loglik >= -679.58321623695645 AND (f).model LIKE 'ETS(M,%,M)', 'AirPassengers: a multiplicative-season model at least as likely as R''s')
  FROM auto WHERE name = 'air';
SELECT is((f).ts[1], timestamptz '1961-01-01', 'the first future month follows the last observation') FROM auto WHERE name = 'air';
SELECT is((f).ts[8], timestamptz '1961-08-01', 'eight months ahead') FROM auto WHERE name = 'air';
SELECT is((f).ts[1], timestamptz '1987-01-01', 'quarterly: the next quarter') FROM auto WHERE name = 'ukgas';
SELECT ok(bool_and(p.lower[2] < p.lower[1] AND p.lower[1] < p.point AND p.point < p.upper[1] AND p.upper[1] < p.upper[2]),
          '95% bands contain 80% bands, which contain the point')
  FROM auto, crm.forecast_points(f) p;
SELECT is((SELECT count(*)::int FROM auto, crm.forecast_points(f, 95)), 32, 'forecast_points: one row per period and series');
SELECT ok((f).note IS NULL AND (f).n = 144 AND (f).filled = 0 AND (f).alpha BETWEEN 1e-4 AND 0.9999, 'fit summary')
  FROM auto WHERE name = 'air';

-- Parallel partial aggregation gives the same forecasts as a serial plan.
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_leader_participation = off;
SELECT results_eq($$SELECT name, (f).point FROM (SELECT name, crm.forecast(t, v, 8, NULL, 'ets') f FROM series GROUP BY name) s ORDER BY name$$,
                  $$SELECT name, (f).point FROM auto ORDER BY name$$, 'parallel equals serial');
SELECT ok((SELECT crm.forecast(t, NULL::float8, 8) IS NULL AND crm.forecast(t, v, 8, 12) IS NULL FROM series
           WHERE name = 'no such series' OR v IS NULL),
    'parallel workers with no rows, or only NULL values, give no forecast (NULL)');
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather; RESET parallel_leader_participation;

-- A state passed as text (as Citus ships it) and merged gives the same forecast.
CREATE AGGREGATE pg_temp.forecast_partial(timestamptz, float8, int, int, text) (SFUNC = crm.forecast_step, STYPE = bytea);
CREATE AGGREGATE pg_temp.forecast_merge(bytea) (SFUNC = crm.forecast_combine, STYPE = bytea, FINALFUNC = crm.forecast_final);
SELECT is((SELECT (pg_temp.forecast_merge(s::text::bytea)).point
           FROM (SELECT pg_temp.forecast_partial(t, v, 8, NULL, 'ets') s FROM series WHERE name = 'air' GROUP BY extract(year FROM t)) h),
          (SELECT (f).point FROM auto WHERE name = 'air'), 'a forecast state through its text form, merged by year, gives the same forecast');
SELECT throws_ok($$SELECT crm.forecast_final('\x00'::bytea)$$, '22P03', NULL, 'a final function refuses a value no aggregate made');

-- Groups without values, and a window frame.
SELECT ok((SELECT crm.forecast(t, v, 3) IS NULL FROM series WHERE false), 'an empty group gives no forecast (NULL)');
SELECT ok(crm.forecast(now(), NULL::float8, 3) IS NULL, 'a series whose values are all NULL gives no forecast (NULL)');
SELECT is((SELECT array_agg((f).n ORDER BY t) FROM (
              SELECT t, crm.forecast(t, v, 2, 1, 'naive') OVER (ORDER BY t ROWS BETWEEN 2 PRECEDING AND 1 FOLLOWING) f
              FROM series WHERE name = 'nile' ORDER BY t LIMIT 4) w),
          '{2,3,4,4}'::int[], 'over a window frame each row forecasts from its frame''s values');

-- Baselines against R.
SELECT is((SELECT round(upper::numeric, 8) FROM crm.forecast_points(
              (SELECT crm.forecast(t, v, 5, NULL, 'naive', '{95}') FROM series WHERE name = 'nile'), 95) WHERE step = 5),
          1473.31909542::numeric, 'naive 95% upper bound five years ahead, as R');
SELECT is((SELECT array_agg(round(lower::numeric, 6) ORDER BY step) FROM crm.forecast_points(
              (SELECT crm.forecast(t, v, 14, NULL, 'snaive', '{80}') FROM series WHERE name = 'usacc'), 80) WHERE step IN (1, 13)),
          ARRAY[7119.093193, 6822.140670]::numeric[], 'seasonal naive 80% lower bounds, as R');
SELECT is((SELECT array_agg(round(lower::numeric, 6) ORDER BY step) FROM crm.forecast_points(
              (SELECT crm.forecast(t, v, 3, NULL, 'linear', '{95}') FROM series WHERE name = 'nile'), 95)),
          ARRAY[477.506202, 474.612689, 471.715771]::numeric[], 'linear trend prediction intervals, as R''s lm');

-- Explicit ETS models reach at least R's likelihood.
SELECT ok((crm.forecast(t, v, 4, NULL, 'ETS(A,Ad,A)')).loglik >= -647.58410994999383, 'UKgas ETS(A,Ad,A) loglik >= R''s')
  FROM series WHERE name = 'ukgas';
SELECT ok((crm.forecast(t, v, 4, NULL, 'hw_multiplicative')).loglik >= -682.40361905780605, 'AirPassengers ETS(M,A,M) loglik >= R''s')
  FROM series WHERE name = 'air';

-- Decomposition and accuracy against R.
SELECT is((SELECT round(seasonal::numeric, 12) FROM crm.decompose(
              (SELECT array_agg(t ORDER BY t) FROM series WHERE name = 'air'),
              (SELECT array_agg(v ORDER BY t) FROM series WHERE name = 'air'), NULL, 'multiplicative') LIMIT 1),
          0.910230367372::numeric, 'decompose: January''s multiplicative index, as R');
SELECT is((SELECT count(*) FILTER (WHERE trend IS NULL)::int FROM crm.decompose(
              (SELECT array_agg(t ORDER BY t) FROM series WHERE name = 'air'),
              (SELECT array_agg(v ORDER BY t) FROM series WHERE name = 'air'))), 12, 'decompose: no trend for the first and last six months');
SELECT is((SELECT round(mase::numeric, 6) FROM crm.forecast_accuracy(
              (SELECT array_agg(v ORDER BY t) FROM series WHERE name = 'usacc' AND t >= '1978-01-01'),
              array_fill((SELECT v FROM series WHERE name = 'usacc' AND t = '1977-12-01'), ARRAY[12]),
              (SELECT array_agg(v ORDER BY t) FROM series WHERE name = 'usacc' AND t < '1978-01-01'), 12)),
          1.616539::numeric, 'forecast_accuracy: MASE of the naive forecast, as R''s accuracy()');
SELECT results_eq($$SELECT train_n, round(mae::numeric, 4), round(mase::numeric, 6) FROM crm.backtest(
              (SELECT array_agg(t ORDER BY t) FROM series WHERE name = 'usacc'),
              (SELECT array_agg(v ORDER BY t) FROM series WHERE name = 'usacc'), 12, 1, NULL, 'naive')$$,
          $$VALUES (60, 778.6667::numeric, 1.616539::numeric)$$, 'backtest: the same forecast from the origin 1977-12');
SELECT is((SELECT count(*)::int FROM crm.backtest(
              (SELECT array_agg(t ORDER BY t) FROM series WHERE name = 'nile'),
              (SELECT array_agg(v ORDER BY t) FROM series WHERE name = 'nile'), 5, 4)), 4, 'backtest: one row per origin');

-- Gaps, NULLs and time zones.
CREATE TEMP TABLE gappy (t timestamptz, v float8);
INSERT INTO gappy SELECT timestamptz '2020-01-01' + make_interval(months => i), 50 + i FROM generate_series(0, 35) i WHERE i <> 2;
SELECT throws_ok($$SELECT crm.forecast(t, v, 3) FROM gappy$$, '22023', 'the series has no value at 2020-03-01 (step 1 month)', 'a gap is an error by default');
SELECT is((SELECT (crm.forecast(t, v, 3, NULL, 'auto', '{95}', 'zero')).filled FROM gappy), 1, 'fill zero');
SELECT is((SELECT (crm.forecast(t, v, 3, NULL, 'auto', '{95}', 'linear')).n FROM gappy), 36, 'fill linear: every month present');
INSERT INTO gappy VALUES ('2020-03-01', NULL), (NULL, 7);
SELECT is((SELECT (crm.forecast(t, v, 3, NULL, 'auto', '{95}', 'zero')).filled FROM gappy), 1, 'a NULL value is a gap, a NULL time is skipped');
SELECT is((SELECT crm.forecast(t, v, 3) FROM gappy WHERE false), NULL, 'no rows: NULL');
SET LOCAL TimeZone = 'Europe/Berlin';
SELECT is((SELECT (crm.forecast(t, v, 3)).ts FROM (SELECT timestamptz '2023-01-01 00:00' + make_interval(months => i) t, 10.0 + i v
                                                 FROM generate_series(0, 13) i) s),
          ARRAY[timestamptz '2024-03-01 00:00+01', '2024-04-01 00:00+02', '2024-05-01 00:00+02'], 'local midnights across a DST change');
SELECT is((SELECT (crm.forecast(t, v, 2)).step FROM (SELECT timestamptz '2024-03-30' + make_interval(days => i) t, 1.0 + i % 3 v
                                                   FROM generate_series(0, 20) i) s), interval '1 day', 'daily across a DST change');
SET LOCAL TimeZone = 'UTC';
SELECT is((SELECT (crm.forecast(t, v, 2, NULL, 'ets')).note FROM (SELECT timestamptz '2020-01-06' + make_interval(days => 7 * i) t, 10.0 + i % 5 v
                                                   FROM generate_series(0, 119) i) s),
          'season length 52 is above the 24 ETS supports; chose among non-seasonal models', 'weekly: season 52, non-seasonal ETS');

-- Fallbacks and bad input.
SELECT alike((SELECT (crm.forecast(t, v, 3, NULL, 'ets')).note FROM series WHERE name = 'air' AND t < '1950-04-01'),
            '15 values are too few for seasonal models with season length 12%', 'auto falls back and says why');
SELECT is((SELECT (crm.forecast(t, v, 3)).model FROM series WHERE name = 'air' AND t < '1949-04-01'), 'naive', 'three values: naive');
SELECT ok((SELECT (f).ts IS NULL AND (f).step IS NULL AND (f).point = '{112,112}' AND (f).lower[1][1] IS NULL
             FROM (SELECT crm.forecast(t, v, 2) f FROM series WHERE name = 'air' AND t = '1949-01-01') s),
          'a single value: repeated, with no spacing and no spread');
SELECT throws_ok($$SELECT crm.forecast(t, v, 3, NULL, 'hw_additive') FROM series WHERE name = 'air' AND t < '1950-04-01'$$,
                 'PC020', 'ETS(A,A,A) with season length 12 needs at least 21 values; the series has 15', 'explicit method, too few values');
SELECT throws_ok($$SELECT crm.forecast(t, v - 200, 3, NULL, 'MAM') FROM series WHERE name = 'air'$$, '22023', NULL,
                 'multiplicative model on non-positive data');
SELECT throws_ok($$SELECT crm.forecast(t, v, 0) FROM series WHERE name = 'air'$$, '22023', 'horizon must be between 1 and 10000; it is 0', 'horizon 0');
SELECT throws_ok($$SELECT crm.forecast(t, v, 3, NULL, 'auto', '{80,100}') FROM series WHERE name = 'air'$$, '22023', NULL, 'level 100');
SELECT throws_ok($$SELECT crm.forecast(t, v, 3, NULL, 'prophet') FROM series WHERE name = 'air'$$, '22023', 'unknown forecasting method "prophet"', 'unknown method');
SELECT throws_ok($$SELECT crm.forecast(t, v, 3, NULL, 'arima(1,3,0)') FROM series WHERE name = 'air'$$, '22023', NULL, 'ARIMA with three differences is not a method');
SELECT throws_ok($$SELECT crm.forecast(t, v, 3, NULL, 'stl') FROM series WHERE name = 'air' AND t < '1950-06-01'$$, 'PC020',
                 'STL with season length 12 needs more than 24 values; the series has 17', 'STL without two seasons');
SELECT throws_ok($$SELECT crm.forecast(t, CASE WHEN t = '1950-01-01' THEN 'NaN' ELSE v END, 3) FROM series WHERE name = 'air'$$,
                 '22023', 'the value at 1950-01-01 is NaN', 'NaN value');
SELECT throws_ok($$SELECT crm.forecast(t, v, 3) FROM series WHERE name IN ('air', 'usacc')$$, '22023', NULL, 'two series in one group: duplicate timestamps');
SELECT throws_ok($$SELECT crm.forecast(t, v, 3) FROM (VALUES ('2024-01-01 10:00:01'::timestamptz, 1.0), ('2024-01-01 10:00:00.5', 2), ('2024-01-03 17:13:07', 3)) x(t, v)$$,
                 '22023', NULL, 'irregular spacing');
SELECT throws_ok($$SELECT crm.forecast(t, v, (v::int % 2) + 1) FROM series WHERE name = 'air'$$, '22023', NULL, 'options must not vary in a group');
SELECT throws_ok($$SELECT crm.forecast_points(f, 90) FROM auto$$, '22023', NULL, 'a level the forecast does not have');

-- 'auto': the combination of automatic ETS, ARIMA and Theta.
CREATE TEMP TABLE comb AS
SELECT name, crm.forecast(t, v, 6) AS f FROM series WHERE name IN ('usacc', 'nile') GROUP BY name;
SELECT is((SELECT (f).members FROM comb WHERE name = 'usacc'),
          ARRAY['ETS(A,N,A)', 'ARIMA(0,1,1)(2,1,0)[12]', 'Theta (deseasonalised)'],
          'auto combines ETS, ARIMA (R''s auto.arima(approximation = TRUE) order) and Theta');
SELECT ok((SELECT (f).model = 'mean of ' || array_to_string((f).members, ', ') FROM comb WHERE name = 'usacc'), 'the model names its members');
SELECT ok((SELECT bool_and(abs(p.point - (e.point + a.point + th.point) / 3) < 1e-4 * p.point)
             FROM comb c,
                  crm.forecast_points((c.f)) p,
                  crm.forecast_points((SELECT crm.forecast(t, v, 6, NULL, 'ets') FROM series WHERE name = 'usacc')) e,
                  crm.forecast_points((SELECT crm.forecast(t, v, 6, NULL, 'arima(0,1,1)(2,1,0)') FROM series WHERE name = 'usacc')) a,
                  crm.forecast_points((SELECT crm.forecast(t, v, 6, NULL, 'theta') FROM series WHERE name = 'usacc')) th
            WHERE c.name = 'usacc' AND e.step = p.step AND a.step = p.step AND th.step = p.step),
          'the point forecasts are the mean of the members');
SELECT is((SELECT (crm.forecast(t, v, 6, NULL, 'comb')).point FROM series WHERE name = 'usacc'),
          (SELECT (f).point FROM comb WHERE name = 'usacc'), 'comb is auto for a regular series');
SELECT ok((SELECT cardinality((f).fitted) = 100 AND cardinality((f).residuals) = 100 AND (f).ljung_box > 0
                  AND (f).ljung_box_p BETWEEN 0 AND 1 FROM comb WHERE name = 'nile'), 'fitted values, residuals and their Ljung-Box test');

-- Single methods against R.
SELECT ok((SELECT abs((f).point[1] / 440.07819108158640 - 1) < 5e-5 AND abs((f).point[8] / 601.10076309148610 - 1) < 5e-5
             FROM (SELECT crm.forecast(t, v, 8, NULL, 'theta') f FROM series WHERE name = 'air') s),
          'theta: thetaf(AirPassengers) to 5e-5');
SELECT ok((SELECT (f).model = 'ARIMA(0,1,1)(0,1,1)[12]' AND (f).loglik >= -425.43999355313764 - 1e-4
             FROM (SELECT crm.forecast(t, v, 6, NULL, 'arima') f FROM series WHERE name = 'usacc') s),
          'arima: auto.arima(USAccDeaths) model, loglik within 1e-4 of R');
SELECT ok((SELECT abs((f).loglik - -507.50144324098954) < 1e-3 AND (f).loglik >= -507.50144324098954 - 1e-4
                  AND abs((f).point[1] / 447.05321107441216 - 1) < 1e-3
             FROM (SELECT crm.forecast(t, v, 6, NULL, 'arima(0,1,1)(0,1,1)') f FROM series WHERE name = 'air') s),
          'a fixed-order ARIMA: the likelihood and forecast of Arima(AirPassengers, (0,1,1)(0,1,1))');
SELECT is((SELECT (crm.forecast(t, v, 6, NULL, 'arima(1,0,0) with mean')).model FROM series WHERE name = 'nile'),
          'ARIMA(1,0,0) with non-zero mean', 'an ARIMA with a mean');
SELECT ok((SELECT (f).model = 'STL(12) + ETS(A,N,N)' AND abs((f).point[1] / 8332.9518361715163 - 1) < 1e-4
             FROM (SELECT crm.forecast(t, v, 6, NULL, 'stl') f FROM series WHERE name = 'usacc') s),
          'stl: the model and forecast of stlf(USAccDeaths)');
SELECT is((SELECT (crm.forecast(t, v, 6, NULL, 'stl_arima')).model FROM series WHERE name = 'usacc'),
          'STL(12) + ARIMA(0,1,1)', 'stl_arima: the model of stlm(USAccDeaths, method = "arima")');

-- Intermittent demand: many zero months, filled by fill 'zero'.
CREATE TEMP TABLE sparse (t timestamptz, v float8);
INSERT INTO sparse SELECT timestamptz '2022-01-01' + make_interval(months => (i - 1)::int), v
  FROM unnest(ARRAY[0,0,3,0,0,0,5,0,2,0,0,0,0,4,0,0,6,0,0,0,1,0,0,3]::float8[]) WITH ORDINALITY u(v, i) WHERE v > 0;
SELECT ok((SELECT (f).model = 'SBA' AND (f).note LIKE 'intermittent demand (7 of 22 periods%' AND (f).filled = 15
             FROM (SELECT crm.forecast(t, v, 3, NULL, 'auto', '{80,95}', 'zero') f FROM sparse) s),
          'fill zero: intermittent demand gets SBA, and the note says why');
SELECT ok((SELECT abs((crm.forecast(t, v, 3, 12, 'croston', '{80,95}', 'zero')).point[1] - 0.98734965110975093) < 1e-12
             FROM (SELECT * FROM sparse UNION ALL VALUES (timestamptz '2022-01-01', 0::float8), ('2022-02-01', 0)) s),
          'croston: the rate of R croston()');
SELECT ok((SELECT (crm.forecast(t, v, 3, 12, 'tsb', '{80,95}', 'zero')).lower[1][1] >= 0 FROM sparse),
          'tsb: bounds never below zero');

-- Long seasons: weekly data gets STL instead of a non-seasonal model.
SELECT ok((SELECT (f).members[1] LIKE 'STL(52) + ETS(%' AND (f).members[2] LIKE 'STL(52) + ARIMA(%'
             FROM (SELECT crm.forecast(t, v, 4) f FROM (
                     SELECT timestamptz '2020-01-06' + make_interval(days => 7 * i) t, 100 + 30 * sin(2 * pi() * i / 52) + i % 7 v
                       FROM generate_series(0, 155) i) w) s),
          'weekly: the combination takes the 52-week season out by STL');
SELECT is((SELECT round(seasonal::numeric, 8) FROM crm.decompose(
              (SELECT array_agg(t ORDER BY t) FROM series WHERE name = 'usacc'),
              (SELECT array_agg(v ORDER BY t) FROM series WHERE name = 'usacc'), NULL, 'stl') LIMIT 1),
          -860.44950334::numeric, 'decompose type stl: mstl(USAccDeaths), stl with s.window 11');
SELECT ok((SELECT max(abs(remainder)) < 3 AND max(seasonal) - min(seasonal) > 50 FROM crm.decompose(
              (SELECT array_agg(timestamptz '2021-01-01' + make_interval(days => i) ORDER BY i) FROM generate_series(0, 1094) i),
              (SELECT array_agg(200 + 30 * sin(2 * pi() * i / 365) + 5 * (i % 7) ORDER BY i) FROM generate_series(0, 1094) i),
              NULL, 'stl')),
          'daily data over three years: STL takes out the week and the year');

-- Interval scores and bias, by hand: 80% intervals [8, 12] and [1, 3]
-- against 10 (inside, width 4) and 5 (2 above: 2 + 10 x 2) give Winkler 13;
-- the naive scale of {1,3,2,6} is (2 + 1 + 4)/3.
SELECT is((SELECT (a.bias, a.coverage, round(a.winkler::numeric, 12), round(a.msis::numeric, 12))::text
             FROM crm.forecast_accuracy('{10,5}', '{9,2}', '{1,3,2,6}', 1, '{8,1}', '{12,3}', 80) a),
          '(-2,0.5,13.000000000000,5.571428571429)', 'forecast_accuracy: bias, coverage, Winkler score and MSIS');
SELECT throws_ok($$SELECT crm.forecast_accuracy('{10,5}', '{9,2}', NULL, 1, '{8,1}', NULL)$$, '22004', NULL,
                 'bounds come in pairs');
SELECT ok((SELECT bool_and(coverage BETWEEN 0 AND 1 AND winkler > 0 AND msis > 0 AND bias IS NOT NULL) FROM crm.backtest(
              (SELECT array_agg(t ORDER BY t) FROM series WHERE name = 'usacc'),
              (SELECT array_agg(v ORDER BY t) FROM series WHERE name = 'usacc'), 6, 2, NULL, 'theta', 'error', 80)),
          'backtest scores the interval of the level asked for');

SELECT * FROM finish();
ROLLBACK;
