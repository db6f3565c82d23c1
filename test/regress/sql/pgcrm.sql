-- make installcheck: the extension installs and its main paths answer. Every
-- expected value is a hand computation (the full suite is make test).
SELECT extversion FROM pg_extension WHERE extname = 'pgcrm';
SELECT crm.selftest_boundary('live_probes');
-- y = 2x + 1 through three points.
SELECT array_agg(round(c::numeric, 9)) AS coefficients
FROM unnest((SELECT (crm.linreg(y, ARRAY[x])).coefficients FROM (VALUES (1.0::float8, 0.0::float8), (3, 1), (5, 2)) v(y, x))) c;
SELECT code FROM crm.next_states('sales_order', 'draft') ORDER BY code;
-- 1,200 at 0 % over 12 months: 100 a month.
SELECT period, payment, balance FROM crm.loan_schedule(1200, 0, 12, 'annuity', '2027-01-01') WHERE period IN (1, 12);
