-- Peers for crm.reserve in the same run: the single-statement floor, the
-- conventional PL/pgSQL pattern, and crm.reserve's own steps in PL/pgSQL.
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS bench CASCADE;
CREATE SCHEMA bench;
INSERT INTO crm.product (id, sku, name, kind, list_price)
SELECT 930000 + g, 'BENCH-' || g, 'Bench product ' || g, 'goods', 1 FROM generate_series(1, 10) g ON CONFLICT DO NOTHING;
INSERT INTO crm.warehouse (id, code, name) VALUES (930001, 'BENCH', 'Bench') ON CONFLICT DO NOTHING;
SELECT crm.receive_stock(930000 + g, 930001, 1e12, 'bench') FROM generate_series(1, 10) g;

-- SELECT ... FOR UPDATE, check, UPDATE, INSERT: what applications usually write.
CREATE FUNCTION bench.reserve_plpgsql(product bigint, qty numeric, warehouse bigint) RETURNS bigint LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    available numeric;
    id bigint;
BEGIN
    SELECT on_hand - reserved INTO available FROM crm.stock WHERE product_id = product AND warehouse_id = warehouse FOR UPDATE;
    IF available IS NULL OR available < qty THEN
        RAISE EXCEPTION 'not enough stock' USING ERRCODE = 'PC010';
    END IF;
    UPDATE crm.stock SET reserved = reserved + qty WHERE product_id = product AND warehouse_id = warehouse;
    INSERT INTO crm.reservation (product_id, warehouse_id, quantity) VALUES (product, warehouse, qty) RETURNING reservation.id INTO id;
    RETURN id;
END $$;

-- crm.reserve's statements (conditional UPDATE, then the reservation, which is the ledger's hold) in PL/pgSQL.
CREATE FUNCTION bench.reserve_same_in_plpgsql(product bigint, qty numeric, warehouse bigint) RETURNS bigint LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    id bigint;
BEGIN
    UPDATE crm.stock SET reserved = reserved + qty, changed_at = now()
    WHERE product_id = product AND warehouse_id = warehouse AND on_hand - reserved >= qty;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'not enough stock' USING ERRCODE = 'PC010';
    END IF;
    INSERT INTO crm.reservation (product_id, warehouse_id, quantity) VALUES (product, warehouse, qty) RETURNING reservation.id INTO id;
    RETURN id;
END $$;
