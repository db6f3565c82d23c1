-- Last part of the install script.

-- Attachments made by the install script are recreated by CREATE EXTENSION;
-- pg_dump keeps the ones users make.
UPDATE crm.workflow_attachment SET builtin = true;
SELECT pg_catalog.pg_extension_config_dump('crm.workflow_attachment', 'WHERE NOT builtin');

DROP FUNCTION crm.register_table(regclass);
