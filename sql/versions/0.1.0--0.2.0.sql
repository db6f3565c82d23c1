-- pgcrm 0.1.0 to 0.2.0: roles, row-level security and the audit log.
-- The Makefile appends sql/audit.sql and sql/security.sql to this file; what
-- is here changes objects 0.1.0 already has.
\echo Use "ALTER EXTENSION pgcrm UPDATE TO '0.2.0'" to load this file. \quit

ALTER FUNCTION crm_dw.capture_change() SET search_path = pg_catalog, crm, crm_dw, pg_temp;
-- A role without rights on crm could not drop any table: the sql_drop event
-- trigger ran with its rights.
ALTER FUNCTION crm.forget_dropped_attachments() SECURITY DEFINER SET search_path = pg_catalog, crm, crm_dw, pg_temp;
