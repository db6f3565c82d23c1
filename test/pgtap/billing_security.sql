-- Billing under row-level security: managers invoice, collect and lend for
-- their own clients only; a client reads its own invoices, payments and loan
-- schedule; the dashboards count what the caller may see. Each role is entered
-- with SET SESSION AUTHORIZATION, as logging in as it would. Amounts: 10 × 5.00
-- = 50.00 + 20 % VAT = 60.00 (Anna's order), 20 × 5.00 = 100.00 + 20.00 = 120.00 (Boris's).
BEGIN;
SELECT plan(33);

\ir ../lib/security_fixture.sql
UPDATE crm.sales_order SET status = 'confirmed' WHERE id IN (910001, 910002);
INSERT INTO crm.quote (id, account_id, valid_until) VALUES (910001, 910001, current_date + 9), (910002, 910001, current_date + 9);
UPDATE crm.quote SET status = 'sent' WHERE id = 910002;
SELECT crm.invoice_order(910002) AS boris_invoice \gset

-- A manager ---------------------------------------------------------------------------------------------------------
SET SESSION AUTHORIZATION sec_anna;
SELECT crm.invoice_order(910001) AS anna_invoice \gset
SELECT is((SELECT total FROM crm.invoice WHERE id = :anna_invoice), 60.00, 'Anna invoices her client''s order: 50.00 + 10.00 VAT');
SELECT throws_ok('SELECT crm.invoice_order(910002)', 'PC003', 'order 910002 does not exist', '... not Boris''s, which she cannot see');
SELECT lives_ok($$SELECT crm.record_payment(910001, 60, 'UAH', current_date, 'bank')$$, '... records her client''s payment');
SELECT is((SELECT status FROM crm.invoice WHERE id = :anna_invoice), 'paid', '... which pays the invoice');
SELECT set_eq('SELECT id FROM crm.invoice', ARRAY[:anna_invoice::bigint], 'she sees her client''s invoices only');
SELECT set_eq('SELECT account_id FROM crm.payment', ARRAY[910001::bigint], '... payments');
SELECT is((SELECT count(*) FROM crm.payment_allocation), 1::bigint, '... and allocations');
SELECT throws_ok(format('SELECT crm.record_payment(910002, 120, %L, current_date, %L, invoice => %s)', 'UAH', 'x', :boris_invoice),
    'PC003', 'account 910002 does not exist', 'she cannot record a payment of a client she cannot see');
SELECT throws_ok(format('INSERT INTO crm.invoice_line (invoice_id, line_no, product_id, order_line_id, quantity, unit_price, vat_rate_pct)
                         VALUES (%s, 2, 910001, 910001, 1, 5, 20)', :boris_invoice), 'PC034', NULL,
    'she cannot slip a line into an invoice her policies hide');
SELECT throws_ok(format('UPDATE crm.invoice SET total = 1 WHERE id = %s', :anna_invoice), '42501', NULL, 'she cannot rewrite an amount');
SELECT lives_ok($$INSERT INTO crm.contract (account_id, valid_until) VALUES (910001, current_date + 30)$$, 'she drafts a contract for her client');
SELECT throws_ok($$INSERT INTO crm.contract (account_id, valid_until) VALUES (910002, current_date + 30)$$, '42501', NULL,
    '... not for Boris''s');
SELECT throws_ok($$INSERT INTO crm.contract_override (order_id, contract_id, refusal, reason) VALUES (910001, 1, 'x', 'x')$$, '42501', NULL,
    '... and cannot record an override');
SELECT lives_ok($$UPDATE crm.credit_application SET status = 'started' WHERE id = 910001$$, 'starting her client''s application');
SELECT is((SELECT count(*) FROM crm.loan_installment i JOIN crm.loan l ON l.id = i.loan_id WHERE l.application_id = 910001), 12::bigint,
    '... writes its loan''s 12 installments with her rights');
SELECT results_eq('SELECT total, pending, refused, started, finished FROM crm.v_application_counts',
    $$VALUES (1::bigint, 0::bigint, 0::bigint, 1::bigint, 0::bigint)$$, 'her application dashboard counts her client''s application');
SELECT results_eq($$SELECT status, orders FROM crm.v_order_counts WHERE status IN ('draft', 'confirmed')$$,
    $$VALUES ('draft', 0::bigint), ('confirmed', 1::bigint)$$, 'her order counts by status');
SELECT results_eq('SELECT account_id, orders, open_invoices, open_balance, last_payment_amount::numeric, applications FROM crm.v_account_card',
    $$VALUES (910001::bigint, 1::bigint, 0::bigint, 0.00, 60.00, 1::bigint)$$, 'her client card');

SET SESSION AUTHORIZATION sec_boris;
SELECT results_eq('SELECT account_id, open_invoices, open_balance, overdue_balance FROM crm.v_account_card',
    $$VALUES (910002::bigint, 1::bigint, 120.00, 0.00)$$, 'Boris''s card shows his client''s open invoice');
SELECT set_eq('SELECT invoice_id FROM crm.receivables', ARRAY[:boris_invoice::bigint], '... and his receivables only');
SELECT is_empty('SELECT * FROM crm.loan', 'he sees no loan of Anna''s client');

-- A client ------------------------------------------------------------------------------------------------------------------
SET SESSION AUTHORIZATION sec_kim;
SELECT set_eq('SELECT id FROM crm.invoice', ARRAY[:anna_invoice::bigint], 'Kim sees her invoices');
SELECT is((SELECT count(*) FROM crm.invoice_line), 1::bigint, '... their lines');
SELECT set_eq('SELECT amount::numeric FROM crm.payment', ARRAY[60.00], '... her payments');
SELECT is((SELECT count(*) FROM crm.loan_installment), 12::bigint, '... and her loan schedule');
SELECT set_eq('SELECT id FROM crm.quote', ARRAY[910002::bigint], '... her sent quote, not the draft');
SELECT results_eq('SELECT account_id, orders, open_balance, last_payment_amount::numeric, applications, active_applications FROM crm.v_account_card',
    $$VALUES (910001::bigint, 1::bigint, 0.00, 60.00, 1::bigint, 1::bigint)$$, 'her card is her account''s');
SELECT results_eq('SELECT total, started FROM crm.v_application_counts', $$VALUES (1::bigint, 1::bigint)$$, '... and her dashboard');
SELECT throws_ok($$SELECT crm.record_payment(910001, 1, 'UAH', current_date, 'x')$$, '42501', NULL, 'she records nothing');
SELECT throws_ok($$SELECT * FROM crm.contract_override$$, '42501', NULL, '... and reads no override');
SET SESSION AUTHORIZATION sec_nika;
SELECT is_empty('SELECT account_id FROM crm.v_account_card UNION ALL SELECT account_id FROM crm.receivables',
    'an unmapped client sees no card and no receivable');

-- Audit --------------------------------------------------------------------------------------------------------------------
RESET SESSION AUTHORIZATION;
SELECT results_eq(format($$SELECT actor, operation FROM crm.audit_log WHERE table_name = 'crm.invoice' AND row_key = '{"id": %s}'
                          AND operation = 'INSERT'$$, :anna_invoice),
    $$VALUES ('sec_anna'::name, 'INSERT')$$, 'an invoice is audited as its issuer''s');
SELECT is_empty($$SELECT FROM crm.audit_log WHERE table_name = 'crm.payment_allocation'$$,
    'the allocation ledger, itself append-only, is not audited twice');

SELECT * FROM finish();
ROLLBACK;
