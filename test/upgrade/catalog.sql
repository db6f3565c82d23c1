-- Everything the extension defines, one sorted line per detail, so a database
-- updated with ALTER EXTENSION can be compared with a fresh install. Access
-- lists are sorted: their order depends on the order of the grants.
WITH ext AS (SELECT oid FROM pg_extension WHERE extname = 'pgcrm'),
members AS (SELECT d.classid, d.objid FROM pg_depend d, ext WHERE d.refobjid = ext.oid AND d.deptype = 'e'),
rels AS (SELECT c.* FROM pg_class c JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid)
SELECT line FROM (
    SELECT 'object ' || pg_describe_object(classid, objid, 0) FROM members
    UNION ALL
    SELECT format('function %s %s %s %s %s %s %s', p.oid::regprocedure, p.prokind, p.provolatile, p.proparallel,
                  p.prosecdef, p.proconfig, (SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest(p.proacl) x))
           || CASE WHEN p.prokind IN ('f', 'p') THEN ' ' || md5(pg_get_functiondef(p.oid)) ELSE '' END
      FROM pg_proc p JOIN members m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
    UNION ALL
    SELECT format('relation %s %s %s %s', r.oid::regclass, r.relkind, r.relrowsecurity, (SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest(r.relacl) x)) FROM rels r
    UNION ALL
    SELECT format('column %s.%s %s %s %s %s', r.oid::regclass, a.attname, format_type(a.atttypid, a.atttypmod),
                  a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid), (SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest(a.attacl) x))
      FROM rels r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attrdef ad ON ad.adrelid = r.oid AND ad.adnum = a.attnum
    UNION ALL
    SELECT 'index ' || pg_get_indexdef(i.indexrelid) FROM rels r JOIN pg_index i ON i.indrelid = r.oid
    UNION ALL
    SELECT format('constraint %s %s %s', r.oid::regclass, c.conname, pg_get_constraintdef(c.oid))
      FROM rels r JOIN pg_constraint c ON c.conrelid = r.oid
    UNION ALL
    SELECT 'trigger ' || pg_get_triggerdef(t.oid) FROM rels r JOIN pg_trigger t ON t.tgrelid = r.oid AND NOT t.tgisinternal
    UNION ALL
    SELECT format('policy %s.%s %s %s %s %s %s', p.schemaname, p.tablename, p.policyname, p.cmd, p.roles, p.qual, p.with_check)
      FROM pg_policies p WHERE p.schemaname IN ('crm', 'crm_dw')
    UNION ALL
    SELECT 'view ' || r.oid::regclass || ' ' || md5(pg_get_viewdef(r.oid)) FROM rels r WHERE r.relkind IN ('v', 'm')
    UNION ALL
    SELECT format('schema %s %s', n.nspname, (SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest(n.nspacl) x)) FROM pg_namespace n WHERE n.nspname IN ('crm', 'crm_dw')
    UNION ALL
    SELECT format('config %s', c::regclass) FROM ext, pg_extension e, unnest(e.extconfig) c WHERE e.oid = ext.oid
    UNION ALL
    SELECT format('comment %s %s', pg_describe_object(d.classoid, d.objoid, d.objsubid), md5(d.description))
      FROM pg_description d JOIN members m ON m.classid = d.classoid AND m.objid = d.objoid
) x(line)
ORDER BY line;
