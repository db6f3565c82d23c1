#!/usr/bin/env bash
# 16 sessions pay the same few clients' invoices at once: automatic payments
# (oldest due first), payments naming the same invoice, retried bank lines
# under one request key, manual allocations and their reversal, credit notes
# and new invoices that take the clients' credit, while a checker samples the
# invoices. Afterwards: no invoice was ever paid beyond what it asks, every
# request key made one payment, the money adds up, and
# crm.receivable_invariant_violations() returns nothing.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh"
cd "$(dirname "${BASH_SOURCE[0]}")"
# Its own database: the allocation ledger keeps every trace of a run.
export PGDATABASE=pgcrm_payment_race
trap 'dropdb --if-exists "$PGDATABASE"' EXIT
dropdb --if-exists "$PGDATABASE"
createdb "$PGDATABASE"

psql -o /dev/null <<'SQL'
CREATE EXTENSION pgcrm CASCADE;
CREATE SCHEMA pr;
-- Four clients with six invoices of 1000.00 each (10 units at 100.00, no VAT), due a day apart.
INSERT INTO crm.account (id, name) SELECT 950000 + a, 'Race payer ' || a FROM generate_series(1, 4) a;
INSERT INTO crm.product (id, sku, name, kind, list_price, vat_rate_pct) VALUES (950001, 'PR-1', 'Race unit', 'goods', 100, 0);
CREATE FUNCTION pr.invoice(account bigint, issued date) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    o bigint;
BEGIN
    INSERT INTO crm.sales_order (account_id) VALUES (account) RETURNING id INTO o;
    INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price) VALUES (o, 1, 950001, 10, 100);
    UPDATE crm.sales_order SET status = 'confirmed' WHERE id = o;
    RETURN crm.invoice_order(o, issued);
END $$;
SELECT pr.invoice(950000 + a, date '2026-01-01' + d) FROM generate_series(1, 4) a, generate_series(1, 6) d;
CREATE TABLE pr.keyed (request_key text, payment_id bigint);
CREATE TABLE pr.refused (sqlstate text);
CREATE TABLE pr.overpaid (invoice_id bigint, total numeric, credited numeric, allocated numeric);

CREATE FUNCTION pr.step(k int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    account bigint := 950001 + k % 4;
    id bigint;
    p record;
BEGIN
    CASE k % 10
    WHEN 0, 1, 2, 3 THEN
        PERFORM crm.record_payment(account, 10 + k % 390, 'UAH', current_date, 'race');
    WHEN 4 THEN
        -- All sessions naming the same invoice: the client's first.
        PERFORM crm.record_payment(account, 50 + k % 300, 'UAH', current_date, 'for the first',
                                   invoice => (SELECT min(i.id) FROM crm.invoice i WHERE i.account_id = account));
    WHEN 5 THEN
        -- A bank line retried: the same key always carries the same payment.
        id := crm.record_payment(account, 100 + k % 7, 'UAH', current_date, 'keyed', 'line-' || k);
        INSERT INTO pr.keyed VALUES ('line-' || k, id);
    WHEN 6 THEN
        SELECT y.id AS payment, i.id AS invoice, least(y.unallocated, i.balance, 75) AS amount INTO p
        FROM crm.payment y JOIN crm.invoice i ON i.account_id = y.account_id
        WHERE y.account_id = account AND y.unallocated > 0 AND i.kind = 'invoice' AND i.status IN ('issued', 'partially_paid')
        ORDER BY random() LIMIT 1;
        IF FOUND THEN
            PERFORM crm.allocate(p.payment, p.invoice, p.amount);
        END IF;
    WHEN 7 THEN
        SELECT a.payment_id AS payment, a.invoice_id AS invoice INTO p FROM crm.payment_allocation a JOIN crm.payment y ON y.id = a.payment_id
        WHERE y.account_id = account AND a.invoice_id IS NOT NULL
        GROUP BY a.payment_id, a.invoice_id HAVING sum(a.amount) > 0 ORDER BY random() LIMIT 1;
        IF FOUND THEN
            PERFORM crm.unallocate(p.payment, p.invoice, 5);
        END IF;
    WHEN 8 THEN
        PERFORM crm.credit_note((SELECT i.id FROM crm.invoice i WHERE i.account_id = account AND i.kind = 'invoice'
                                 ORDER BY random() LIMIT 1), 'one unit returned', '[{"line_no": 1, "quantity": 1}]');
    ELSE
        -- A new invoice, which the client's credit pays at once.
        PERFORM pr.invoice(account, current_date);
    END CASE;
EXCEPTION WHEN SQLSTATE 'PC035' OR SQLSTATE 'PC038' THEN
    INSERT INTO pr.refused VALUES (SQLSTATE);
END $$;

-- Sampled while the race runs: no invoice holds more than it asks.
CREATE FUNCTION pr.check() RETURNS void LANGUAGE sql AS $$
    INSERT INTO pr.overpaid
    SELECT i.id, i.total, i.credited, sum(a.amount)
    FROM crm.invoice i JOIN crm.payment_allocation a ON a.invoice_id = i.id
    WHERE i.account_id BETWEEN 950001 AND 950004
    GROUP BY i.id HAVING sum(a.amount) > i.total - i.credited OR i.paid + i.credited > i.total;
$$;
SQL

race pr 2000 400
check_sql "the race really contended: payers outran the invoices, and some allocations lost" \
  "SELECT (SELECT count(*) FROM pr.refused) > 0 AND (SELECT sum(unallocated) FROM crm.payment) > 0
          AND (SELECT count(*) FROM crm.invoice WHERE status = 'paid') > 24"
check_sql "no invoice was ever paid beyond what it asks, while the race ran" "SELECT NOT EXISTS (SELECT FROM pr.overpaid)"
check_sql "nor after it: every invoice's allocations are within its total less its credit notes" \
  "SELECT NOT EXISTS (SELECT FROM crm.invoice i JOIN crm.payment_allocation a ON a.invoice_id = i.id
                      GROUP BY i.id HAVING sum(a.amount) > i.total - i.credited)"
check_sql "every request key made exactly one payment" \
  "SELECT (SELECT count(*) FROM pr.keyed) > (SELECT count(DISTINCT request_key) FROM pr.keyed)
      AND NOT EXISTS (SELECT FROM pr.keyed GROUP BY request_key HAVING count(DISTINCT payment_id) <> 1)
      AND NOT EXISTS (SELECT FROM pr.keyed k WHERE (SELECT count(*) FROM crm.payment p WHERE p.request_key = k.request_key) <> 1)"
check_sql "the money adds up: what was received is allocated or held as credit" \
  "SELECT sum(amount) = sum(allocated) + sum(unallocated)
          AND sum(allocated) = (SELECT sum(amount) FROM crm.payment_allocation)
          AND (SELECT sum(paid) FROM crm.invoice) = (SELECT sum(amount) FROM crm.payment_allocation) FROM crm.payment"
check_sql "crm.receivable_invariant_violations() returns nothing" "SELECT NOT EXISTS (SELECT FROM crm.receivable_invariant_violations())"
finish
