-- Schemas. Operational objects live in crm, the warehouse in crm_dw.
\echo Use "CREATE EXTENSION pgcrm" to load this file. \quit

CREATE SCHEMA crm;
COMMENT ON SCHEMA crm IS 'pgcrm operational schema: CRM tables, workflows, inventory and analytics functions';
CREATE SCHEMA crm_dw;
COMMENT ON SCHEMA crm_dw IS 'pgcrm warehouse schema: derived tables and BI views, rebuilt from crm';
