-- The commercial cycle: settings, exchange rates, contracts and the order
-- check, quotes, invoices and credit notes, payments and their allocation,
-- receivables and aging, and the invariant check. Every amount is worked out
-- by hand in the comment beside it (net = round(quantity × price × (1 −
-- discount), 2), VAT = round(net × rate, 2), gross = net + VAT).
BEGIN;
SELECT plan(104);
\ir ../lib/pgtap.sql

-- Settings ------------------------------------------------------------------------------------------
SELECT is(crm.vat_rate(), 20::numeric, 'pgcrm.vat_rate is 20 (Ukraine''s PDV) by default');
SELECT is(crm.base_currency(), 'UAH', 'pgcrm.base_currency is UAH by default');
SET LOCAL pgcrm.vat_rate = 7.5;
SELECT is(crm.vat_rate(), 7.5, 'pgcrm.vat_rate can be set (7.5)');
RESET pgcrm.vat_rate;
SELECT throws_ok($$SET pgcrm.base_currency = 'euro'$$, '22023', NULL, 'a base currency is an ISO code');

-- Exchange rates ---------------------------------------------------------------------------------------
INSERT INTO crm.exchange_rate (currency, rate_date, rate) VALUES
    ('EUR', '2026-01-01', 44.5), ('EUR', '2026-02-01', 45.1), ('USD', '2026-01-01', 41.25);
SELECT is((SELECT array_agg(DISTINCT base::text) FROM crm.exchange_rate), ARRAY['UAH'], 'rates are quoted against the base currency');
SELECT is(crm.convert(100, 'EUR', 'UAH', '2026-01-15'), 4450.00, 'EUR to UAH: 100 × 44.5 = 4450.00');
SELECT is(crm.convert(100, 'EUR', 'UAH', '2026-02-10'), 4510.00, '... with the latest rate on or before the day: 100 × 45.1');
SELECT is(crm.convert(1000, 'UAH', 'EUR', '2026-01-15'), 22.47, 'UAH to EUR: 1000 / 44.5 = 22.4719… → 22.47');
SELECT is(crm.convert(100, 'EUR', 'USD', '2026-01-15'), 107.88, 'EUR to USD through the base: 100 × 44.5 / 41.25 = 107.8787… → 107.88');
SELECT is(crm.convert(12.34, 'EUR', 'EUR', '2000-01-01'), 12.34, 'a currency to itself needs no rate');
SELECT throws_ok($$SELECT crm.convert(1, 'EUR', 'UAH', '2025-12-31')$$, 'PC037', 'no exchange rate from EUR to UAH on 2025-12-31',
    'no rate on or before the day: PC037 naming the pair and the day');
SELECT throws_ok($$SELECT crm.convert(1, 'eur', 'UAH')$$, '22023', 'from_currency "eur" is not a currency code', 'a bad code');

-- Fixture -----------------------------------------------------------------------------------------------
CREATE ROLE bt_manager IN ROLE crm_manager;
CREATE ROLE bt_admin IN ROLE crm_admin;
INSERT INTO crm.account (id, name, manager) VALUES (940001, 'Contract client', 'bt_manager'), (940002, 'Invoice client', NULL),
    (940003, 'Payer', NULL), (940004, 'Aging client', NULL), (940005, 'Advance payer', NULL);
INSERT INTO crm.product (id, sku, name, kind, unit, list_price, vat_rate_pct) VALUES
    (940001, 'BT-PIPE', 'GRP pipe', 'goods', 'm', 1234.56, NULL),
    (940002, 'BT-SRV', 'Supervision', 'service', 'h', 33.33, 7),
    (940003, 'BT-CAP', 'Cap', 'goods', 'pcs', 0.03, NULL),
    (940004, 'BT-UNIT', 'Zero-rated unit', 'goods', 'pcs', 100, 0);
-- A confirmed order of the given lines (product, quantity, price, discount), outside any contract.
CREATE FUNCTION pg_temp.confirmed_order(account bigint, lines numeric[][], currency text DEFAULT 'UAH') RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    o bigint;
BEGIN
    INSERT INTO crm.sales_order (account_id, currency) VALUES (account, currency) RETURNING id INTO o;
    INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price, discount_pct)
    SELECT o, k, lines[k][1], lines[k][2], lines[k][3], lines[k][4] FROM generate_subscripts(lines, 1) k;
    UPDATE crm.sales_order SET status = 'confirmed' WHERE id = o;
    RETURN o;
END $$;

-- Contracts and the order check --------------------------------------------------------------------------------
INSERT INTO crm.contract (id, account_id, signed_on, valid_until, payment_terms_days, credit_limit)
VALUES (940001, 940001, current_date - 10, current_date + 355, 45, 10000);
SELECT results_eq($$SELECT number ~ ('^CTR-' || extract(year FROM current_date - 10) || '-[0-9]{5}$'), valid_from, status
                    FROM crm.contract WHERE id = 940001$$,
    $$VALUES (true, current_date - 10, 'draft')$$, 'a contract is numbered CTR-<year>-NNNNN, valid from its signing, a draft');
