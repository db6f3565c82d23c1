-- Receiving, adjusting and reserving stock, shipments, and the checks that the
-- counters and the ledger agree (docs/inventory.md).

CREATE OR REPLACE FUNCTION crm.refuse_ledger_change() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
BEGIN
    RAISE EXCEPTION 'crm.stock_movement is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'PC014', HINT = 'Correct stock with crm.adjust_stock(), which appends an adjustment.';
END $$;
CREATE OR REPLACE TRIGGER append_only BEFORE UPDATE OR DELETE ON crm.stock_movement
    FOR EACH ROW EXECUTE FUNCTION crm.refuse_ledger_change();
CREATE OR REPLACE TRIGGER append_only_truncate BEFORE TRUNCATE ON crm.stock_movement
    FOR EACH STATEMENT EXECUTE FUNCTION crm.refuse_ledger_change();

CREATE OR REPLACE VIEW crm.stock_available AS
SELECT s.product_id, p.sku, s.warehouse_id, w.code AS warehouse, s.on_hand, s.reserved, s.on_hand - s.reserved AS available
FROM crm.stock s JOIN crm.product p ON p.id = s.product_id JOIN crm.warehouse w ON w.id = s.warehouse_id;
COMMENT ON VIEW crm.stock_available IS 'Stock per product and warehouse: on hand, reserved, available = on_hand - reserved';

-- The whole ledger: the stored movements, and the holds, which are the
-- reservation rows themselves (a hold is written once, as its reservation;
-- releases, expiries and shipments close it and are stored). Release 0.2
-- also stored each hold as a 'reservation' movement: those rows repeat a
-- reservation and are left out.
CREATE OR REPLACE VIEW crm.stock_ledger WITH (security_invoker = true) AS
SELECT m.id AS movement_id, m.product_id, m.warehouse_id, m.kind, m.on_hand_delta, m.reserved_delta, m.reservation_id,
       m.shipment_id, m.reference, m.created_by, m.created_at
FROM crm.stock_movement m WHERE m.kind <> 'reservation'
UNION ALL
SELECT NULL, r.product_id, r.warehouse_id, 'reservation', 0, r.quantity, r.id, NULL, NULL, r.owner, r.created_at
FROM crm.reservation r;
COMMENT ON VIEW crm.stock_ledger IS
    'Every change of on_hand and reserved: the stored movements, and each reservation as its hold (movement_id NULL)';

-- Raises PC003 when the product or warehouse does not exist.
CREATE OR REPLACE FUNCTION crm.require_stock_key(product bigint, warehouse bigint) RETURNS void
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
BEGIN
    PERFORM crm.require_arg(product, 'product');
    IF NOT EXISTS (SELECT FROM crm.product WHERE id = product) THEN
        RAISE EXCEPTION 'product % does not exist', product USING ERRCODE = 'PC003';
    END IF;
    IF warehouse IS NOT NULL AND NOT EXISTS (SELECT FROM crm.warehouse WHERE id = warehouse) THEN
        RAISE EXCEPTION 'warehouse % does not exist', warehouse USING ERRCODE = 'PC003';
    END IF;
END $$;

