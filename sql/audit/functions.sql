-- Writing the audit log: the row trigger, its append-only guard, the per-table
-- switch and the purge (docs/audit.md).

-- The role a statement runs as, also from inside a SECURITY DEFINER function
-- (where current_user is the function's owner).
-- A standard body, unpinned, so it is inlined: every audited row and event
-- asks for it, and a pinned search_path costs each call a settings change.
CREATE OR REPLACE FUNCTION crm.acting_role() RETURNS name
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN CASE current_setting('role') WHEN 'none' THEN session_user ELSE current_setting('role')::name END;
COMMENT ON FUNCTION crm.acting_role() IS 'The current role of the session: SET ROLE if set, else the login';

-- A value as the log keeps it: binary content (documents) only as its md5.
-- (A standard body, unpinned, for the same reason.)
CREATE OR REPLACE FUNCTION crm.audit_values(row_values jsonb, binary_columns text[]) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (SELECT row_values || coalesce(jsonb_object_agg(c, 'md5:' || md5(row_values ->> c)), '{}')
              FROM unnest(binary_columns) c WHERE row_values ? c);

-- TG_ARGV: the key columns and the bytea columns, as text arrays. An update
-- logs only the columns it changed (compared as datums, in C++: the row
-- trigger runs for every updated row); updated_at alone is not a change.
CREATE OR REPLACE FUNCTION crm.audit_row() RETURNS trigger
    LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'pgcrm_audit_row';
COMMENT ON FUNCTION crm.audit_row() IS 'Audit trigger: appends the changed row to crm.audit_log';

-- Inserts are logged a statement at a time, from its transition table: a bulk
-- insert (a month's invoices and their lines) writes its entries in one pass
-- instead of running a row trigger for each row. TG_ARGV as for crm.audit_row.
CREATE OR REPLACE FUNCTION crm.audit_inserted() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_LEVEL <> 'STATEMENT' OR TG_WHEN <> 'AFTER' OR TG_OP <> 'INSERT' OR TG_NARGS <> 2 THEN
        RAISE EXCEPTION 'crm.audit_inserted() must be an AFTER INSERT ... REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT trigger naming key and binary columns'
            USING ERRCODE = 'trigger_protocol_violated';
    END IF;
    IF EXISTS (SELECT FROM crm.audit_setting s WHERE s.table_name = TG_RELID AND NOT s.enabled) THEN
        RETURN NULL;
    END IF;
    INSERT INTO crm.audit_log (actor, table_name, operation, row_key, old_values, new_values)
    SELECT crm.acting_role(), format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME), TG_OP,
           (SELECT jsonb_object_agg(k, r.v -> k) FROM unnest(TG_ARGV[0]::text[]) k), NULL, crm.audit_values(r.v, TG_ARGV[1]::text[])
    FROM (SELECT to_jsonb(i) AS v FROM inserted i) r;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION crm.audit_inserted() IS 'Audit trigger: appends a statement''s inserted rows to crm.audit_log';

CREATE OR REPLACE FUNCTION crm.refuse_audit_change() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RAISE EXCEPTION 'crm.audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'PC014', HINT = 'An admin removes old entries with crm.purge_audit_log(), which logs the purge.';
END $$;
CREATE OR REPLACE TRIGGER append_only BEFORE UPDATE OR DELETE ON crm.audit_log
    FOR EACH ROW EXECUTE FUNCTION crm.refuse_audit_change();
CREATE OR REPLACE TRIGGER append_only_truncate BEFORE TRUNCATE ON crm.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION crm.refuse_audit_change();

-- Every table of crm that holds business data is audited (a release's new
-- tables too, since every update runs this again); the counters, the histories
-- and ledgers that are themselves append-only records, and the log itself, are not.
DO $$
DECLARE
    tbl regclass;
    key_columns text[];
    binary_columns text[];
BEGIN
    FOR tbl, key_columns, binary_columns IN
        SELECT c.oid::regclass,
               (SELECT array_agg(a.attname::text ORDER BY k.ord)
                  FROM pg_index i, unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
                  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
                 WHERE i.indrelid = c.oid AND i.indisprimary),
               (SELECT coalesce(array_agg(a.attname::text ORDER BY a.attnum), '{}') FROM pg_attribute a
                 WHERE a.attrelid = c.oid AND a.atttypid = 'bytea'::regtype AND a.attnum > 0 AND NOT a.attisdropped)
          FROM pg_class c
         WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind = 'r'
           AND c.relname NOT IN ('audit_log', 'document_counter', 'status_history', 'stock_movement', 'payment_allocation')
           -- the event outbox, its consumers' positions, the inbound log, the automation runs (sql/events, inbound, automation)
           AND c.relname NOT IN ('event', 'event_consumer', 'inbound_message', 'automation_run', 'automation_sweep_state')
         ORDER BY c.relname
    LOOP
        IF key_columns IS NULL THEN
            RAISE EXCEPTION 'table % has no primary key to audit by', tbl;
        END IF;
        EXECUTE format('CREATE OR REPLACE TRIGGER audit AFTER UPDATE OR DELETE ON %s FOR EACH ROW '
                       'EXECUTE FUNCTION crm.audit_row(%L, %L)', tbl, key_columns, binary_columns);
        EXECUTE format('CREATE OR REPLACE TRIGGER audit_insert AFTER INSERT ON %s REFERENCING NEW TABLE AS inserted '
                       'FOR EACH STATEMENT EXECUTE FUNCTION crm.audit_inserted(%L, %L)', tbl, key_columns, binary_columns);
    END LOOP;
END $$;

CREATE OR REPLACE FUNCTION crm.set_audit(tbl regclass, enabled boolean) RETURNS void
    LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
BEGIN
    IF NOT EXISTS (SELECT FROM pg_trigger t WHERE t.tgrelid = tbl AND t.tgname = 'audit'
                                               AND t.tgfoid = 'crm.audit_row()'::regprocedure) THEN
        RAISE EXCEPTION '% is not an audited table', tbl USING ERRCODE = 'invalid_parameter_value',
            HINT = 'SELECT tgrelid::regclass FROM pg_trigger WHERE tgname = ''audit'' lists them.';
    END IF;
    IF tbl = 'crm.audit_setting'::regclass THEN
        RAISE EXCEPTION 'the audit of crm.audit_setting cannot be turned off' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO crm.audit_setting AS s (table_name, enabled) VALUES (tbl, enabled)
    ON CONFLICT (table_name) DO UPDATE SET enabled = excluded.enabled, changed_by = excluded.changed_by,
                                           changed_at = excluded.changed_at;
END $$;
COMMENT ON FUNCTION crm.set_audit(regclass, boolean) IS
    'Turns the audit of one core table off or on; the switch itself is audited (crm.audit_setting)';

-- Retention: the one way entries leave the log. Running as a replica load
-- skips the append-only trigger for this DELETE only.
CREATE OR REPLACE FUNCTION crm.purge_audit_log(older_than interval) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp SET session_replication_role = replica AS $$
DECLARE
    cutoff timestamptz;
    purged bigint;
BEGIN
    PERFORM crm.require_arg(older_than, 'older_than');
    IF NOT older_than >= interval '1 day' THEN
        RAISE EXCEPTION 'older_than must be at least 1 day, got %', older_than USING ERRCODE = 'invalid_parameter_value';
    END IF;
    BEGIN
        cutoff := now() - older_than;
    EXCEPTION WHEN datetime_field_overflow THEN
        RAISE EXCEPTION 'older_than % reaches back past the earliest timestamp', older_than
            USING ERRCODE = 'datetime_field_overflow', HINT = 'Give an age such as ''90 days'' or ''7 years''.';
    END;
    DELETE FROM crm.audit_log l WHERE l.logged_at < cutoff;
    GET DIAGNOSTICS purged = ROW_COUNT;
    INSERT INTO crm.audit_log (actor, table_name, operation, new_values)
    VALUES (crm.acting_role(), 'crm.audit_log', 'PURGE', jsonb_build_object('before', cutoff, 'entries', purged));
    RETURN purged;
END $$;
COMMENT ON FUNCTION crm.purge_audit_log(interval) IS
    'Deletes audit entries older than the interval (at least 1 day) and logs the purge; returns how many';
