-- Last part of the install and update scripts.

-- Every table whose rows pg_dump dumps can be restored in any order.
DO $$
DECLARE
    tbl regclass;
BEGIN
    FOR tbl IN SELECT c.oid FROM pg_extension e, unnest(e.extconfig) AS t(oid) JOIN pg_class c ON c.oid = t.oid
               WHERE e.extname = 'pgcrm' AND c.relkind = 'r' LOOP
        EXECUTE format('CREATE OR REPLACE TRIGGER restore_as_dumped BEFORE INSERT ON %s '
                       'FOR EACH STATEMENT EXECUTE FUNCTION crm.restore_as_dumped()', tbl);
    END LOOP;
END $$;

-- The install helpers go.
DROP FUNCTION crm.register_table(regclass);
DROP FUNCTION crm.seed_workflow(text, text, jsonb, jsonb);
DROP FUNCTION crm.attach_builtin_workflow(regclass, name, text);
DROP FUNCTION crm_dw.register_job(text, integer, regprocedure, boolean, text, text, interval, interval);
