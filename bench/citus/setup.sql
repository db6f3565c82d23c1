-- The benchmark's data (bench/citus/run): :rows rows of a linear model with
-- three features and two-feature points in four clusters, once in a local
-- table on the coordinator and once distributed by account over the workers.
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_local, bench_dist;
CREATE TABLE bench_local (id bigint, account_id bigint, y float8, x float8[], f float8[]);
INSERT INTO bench_local
SELECT i, 1 + i % 10000, 1 + 2 * a - b + 0.5 * c + (random() - 0.5), ARRAY[a, b, c],
       ARRAY[(i % 4) * 3 + random(), (i % 4) * 2 + random()]
FROM (SELECT i, random() AS a, random() AS b, random() AS c FROM generate_series(1, :rows) i) s;
CREATE TABLE bench_dist (LIKE bench_local);
SET citus.shard_count = 8;
SELECT create_distributed_table('bench_dist', 'account_id');
INSERT INTO bench_dist SELECT * FROM bench_local;
VACUUM ANALYZE bench_local;
VACUUM ANALYZE bench_dist;
