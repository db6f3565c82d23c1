-- 1,000,000 points × 8 features from 8 overlapping Gaussian clusters (centres
-- drawn N(0, 2²), spread N(0, 1.5²) per feature): clusters touch, so Lloyd
-- needs real iterations. Deterministic: setseed fixes random().
DROP TABLE IF EXISTS bench_kmeans_points, bench_kmeans_centres;
SELECT setseed(0.42);
CREATE TABLE bench_kmeans_centres AS
SELECT c, array_agg(2 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) ORDER BY f) AS centre
FROM generate_series(0, 7) c, generate_series(1, 8) f
GROUP BY c;
CREATE TABLE bench_kmeans_points AS
SELECT i AS id,
       ARRAY(SELECT centre[f] + 1.5 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())
             FROM generate_series(1, 8) f) AS features
FROM generate_series(0, 999999) i
JOIN bench_kmeans_centres ON c = i % 8;
VACUUM ANALYZE bench_kmeans_points;
