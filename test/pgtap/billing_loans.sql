-- Loans of the credit organisation: the schedule written when an application
-- starts, repayments in due order, arrears, the automatic finish, and early
-- repayment under both rules. The expected schedules were worked out by hand
-- (Python's decimal module, rounding half up): the annuity payment is
-- P·r / (1 − (1 + r)^−n) with r = annual rate / 1200, each month's interest
-- round(balance × r, 2), and the last payment takes what rounding left.
BEGIN;
SELECT plan(26);

INSERT INTO crm.account (id, name) VALUES (941001, 'Borrower'), (941002, 'Second borrower');
INSERT INTO crm.credit_product (id, name, annual_rate_pct, collateral, repayment_method) VALUES
    (941001, 'Test annuity 12 %', 12, 'unsecured', 'annuity'),
    (941002, 'Test differentiated 24 %', 24, 'secured', 'differentiated'),
    (941003, 'Test interest-free', 0, 'unsecured', 'differentiated');
INSERT INTO crm.credit_application (id, account_id, product_id, amount, term_months, first_payment_date, repayment_method) VALUES
    (941001, 941001, 941001, 12000, 12, '2026-01-31', NULL),
    (941002, 941002, 941002, 24000, 24, NULL, NULL),
    (941003, 941002, 941002, 24000, 24, NULL, 'annuity'),
    (941004, 941001, 941001, 12000, 12, '2026-01-31', NULL),
    (941005, 941002, 941003, 1200, 12, current_date - 40, NULL);
UPDATE crm.credit_application SET status = 'started' WHERE id BETWEEN 941001 AND 941005;
SELECT id AS loan_1 FROM crm.loan WHERE application_id = 941001 \gset
SELECT id AS loan_4 FROM crm.loan WHERE application_id = 941004 \gset
SELECT id AS loan_5 FROM crm.loan WHERE application_id = 941005 \gset

-- The schedule ---------------------------------------------------------------------------------------------
SELECT results_eq($$SELECT account_id, principal::numeric, annual_rate_pct, term_months, method, currency::text, first_due_on, status
                    FROM crm.loan WHERE application_id = 941001$$,
    $$VALUES (941001::bigint, 12000.00, 12.000, 12, 'annuity', 'UAH', date '2026-01-31', 'active')$$,
    'starting an application writes its loan: amount, the product''s rate and method, the first payment date asked for');
-- 12000 at 1 % a month over 12: A = 120 / (1 − 1.01^−12) = 1066.1855 → 1066.19.
SELECT results_eq(format('SELECT period, due_on, principal, interest, amount FROM crm.loan_installment WHERE loan_id = %s ORDER BY period', :loan_1),
    $$VALUES (1, date '2026-01-31', 946.19, 120.00, 1066.19), (2, date '2026-02-28', 955.65, 110.54, 1066.19),
             (3, date '2026-03-31', 965.21, 100.98, 1066.19), (4, date '2026-04-30', 974.86, 91.33, 1066.19),
             (5, date '2026-05-31', 984.61, 81.58, 1066.19), (6, date '2026-06-30', 994.46, 71.73, 1066.19),
             (7, date '2026-07-31', 1004.40, 61.79, 1066.19), (8, date '2026-08-31', 1014.44, 51.75, 1066.19),
             (9, date '2026-09-30', 1024.59, 41.60, 1066.19), (10, date '2026-10-31', 1034.83, 31.36, 1066.19),
             (11, date '2026-11-30', 1045.18, 21.01, 1066.19), (12, date '2026-12-31', 1055.58, 10.56, 1066.14)$$,
    'its installments: the annuity schedule, month ends kept, the last one taking the rounding');
-- Differentiated: 24000 / 24 = 1000.00 of principal a month, the first month's interest 24000 × 2 % = 480.00.
SELECT results_eq($$SELECT l.method, i.due_on, i.principal, i.interest FROM crm.loan l JOIN crm.loan_installment i ON i.loan_id = l.id
                    WHERE l.application_id = 941002 AND i.period = 1$$,
    $$VALUES ('differentiated', (current_date + interval '1 month')::date, 1000.00, 480.00)$$,
    'without a method or date of its own: the product''s method, the first payment a month after the start');
SELECT is((SELECT method FROM crm.loan WHERE application_id = 941003), 'annuity', 'an application''s own method wins over its product''s');
SELECT is((SELECT sum(principal) FROM crm.loan_installment WHERE loan_id = :loan_1), 12000.00, 'the principal sums to the loan exactly');

-- Repayments, arrears, the finish ---------------------------------------------------------------------------------
SELECT crm.record_repayment(:loan_1, 1500, '2026-02-27', 'first transfer', 'rq-1') AS pay_1 \gset
SELECT results_eq(format('SELECT period, paid, paid_on FROM crm.loan_installment WHERE loan_id = %s AND paid > 0 ORDER BY period', :loan_1),
    $$VALUES (1, 1066.19, date '2026-02-27'), (2, 433.81, NULL)$$,
    'a repayment pays the installments in due order: 1066.19, then 433.81 of the next');
SELECT results_eq(format('SELECT installment_id IS NOT NULL, amount, applied_on FROM crm.payment_allocation WHERE payment_id = %s ORDER BY id', :pay_1),
    $$VALUES (true, 1066.19, date '2026-02-27'), (true, 433.81, date '2026-02-27')$$, '... each part in the allocation ledger');
SELECT is(crm.record_repayment(:loan_1, 1500, '2026-02-27', 'first transfer', 'rq-1'), :pay_1::bigint,
    'the same request key returns the same repayment, paying nothing more');
-- Interest-free, 1200 over 12: 100.00 a month from 40 days ago, so two installments are due.
SELECT crm.record_repayment(:loan_5, 150, current_date - 5, 'late and short');
SELECT results_eq(format('SELECT period, days_past_due, amount, paid, overdue_amount FROM crm.loan_arrears WHERE loan_id = %s', :loan_5),
    $$VALUES (2, current_date - (current_date - 40 + interval '1 month')::date, 100.00, 50.00, 50.00)$$,
    'loan_arrears: the overdue installment, days past due and what is unpaid of it');
SELECT throws_ok(format('SELECT crm.record_repayment(%s, 10000, current_date, %L)', :loan_5, 'x'), 'PC035',
    format('a repayment of 10000 UAH exceeds what loan %s still owes: 1050.00', :loan_5), 'no repayment beyond what is owed');
SELECT throws_ok($$UPDATE crm.credit_application SET status = 'finished' WHERE id = 941005$$, 'PC039',
    format('credit application 941005 cannot finish: its loan %s still owes 1050.00', :loan_5), 'an application with debt cannot finish');
SELECT crm.record_repayment(:loan_5, 1050, current_date, 'the rest');
SELECT results_eq(format('SELECT l.status, l.finished_on, a.status FROM crm.loan l JOIN crm.credit_application a ON a.id = l.application_id
                          WHERE l.id = %s', :loan_5),
    $$VALUES ('finished', current_date, 'finished')$$, 'the last installment paid finishes the loan and its application');
SELECT results_eq($$SELECT from_state, to_state FROM crm.status_history WHERE table_name = 'crm.credit_application' AND row_key = '941005'
                    ORDER BY id$$,
    $$VALUES (NULL, 'pending'), ('pending', 'started'), ('started', 'finished')$$, '... through its workflow');
SELECT throws_ok(format('SELECT crm.record_repayment(%s, 1, current_date, %L)', :loan_5, 'x'), 'PC039',
    format('loan %s is finished since %s: nothing is left to repay', :loan_5, current_date), 'a finished loan takes no repayment');
SELECT is_empty(format('SELECT * FROM crm.loan_arrears WHERE loan_id = %s', :loan_5), 'it has no arrears');

-- Early repayment -------------------------------------------------------------------------------------------------
-- Loan 1 with installments 1 and 2 paid: installments 3-12 hold 12000 − 946.19 − 955.65 = 10098.16 of principal.
SELECT crm.record_repayment(:loan_1, 632.38, '2026-02-28', 'rest of February');
SELECT throws_ok(format('SELECT crm.repay_early(%s, 100000, %L, %L)', :loan_1, '2026-03-10', 'x'), 'PC035',
    format('an early repayment of 100000.00 exceeds the principal of loan %s not yet due: 10098.16', :loan_1),
    'an early repayment cannot exceed the principal not yet due');
SELECT throws_ok(format('SELECT crm.repay_early(%s, 100, %L, %L, %L)', :loan_1, '2026-03-10', 'x', 'sooner'), '22023',
    'rule must be shorter_term or lower_payment, not "sooner"', 'the rule is shorter_term or lower_payment');
-- 4000 early on 2026-03-10 leaves 6098.16. Shorter term at a payment of at most 1066.19:
-- n = −ln(1 − 6098.16 × 0.01 / 1066.19) / ln 1.01 = 5.92 → 6 months of 60.9816 / (1 − 1.01^−6) = 1052.2275 → 1052.23.
SELECT crm.repay_early(:loan_1, 4000, '2026-03-10', 'bonus', 'shorter_term') AS early_1 \gset
SELECT results_eq(format('SELECT period, kind, due_on, principal, interest, amount, paid FROM crm.loan_installment
                          WHERE loan_id = %s AND replaced_by IS NULL AND period > 2 ORDER BY period', :loan_1),
    $$VALUES (3, 'early_repayment', date '2026-03-10', 4000.00, 0.00, 4000.00, 4000.00),
             (4, 'scheduled', date '2026-03-31', 991.25, 60.98, 1052.23, 0.00), (5, 'scheduled', date '2026-04-30', 1001.16, 51.07, 1052.23, 0.00),
             (6, 'scheduled', date '2026-05-31', 1011.17, 41.06, 1052.23, 0.00), (7, 'scheduled', date '2026-06-30', 1021.28, 30.95, 1052.23, 0.00),
             (8, 'scheduled', date '2026-07-31', 1031.50, 20.73, 1052.23, 0.00), (9, 'scheduled', date '2026-08-31', 1041.80, 10.42, 1052.22, 0.00)$$,
    'shorter term: the early part as a paid installment, then 6 months at 1052.23 instead of 10 at 1066.19, on the same days');
SELECT is((SELECT count(*) FROM crm.loan_installment WHERE loan_id = :loan_1 AND replaced_by = :early_1), 10::bigint,
    'the ten installments it replaces are kept, marked replaced');
SELECT is((SELECT sum(principal) FROM crm.loan_installment WHERE loan_id = :loan_1 AND replaced_by IS NULL), 12000.00,
    'the live installments'' principal still sums to the loan');
-- Loan 4, the same loan, with lower payment: 10 months of 60.9816 / (1 − 1.01^−10) = 643.8564 → 643.86,
-- the first month's interest 6098.16 × 1 % = 60.98, principal 582.88.
SELECT crm.record_repayment(:loan_4, 2132.38, '2026-02-27', 'January and February');
SELECT crm.repay_early(:loan_4, 4000, '2026-03-10', 'bonus', 'lower_payment');
SELECT results_eq(format('SELECT count(*), min(due_on), max(due_on), sum(principal) FROM crm.loan_installment
                          WHERE loan_id = %s AND replaced_by IS NULL AND kind = ''scheduled'' AND period > 3', :loan_4),
    $$VALUES (10::bigint, date '2026-03-31', date '2026-12-31', 6098.16)$$, 'lower payment: the same ten months, to the same end');
SELECT results_eq(format('SELECT principal, interest, amount FROM crm.loan_installment WHERE loan_id = %s AND replaced_by IS NULL AND period = 4', :loan_4),
    $$VALUES (582.88, 60.98, 643.86)$$, '... at 643.86 a month');
-- What is due is paid first: on 2026-04-01 installment 4 of loan 1 (1052.23) is due, so 1052.23 + 500 repays 500 early.
SELECT throws_ok(format('SELECT crm.repay_early(%s, 1052.23, %L, %L)', :loan_1, '2026-04-01', 'x'), '22023',
    'a repayment of 1052.23 covers only the 1052.23 due by 2026-04-01: there is nothing to repay early',
    'an early repayment must go beyond what is due');
SELECT crm.repay_early(:loan_1, 1552.23, '2026-04-01', 'more', 'lower_payment');
SELECT results_eq(format('SELECT period, kind, paid FROM crm.loan_installment WHERE loan_id = %s AND replaced_by IS NULL AND period IN (4, 5)
                          ORDER BY period', :loan_1),
    $$VALUES (4, 'scheduled', 1052.23), (5, 'early_repayment', 500.00)$$, '... installment 4 is paid, then 500.00 repaid early');
SELECT is((SELECT sum(principal) FROM crm.loan_installment WHERE loan_id = :loan_1 AND replaced_by IS NULL), 12000.00,
    '... and the principal still sums to the loan');
SELECT is_empty('SELECT * FROM crm.receivable_invariant_violations()', 'every installment agrees with its allocations, every loan with its installments');

SELECT * FROM finish();
ROLLBACK;
