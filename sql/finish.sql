-- Last part of the install and update scripts: the install helpers go.
DROP FUNCTION crm.register_table(regclass);
DROP FUNCTION crm.seed_workflow(text, text, jsonb, jsonb);
DROP FUNCTION crm.attach_builtin_workflow(regclass, name, text);
DROP FUNCTION crm_dw.register_job(text, integer, regprocedure, boolean, text, text);