SELECT throws_ok($$UPDATE crm.contract SET status = 'expired' WHERE id = 940001$$, 'PC001', NULL,
    'a draft contract cannot expire (draft → active → expired | terminated)');
-- Order A: 5 m × 1234.56 = 6172.80 net, VAT 1234.56, 7407.36 as invoiced.
INSERT INTO crm.sales_order (id, account_id, contract_id) VALUES (940001, 940001, 940001);
INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price) VALUES (940001, 1, 940001, 5, 1234.56);
SELECT throws_ok($$SELECT crm.confirm_order(940001)$$, 'PC030',
    format('order %s cannot be confirmed under contract %s: the contract is draft, not active',
           (SELECT number FROM crm.sales_order WHERE id = 940001), (SELECT number FROM crm.contract WHERE id = 940001)),
    'an order under a contract that is not active is refused, naming both');
UPDATE crm.contract SET status = 'active' WHERE id = 940001;
INSERT INTO crm.sales_order (id, account_id, contract_id, order_date) VALUES (940002, 940001, 940001, current_date - 11);
INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price) VALUES (940002, 1, 940001, 1, 10);
SELECT throws_ok($$UPDATE crm.sales_order SET status = 'confirmed' WHERE id = 940002$$, 'PC030',
    format('order %s of %s is outside contract %s, valid from %s to %s', (SELECT number FROM crm.sales_order WHERE id = 940002),
           current_date - 11, (SELECT number FROM crm.contract WHERE id = 940001), current_date - 10, current_date + 355),
    'an order dated outside the contract is refused, also by a plain UPDATE');
INSERT INTO crm.sales_order (id, account_id, contract_id, currency) VALUES (940003, 940001, 940001, 'EUR');
INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price) VALUES (940003, 1, 940001, 1, 10);
SELECT throws_ok($$SELECT crm.confirm_order(940003)$$, 'PC030',
    format('order %s is in EUR, but contract %s is in UAH', (SELECT number FROM crm.sales_order WHERE id = 940003),
           (SELECT number FROM crm.contract WHERE id = 940001)), 'an order in another currency is refused');
SELECT lives_ok($$SELECT crm.confirm_order(940001)$$, 'order A is within the limit: 0 + 7407.36 ≤ 10000');
SELECT crm.invoice_order(940001) AS invoice_a \gset
SELECT results_eq($$SELECT total, due_on - issued_on FROM crm.invoice WHERE id = $$ || :invoice_a,
    $$VALUES (7407.36, 45)$$, 'its invoice is 7407.36, due after the contract''s 45 days');
-- Order B: 2 m × 1234.56 = 2469.12 net, VAT 493.824 → 493.82, 2962.94; exposure 7407.36 + 2962.94 = 10370.30 > 10000.
INSERT INTO crm.sales_order (id, account_id, contract_id) VALUES (940004, 940001, 940001);
INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price) VALUES (940004, 1, 940001, 2, 1234.56);
SELECT throws_ok($$SELECT crm.confirm_order(940004)$$, 'PC031',
    format('order %s exceeds the credit limit of contract %s: limit 10000.00 UAH, exposure 10370.30 UAH '
           '(open receivables 7407.36 + this order 2962.94)', (SELECT number FROM crm.sales_order WHERE id = 940004),
           (SELECT number FROM crm.contract WHERE id = 940001)),
    'beyond the credit limit: PC031 naming the contract, the limit and the exposure');
SET ROLE bt_manager;
SELECT throws_ok($$SELECT crm.confirm_order(940004, 'my best client')$$, '42501', 'only crm_admin may override a contract check',
    'a manager cannot override it');
SET ROLE bt_admin;
SELECT lives_ok($$SELECT crm.confirm_order(940004, 'approved by the CFO')$$, 'an admin overrides it with a reason');
RESET ROLE;
SELECT results_eq($$SELECT o.status, v.reason, v.overridden_by, v.refusal LIKE '%exposure 10370.30 UAH%'
                    FROM crm.sales_order o JOIN crm.contract_override v ON v.order_id = o.id WHERE o.id = 940004$$,
    $$VALUES ('confirmed', 'approved by the CFO', 'bt_admin'::name, true)$$, '... and the override is recorded with the refusal');
-- An override of another transaction does not count.
UPDATE crm.sales_order SET order_date = current_date WHERE id = 940002;
UPDATE crm.order_line SET quantity = 3, unit_price = 1234.56 WHERE order_id = 940002;
INSERT INTO crm.contract_override (order_id, contract_id, refusal, reason, transaction_id)
VALUES (940002, 940001, 'old', 'old reason', '1');
SELECT throws_ok($$SELECT crm.confirm_order(940002)$$, 'PC031', NULL, 'an override from another transaction does not count');
-- Order 940002 is now 3 m: 3703.68 net, VAT 740.736 → 740.74, 4444.42; exposure 7407.36 + 4444.42 = 11851.78.
-- Paying 3000.00 of A leaves 4407.36 open.
SELECT crm.record_payment(940001, 3000, 'UAH', current_date, 'part of A');
SELECT lives_ok($$SELECT crm.confirm_order(940002)$$, 'paying open receivables makes room: 4407.36 + 4444.42 = 8851.78 ≤ 10000');
INSERT INTO crm.contract (id, account_id, signed_on, valid_until, status) VALUES (940002, 940001, current_date - 100, current_date - 1, NULL);
UPDATE crm.contract SET status = 'active' WHERE id = 940002;
SELECT is(crm.expire_contracts(), 1, 'expire_contracts moves a contract past its end to expired');
SELECT is((SELECT status FROM crm.contract WHERE id = 940002), 'expired', '... its status');