-- Raises 22004 for a NULL qty and 22023 unless it is a positive, finite number.
CREATE OR REPLACE FUNCTION crm.require_quantity(qty numeric, what text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
BEGIN
    PERFORM crm.require_arg(what, 'what');
    PERFORM crm.require_arg(qty, what);
    IF NOT (qty > 0 AND qty < 'Infinity') THEN
        RAISE EXCEPTION '% must be a positive, finite number, not %', what, qty
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END $$;

CREATE OR REPLACE FUNCTION crm.receive_stock(product bigint, warehouse bigint, qty numeric, reference text DEFAULT NULL)
    RETURNS numeric LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    now_on_hand numeric;
BEGIN
    PERFORM crm.require_arg(product, 'product');
    PERFORM crm.require_arg(warehouse, 'warehouse');
    PERFORM crm.require_quantity(qty, 'received quantity');
    PERFORM crm.require_stock_key(product, warehouse);
    INSERT INTO crm.stock AS s (product_id, warehouse_id, on_hand) VALUES (product, warehouse, qty)
    ON CONFLICT (product_id, warehouse_id) DO UPDATE SET on_hand = s.on_hand + EXCLUDED.on_hand, changed_at = now()
    RETURNING s.on_hand INTO now_on_hand;
    INSERT INTO crm.stock_movement (product_id, warehouse_id, kind, on_hand_delta, reference)
    VALUES (product, warehouse, 'receipt', qty, reference);
    RETURN now_on_hand;
END $$;
COMMENT ON FUNCTION crm.receive_stock(bigint, bigint, numeric, text) IS 'Adds received goods to on_hand; returns the new on_hand';

CREATE OR REPLACE FUNCTION crm.adjust_stock(product bigint, warehouse bigint, delta numeric, reference text)
    RETURNS numeric LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    s crm.stock;
BEGIN
    PERFORM crm.require_arg(product, 'product');
    PERFORM crm.require_arg(warehouse, 'warehouse');
    PERFORM crm.require_arg(delta, 'delta');
    PERFORM crm.require_arg(reference, 'reference');
    IF delta = 0 OR NOT (abs(delta) < 'Infinity') THEN
        RAISE EXCEPTION 'adjustment must be a non-zero, finite number, not %', coalesce(delta::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF btrim(reference) = '' THEN
        RAISE EXCEPTION 'an adjustment needs a reference (a stock count, a write-off act)' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM crm.require_stock_key(product, warehouse);
    SELECT * INTO s FROM crm.stock WHERE product_id = product AND warehouse_id = warehouse FOR UPDATE;
    IF coalesce(s.on_hand, 0) + delta < coalesce(s.reserved, 0) THEN
        RAISE EXCEPTION 'not enough stock of product % in warehouse %: adjusting on hand % by % would leave less than the % reserved',
            product, warehouse, coalesce(s.on_hand, 0), delta, coalesce(s.reserved, 0) USING ERRCODE = 'PC010';
    END IF;
    IF s.product_id IS NULL THEN
        -- A first count of a product never received here (delta > 0, checked above).
        INSERT INTO crm.stock AS t (product_id, warehouse_id, on_hand) VALUES (product, warehouse, delta)
        ON CONFLICT (product_id, warehouse_id) DO UPDATE SET on_hand = t.on_hand + EXCLUDED.on_hand, changed_at = now()
        RETURNING t.on_hand INTO s.on_hand;
    ELSE
        UPDATE crm.stock t SET on_hand = t.on_hand + delta, changed_at = now()
        WHERE t.product_id = product AND t.warehouse_id = warehouse
        RETURNING t.on_hand INTO s.on_hand;
    END IF;
    INSERT INTO crm.stock_movement (product_id, warehouse_id, kind, on_hand_delta, reference)
    VALUES (product, warehouse, 'adjustment', delta, reference);
    RETURN s.on_hand;
END $$;
COMMENT ON FUNCTION crm.adjust_stock(bigint, bigint, numeric, text) IS
    'Corrects on_hand by delta (a count or a write-off), never below what is reserved; returns the new on_hand';

-- Closes active reservations; consume (a shipment) takes the goods out of
-- on_hand too. Stock rows are locked in (product, warehouse) order, as every
-- function here does, so concurrent callers cannot deadlock.
CREATE OR REPLACE FUNCTION crm.close_reservations(ids bigint[], new_status text, ledger_kind text,
                                       consume boolean DEFAULT false, shipment bigint DEFAULT NULL) RETURNS integer
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    closed integer;
BEGIN
    IF new_status IS NULL OR new_status NOT IN ('consumed', 'released', 'expired') THEN
        RAISE EXCEPTION 'a reservation closes as consumed, released or expired, not %', coalesce(new_status, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM FROM crm.stock s
    WHERE (s.product_id, s.warehouse_id) IN (SELECT r.product_id, r.warehouse_id FROM crm.reservation r WHERE r.id = ANY (ids))
    ORDER BY s.product_id, s.warehouse_id FOR UPDATE;
    WITH done AS (
        UPDATE crm.reservation r SET status = new_status, closed_at = now()
        WHERE r.id = ANY (ids) AND r.status = 'active'
        RETURNING r.id, r.product_id, r.warehouse_id, r.quantity),
    ledger AS (
        INSERT INTO crm.stock_movement (product_id, warehouse_id, kind, on_hand_delta, reserved_delta, reservation_id, shipment_id)
        SELECT product_id, warehouse_id, ledger_kind, CASE WHEN consume THEN -quantity ELSE 0 END, -quantity, id, shipment
        FROM done ORDER BY id),
    per_stock AS (
        SELECT product_id, warehouse_id, sum(quantity) AS qty FROM done GROUP BY product_id, warehouse_id),
    counters AS (
        UPDATE crm.stock s SET reserved = s.reserved - p.qty, on_hand = s.on_hand - CASE WHEN consume THEN p.qty ELSE 0 END,
                               changed_at = now()
        FROM per_stock p WHERE s.product_id = p.product_id AND s.warehouse_id = p.warehouse_id)
    SELECT count(*)::integer INTO closed FROM done;
    RETURN closed;
END $$;

CREATE OR REPLACE FUNCTION crm.release(reservation_id bigint) RETURNS void
    LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    r crm.reservation;
BEGIN
    SELECT * INTO r FROM crm.reservation WHERE id = reservation_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'reservation % does not exist', reservation_id USING ERRCODE = 'PC003';
    END IF;
    IF r.status <> 'active' THEN
        RAISE EXCEPTION 'reservation % is not active: it is %', reservation_id, r.status USING ERRCODE = 'PC011';
    END IF;
    IF EXISTS (SELECT FROM crm.shipment_line l JOIN crm.shipment s ON s.id = l.shipment_id
               WHERE l.reservation_id = r.id AND s.status = 'planned') THEN
        RAISE EXCEPTION 'reservation % is on a planned shipment', reservation_id
            USING ERRCODE = 'PC011', HINT = 'Cancel the shipment with crm.cancel_shipment() instead.';
    END IF;
    PERFORM crm.close_reservations(ARRAY[reservation_id], 'released', 'release');
END $$;
COMMENT ON FUNCTION crm.release(bigint) IS 'Gives an active reservation''s quantity back to available stock';

CREATE OR REPLACE FUNCTION crm.expire_reservations() RETURNS integer
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
BEGIN
    -- Rows another transaction holds are skipped: the next run takes them.
    RETURN crm.close_reservations(ARRAY(
        SELECT id FROM crm.reservation WHERE status = 'active' AND expires_at <= now()
        ORDER BY id FOR UPDATE SKIP LOCKED), 'expired', 'expiry');
END $$;
COMMENT ON FUNCTION crm.expire_reservations() IS 'Expires every active reservation past expires_at; returns how many (for a pg_cron job every minute)';

CREATE OR REPLACE FUNCTION crm.reserve_order(order_id bigint, ttl interval DEFAULT NULL) RETURNS integer
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    line record;
    source record;
    remaining numeric;
    take numeric;
    created integer := 0;
BEGIN
    IF order_id IS NULL THEN
        RAISE EXCEPTION 'order_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF ttl <= interval '0' THEN
        RAISE EXCEPTION 'ttl must be positive, not %', ttl USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM FROM crm.sales_order WHERE id = order_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'order % does not exist', order_id USING ERRCODE = 'PC003';
    END IF;
    -- Every stock row the order can draw on, locked in the one canonical order.
    PERFORM FROM crm.stock s
    WHERE s.product_id IN (SELECT l.product_id FROM crm.order_line l WHERE l.order_id = reserve_order.order_id)
    ORDER BY s.product_id, s.warehouse_id FOR UPDATE;

    FOR line IN
        SELECT l.id, l.line_no, l.product_id,
               l.quantity - coalesce((SELECT sum(r.quantity) FROM crm.reservation r
                                      WHERE r.order_line_id = l.id AND r.status IN ('active', 'consumed')), 0) AS outstanding
        FROM crm.order_line l WHERE l.order_id = reserve_order.order_id ORDER BY l.product_id, l.id
    LOOP
        CONTINUE WHEN line.outstanding <= 0;
        remaining := line.outstanding;
        -- The warehouse with the most available first: one warehouse serves the
        -- whole line whenever any can; otherwise the line is split.
        FOR source IN
            SELECT s.warehouse_id, s.on_hand - s.reserved AS available FROM crm.stock s
            WHERE s.product_id = line.product_id AND s.on_hand - s.reserved > 0
            ORDER BY s.on_hand - s.reserved DESC, s.warehouse_id
        LOOP
            take := least(remaining, source.available);
            UPDATE crm.stock SET reserved = reserved + take, changed_at = now()
            WHERE product_id = line.product_id AND warehouse_id = source.warehouse_id;
            INSERT INTO crm.reservation (order_line_id, product_id, warehouse_id, quantity, expires_at)
            VALUES (line.id, line.product_id, source.warehouse_id, take, now() + ttl);
            created := created + 1;
            remaining := remaining - take;
            EXIT WHEN remaining = 0;
        END LOOP;
        IF remaining > 0 THEN
            RAISE EXCEPTION 'not enough product in stock: product % for order % line %: requested %, available %',
                line.product_id, order_id, line.line_no, line.outstanding, line.outstanding - remaining
                USING ERRCODE = 'PC010', HINT = 'Nothing was reserved for this order.';
        END IF;
    END LOOP;
    RETURN created;
END $$;
COMMENT ON FUNCTION crm.reserve_order(bigint, interval) IS
    'Reserves what every line of the order still needs, all lines or none; returns the number of reservations made';

CREATE OR REPLACE FUNCTION crm.plan_shipment(order_id bigint) RETURNS bigint
    LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    shipment bigint;
    holds bigint[];
    stale bigint;
BEGIN
    PERFORM FROM crm.sales_order WHERE id = order_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'order % does not exist', order_id USING ERRCODE = 'PC003';
    END IF;
    SELECT array_agg(h.id ORDER BY h.id), min(h.id) FILTER (WHERE h.expires_at <= now()) INTO holds, stale
    FROM (SELECT r.id, r.expires_at FROM crm.reservation r JOIN crm.order_line l ON l.id = r.order_line_id
          WHERE l.order_id = plan_shipment.order_id AND r.status = 'active'
            AND NOT EXISTS (SELECT FROM crm.shipment_line sl WHERE sl.reservation_id = r.id)
          ORDER BY r.id FOR UPDATE OF r) h;
    IF stale IS NOT NULL THEN
        RAISE EXCEPTION 'reservation % of order % has expired', stale, order_id
            USING ERRCODE = 'PC012', HINT = 'Run crm.expire_reservations() and reserve again.';
    END IF;
    IF holds IS NULL THEN
        RAISE EXCEPTION 'order % has no active reservations to ship', order_id
            USING ERRCODE = 'PC011', HINT = 'Reserve its lines first with crm.reserve_order().';
    END IF;
    INSERT INTO crm.shipment (order_id) VALUES (order_id) RETURNING id INTO shipment;
    INSERT INTO crm.shipment_line (shipment_id, reservation_id, product_id, warehouse_id, quantity)
    SELECT shipment, r.id, r.product_id, r.warehouse_id, r.quantity FROM crm.reservation r WHERE r.id = ANY (holds) ORDER BY r.id;
    -- A planned shipment keeps its reservations: they no longer expire.
    UPDATE crm.reservation SET expires_at = NULL WHERE id = ANY (holds);
    RETURN shipment;
END $$;
COMMENT ON FUNCTION crm.plan_shipment(bigint) IS
    'Turns the order''s active reservations into a planned shipment (they stop expiring); returns the shipment id';

-- Ends a planned shipment: shipped (its holds are consumed and the goods leave
-- on_hand) or cancelled (its holds are released).
CREATE OR REPLACE FUNCTION crm.finish_shipment(shipment_id bigint, ship boolean) RETURNS void
    LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    current text;
    ids bigint[];
BEGIN
    SELECT status INTO current FROM crm.shipment WHERE id = shipment_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'shipment % does not exist', shipment_id USING ERRCODE = 'PC003';
    END IF;
    IF current <> 'planned' THEN
        RAISE EXCEPTION 'shipment % is %, not planned', shipment_id, current USING ERRCODE = 'PC013';
    END IF;
    SELECT array_agg(l.reservation_id ORDER BY l.reservation_id) INTO ids FROM crm.shipment_line l WHERE l.shipment_id = shipment_id;
    IF ship THEN
        PERFORM crm.close_reservations(ids, 'consumed', 'shipment', true, shipment_id);
        UPDATE crm.shipment SET status = 'shipped', shipped_at = now() WHERE id = shipment_id;
    ELSE
        PERFORM crm.close_reservations(ids, 'released', 'release', false, shipment_id);
        UPDATE crm.shipment SET status = 'cancelled' WHERE id = shipment_id;
    END IF;
END $$;

CREATE OR REPLACE FUNCTION crm.confirm_shipment(shipment_id bigint) RETURNS void
    LANGUAGE sql VOLATILE STRICT RETURN crm.finish_shipment(shipment_id, true);
COMMENT ON FUNCTION crm.confirm_shipment(bigint) IS
    'Ships a planned shipment: its reservations are consumed, on_hand and reserved fall, shipped_at is stamped';

CREATE OR REPLACE FUNCTION crm.cancel_shipment(shipment_id bigint) RETURNS void
    LANGUAGE sql VOLATILE STRICT RETURN crm.finish_shipment(shipment_id, false);
COMMENT ON FUNCTION crm.cancel_shipment(bigint) IS 'Cancels a planned shipment and gives its reserved quantity back';

CREATE OR REPLACE FUNCTION crm.stock_invariant_violations()
    RETURNS TABLE (product_id bigint, warehouse_id bigint, problem text, expected numeric, actual numeric)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp BEGIN ATOMIC
    SELECT s.product_id, s.warehouse_id, 'on_hand differs from the ledger', coalesce(m.on_hand, 0), s.on_hand
    FROM crm.stock s LEFT JOIN (SELECT product_id, warehouse_id, sum(on_hand_delta) AS on_hand FROM crm.stock_movement GROUP BY 1, 2) m
      ON m.product_id = s.product_id AND m.warehouse_id = s.warehouse_id
    WHERE s.on_hand <> coalesce(m.on_hand, 0)
    UNION ALL
    SELECT s.product_id, s.warehouse_id, 'reserved differs from the active reservations', coalesce(r.qty, 0), s.reserved
    FROM crm.stock s LEFT JOIN (SELECT product_id, warehouse_id, sum(quantity) AS qty FROM crm.reservation
                                WHERE status = 'active' GROUP BY 1, 2) r
      ON r.product_id = s.product_id AND r.warehouse_id = s.warehouse_id
    WHERE s.reserved <> coalesce(r.qty, 0)
    UNION ALL
    SELECT s.product_id, s.warehouse_id, 'reserved differs from the ledger', coalesce(l.reserved, 0), s.reserved
    FROM crm.stock s LEFT JOIN (SELECT product_id, warehouse_id, sum(reserved_delta) AS reserved FROM crm.stock_ledger GROUP BY 1, 2) l
      ON l.product_id = s.product_id AND l.warehouse_id = s.warehouse_id
    WHERE s.reserved <> coalesce(l.reserved, 0)
    UNION ALL
    SELECT s.product_id, s.warehouse_id, 'a counter is negative or reserved exceeds on_hand', 0, least(s.on_hand, s.reserved, s.on_hand - s.reserved)
    FROM crm.stock s WHERE s.on_hand < 0 OR s.reserved < 0 OR s.reserved > s.on_hand;
END;
COMMENT ON FUNCTION crm.stock_invariant_violations() IS
    'Every stock row whose counters disagree with the ledger or the active reservations, or are negative: must return nothing';

CREATE OR REPLACE FUNCTION crm.reserve(product bigint, qty numeric, warehouse bigint DEFAULT NULL, order_line bigint DEFAULT NULL,
                            ttl interval DEFAULT NULL, request_key text DEFAULT NULL) RETURNS bigint
    LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'pgcrm_reserve';
COMMENT ON FUNCTION crm.reserve(bigint, numeric, bigint, bigint, interval, text) IS
    'Reserves qty of a product (in the given warehouse, or the first by id that has it); a repeated request_key returns the same reservation';
