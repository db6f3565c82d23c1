-- Order numbers, the order summary, and production status stamps (docs/orders.md).

CREATE OR REPLACE FUNCTION crm.assign_order_number() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    NEW.number := crm.document_number('sales_order', 'ORD', NEW.order_date, NEW.number);
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER assign_number BEFORE INSERT ON crm.sales_order FOR EACH ROW EXECUTE FUNCTION crm.assign_order_number();

CREATE OR REPLACE VIEW crm.order_summary AS
SELECT o.id, o.number, o.account_id, a.name AS account_name, o.order_date, o.status, o.currency,
       count(l.id) AS lines, coalesce(sum(l.line_total), 0)::numeric(16, 2) AS total
FROM crm.sales_order o
JOIN crm.account a ON a.id = o.account_id
LEFT JOIN crm.order_line l ON l.order_id = o.id
GROUP BY o.id, a.name;
COMMENT ON VIEW crm.order_summary IS 'Each order with its account, number of lines and total';

CREATE OR REPLACE FUNCTION crm.stamp_status_change() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    NEW.status_changed_at := now();
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER stamp_status_change BEFORE UPDATE ON crm.production_order FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION crm.stamp_status_change();