-- Quotes ------------------------------------------------------------------------------------------------------------
INSERT INTO crm.deal (id, account_id, title) VALUES (940001, 940001, 'Water main');
UPDATE crm.deal SET stage = 'qualified' WHERE id = 940001;
UPDATE crm.deal SET stage = 'proposal' WHERE id = 940001;
INSERT INTO crm.quote (id, account_id, deal_id, valid_until) VALUES (940001, 940001, 940001, current_date + 30);
INSERT INTO crm.quote_line (quote_id, line_no, product_id, quantity, unit_price, discount_pct)
VALUES (940001, 1, 940001, 12.5, 1234.56, 7.5), (940001, 2, 940002, 3, 33.33, 0);
SELECT ok((SELECT number ~ '^QUO-[0-9]{4}-[0-9]{5}$' FROM crm.quote WHERE id = 940001), 'a quote is numbered QUO-<year>-NNNNN');
SELECT throws_ok($$SELECT crm.accept_quote(940001)$$, 'PC001',
    format('quote %s is draft: only a sent quote can be accepted', (SELECT number FROM crm.quote WHERE id = 940001)),
    'a draft quote cannot be accepted');
UPDATE crm.quote SET status = 'sent' WHERE id = 940001;
SELECT crm.accept_quote(940001) AS quote_order \gset
SELECT results_eq($$SELECT line_no, product_id, quantity::numeric, unit_price::numeric, discount_pct, line_total
                    FROM crm.order_line WHERE order_id = $$ || :quote_order || ' ORDER BY line_no',
    $$VALUES (1, 940001::bigint, 12.5, 1234.56, 7.50, 14274.60), (2, 940002::bigint, 3, 33.33, 0.00, 99.99)$$,
    'accepting makes the order with the same lines and prices (12.5 × 1234.56 × 0.925 = 14274.60)');
SELECT results_eq($$SELECT q.status, q.order_id, o.account_id, o.deal_id, o.status FROM crm.quote q JOIN crm.sales_order o ON o.id = q.order_id
                    WHERE q.id = 940001$$,
    format('VALUES (%L, %s::bigint, 940001::bigint, 940001::bigint, %L)', 'accepted', :quote_order, 'draft'),
    'the quote is accepted and names its order, a draft of the same client and deal');
SELECT results_eq($$SELECT from_state, to_state FROM crm.status_history WHERE table_name = 'crm.deal' AND row_key = '940001'
                    AND from_state IS NOT NULL ORDER BY id$$,
    $$VALUES ('new', 'qualified'), ('qualified', 'proposal'), ('proposal', 'negotiation'), ('negotiation', 'won')$$,
    'the deal is won through every remaining stage of its pipeline');
SELECT is(crm.accept_quote(940001), :quote_order::bigint, 'accepting again returns the same order');
SELECT is((SELECT count(*) FROM crm.sales_order WHERE deal_id = 940001), 1::bigint, '... and makes no other');
INSERT INTO crm.quote (id, account_id, quote_date, valid_until) VALUES (940002, 940001, current_date - 20, current_date - 1);
INSERT INTO crm.quote_line (quote_id, line_no, product_id, quantity, unit_price) VALUES (940002, 1, 940001, 1, 1000);
UPDATE crm.quote SET status = 'sent' WHERE id = 940002;
SELECT throws_ok($$SELECT crm.accept_quote(940002)$$, 'PC032',
    format('quote %s expired on %s', (SELECT number FROM crm.quote WHERE id = 940002), current_date - 1),
    'a quote past its validity cannot be accepted');
SELECT is(crm.expire_quotes(), 1, 'expire_quotes moves it to expired');
SELECT throws_ok($$SELECT crm.accept_quote(940002)$$, 'PC032', NULL, '... and an expired quote cannot be accepted either');
SELECT throws_ok($$INSERT INTO crm.quote (account_id, deal_id, valid_until) VALUES (940002, 940001, current_date)$$, '23503',
    'deal 940001 is not a deal of account 940002', 'a quote''s deal is one of its client''s');

-- Invoices -------------------------------------------------------------------------------------------------------------
-- Order D: three kinds of line.
--   1: 12.5 m × 1234.56, 7.5 % off: net 14274.60, VAT 20 % 2854.92, gross 17129.52
--   2: 3 h × 33.33, VAT 7 %:         net 99.99, VAT 6.9993 → 7.00, gross 106.99
--   3-5: 1 × 0.03 each, VAT 20 %:    net 0.03, VAT 0.006 → 0.01, gross 0.04 (VAT on their sum 0.09 would be 0.02)
--   totals: net 14374.68, VAT 2861.95, total 17236.63 (the sums of the rounded lines)
INSERT INTO crm.sales_order (id, account_id) VALUES (940010, 940002);
INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price, discount_pct) VALUES
    (940010, 1, 940001, 12.5, 1234.56, 7.5), (940010, 2, 940002, 3, 33.33, 0), (940010, 3, 940003, 1, 0.03, 0),
    (940010, 4, 940003, 1, 0.03, 0), (940010, 5, 940003, 1, 0.03, 0);
