-- The PL/pgSQL trigger a developer would write by hand: look the transition up
-- in crm.workflow_transition, optionally record history.
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS bench CASCADE;
CREATE SCHEMA bench;
CREATE FUNCTION bench.plpgsql_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        IF NOT EXISTS (SELECT FROM crm.workflow_transition
                       WHERE workflow = TG_ARGV[0] AND from_state = OLD.status AND to_state = NEW.status) THEN
            RAISE EXCEPTION 'invalid status transition % -> %', OLD.status, NEW.status USING ERRCODE = 'PC001';
        END IF;
        IF TG_ARGV[1]::boolean THEN
            INSERT INTO crm.status_history (table_name, row_key, workflow, from_state, to_state)
            VALUES (TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, NEW.id::text, TG_ARGV[0], OLD.status, NEW.status);
        END IF;
    END IF;
    RETURN NEW;
END $$;
