-- Prints the bad-input campaign (test/fault/bad_input.sh): one statement per
-- line. For every routine of the extension: one call with plausible arguments,
-- one with every argument NULL, then each argument in turn replaced by each
-- bad value of its type while the others stay plausible. Aggregates run over
-- 24 rows and over none, in groups, in window frames and in parallel workers,
-- with each argument NULL in every row; composite arguments are corrupted one
-- field at a time. Last, every routine runs once more under a forced JIT.
SET client_min_messages = warning;

-- Plausible values. Aggregates get per-row values of g, the row number.
CREATE TEMP TABLE plausible (typ regtype, aggregate boolean, lit text);
INSERT INTO plausible VALUES
    ('integer', false, '3'), ('bigint', false, '1'), ('double precision', false, '1.5'), ('numeric', false, '10'),
    ('boolean', false, 'true'), ('date', false, 'DATE ''2026-01-15'''), ('interval', false, 'INTERVAL ''1 hour'''),
    ('timestamptz', false, 'TIMESTAMPTZ ''2026-01-15'''), ('name', false, '''status'''), ('text', false, '''auto'''),
    ('regclass', false, '''crm.task''::regclass'), ('regrole', false, '''crm_client''::regrole'),
    ('jsonb', false, '''{"a": 1}'''), ('bytea', false, '''\x01'''),
    ('double precision[]', false, '''{3,1,4,1,5,9,2,6,5,3,5,8,9,7,9,3,2,3,8,4,6,2,6,4}'''),
    ('timestamptz[]', false, '(SELECT array_agg(TIMESTAMPTZ ''2024-01-01'' + m * INTERVAL ''1 month'') FROM generate_series(0, 23) m)'),
    ('text[]', false, '''{a,b,c}'''), ('bigint[]', false, '''{1,2,3}'''),
    ('crm.task', false, '(SELECT t FROM crm.task t ORDER BY id LIMIT 1)'),
    ('crm.kmeans_model', false, '(crm.kmeans(''SELECT ARRAY[x::float8, (x % 7)::float8] FROM generate_series(1, 60) x'', 3))'),
    ('crm.linreg_result', false, '(SELECT crm.linreg(y, ARRAY[x]) FROM (VALUES (1.0::float8, 1.0::float8), (2, 2.5), (3, 2.9), (4, 4.2)) v(y, x))'),
    ('crm.logreg_result', false, '(SELECT crm.logreg(y, ARRAY[x]) FROM (VALUES (true, 1.0::float8), (false, 2), (true, 3), (false, 4), (true, 0.5), (false, 5)) v(y, x))'),
    ('crm.forecast_result', false, '(SELECT crm.forecast(TIMESTAMPTZ ''2024-01-01'' + g * INTERVAL ''1 month'', (g % 4 + g)::float8, 3) FROM generate_series(1, 24) g)'),
    ('timestamptz', true, 'TIMESTAMPTZ ''2024-01-01'' + g * INTERVAL ''1 month'''), ('double precision', true, '(g % 5 + g)::float8'),
    ('boolean', true, '(g % 3 = 0)'), ('double precision[]', true, 'ARRAY[g::float8, (g % 7)::float8]');

-- By argument name, where the name says more than the type.
CREATE TEMP TABLE plausible_by_name (arg text, lit text);
INSERT INTO plausible_by_name VALUES
    ('source', '''SELECT ARRAY[x::float8, (x % 7)::float8] FROM generate_series(1, 60) x'''),
    ('job', '''facts'''), ('workflow', '''task'''), ('kind', '''ORD'''), ('prefix', '''ORD'''), ('fault', '''cpp_exception'''),
    ('email', '''Info+x@Example.com'''), ('phone', '''+380 44 123 4567'''), ('lines', '''crm_dw.fact_sales''');

CREATE TEMP TABLE bad (typ regtype, lit text);
INSERT INTO bad VALUES
    ('integer', '0'), ('integer', '-1'), ('integer', '2147483647'), ('integer', '-2147483648'),
    ('bigint', '0'), ('bigint', '-1'), ('bigint', '9223372036854775807'), ('bigint', '-9223372036854775808'),
    ('double precision', '''NaN'''), ('double precision', '''Infinity'''), ('double precision', '''-Infinity'''),
    ('double precision', '1e308'), ('double precision', '-1e308'), ('double precision', '5e-324'), ('double precision', '0'),
    ('numeric', '''NaN'''), ('numeric', '''Infinity'''), ('numeric', '''-Infinity'''), ('numeric', '-1'), ('numeric', '0'),
    ('numeric', '1e300'), ('numeric', '0.000000000000000000000001'),
    ('date', '''infinity'''), ('date', '''-infinity'''), ('date', '''4713-01-01 BC'''), ('date', '''5874897-12-31'''),
    ('interval', '''-1 day'''), ('interval', '''0'''), ('interval', '''178000000 years'''),
    ('timestamptz', '''infinity'''), ('timestamptz', '''-infinity'''), ('timestamptz', '''4713-01-01 BC'''),
    ('text', ''''''), ('text', 'repeat(''x'', 1000000)'), ('text', 'E''\x01\x7f'''), ('text', '''; DROP TABLE crm.account; --'''),
    ('text', '''SELECT 1/0'''), ('text', '''DELETE FROM crm.stock RETURNING 1'''), ('text', '''%s %n %x'''), ('text', '''Ʃ😀'''),
    ('name', ''''''), ('name', 'repeat(''n'', 200)'), ('name', '''no such column'''), ('name', '''id'''),
    ('regclass', '''pg_catalog.pg_class'''), ('regclass', '''crm.audit_log'''), ('regclass', '''crm.stock_movement'''),
    ('regclass', '0'), ('regclass', '''crm_dw.v_segments'''),
    ('regrole', '''postgres'''), ('regrole', '''crm_admin'''), ('regrole', '0'),
    ('jsonb', '''null'''), ('jsonb', '''[]'''), ('jsonb', 'repeat(''['', 5000) || repeat('']'', 5000)'),
    ('bytea', ''''''), ('boolean', 'false'),
    ('double precision[]', '''{}'''), ('double precision[]', '''{NaN}'''), ('double precision[]', '''{Infinity,-Infinity,1}'''),
    ('double precision[]', '''{{1,2},{3,4}}'''), ('double precision[]', '''{1,NULL,3}'''), ('double precision[]', '''{1,2,3}'''),
    ('double precision[]', 'array_fill(1e308::float8, ARRAY[200000])'), ('double precision[]', '''[5:7]={1,2,3}'''),
    ('timestamptz[]', '''{}'''), ('timestamptz[]', '''{infinity,-infinity}'''), ('timestamptz[]', '''{2026-01-01,2026-01-01,2026-01-01}'''),
    ('timestamptz[]', '''{NULL,2026-01-01}'''), ('timestamptz[]', '''{2026-03-01,2026-02-01,2026-01-01}'''),
    ('text[]', '''{}'''), ('text[]', '''{NULL}'''), ('text[]', '''{{a,b},{c,d}}'''), ('text[]', 'ARRAY[repeat(''x'', 100000)]'),
    ('bigint[]', '''{}'''), ('bigint[]', '''{NULL}'''), ('bigint[]', '''{-1,9223372036854775807}''');

CREATE FUNCTION pg_temp.arg_base(fn regprocedure, pos int, arg text, typ regtype, is_aggregate boolean) RETURNS text
    LANGUAGE sql STABLE AS $$
    SELECT format('(%s)::%s', coalesce(
        (SELECT p.lit FROM plausible p WHERE p.typ = arg_base.typ AND is_aggregate AND p.aggregate),
        (SELECT n.lit FROM plausible_by_name n WHERE n.arg = arg_base.arg AND arg_base.typ IN ('text'::regtype, 'name'::regtype)),
        pg_get_function_arg_default(fn, pos),
        (SELECT p.lit FROM plausible p WHERE p.typ = arg_base.typ AND NOT p.aggregate),
        'NULL'), typ)
$$;

-- Bad values of a type; for a composite, its plausible value with one field replaced.
CREATE FUNCTION pg_temp.bad_values(typ regtype, base text) RETURNS SETOF text LANGUAGE sql STABLE AS $$
    SELECT format('(%s)::%s', b.lit, typ) FROM bad b WHERE b.typ = bad_values.typ
    UNION ALL
    SELECT format('NULL::%s', typ)
    UNION ALL
    SELECT format('jsonb_populate_record(%s, jsonb_build_object(%L, (%s)::%s))', base, a.attname, v.lit, a.atttypid::regtype)
      FROM pg_type t JOIN pg_attribute a ON a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
      JOIN (SELECT * FROM bad UNION ALL SELECT p.typ, 'NULL' FROM plausible p) v ON v.typ = a.atttypid
     WHERE t.oid = typ AND t.typtype = 'c' AND t.typrelid <> 'crm.task'::regclass
$$;

-- Each call's result is referenced (count(r)): the planner replaces an unused
-- subquery column by NULL, and the function would never run.
CREATE FUNCTION pg_temp.render(fn regprocedure, kind "char", args text[], rows int, shape text DEFAULT 'plain')
    RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN kind = 'p' THEN format('CALL %s(%s);', fn::regproc, array_to_string(args, ', '))
        WHEN kind <> 'a' THEN format('SELECT count(r) FROM (SELECT %s(%s) AS r) x;', fn::regproc, array_to_string(args, ', '))
        WHEN shape = 'plain' THEN format('SELECT count(r) FROM (SELECT %s(%s) AS r FROM generate_series(1, %s) g) x;',
                                         fn::regproc, array_to_string(args, ', '), rows)
        -- Several groups, each a separate state.
        WHEN shape = 'groups' THEN format('SELECT count(r) FROM (SELECT %s(%s) AS r FROM generate_series(1, %s) g GROUP BY g %% 3) x;',
                                          fn::regproc, array_to_string(args, ', '), rows)
        -- A moving frame: the final function runs once per row on a state built again each time.
        WHEN shape = 'window' THEN format('SELECT count(r) FROM (SELECT %s(%s) OVER (ORDER BY g ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS r '
                                          'FROM generate_series(1, %s) g) x;', fn::regproc, array_to_string(args, ', '), rows)
        -- Partial states from parallel workers, some of which see no rows.
        ELSE format('SELECT count(r) FROM (SELECT %s(%s) AS r FROM bad_input_rows WHERE g <= %s) x;',
                    fn::regproc, array_to_string(args, ', '), rows) END
$$;

-- The extension's routines that SQL can call.
CREATE TEMP VIEW routines AS
SELECT p.oid::regprocedure AS fn, p.prokind AS kind, ARRAY(SELECT unnest(p.proargtypes::oid[]::regtype[])) AS types,
       coalesce(p.proargnames, '{}') AS names
  FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pgcrm')
   AND NOT 'internal'::regtype = ANY (p.proargtypes::oid[]::regtype[]);

CREATE FUNCTION pg_temp.plausible_args(f routines) RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT ARRAY(SELECT pg_temp.arg_base(f.fn, k, f.names[k], f.types[k], f.kind = 'a')
                   FROM generate_subscripts(f.types, 1) k ORDER BY k)
$$;

CREATE FUNCTION pg_temp.campaign() RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    f routines;
    base text[];
    nulls text[];
    i int;
    v text;
BEGIN
    FOR f IN SELECT * FROM routines ORDER BY fn::text LOOP
        base := pg_temp.plausible_args(f);
        nulls := ARRAY(SELECT format('NULL::%s', t) FROM unnest(f.types) t);
        RETURN NEXT pg_temp.render(f.fn, f.kind, base, 24);
        RETURN NEXT pg_temp.render(f.fn, f.kind, nulls, 24);
        IF f.kind = 'a' THEN
            RETURN NEXT pg_temp.render(f.fn, f.kind, base, 0);
            -- Groups, frames and parallel workers whose rows all hold a NULL in one argument.
            FOR i IN 1 .. coalesce(array_length(f.types, 1), 0) LOOP
                FOREACH v IN ARRAY ARRAY['groups', 'window'] LOOP
                    RETURN NEXT pg_temp.render(f.fn, f.kind, base[:i - 1] || nulls[i] || base[i + 1:], 24, v);
                END LOOP;
            END LOOP;
            RETURN NEXT pg_temp.render(f.fn, f.kind, base, 24, 'groups');
            RETURN NEXT pg_temp.render(f.fn, f.kind, base, 24, 'window');
        END IF;
        FOR i IN 1 .. coalesce(array_length(f.types, 1), 0) LOOP
            FOR v IN SELECT pg_temp.bad_values(f.types[i], base[i]) LOOP
                RETURN NEXT pg_temp.render(f.fn, f.kind, base[:i - 1] || v || base[i + 1:], 24);
            END LOOP;
        END LOOP;
    END LOOP;
END $$;

-- Parallel partial aggregation: every worker starts with no state, and with
-- 24 rows in one page at most one of them sees any.
CREATE FUNCTION pg_temp.parallel_campaign() RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    f routines;
    base text[];
    i int;
BEGIN
    FOR f IN SELECT * FROM routines WHERE kind = 'a' ORDER BY fn::text LOOP
        base := pg_temp.plausible_args(f);
        RETURN NEXT pg_temp.render(f.fn, f.kind, base, 24, 'parallel');
        RETURN NEXT pg_temp.render(f.fn, f.kind, base, 0, 'parallel');
        FOR i IN 1 .. array_length(f.types, 1) LOOP
            RETURN NEXT pg_temp.render(f.fn, f.kind, base[:i - 1] || format('NULL::%s', f.types[i]) || base[i + 1:], 24,
                                       'parallel');
        END LOOP;
    END LOOP;
END $$;

SELECT 'SET statement_timeout = 2000;';
SELECT pg_temp.campaign();
SELECT 'SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 2;';
SELECT pg_temp.parallel_campaign();
SELECT 'RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size; RESET max_parallel_workers_per_gather;';
-- Every routine again with the JIT compiling, optimising and inlining each query.
SELECT 'SET jit_above_cost = 0; SET jit_inline_above_cost = 0; SET jit_optimize_above_cost = 0;';
SELECT pg_temp.render(fn, kind, pg_temp.plausible_args(r), 24) FROM routines r ORDER BY fn::text;
SELECT pg_temp.render(fn, kind, pg_temp.plausible_args(r), 24, 'window') FROM routines r WHERE kind = 'a' ORDER BY fn::text;