SELECT throws_ok($$SELECT crm.invoice_order(940010)$$, 'PC033',
    format('order %s is draft: nothing is invoiced before an order is confirmed', (SELECT number FROM crm.sales_order WHERE id = 940010)),
    'a draft order is not invoiced');
UPDATE crm.sales_order SET status = 'confirmed' WHERE id = 940010;
SELECT crm.invoice_order(940010, '2026-03-02') AS invoice_d \gset
SELECT results_eq($$SELECT line_no, quantity, unit_price::numeric, discount_pct, vat_rate_pct, net, vat, gross
                    FROM crm.invoice_line WHERE invoice_id = $$ || :invoice_d || ' ORDER BY line_no',
    $$VALUES (1, 12.5, 1234.56, 7.50, 20.00, 14274.60, 2854.92, 17129.52), (2, 3, 33.33, 0.00, 7.00, 99.99, 7.00, 106.99),
             (3, 1, 0.03, 0.00, 20.00, 0.03, 0.01, 0.04), (4, 1, 0.03, 0.00, 20.00, 0.03, 0.01, 0.04),
             (5, 1, 0.03, 0.00, 20.00, 0.03, 0.01, 0.04)$$,
    'each line: VAT at its product''s rate (or pgcrm.vat_rate), net and VAT rounded to the kopiyka per line');
SELECT results_eq($$SELECT number ~ '^INV-2026-[0-9]{5}$', account_id, order_id, currency::text, issued_on, due_on, net_total,
                           tax_total, total, paid, balance, status FROM crm.invoice WHERE id = $$ || :invoice_d,
    $$VALUES (true, 940002::bigint, 940010::bigint, 'UAH', date '2026-03-02', date '2026-04-01', 14374.68, 2861.95, 17236.63,
              0.00, 17236.63, 'issued')$$,
    'the invoice: INV-<year>-NNNNN, due in 30 days without a contract, totals the sums of the rounded lines');
SELECT throws_ok($$SELECT crm.invoice_order(940010)$$, 'PC033',
    format('order %s has nothing left to invoice', (SELECT number FROM crm.sales_order WHERE id = 940010)),
    'a second invoice of the same order is an error, not an empty invoice');
SET LOCAL pgcrm.vat_rate = 14;
-- Order E: 1 m × 1234.56 at 14 %: VAT 172.8384 → 172.84, gross 1407.40.
SELECT crm.invoice_order(pg_temp.confirmed_order(940002, ARRAY[[940001, 1, 1234.56, 0]])) AS invoice_e \gset
RESET pgcrm.vat_rate;
SELECT results_eq($$SELECT vat_rate_pct, vat, gross FROM crm.invoice_line WHERE invoice_id = $$ || :invoice_e,
    $$VALUES (14.00, 172.84, 1407.40)$$, 'the rate in force when the invoice is issued is kept on its line');
SELECT throws_ok(format('UPDATE crm.invoice SET total = 1, net_total = 1, tax_total = 0 WHERE id = %s', :invoice_d), 'PC034', NULL,
    'an issued invoice''s amounts cannot change');
SELECT throws_ok(format('UPDATE crm.invoice_line SET quantity = 1 WHERE invoice_id = %s', :invoice_d), 'PC034', NULL,
    '... nor its lines');
