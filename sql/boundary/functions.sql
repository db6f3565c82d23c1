-- The boundary self-test (docs/boundary.md).

CREATE OR REPLACE FUNCTION crm.selftest_boundary(fault text) RETURNS integer
    LANGUAGE c VOLATILE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgcrm_selftest_boundary';
COMMENT ON FUNCTION crm.selftest_boundary(text) IS
    'Raises a fault across the C++/PostgreSQL boundary to prove it becomes an ordinary error (docs/development.md)';
