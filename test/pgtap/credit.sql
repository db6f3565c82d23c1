-- Credit products, applications and their workflow, and loan schedules. The
-- reference payment is the closed form P·r / (1 − (1 + r)^−n) evaluated in
-- PostgreSQL's exact numeric arithmetic, independently of the C++ core.
BEGIN;
SELECT plan(22);

INSERT INTO crm.account (id, name, industry, region, email) VALUES (900001, 'Vodokanal Test', 'water_supply', 'Kyiv', 'info@vodokanal.example.ua');
INSERT INTO crm.credit_product (id, name, annual_rate_pct, collateral) VALUES (900001, 'Test credit', 12.5, 'secured');
SELECT throws_ok($$INSERT INTO crm.credit_product (name, annual_rate_pct, collateral) VALUES ('Bad', 12, 'pledged')$$, '23514', NULL,
    'collateral is secured or unsecured');
SELECT throws_ok($$INSERT INTO crm.credit_application (account_id, product_id, amount, term_months) VALUES (900001, 900001, 0, 12)$$,
    '23514', NULL, 'a credit of nothing');
SELECT throws_ok($$INSERT INTO crm.credit_application (account_id, product_id, amount, term_months) VALUES (900001, 900001, 1000, 0)$$,
    '23514', NULL, 'a term of zero months');
INSERT INTO crm.credit_application (id, account_id, product_id, amount, term_months) VALUES (900001, 900001, 900001, 50000, 24);
SELECT is((SELECT status FROM crm.credit_application WHERE id = 900001), 'pending', 'an application starts pending');
SELECT throws_ok($$UPDATE crm.credit_application SET status = 'finished' WHERE id = 900001$$, 'PC001', NULL,
    'an application cannot finish before it starts');

-- Loan schedules.
CREATE FUNCTION pg_temp.closed_form(p numeric, rate numeric, n int) RETURNS numeric LANGUAGE sql AS $$
    SELECT round(p * (rate / 1200) / (1 - power(1 + rate / 1200, -n)), 2)
$$;

SELECT is((SELECT payment FROM crm.loan_schedule(100000, 12, 12, 'annuity', '2027-01-15') WHERE period = 1),
    pg_temp.closed_form(100000, 12, 12), 'annuity payment equals the closed form (100,000 at 12% for 12 months)');
SELECT is((SELECT payment FROM crm.loan_schedule(2500000, 18.5, 36, 'annuity', '2027-01-15') WHERE period = 7),
    pg_temp.closed_form(2500000, 18.5, 36), '... (2,500,000 at 18.5% for 36 months)');
SELECT is((SELECT payment FROM crm.loan_schedule(750000.55, 9.9, 240, 'annuity', '2027-01-15') WHERE period = 100),
    pg_temp.closed_form(750000.55, 9.9, 240), '... (750,000.55 at 9.9% for 240 months)');
SELECT is((SELECT sum(principal) FROM crm.loan_schedule(750000.55, 9.9, 240, 'annuity', '2027-01-15')), 750000.55,
    'annuity principal sums exactly to the amount');
SELECT is((SELECT sum(principal) FROM crm.loan_schedule(1000, 17, 7, 'differentiated', '2027-01-15')), 1000.00,
    'differentiated principal sums exactly to the amount');
SELECT is((SELECT balance FROM crm.loan_schedule(100000, 12, 12, 'annuity', '2027-01-15') WHERE period = 12), 0.00,
    'the last payment clears the balance');
SELECT is_empty($$SELECT FROM crm.loan_schedule(100000, 12, 12, 'annuity', '2027-01-15') WHERE payment <> principal + interest$$,
    'every payment is principal plus interest');
SELECT is((SELECT interest FROM crm.loan_schedule(100000, 12, 12, 'differentiated', '2027-01-15') WHERE period = 1), 1000.00,
    'first interest is balance × annual rate / 12');
SELECT is_empty($$SELECT FROM (SELECT payment, lag(payment) OVER (ORDER BY period) AS prev
                               FROM crm.loan_schedule(100000, 12, 12, 'differentiated', '2027-01-15')) s WHERE payment >= prev$$,
    'differentiated payments fall every month');
SELECT results_eq($$SELECT due_date FROM crm.loan_schedule(3000, 10, 3, 'annuity', '2027-01-31')$$,
    ARRAY['2027-01-31', '2027-02-28', '2027-03-31']::date[], 'due dates are monthly from the first payment, clamped to month ends');
SELECT throws_ok($$SELECT * FROM crm.loan_schedule(1000, 10, 12, 'balloon')$$, '22023', 'unknown repayment method "balloon"', 'an unknown method');
SELECT throws_ok($$SELECT * FROM crm.loan_schedule(100.005, 10, 12)$$, '22023', NULL, 'an amount that is not whole cents');
SELECT throws_like($$SELECT * FROM crm.loan_schedule(1000, -1, 12)$$, 'annual rate must be a percentage from 0 to below 1000, not -1%',
    'a negative rate, named in the message');
SELECT throws_ok($$SELECT * FROM crm.loan_schedule(1000, 10, NULL)$$, '22004', NULL, 'a missing term');
SELECT throws_ok($$SELECT * FROM crm.loan_schedule('Infinity', 10, 12)$$, '22023', 'loan amount Infinity is not a whole number of cents',
    'an infinite amount');
SELECT throws_ok($$SELECT * FROM crm.loan_schedule(1000, 'Infinity', 12)$$, '22023', NULL, 'an infinite rate');
SELECT throws_ok($$SELECT * FROM crm.loan_schedule(1000, 10, 12, 'annuity', '9999-06-01')$$, '22008',
    'a loan of 12 months cannot start paying on 9999-06-01', 'a schedule past the calendar');


SELECT * FROM finish();
ROLLBACK;
