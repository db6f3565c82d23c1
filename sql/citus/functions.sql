-- Scale-out on Citus (docs/citus.md): the layout crm.distribute() applies on
-- a Citus coordinator. The warehouse's order-line facts are spread over the
-- workers, and the aggregates over them run as partial aggregates on the
-- workers (their states are bytea).
-- The operational tables stay on the coordinator: docs/citus.md says why.

CREATE OR REPLACE FUNCTION crm.distribution_layout()
    RETURNS TABLE (table_name regclass, layout text, distribution_column name)
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    -- Keyed by the line: the refresh upserts on it, and a line's account may
    -- change. The dimensions stay on the coordinator: as reference tables,
    -- their local copy there would forbid the refresh's parallel commands on
    -- the shards later in its transaction.
    VALUES ('crm_dw.fact_sales'::regclass, 'distributed', 'order_line_id'::name)
$$;
COMMENT ON FUNCTION crm.distribution_layout() IS
    'The tables crm.distribute() spreads over a Citus cluster: reference (a copy on every node) or distributed (by the column)';

CREATE OR REPLACE FUNCTION crm.distribute()
    RETURNS TABLE (table_name regclass, layout text, distribution_column name, done text)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t record;
    fk name;
    present boolean;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        RAISE EXCEPTION 'crm.distribute: database % is not a Citus cluster (the citus extension is not installed)', current_database()
            USING ERRCODE = 'PC075', HINT = 'Run it on a Citus coordinator with its workers added: docs/citus.md.';
    END IF;
    -- Citus's own functions are called by name: this file installs without Citus.
    EXECUTE 'SELECT citus_is_coordinator()' INTO present;
    IF NOT present THEN
        RAISE EXCEPTION 'crm.distribute: database % is not the Citus coordinator', current_database()
            USING ERRCODE = 'PC075', HINT = 'Connect to the coordinator, which holds the metadata of the cluster.';
    END IF;
    FOR t IN SELECT * FROM crm.distribution_layout() LOOP
        EXECUTE 'SELECT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = $1)' INTO present USING t.table_name;
        table_name := t.table_name;
        layout := t.layout;
        distribution_column := t.distribution_column;
        IF present THEN
            done := 'already';
        ELSIF t.layout = 'reference' THEN
            EXECUTE 'SELECT create_reference_table($1)' USING t.table_name;
            done := 'created';
        ELSE
            -- Citus enforces no foreign key from a distributed table to a
            -- local one (the facts' keys to the dimensions): they go, and
            -- crm_dw.bi_relationship still describes the star.
            FOR fk IN SELECT conname FROM pg_constraint WHERE conrelid = t.table_name AND contype = 'f' ORDER BY conname LOOP
                EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', t.table_name, fk);
                RAISE NOTICE 'crm.distribute: dropped foreign key % of %', fk, t.table_name;
            END LOOP;
            EXECUTE 'SELECT create_distributed_table($1, $2)' USING t.table_name, t.distribution_column::text;
            done := 'created';
        END IF;
        RETURN NEXT;
    END LOOP;
END $$;
COMMENT ON FUNCTION crm.distribute() IS
    'On a Citus coordinator: makes the tables of crm.distribution_layout() reference or distributed tables (moving their rows); PC075 elsewhere';
