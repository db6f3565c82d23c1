-- The C++/PostgreSQL boundary: each kind of fault becomes an ordinary error
-- with its SQLSTATE, the C++ stack is unwound, and the session goes on.
BEGIN;
SELECT plan(10);
\ir ../lib/pgtap.sql

SELECT throws_ok($$SELECT crm.selftest_boundary('cpp_exception')$$, 'XX000', 'selftest: a C++ exception', 'std::exception -> XX000');
SELECT throws_ok($$SELECT crm.selftest_boundary('core_error')$$, '22023', 'selftest: a core error', 'core error keeps its SQLSTATE');
SELECT throws_ok($$SELECT crm.selftest_boundary('bad_alloc')$$, '53200', 'out of memory in pgcrm', 'std::bad_alloc -> 53200');
SELECT throws_like($$SELECT crm.selftest_boundary('eigen_assert')$$, 'Eigen assertion failed: %', 'an Eigen assertion is an error, not an abort');
SELECT throws_ok($$SELECT crm.selftest_boundary('pg_error')$$, '22012', 'division by zero',
    'a PostgreSQL error under live C++ objects is re-thrown unchanged');
SET LOCAL statement_timeout = '300ms';
SELECT is(pg_temp.sqlstate_of($$SELECT crm.selftest_boundary('interrupt')$$), '57014',
    'statement_timeout stops a long C++ loop');
RESET statement_timeout;
SELECT is(crm.selftest_boundary('live_probes'), 0, 'every fault unwound its C++ objects');
SELECT throws_ok($$SELECT crm.selftest_boundary('nonsense')$$, '22023', 'unknown selftest fault "nonsense"', 'unknown fault name');
SELECT is(crm.selftest_boundary(NULL), NULL, 'STRICT: NULL in, NULL out');
SELECT lives_ok($$DROP EXTENSION pgcrm; CREATE EXTENSION pgcrm$$, 'the extension drops and installs cleanly in one session');

SELECT * FROM finish();
ROLLBACK;
