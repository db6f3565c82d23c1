#!/usr/bin/env bash
# The reservation race, in the database PGDATABASE names, which has pgcrm
# (its rows are products, warehouses and an account numbered 97000x, and the
# schema rr): test/concurrency/reservation_race.sh runs it on one node,
# test/citus/reservation_race.sh through the coordinator of a Citus cluster.
# 16 sessions race for little stock: they reserve (half the time under a
# request key that other sessions retry), release, hold briefly and expire,
# while a checker samples the counters. Afterwards: the invariants hold, active
# holds never exceeded stock, and every request key produced one reservation.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/check.sh"

psql -o /dev/null <<'SQL'
CREATE SCHEMA rr;
INSERT INTO crm.product (id, sku, name, kind, list_price)
SELECT 970000 + g, 'RR-' || g, 'Race product ' || g, 'goods', 1 FROM generate_series(1, 3) g;
INSERT INTO crm.warehouse (id, code, name) VALUES (970001, 'RR-A', 'Race A'), (970002, 'RR-B', 'Race B');
INSERT INTO crm.account (id, name) VALUES (970001, 'Race client');
SELECT crm.receive_stock(970000 + g, w, 40, 'race') FROM generate_series(1, 3) g, unnest(ARRAY[970001, 970002]) w;
CREATE TABLE rr.keyed (request_key text, reservation_id bigint);
CREATE TABLE rr.refused (sqlstate text);
CREATE TABLE rr.overdrawn (product_id bigint, warehouse_id bigint, active numeric, on_hand numeric);

CREATE FUNCTION rr.step(k int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    id bigint;
    new_order bigint;
    victim bigint;
BEGIN
    CASE k % 5
    WHEN 0, 1 THEN
        -- A keyed request: the same key always asks for the same thing, as a retry would.
        id := crm.reserve(970001 + k % 3, 1 + k % 5, request_key => 'req-' || k);
        INSERT INTO rr.keyed VALUES ('req-' || k, id);
    WHEN 2 THEN
        PERFORM crm.reserve(970001 + k % 3, 1 + k % 7, CASE WHEN k % 8 = 2 THEN 970001 END,
                            ttl => CASE WHEN k % 3 = 0 THEN interval '20 milliseconds' END);
    WHEN 3 THEN
        -- A three-line order whose lines name the products in opposite orders
        -- across sessions: only canonical locking keeps these from deadlocking.
        INSERT INTO crm.sales_order (account_id) VALUES (970001) RETURNING sales_order.id INTO new_order;
        INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price)
        SELECT new_order, g, CASE WHEN k % 2 = 0 THEN 970000 + g ELSE 970004 - g END, 1 + (k + g) % 3, 1 FROM generate_series(1, 3) g;
        PERFORM crm.reserve_order(new_order, interval '30 milliseconds');
    ELSE
        SELECT r.id INTO victim FROM crm.reservation r
        WHERE r.status = 'active' AND r.product_id BETWEEN 970001 AND 970003 AND r.request_key IS NULL
        ORDER BY random() LIMIT 1;
        -- One pgcrm call per transaction: each locks in canonical order, but
        -- two in one transaction are two orders (docs/inventory.md).
        IF k % 3 = 0 THEN
            PERFORM crm.expire_reservations();
        ELSIF victim IS NOT NULL THEN
            PERFORM crm.release(victim);
        END IF;
    END CASE;
EXCEPTION WHEN SQLSTATE 'PC010' OR SQLSTATE 'PC011' THEN
    INSERT INTO rr.refused VALUES (SQLSTATE);
END $$;

-- Sampled while the race runs: active holds never exceed what is on hand.
CREATE FUNCTION rr.check() RETURNS void LANGUAGE sql AS $$
    INSERT INTO rr.overdrawn
    SELECT s.product_id, s.warehouse_id, sum(r.quantity), s.on_hand
    FROM crm.stock s JOIN crm.reservation r ON r.product_id = s.product_id AND r.warehouse_id = s.warehouse_id AND r.status = 'active'
    WHERE s.product_id BETWEEN 970001 AND 970003
    GROUP BY s.product_id, s.warehouse_id, s.on_hand HAVING sum(r.quantity) > s.on_hand;
$$;
SQL

race rr 600 1000
check_sql "the race really ran short of stock (some reservations refused)" "SELECT count(*) FILTER (WHERE sqlstate = 'PC010') > 0 FROM rr.refused"
check_sql "keys were really retried" "SELECT count(*) > count(DISTINCT request_key) FROM rr.keyed"
check_sql "multi-line orders were reserved while others raced (and none deadlocked)" \
  "SELECT count(DISTINCT l.order_id) > 10 FROM crm.reservation r JOIN crm.order_line l ON l.id = r.order_line_id
     WHERE r.product_id BETWEEN 970001 AND 970003"
check_sql "crm.stock_invariant_violations() returns nothing" "SELECT NOT EXISTS (SELECT FROM crm.stock_invariant_violations())"
check_sql "active holds never exceeded stock while the race ran" "SELECT NOT EXISTS (SELECT FROM rr.overdrawn)"
check_sql "every request key produced exactly one reservation" \
  "SELECT NOT EXISTS (SELECT FROM rr.keyed GROUP BY request_key HAVING count(DISTINCT reservation_id) <> 1)
     AND NOT EXISTS (SELECT FROM rr.keyed k WHERE (SELECT count(*) FROM crm.reservation r WHERE r.request_key = k.request_key) <> 1)"
check_sql "every reservation has its ledger row" \
  "SELECT NOT EXISTS (SELECT FROM crm.reservation r WHERE r.product_id BETWEEN 970001 AND 970003
     AND NOT EXISTS (SELECT FROM crm.stock_ledger m WHERE m.reservation_id = r.id AND m.kind = 'reservation'))"
finish