SELECT throws_ok(format('DELETE FROM crm.invoice WHERE id = %s', :invoice_d), 'PC034', NULL, '... nor is it deleted');
SELECT throws_ok(format('INSERT INTO crm.invoice_line (invoice_id, line_no, product_id, quantity, unit_price, vat_rate_pct)
                         VALUES (%s, 9, 940001, 1, 1, 20)', :invoice_d), 'PC034',
    format('invoice %s is issued: no line can be added to it', (SELECT number FROM crm.invoice WHERE id = :invoice_d)),
    '... nor does a line join it');
SET CONSTRAINTS crm.invoice_line_invoice_id_fkey IMMEDIATE;  -- a TRUNCATE waits for no pending check
SELECT throws_ok('TRUNCATE crm.invoice_line', 'PC034', NULL, '... nor are the lines truncated');
SET CONSTRAINTS crm.invoice_line_invoice_id_fkey DEFERRED;
SELECT throws_ok(format('UPDATE crm.invoice SET status = %L WHERE id = %s', 'paid', :invoice_d), '23514', NULL,
    'the status always says what is left to pay');

-- Invoicing shipments: 6 of 10 m shipped, then the rest of the order.
INSERT INTO crm.warehouse (id, code, name) VALUES (940001, 'BT-WH', 'Billing test store');
SELECT crm.receive_stock(940001, 940001, 100);
SELECT pg_temp.confirmed_order(940002, ARRAY[[940001, 10, 1234.56, 0], [940003, 5, 0.03, 0]]) AS order_f \gset
SELECT crm.reserve(940001, 6, 940001, (SELECT id FROM crm.order_line WHERE order_id = :order_f AND line_no = 1));
SELECT crm.plan_shipment(:order_f) AS shipment \gset
SELECT throws_ok(format('SELECT crm.invoice_shipment(%s)', :shipment), 'PC013',
    format('shipment %s is planned: only what was shipped is invoiced', :shipment), 'a planned shipment is not invoiced');
SELECT crm.confirm_shipment(:shipment);
SELECT crm.invoice_shipment(:shipment, '2026-03-05') AS invoice_s \gset
-- 6 m × 1234.56 = 7407.36, VAT 1481.472 → 1481.47, gross 8888.83.
SELECT results_eq($$SELECT l.quantity, l.net, l.vat, i.total, i.shipment_id FROM crm.invoice i JOIN crm.invoice_line l ON l.invoice_id = i.id
                    WHERE i.id = $$ || :invoice_s,
    format('VALUES (6::numeric, 7407.36, 1481.47, 8888.83, %s::bigint)', :shipment),
    'a shipment is invoiced for what it carried: 6 m, 7407.36 + 1481.47 = 8888.83');
SELECT throws_ok(format('SELECT crm.invoice_shipment(%s)', :shipment), 'PC033',
    format('shipment %s is already invoiced by %s', :shipment, (SELECT number FROM crm.invoice WHERE id = :invoice_s)),
    'a shipment is invoiced once');
SELECT crm.invoice_order(:order_f) AS invoice_rest \gset
SELECT results_eq(format('SELECT line_no, quantity FROM crm.invoice_line WHERE invoice_id = %s ORDER BY line_no', :invoice_rest),
    $$VALUES (1, 4::numeric), (2, 5::numeric)$$, 'invoicing the order then takes what is left: 4 m and the 5 caps');

-- Many orders at once: all or none, each once, numbered in order.
SELECT pg_temp.confirmed_order(940002, ARRAY[[940004, 1, 100, 0]]) AS batch_1 \gset
SELECT pg_temp.confirmed_order(940002, ARRAY[[940004, 2, 100, 0]]) AS batch_2 \gset
INSERT INTO crm.sales_order (id, account_id) VALUES (940020, 940002);
SELECT throws_ok(format('SELECT crm.invoice_orders(ARRAY[%s, %s, 940020])', :batch_1, :batch_2), 'PC033', NULL,
    'invoice_orders invoices all the orders or none: one draft among them refuses the run');
SELECT is((SELECT count(*) FROM crm.invoice WHERE order_id IN (:batch_1, :batch_2)), 0::bigint, '... and nothing was written');
CREATE TEMP TABLE batch AS SELECT * FROM crm.invoice_orders(ARRAY[:batch_2, :batch_1, :batch_2]);
SELECT results_eq(format('SELECT w.order_id, i.total, i.number > (SELECT number FROM crm.invoice WHERE order_id = %s)
                            FROM batch w JOIN crm.invoice i ON i.id = w.invoice_id ORDER BY w.order_id', :batch_1),
    format('VALUES (%s::bigint, 100.00, false), (%s::bigint, 200.00, true)', :batch_1, :batch_2),
    '... each order once, numbered in order (0 %% VAT: 100.00 and 200.00)');

-- Cancelling: only an unpaid invoice, and its quantities are free again.
SELECT throws_ok(format('SELECT crm.cancel_invoice(%s, %L)', :invoice_e, ' '), '22023', 'a cancellation needs a reason', 'a reason is required');
SELECT lives_ok(format('SELECT crm.cancel_invoice(%s, %L)', :invoice_e, 'wrong rate'), 'an unpaid invoice is cancelled');
SELECT results_eq(format('SELECT status, cancel_reason, total FROM crm.invoice WHERE id = %s', :invoice_e),
    $$VALUES ('cancelled', 'wrong rate', 1407.40)$$, '... keeping what it said and why it was cancelled');
SELECT crm.invoice_order((SELECT order_id FROM crm.invoice WHERE id = :invoice_e)) AS invoice_e2 \gset
SELECT is((SELECT total FROM crm.invoice WHERE id = :invoice_e2), 1481.47, '... and its order is invoiced again at 20 %: 1234.56 + 246.91');

-- Payments ------------------------------------------------------------------------------------------------------------------
-- Payer's invoices (0 % VAT, 100.00 a unit): X 1000.00 issued 2026-02-01 due 2026-03-03; Y 500.00 issued 2026-01-15 due 2026-02-14.
SELECT crm.invoice_order(pg_temp.confirmed_order(940003, ARRAY[[940004, 10, 100, 0]]), '2026-02-01') AS inv_x \gset
SELECT crm.invoice_order(pg_temp.confirmed_order(940003, ARRAY[[940004, 5, 100, 0]]), '2026-01-15') AS inv_y \gset
SELECT crm.record_payment(940003, 1200, 'UAH', '2026-03-10', 'statement 1') AS pay_1 \gset
SELECT results_eq(format('SELECT invoice_id, amount, applied_on FROM crm.payment_allocation WHERE payment_id = %s ORDER BY id', :pay_1),
    format('VALUES (%s::bigint, 500.00, date %L), (%s::bigint, 700.00, date %L)', :inv_y, '2026-03-10', :inv_x, '2026-03-10'),
    '1200.00 goes to the invoice due first (Y, 500.00), then 700.00 to X');
SELECT results_eq(format('SELECT id, paid, balance, status FROM crm.invoice WHERE id IN (%s, %s) ORDER BY due_on', :inv_y, :inv_x),
    format('VALUES (%s::bigint, 500.00, 0.00, %L), (%s::bigint, 700.00, 300.00, %L)', :inv_y, 'paid', :inv_x, 'partially_paid'),
    'Y is paid, X partially paid with 300.00 left');
-- Z: 400.00 issued 2026-03-05, due after X.
SELECT crm.invoice_order(pg_temp.confirmed_order(940003, ARRAY[[940004, 4, 100, 0]]), '2026-03-05') AS inv_z \gset
SELECT crm.record_payment(940003, 150, 'UAH', '2026-03-11', 'for Z', invoice => :inv_z) AS pay_2 \gset
SELECT results_eq(format('SELECT invoice_id, amount FROM crm.payment_allocation WHERE payment_id = %s', :pay_2),
    format('VALUES (%s::bigint, 150.00)', :inv_z), 'a payment naming an invoice pays that one, not the one due first');
SELECT crm.record_payment(940003, 800, 'UAH', '2026-03-12', 'statement 2', 'bank-line-2') AS pay_3 \gset
SELECT results_eq(format('SELECT amount::numeric, allocated, unallocated FROM crm.payment WHERE id = %s', :pay_3),
    $$VALUES (800.00, 550.00, 250.00)$$, 'an overpayment: 300.00 to X, 250.00 to Z, 250.00 left as the client''s credit');
SELECT is(crm.record_payment(940003, 800, 'UAH', '2026-03-12', 'statement 2', 'bank-line-2'), :pay_3::bigint,
    'the same request key returns the same payment');
SELECT is((SELECT count(*) FROM crm.payment WHERE account_id = 940003), 3::bigint, '... and records nothing more');
SELECT throws_ok($$SELECT crm.record_payment(940003, 801, 'UAH', '2026-03-12', 'statement 2', 'bank-line-2')$$, '22023',
    format('request key "bank-line-2" was already used for payment %s of 800.00 UAH by account 940003', :pay_3),
    'the key of another payment is refused');
-- W: 300.00 issued: the credit of 250.00 pays most of it at once.
SELECT crm.invoice_order(pg_temp.confirmed_order(940003, ARRAY[[940004, 3, 100, 0]]), '2026-03-20') AS inv_w \gset
SELECT results_eq(format('SELECT paid, status FROM crm.invoice WHERE id = %s', :inv_w), $$VALUES (250.00, 'partially_paid')$$,
    'the next invoice is paid from the client''s credit');
SELECT is((SELECT unallocated FROM crm.payment WHERE id = :pay_3), 0.00, '... which is used up');
SELECT throws_ok($$SELECT crm.record_payment(940003, 0, 'UAH', current_date, 'x')$$, '22023',
    'payment amount must be positive and below 1000000000000, not 0', 'a zero payment is refused');
SELECT throws_ok($$SELECT crm.record_payment(940003, -5, 'UAH', current_date, 'x')$$, '22023', NULL, '... a negative one');
SELECT throws_ok($$SELECT crm.record_payment(940003, 10.005, 'UAH', current_date, 'x')$$, '22023',
    'payment amount 10.005 is not a whole number of kopiykas', '... and one of fractions of a kopiyka');
SELECT throws_ok($$SELECT crm.record_payment(940003, 10, 'uah', current_date, 'x')$$, '22023', 'currency "uah" is not a currency code',
    '... or a bad currency');
SELECT throws_ok(format('SELECT crm.record_payment(940003, 10, %L, current_date, %L, invoice => %s)', 'EUR', 'x', :inv_w), 'PC036',
    format('a payment of 10 EUR by account 940003 cannot pay invoice %s of account 940003 in UAH',
           (SELECT number FROM crm.invoice WHERE id = :inv_w)), 'a payment in another currency than the invoice it names');
SELECT throws_ok(format('SELECT crm.record_payment(940002, 10, %L, current_date, %L, invoice => %s)', 'UAH', 'x', :inv_w), 'PC036', NULL,
    '... or from another client');
SELECT throws_ok($$SELECT crm.record_payment(949999, 10, 'UAH', current_date, 'x')$$, 'PC003', 'account 949999 does not exist',
    'an unknown client');
SELECT throws_ok($$SELECT crm.record_payment(NULL, 10, 'UAH', current_date, 'x')$$, '22004', 'account must not be NULL', 'a NULL client');

-- Manual allocation: a payment of 100.00 with nothing open to pay.
SELECT crm.record_payment(940005, 100, 'UAH', '2026-01-01', 'advance') AS advance \gset
SELECT crm.invoice_order(pg_temp.confirmed_order(940003, ARRAY[[940004, 1, 100, 0]]), '2026-03-21') AS inv_v \gset
SELECT crm.record_payment(940003, 50, 'UAH', '2026-03-21', 'half of V', invoice => :inv_v) AS pay_v \gset
SELECT throws_ok(format('SELECT crm.allocate(%s, %s, 10)', :advance, :inv_v), 'PC036', NULL,
    'a payment does not pay another client''s invoice');
SELECT crm.record_payment(940003, 100, 'UAH', '2026-03-22', 'spare', invoice => :inv_y) AS spare \gset
SELECT is((SELECT unallocated FROM crm.payment WHERE id = :spare), 100.00, 'a payment naming a paid invoice is kept whole as credit');
SELECT throws_ok(format('SELECT crm.allocate(%s, %s, 60)', :spare, :inv_v), 'PC035',
    format('invoice %s has 50.00 UAH left to pay, not 60', (SELECT number FROM crm.invoice WHERE id = :inv_v)),
    'allocating more than the invoice''s balance is refused');
SELECT throws_ok(format('SELECT crm.allocate(%s, %s, 30)', :pay_v, :inv_v), 'PC035',
    format('payment %s has 0.00 UAH left to allocate, not 30', :pay_v), '... and more than the payment has left');
SELECT throws_ok(format('SELECT crm.allocate(%s, %s, 10)', :spare, :inv_y), 'PC038', NULL, '... and paying a paid invoice');
SELECT lives_ok(format('SELECT crm.allocate(%s, %s, 50)', :spare, :inv_v), 'allocating the balance');
SELECT results_eq(format('SELECT paid, status FROM crm.invoice WHERE id = %s', :inv_v), $$VALUES (100.00, 'paid')$$, '... pays it');
SELECT throws_ok(format('SELECT crm.unallocate(%s, %s, 60)', :spare, :inv_v), 'PC035',
    format('payment %s has 50.00 allocated to invoice %s, not 60', :spare, (SELECT number FROM crm.invoice WHERE id = :inv_v)),
    'taking back more than was allocated is refused');
SELECT is(crm.unallocate(:spare, :inv_v), 50.00, 'unallocate takes back all that was allocated');
SELECT results_eq(format('SELECT i.paid, i.status, p.unallocated FROM crm.invoice i, crm.payment p WHERE i.id = %s AND p.id = %s',
                         :inv_v, :spare),
    $$VALUES (50.00, 'partially_paid', 100.00)$$, '... the invoice owes it again and the payment has it as credit');
SELECT throws_ok($$UPDATE crm.payment_allocation SET amount = 1$$, 'PC014', NULL, 'the allocation ledger is append-only');
SELECT throws_ok($$DELETE FROM crm.payment_allocation$$, 'PC014', NULL, '... rows are never deleted');
SELECT throws_ok(format('UPDATE crm.payment SET amount = 1 WHERE id = %s', :spare), 'PC034', NULL, 'a recorded payment''s amount is kept');

-- Credit notes ----------------------------------------------------------------------------------------------------------------
SELECT crm.record_payment(940002, 17000, 'UAH', '2026-03-30', 'most of D', invoice => :invoice_d) AS pay_d \gset
-- Returning 2 m of line 1: net −round(2 × 1234.56 × 0.925) = −2283.94 (2283.936), VAT −456.788 → −456.79, gross −2740.73.
-- D then owes 17236.63 − 2740.73 = 14495.90 but 17000.00 was paid: 2504.10 goes back to the payment as credit.
SELECT crm.credit_note(:invoice_d, 'two pipes returned', '[{"line_no": 1, "quantity": 2}]', '2026-04-02') AS note_1 \gset
SELECT results_eq(format('SELECT number ~ %L, kind, corrects_id, net_total, tax_total, total, balance, status FROM crm.invoice WHERE id = %s',
                         '^CRN-2026-[0-9]{5}$', :note_1),
    format('VALUES (true, %L, %s::bigint, -2283.94, -456.79, -2740.73, 0.00, %L)', 'credit_note', :invoice_d, 'issued'),
    'a credit note: CRN-<year>-NNNNN, negative, referencing the invoice, with no balance of its own');
SELECT results_eq(format('SELECT i.credited, i.paid, i.balance, i.status, p.unallocated FROM crm.invoice i, crm.payment p
                          WHERE i.id = %s AND p.id = %s', :invoice_d, :pay_d),
    $$VALUES (2740.73, 14495.90, 0.00, 'paid', 2504.10)$$, 'what the invoice no longer owes goes back to the payment as credit');
-- A price cut of 3.33 an hour on line 2: net −9.99, VAT 7 % −0.6993 → −0.70, gross −10.69.
SELECT crm.credit_note(:invoice_d, 'rate corrected', '[{"line_no": 2, "quantity": 3, "unit_price": 3.33}]') AS note_2 \gset
SELECT is((SELECT total FROM crm.invoice WHERE id = :note_2), -10.69, 'a price correction credits the difference for the quantity');
SELECT throws_ok(format('SELECT crm.credit_note(%s, %L, %L)', :invoice_d, 'more', '[{"line_no": 1, "quantity": 11}]'), 'PC035',
    format('line 1 of invoice %s has 12.5 invoiced, and credit notes would return 13', (SELECT number FROM crm.invoice WHERE id = :invoice_d)),
    'returns never exceed what was invoiced of a line');
SELECT throws_ok(format('SELECT crm.credit_note(%s, %L, %L)', :invoice_d, 'x', '[{"line_no": 9, "quantity": 1}]'), '22023',
    format('invoice %s has no line 9', (SELECT number FROM crm.invoice WHERE id = :invoice_d)), 'a line the invoice lacks');
SELECT throws_ok(format('SELECT crm.credit_note(%s, %L, %L)', :invoice_d, 'x', '[{"line_no": 1}]'), '22023', NULL, 'a malformed line');
SELECT throws_ok(format('SELECT crm.credit_note(%s, %L)', :invoice_d, 'all of it'), 'PC035', NULL,
    'an invoice credited in part is not credited in full without naming lines');
SELECT throws_ok(format('SELECT crm.credit_note(%s, %L)', :note_1, 'x'), 'PC038', NULL, 'a credit note is not credited');
SELECT crm.credit_note(:invoice_e2, 'deal cancelled') AS note_full \gset
SELECT results_eq(format('SELECT n.total, i.credited, i.balance, i.status FROM crm.invoice n JOIN crm.invoice i ON i.id = n.corrects_id
                          WHERE n.id = %s', :note_full),
    $$VALUES (-1481.47, 1481.47, 0.00, 'paid')$$, 'without lines, the whole invoice is credited and nothing is left to pay');

-- Receivables ---------------------------------------------------------------------------------------------------------------
-- Aging client, 100.00 a unit at 0 % VAT, each due 30 days after issue; as of 2026-06-30:
--   1 unit  due 2026-07-10: current;   2 units due 2026-06-20: 10 days;  3 units due 2026-05-15: 46 days;
--   4 units due 2026-04-10: 81 days, 150.00 paid on 2026-06-01;        5 units due 2026-02-01: 149 days, 100.00 paid after.
SELECT crm.invoice_order(pg_temp.confirmed_order(940004, ARRAY[[940004, q, 100, 0]]), d) FROM (VALUES
    (1, date '2026-06-10'), (2, date '2026-05-21'), (3, date '2026-04-15'), (4, date '2026-03-11'), (5, date '2026-01-02')) v(q, d);
SELECT crm.record_payment(940004, 150, 'UAH', '2026-06-01', 'x', invoice => (SELECT id FROM crm.invoice WHERE account_id = 940004 AND total = 400));
SELECT crm.record_payment(940004, 100, 'UAH', '2026-07-05', 'x', invoice => (SELECT id FROM crm.invoice WHERE account_id = 940004 AND total = 500));
SELECT results_eq($$SELECT currency, current, days_1_30, days_31_60, days_61_90, days_over_90, total
                    FROM crm.receivables_aging('2026-06-30') WHERE account_id = 940004$$,
    $$VALUES ('UAH', 100.00, 200.00, 300.00, 250.00, 500.00, 1350.00)$$,
    'aging as of 2026-06-30: 100 current, 200 at 1-30, 300 at 31-60, 400 − 150 at 61-90, 500 over 90 (the later payment not yet)');
SELECT results_eq($$SELECT current, days_1_30, days_31_60, days_61_90, days_over_90, total
                    FROM crm.receivables_aging('2026-05-01') WHERE account_id = 940004$$,
    $$VALUES (300.00, 400.00, 0.00, 500.00, 0.00, 1200.00)$$,
    'as of 2026-05-01 only the three invoices issued by then: 300 current, 400 at 21 days, 500 at 89 days');
SELECT results_eq($$SELECT total, paid, balance, days_overdue FROM crm.receivables WHERE account_id = 940004 ORDER BY due_on$$,
    $$VALUES (500.00, 100.00, 400.00, current_date - date '2026-02-01'), (400.00, 150.00, 250.00, current_date - date '2026-04-10'),
             (300.00, 0.00, 300.00, current_date - date '2026-05-15'), (200.00, 0.00, 200.00, current_date - date '2026-06-20'),
             (100.00, 0.00, 100.00, current_date - date '2026-07-10')$$,
    'receivables: each open invoice with its balance and days overdue');

-- Invariants ------------------------------------------------------------------------------------------------------------------
SELECT is_empty('SELECT * FROM crm.receivable_invariant_violations()', 'every invoice, payment and allocation agrees');
-- Corrupted behind the checks' back (a savepoint keeps the damage, and the result, out of the rest).
SAVEPOINT corrupt;
SET LOCAL session_replication_role = replica;
UPDATE crm.invoice SET paid = paid + 0.01 WHERE id = :inv_w;
RESET session_replication_role;
SELECT string_agg(format('%s %s: %s (%s, not %s)', record, id, problem, expected, actual), '; ') AS violations
FROM crm.receivable_invariant_violations() \gset
ROLLBACK TO SAVEPOINT corrupt;
SELECT is(:'violations', format('invoice %s: paid differs from its allocations (250.00, not 250.01)', :inv_w),
    'a paid amount the ledger does not explain is reported');

SELECT * FROM finish();
ROLLBACK;
