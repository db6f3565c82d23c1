-- The plain-SQL peer: Lloyd's algorithm as a PL/pgSQL loop of set-based
-- statements over bench_kmeans_points (8 features), k random starting points,
-- scikit-learn's stopping rule (squared centre shift <= tol × mean variance).
CREATE OR REPLACE FUNCTION bench_sql_lloyd(k int, n_init int, max_iter int, tol float8, seed float8)
RETURNS TABLE (inertia float8, iterations int) LANGUAGE plpgsql AS $$
DECLARE
    tol_abs float8;
    shift float8;
    it int;
    best float8 := 'Infinity';
    best_it int;
    total float8;
BEGIN
    SELECT tol * avg(v) INTO tol_abs
    FROM (SELECT var_pop(features[f]) v FROM bench_kmeans_points, generate_series(1, 8) f GROUP BY f) s;
    PERFORM setseed(seed);
    FOR r IN 1..n_init LOOP
        DROP TABLE IF EXISTS pg_temp.centres;
        CREATE TEMP TABLE centres AS
        SELECT row_number() OVER () AS id, features AS c FROM bench_kmeans_points ORDER BY random() LIMIT k;
        it := 0;
        LOOP
            it := it + 1;
            DROP TABLE IF EXISTS pg_temp.moved;
            CREATE TEMP TABLE moved AS
            SELECT label AS id, ARRAY[avg(f[1]), avg(f[2]), avg(f[3]), avg(f[4]), avg(f[5]), avg(f[6]), avg(f[7]), avg(f[8])] AS c
            FROM (SELECT p.features f,
                         (SELECT c.id FROM centres c
                          ORDER BY (p.features[1] - c.c[1])^2 + (p.features[2] - c.c[2])^2 + (p.features[3] - c.c[3])^2 +
                                   (p.features[4] - c.c[4])^2 + (p.features[5] - c.c[5])^2 + (p.features[6] - c.c[6])^2 +
                                   (p.features[7] - c.c[7])^2 + (p.features[8] - c.c[8])^2 LIMIT 1) AS label
                  FROM bench_kmeans_points p) s
            GROUP BY label;
            SELECT sum((n.c[1] - o.c[1])^2 + (n.c[2] - o.c[2])^2 + (n.c[3] - o.c[3])^2 + (n.c[4] - o.c[4])^2 +
                       (n.c[5] - o.c[5])^2 + (n.c[6] - o.c[6])^2 + (n.c[7] - o.c[7])^2 + (n.c[8] - o.c[8])^2)
            INTO shift FROM moved n JOIN centres o USING (id);
            UPDATE centres o SET c = n.c FROM moved n WHERE n.id = o.id;
            EXIT WHEN shift <= tol_abs OR it >= max_iter;
        END LOOP;
        SELECT sum((SELECT min((p.features[1] - c.c[1])^2 + (p.features[2] - c.c[2])^2 + (p.features[3] - c.c[3])^2 +
                               (p.features[4] - c.c[4])^2 + (p.features[5] - c.c[5])^2 + (p.features[6] - c.c[6])^2 +
                               (p.features[7] - c.c[7])^2 + (p.features[8] - c.c[8])^2) FROM centres c))
        INTO total FROM bench_kmeans_points p;
        IF total < best THEN best := total; best_it := it; END IF;
    END LOOP;
    RETURN QUERY SELECT best, best_it;
END $$;
