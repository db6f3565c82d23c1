-- Billing's part of the demo data (docs/demo_data.md), called at the end of
-- crm.generate_demo_data: exchange rates, contracts of the bigger clients and
-- an export slice in EUR (one order confirmed over its limit by an override),
-- invoices for the orders shipped in the last half year, payments with realistic
-- lateness (one overpayment), a few credit notes, quotes in every state, and
-- loans started in the past with their repayments. Every choice is a hash of
-- what the demo data makes the same for a seed (numbers, names, dates), never
-- of an id, so the same seed gives the same rows.
CREATE OR REPLACE FUNCTION crm.billing_demo_data(scale integer, seed integer) RETURNS void
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    today constant date := (date_trunc('month', current_date) - interval '1 day')::date;  -- the data's last day
    first_month constant date := (date_trunc('month', current_date) - interval '36 months')::date;
    billed_from constant date := today - 182;  -- billing began half a year ago
    agreement constant text := format('Framework supply agreement (demo %s)', seed);
    item record;
    loan record;
    due record;
    pay_on date;
    new_order bigint;
    applications bigint[];
BEGIN
    PERFORM crm.require_arg(scale, 'scale');
    PERFORM crm.require_arg(seed, 'seed');

    -- Monthly fixings of EUR and USD against the base currency.
    INSERT INTO crm.exchange_rate (currency, rate_date, rate, source)
    SELECT c.code::crm.currency, (first_month + make_interval(months => m))::date,
           round(c.level * (1 + 0.004 * m + 0.01 * sin(m)::numeric), 4), 'demo: monthly fixing'
    FROM generate_series(0, 36) m, (VALUES ('EUR', 44.2), ('USD', 41.1)) c(code, level)
    WHERE c.code <> crm.base_currency()
    ON CONFLICT DO NOTHING;

    -- A framework contract for each client of the top quarter by revenue,
    -- signed a month before its first order; its orders of the billed half
    -- year are placed under it.
    INSERT INTO crm.contract (account_id, signed_on, valid_until, payment_terms_days, credit_limit, terms)
    SELECT c.account_id, c.first_order - 30, (c.first_order - 30 + interval '4 years')::date, (ARRAY[30, 45, 60])[1 + c.h % 3],
           CASE WHEN c.h % 4 <> 0 THEN round(c.revenue / 3, -4) + 100000 END, agreement
    FROM (SELECT o.account_id, a.name, min(o.order_date) AS first_order, sum(l.line_total) AS revenue,
                 ntile(4) OVER (ORDER BY sum(l.line_total) DESC, a.name) AS quartile, abs(hashtext(a.name || seed)) AS h
          FROM crm.sales_order o JOIN crm.order_line l ON l.order_id = o.id JOIN crm.account a ON a.id = o.account_id
          WHERE o.status NOT IN ('draft', 'cancelled') AND o.currency = 'UAH'
          GROUP BY o.account_id, a.name) c
    WHERE c.quartile = 1
    ORDER BY c.first_order, c.name;
    UPDATE crm.contract c SET status = 'active' WHERE c.terms = agreement AND c.status = 'draft';
    UPDATE crm.sales_order o SET contract_id = c.id
    FROM crm.contract c
    WHERE c.terms = agreement AND c.account_id = o.account_id AND o.currency = c.currency AND o.contract_id IS NULL
      AND o.order_date >= billed_from AND o.order_date BETWEEN c.valid_from AND c.valid_until;

    -- Export clients (oil and gas) buy in EUR under a contract limited to 150,000 EUR.
    INSERT INTO crm.contract (account_id, signed_on, valid_until, currency, payment_terms_days, credit_limit, terms)
    SELECT a.id, billed_from - 30, today + 365, 'EUR', 60, 150000, 'Export supply agreement'
    FROM crm.account a
    WHERE a.industry = 'oil_gas' AND NOT EXISTS (SELECT FROM crm.contract c WHERE c.account_id = a.id)
    ORDER BY abs(hashtext(a.name || seed)), a.name LIMIT 3;
    UPDATE crm.contract c SET status = 'active' WHERE c.terms = 'Export supply agreement' AND c.status = 'draft';
    FOR item IN
        SELECT c.id AS contract_id, c.account_id, c.credit_limit, k,
               billed_from + (k * 73 + abs(hashtext(c.number)) % 60) % 175 AS order_date
        FROM crm.contract c, generate_series(1, 4 * scale) k
        WHERE c.terms = 'Export supply agreement' AND c.status = 'active' AND NOT EXISTS (
            SELECT FROM crm.sales_order s WHERE s.contract_id = c.id)
        ORDER BY 5, c.number
    LOOP
        INSERT INTO crm.sales_order (account_id, contract_id, currency, order_date, delivery_terms, payment_terms)
        VALUES (item.account_id, item.contract_id, 'EUR', item.order_date, 'FCA plant', 'net 60 days') RETURNING id INTO new_order;
        -- Priced in EUR at the month's rate; the first order of each is a large one, over the contract's limit.
        INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price)
        SELECT new_order, 1, p.id, CASE WHEN item.k = 1 THEN 3000 ELSE 80 + (item.k * 37) % 120 END,
               round(p.list_price / crm.rate_to_base('EUR', item.order_date), 2)
        FROM crm.product p WHERE p.sku LIKE 'GRP-O40-DN%' ORDER BY p.sku OFFSET item.k % 4 LIMIT 1;
        IF (crm.contract_refusal(new_order)).code IS NOT NULL THEN
            PERFORM crm.confirm_order(new_order, 'Strategic export client: approved by the CFO');
        ELSE
            PERFORM crm.confirm_order(new_order);
        END IF;
        UPDATE crm.sales_order s SET status = 'in_production' WHERE s.id = new_order;
        UPDATE crm.sales_order s SET status = 'ready' WHERE s.id = new_order;
        UPDATE crm.sales_order s SET status = 'shipped' WHERE s.id = new_order;
        UPDATE crm.sales_order s SET status = 'delivered' WHERE s.id = new_order;
    END LOOP;

    -- Invoices: every order shipped in the billed half year, a week or two
    -- after its date, a day's orders in one crm.invoice_orders run.
    PERFORM crm.invoice_orders(d.orders, d.issued_on)
    FROM (SELECT s.issued_on, array_agg(s.id ORDER BY s.id) AS orders
          FROM (SELECT s.id, least(s.order_date + 7 + abs(hashtext(s.number || seed)) % 14, today) AS issued_on
                FROM crm.sales_order s
                WHERE s.status IN ('shipped', 'delivered') AND s.order_date >= billed_from
                  AND NOT EXISTS (SELECT FROM crm.invoice i WHERE i.order_id = s.id)) s
          GROUP BY s.issued_on ORDER BY s.issued_on) d;

    -- Payments, by the client's habit: punctual (45 %), a little late (30 %),
    -- late (17 %), or paying half, very late (8 %). Money not yet received by
    -- the data's last day leaves the invoice open. The largest invoice of a
    -- punctual client is overpaid by 1000.00, which stays as its credit.
    -- Thousands at once, so set-based rather than one crm.record_payment
    -- each, writing what it would for a payment naming its invoice: the
    -- payment, its allocation and the invoice's new amount, through the same
    -- triggers and constraints.
    ANALYZE crm.invoice, crm.invoice_line;
    IF to_regclass('pg_temp.demo_payment') IS NOT NULL THEN
        DROP TABLE pg_temp.demo_payment;
    END IF;
    CREATE TEMP TABLE demo_payment ON COMMIT DROP AS
    SELECT nextval('crm.payment_id_seq') AS id, p.*
    FROM (SELECT i.id AS invoice_id, i.account_id, i.currency, i.number, i.total, i.issued_on,
                 CASE WHEN h.habit >= 92 THEN round(i.total / 2, 2) WHEN i.id = overpaid.id THEN i.total + 1000
                      ELSE i.total END AS amount,
                 i.due_on + CASE WHEN h.habit < 45 THEN -7 + h.draw % 10 WHEN h.habit < 75 THEN 3 + h.draw % 30
                                 WHEN h.habit < 92 THEN 25 + h.draw % 75 ELSE 40 + h.draw % 120 END AS received_on
          FROM crm.invoice i JOIN crm.account a ON a.id = i.account_id
          CROSS JOIN LATERAL (SELECT abs(hashtext(a.name || seed)) % 100 AS habit,
                                     abs(hashtext(i.number || seed)) % 1000 AS draw) h
          LEFT JOIN (SELECT x.id FROM crm.invoice x JOIN crm.account z ON z.id = x.account_id
                     WHERE x.kind = 'invoice' AND x.status = 'issued' AND x.issued_on >= billed_from
                       AND abs(hashtext(z.name || seed)) % 100 < 45 ORDER BY x.total DESC, x.number LIMIT 1) overpaid ON true
          WHERE i.kind = 'invoice' AND i.status = 'issued' AND i.issued_on >= billed_from
          ORDER BY 8, i.number) p
    WHERE p.received_on <= today;
    PERFORM 'PRAGMA:TABLE: demo_payment (id bigint, invoice_id bigint, account_id bigint, currency crm.currency, number text,
                                          total numeric(16, 2), issued_on date, amount numeric, received_on date)';
    INSERT INTO crm.payment (id, account_id, amount, currency, received_on, reference, request_key, allocated)
    SELECT p.id, p.account_id, p.amount, p.currency, p.received_on, 'Bank statement: payment for ' || p.number,
           format('demo-%s-%s', seed, p.number), least(p.amount, p.total)
    FROM demo_payment p ORDER BY p.id;
    INSERT INTO crm.payment_allocation (payment_id, invoice_id, amount, applied_on)
    SELECT p.id, p.invoice_id, least(p.amount, p.total), greatest(p.received_on, p.issued_on) FROM demo_payment p ORDER BY p.id;
    UPDATE crm.invoice i SET paid = least(p.amount, p.total), status = crm.invoice_status(i.total, 0, least(p.amount, p.total))
    FROM demo_payment p WHERE i.id = p.invoice_id;

    -- A few returns: a tenth of the first line of one paid invoice in seventy, three weeks after issue.
    PERFORM crm.credit_note(r.id, 'Returned: damaged in transit',
                            jsonb_build_array(jsonb_build_object('line_no', 1, 'quantity', r.quantity)), r.issued_on + 21)
    FROM (SELECT i.id, i.issued_on, greatest(1, round(l.quantity / 10)) AS quantity
          FROM crm.invoice i JOIN crm.invoice_line l ON l.invoice_id = i.id AND l.line_no = 1
          WHERE i.kind = 'invoice' AND i.status = 'paid' AND i.credited = 0 AND i.issued_on >= billed_from
            AND i.issued_on + 21 <= today AND abs(hashtext(i.number || seed)) % 70 = 0 AND l.quantity >= 1
          ORDER BY i.issued_on, i.number) r;

    -- Quotes: the one behind one order in twenty-five of the billed half year, accepted ...
    FOR item IN
        SELECT s.id, s.account_id, s.deal_id, s.order_date FROM crm.sales_order s
        WHERE s.order_date >= billed_from AND s.status <> 'cancelled' AND abs(hashtext(s.number || seed)) % 25 = 0
          AND NOT EXISTS (SELECT FROM crm.quote q WHERE q.order_id = s.id)
        ORDER BY s.order_date, s.number
    LOOP
        INSERT INTO crm.quote (account_id, deal_id, quote_date, valid_until) VALUES (item.account_id, item.deal_id, item.order_date - 10, item.order_date + 20)
        RETURNING id INTO new_order;
        INSERT INTO crm.quote_line (quote_id, line_no, product_id, quantity, unit_price, discount_pct)
        SELECT new_order, l.line_no, l.product_id, l.quantity, l.unit_price, l.discount_pct FROM crm.order_line l WHERE l.order_id = item.id;
        UPDATE crm.quote q SET status = 'sent' WHERE q.id = new_order;
        UPDATE crm.quote q SET status = 'accepted', order_id = item.id, accepted_at = item.order_date WHERE q.id = new_order;
    END LOOP;
    -- ... and more in every other state: drafts and sent ones still valid, rejected and expired ones.
    FOR item IN
        SELECT a.id AS account_id, k, CASE WHEN k % 5 IN (3, 4) THEN today - 70 - k % 30 ELSE today - k % 20 END AS quote_date
        FROM generate_series(1, 30 * scale) k
        JOIN (SELECT a.id, row_number() OVER (ORDER BY a.name) AS rn FROM crm.account a) a
          ON a.rn = 1 + abs(hashtext(k || ':' || seed)) % (SELECT count(*) FROM crm.account)
        ORDER BY k
    LOOP
        INSERT INTO crm.quote (account_id, quote_date, valid_until) VALUES (item.account_id, item.quote_date, item.quote_date + 30)
        RETURNING id INTO new_order;
        INSERT INTO crm.quote_line (quote_id, line_no, product_id, quantity, unit_price, discount_pct)
        SELECT new_order, n, p.id, 20 * (1 + (item.k + n) % 10), p.list_price, (item.k % 3) * 2.5
        FROM generate_series(1, 1 + item.k % 3) n
        JOIN (SELECT p.id, p.list_price, row_number() OVER (ORDER BY p.sku) AS rn FROM crm.product p WHERE p.sku LIKE 'GRP-%') p
          ON p.rn = 1 + (item.k * 7 + n) % 23;
        IF item.k % 5 <> 0 THEN
            UPDATE crm.quote q SET status = 'sent' WHERE q.id = new_order;
        END IF;
        UPDATE crm.quote q SET status = CASE item.k % 5 WHEN 2 THEN 'rejected' WHEN 3 THEN 'rejected' ELSE 'expired' END
        WHERE q.id = new_order AND item.k % 5 IN (2, 3, 4);
    END LOOP;

    -- Loans started in the past across the 36 months; each installment is paid
    -- the day before it is due, but one in ten a few weeks late, and what is
    -- not received by the data's last day is in arrears, as is the second
    -- loan's installment of the last month. The first loan is partly repaid
    -- early.
    WITH applied AS (
        INSERT INTO crm.credit_application (account_id, product_id, amount, term_months, first_payment_date)
        SELECT a.id, p.id, 100000 * (1 + k % 20), (ARRAY[12, 18, 24])[1 + k % 3],
               (first_month + make_interval(months => (k * 7) % 34 + 1) - interval '1 day')::date
        FROM generate_series(1, 10 * scale) k
        JOIN (SELECT a.id, row_number() OVER (ORDER BY a.name) AS rn FROM crm.account a) a
          ON a.rn = 1 + abs(hashtext('loan' || k || ':' || seed)) % (SELECT count(*) FROM crm.account)
        JOIN (SELECT p.id, row_number() OVER (ORDER BY p.name) AS rn FROM crm.credit_product p) p
          ON p.rn = 1 + k % (SELECT count(*) FROM crm.credit_product)
        ORDER BY k
        RETURNING id)
    SELECT array_agg(id) INTO applications FROM applied;
    UPDATE crm.credit_application c SET status = 'started' WHERE c.id = ANY (applications);
    FOR loan IN
        SELECT l.id, l.first_due_on, row_number() OVER (ORDER BY l.first_due_on, l.principal, a.name) AS k
        FROM crm.loan l JOIN crm.account a ON a.id = l.account_id
        WHERE l.first_due_on <= today AND l.status = 'active'
          AND NOT EXISTS (SELECT FROM crm.payment y WHERE y.loan_id = l.id)
        ORDER BY l.first_due_on, l.principal, a.name
    LOOP
        LOOP
            SELECT i.period, i.due_on, i.amount - i.paid AS owed INTO due FROM crm.loan_installment i
            WHERE i.loan_id = loan.id AND i.replaced_by IS NULL AND i.paid < i.amount ORDER BY i.period LIMIT 1;
            EXIT WHEN NOT FOUND OR due.due_on > today;
            pay_on := due.due_on + CASE WHEN abs(hashtext(loan.k || ':' || due.period || ':' || seed)) % 10 = 0
                                        THEN 14 + abs(hashtext(due.period || ':' || seed)) % 30 ELSE -1 END;
            EXIT WHEN pay_on > today OR loan.k = 2 AND due.due_on > today - 31;
            PERFORM crm.record_repayment(loan.id, due.owed, pay_on, format('Repayment of installment %s', due.period));
            IF loan.k = 1 AND due.period = 4 AND pay_on + 10 <= today THEN
                PERFORM crm.repay_early(loan.id, round((SELECT sum(i.principal) FROM crm.loan_installment i
                                                         WHERE i.loan_id = loan.id AND i.replaced_by IS NULL AND i.paid = 0) / 4, -2),
                                        pay_on + 10, 'Early repayment from a bonus', 'shorter_term');
            END IF;
        END LOOP;
    END LOOP;
END $$;
COMMENT ON FUNCTION crm.billing_demo_data(integer, integer) IS
    'Billing''s demo data over what crm.generate_demo_data made: rates, contracts, invoices, payments, credit notes, quotes, loans';
