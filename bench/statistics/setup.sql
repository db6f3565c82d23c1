-- 10,000,000 rows × 4 features: y = 3 + 2·x1 − 1·x2 + 0.5·x3 + 0.1·x4 + noise.
DROP TABLE IF EXISTS bench_regression;
SELECT setseed(0.17);
CREATE TABLE bench_regression AS
SELECT 3 + 2 * x1 - x2 + 0.5 * x3 + 0.1 * x4 + (random() - 0.5) AS y, x1, x2, x3, x4, ARRAY[x1, x2, x3, x4] AS x
FROM (SELECT random() * 10 AS x1, random() * 5 AS x2, random() * 100 AS x3, random() AS x4
      FROM generate_series(1, 10000000)) s;
VACUUM ANALYZE bench_regression;
