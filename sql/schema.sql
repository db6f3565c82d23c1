-- Schemas. Operational objects live in crm, the warehouse in crm_dw.
\echo Use "CREATE EXTENSION pgcrm" to load this file. \quit

CREATE SCHEMA crm;
COMMENT ON SCHEMA crm IS 'pgcrm operational schema: CRM tables, workflows, inventory and analytics functions';
CREATE SCHEMA crm_dw;
COMMENT ON SCHEMA crm_dw IS 'pgcrm warehouse schema: derived tables and BI views, rebuilt from crm';

CREATE FUNCTION crm.selftest_boundary(fault text) RETURNS integer
    LANGUAGE c VOLATILE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgcrm_selftest_boundary';
COMMENT ON FUNCTION crm.selftest_boundary(text) IS
    'Raises a fault across the C++/PostgreSQL boundary to prove it becomes an ordinary error (docs/development.md)';
