-- The commercial cycle (docs/billing.md): each business step is one function,
-- one transaction. Rows are locked in one canonical order (an order, then
-- invoices by due date and id, then payments by id; a loan before its
-- installments), so concurrent steps cannot deadlock, and the tables' CHECKs
-- are the last word on every amount.

-- Settings (src/pg/billing.cpp) -------------------------------------------------------------
CREATE OR REPLACE FUNCTION crm.vat_rate() RETURNS numeric
    LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_vat_rate';
COMMENT ON FUNCTION crm.vat_rate() IS 'The setting pgcrm.vat_rate: VAT in percent for products without their own (default 20)';
CREATE OR REPLACE FUNCTION crm.base_currency() RETURNS text
    LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_base_currency';
COMMENT ON FUNCTION crm.base_currency() IS 'The setting pgcrm.base_currency: what exchange rates are quoted against (default UAH)';

-- Arguments ------------------------------------------------------------------------------------
-- 22004 for NULL, 22023 unless a positive amount in whole kopiykas that crm.amount holds.
CREATE OR REPLACE FUNCTION crm.require_money(amount numeric, what text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
BEGIN
    PERFORM crm.require_arg(what, 'what');
    PERFORM crm.require_arg(amount, what);
    IF NOT (amount > 0 AND amount < 1e12) THEN
        RAISE EXCEPTION '% must be positive and below 1000000000000, not %', what, amount
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF amount <> round(amount, 2) THEN
        RAISE EXCEPTION '% % is not a whole number of kopiykas', what, amount
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Round it to 2 decimals.';
    END IF;
END $$;

-- A currency code, or 22004/22023.
CREATE OR REPLACE FUNCTION crm.require_currency(code text, what text) RETURNS crm.currency
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
BEGIN
    PERFORM crm.require_arg(what, 'what');
    PERFORM crm.require_arg(code, what);
    IF code !~ '^[A-Z]{3}$' THEN
        RAISE EXCEPTION '% "%" is not a currency code', what, left(code, 20)
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Give an ISO 4217 code such as UAH, EUR or USD.';
    END IF;
    RETURN code::crm.currency;
END $$;

-- A day of the calendar, or 22004/22008.
CREATE OR REPLACE FUNCTION crm.require_day(day date, what text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
BEGIN
    PERFORM crm.require_arg(what, 'what');
    PERFORM crm.require_arg(day, what);
    IF NOT (day BETWEEN date '1900-01-01' AND date '9999-12-31') THEN
        RAISE EXCEPTION '% % is outside the calendar billing keeps (1900 to 9999)', what, day
            USING ERRCODE = 'datetime_field_overflow', HINT = 'Give a real date.';
    END IF;
END $$;

-- The payment made earlier under a request key (a bank statement line), or
-- NULL. Callers sharing a key wait here for each other: the second gets the
-- first's payment. The same key for something else is refused.
CREATE OR REPLACE FUNCTION crm.payment_by_key(request_key text, account bigint, amount numeric, currency text, loan bigint)
    RETURNS bigint LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    earlier crm.payment;
BEGIN
    IF request_key IS NULL THEN
        RETURN NULL;
    END IF;
    IF length(request_key) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'request_key must be 1 to 200 characters, not %', length(request_key)
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use the bank statement line''s id.';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended(request_key, 3035));
    SELECT * INTO earlier FROM crm.payment p WHERE p.request_key = payment_by_key.request_key;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF (earlier.account_id, earlier.amount, earlier.currency::text, earlier.loan_id)
       IS DISTINCT FROM (account, amount, currency, loan) THEN
        RAISE EXCEPTION 'request key "%" was already used for payment % of % % by account %', request_key, earlier.id,
            earlier.amount, earlier.currency, earlier.account_id
            USING ERRCODE = 'invalid_parameter_value', HINT = 'A repeated request must ask for the same payment.';
    END IF;
    RETURN earlier.id;
END $$;

-- Exchange rates -------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION crm.exchange_rate_defaults() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    NEW.base := coalesce(NEW.base, crm.base_currency()::crm.currency);
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER fill_base BEFORE INSERT ON crm.exchange_rate
    FOR EACH ROW EXECUTE FUNCTION crm.exchange_rate_defaults();

-- What one unit of currency is worth in the base currency on a day: 1 for the
-- base itself, else the latest rate on or before the day; NULL when none.
CREATE OR REPLACE FUNCTION crm.rate_to_base(currency text, on_date date) RETURNS numeric
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE WHEN rate_to_base.currency = crm.base_currency() THEN 1::numeric
                ELSE (SELECT r.rate FROM crm.exchange_rate r
                       WHERE r.base = crm.base_currency()::bpchar AND r.currency = rate_to_base.currency::bpchar
                         AND r.rate_date <= on_date
                       ORDER BY r.rate_date DESC LIMIT 1) END;
END;
COMMENT ON FUNCTION crm.rate_to_base(text, date) IS
    'Units of the base currency per unit of currency on a day (the latest rate on or before it; 1 for the base); NULL when none';

CREATE OR REPLACE FUNCTION crm.convert(amount numeric, from_currency text, to_currency text, on_date date DEFAULT current_date)
    RETURNS numeric LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    rate_from numeric;
    rate_to numeric;
BEGIN
    PERFORM crm.require_arg(amount, 'amount');
    PERFORM crm.require_currency(from_currency, 'from_currency');
    PERFORM crm.require_currency(to_currency, 'to_currency');
    PERFORM crm.require_day(on_date, 'on_date');
    IF NOT (abs(amount) < 'Infinity') THEN
        RAISE EXCEPTION 'amount must be finite, not %', amount USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF from_currency = to_currency THEN
        RETURN amount;
    END IF;
    rate_from := crm.rate_to_base(from_currency, on_date);
    rate_to := crm.rate_to_base(to_currency, on_date);
    IF rate_from IS NULL OR rate_to IS NULL THEN
        RAISE EXCEPTION 'no exchange rate from % to % on %', from_currency, to_currency, on_date
            USING ERRCODE = 'PC037',
                  DETAIL = format('%s has no rate against the base currency %s on or before that day.',
                                  CASE WHEN rate_from IS NULL THEN from_currency ELSE to_currency END, crm.base_currency()),
                  HINT = 'Add one: INSERT INTO crm.exchange_rate (currency, rate_date, rate) VALUES (...).';
    END IF;
    RETURN round(amount * rate_from / rate_to, 2);
END $$;
COMMENT ON FUNCTION crm.convert(numeric, text, text, date) IS
    'amount converted through the base currency at the latest rates on or before on_date, rounded to the kopiyka; PC037 when a rate is missing';

-- Contracts --------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION crm.contract_defaults() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    NEW.valid_from := coalesce(NEW.valid_from, NEW.signed_on);
    NEW.number := crm.document_number('contract', 'CTR', NEW.signed_on, NEW.number);
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER assign_number BEFORE INSERT ON crm.contract
    FOR EACH ROW EXECUTE FUNCTION crm.contract_defaults();

-- Why the order may not be confirmed under its contract (code and message),
-- or nothing: the contract must be active, the order dated within it and in
-- its currency, and the contract's open receivables + the order's total (VAT
-- included) within its credit limit.
CREATE OR REPLACE FUNCTION crm.contract_refusal(order_id bigint, OUT code text, OUT message text)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    o crm.sales_order;
    c crm.contract;
    order_total numeric;
    receivables numeric;
BEGIN
    SELECT * INTO o FROM crm.sales_order s WHERE s.id = order_id;
    IF o.contract_id IS NULL THEN
        RETURN;
    END IF;
    SELECT * INTO c FROM crm.contract k WHERE k.id = o.contract_id;
    code := 'PC030';
    IF c.status <> 'active' THEN
        message := format('order %s cannot be confirmed under contract %s: the contract is %s, not active',
                          o.number, c.number, c.status);
    ELSIF o.order_date NOT BETWEEN c.valid_from AND c.valid_until THEN
        message := format('order %s of %s is outside contract %s, valid from %s to %s',
                          o.number, o.order_date, c.number, c.valid_from, c.valid_until);
    ELSIF o.currency <> c.currency THEN
        message := format('order %s is in %s, but contract %s is in %s', o.number, o.currency, c.number, c.currency);
    ELSIF c.credit_limit IS NOT NULL THEN
        -- The order as it will be invoiced: each line's VAT rounded, as on an invoice line.
        SELECT coalesce(sum(l.line_total + round(l.line_total * coalesce(p.vat_rate_pct, crm.vat_rate()) / 100, 2)), 0)::numeric(16, 2)
        INTO order_total FROM crm.order_line l JOIN crm.product p ON p.id = l.product_id WHERE l.order_id = o.id;
        SELECT coalesce(sum(i.balance), 0)::numeric(16, 2) INTO receivables FROM crm.invoice i
        WHERE i.contract_id = c.id AND i.kind = 'invoice' AND i.status IN ('issued', 'partially_paid');
        IF receivables + order_total > c.credit_limit THEN
            code := 'PC031';
            message := format('order %s exceeds the credit limit of contract %s: limit %s %s, exposure %s %s '
                              '(open receivables %s + this order %s)', o.number, c.number, c.credit_limit, c.currency,
                              receivables + order_total, c.currency, receivables, order_total);
        END IF;
    END IF;
    IF message IS NULL THEN
        code := NULL;
    END IF;
END $$;
COMMENT ON FUNCTION crm.contract_refusal(bigint) IS
    'Why the order''s contract refuses its confirmation (PC030 dates, status or currency; PC031 credit limit), or NULLs';

-- Confirming an order under a contract: refused unless the contract allows
-- it or an admin recorded an override in the same transaction.
CREATE OR REPLACE FUNCTION crm.check_order_contract() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    refusal record;
BEGIN
    refusal := crm.contract_refusal(NEW.id);
    IF refusal.code IS NOT NULL
       AND NOT EXISTS (SELECT FROM crm.contract_override v
                       WHERE v.order_id = NEW.id AND v.transaction_id = pg_current_xact_id()) THEN
        RAISE EXCEPTION '%', refusal.message USING ERRCODE = refusal.code,
            HINT = 'A crm_admin may confirm it anyway: crm.confirm_order(order, override_reason => ''why'').';
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER check_contract AFTER UPDATE OF status ON crm.sales_order FOR EACH ROW
    WHEN (NEW.status = 'confirmed' AND OLD.status IS DISTINCT FROM 'confirmed' AND NEW.contract_id IS NOT NULL)
    EXECUTE FUNCTION crm.check_order_contract();

CREATE OR REPLACE FUNCTION crm.confirm_order(order_id bigint, override_reason text DEFAULT NULL) RETURNS void
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    refusal record;
BEGIN
    PERFORM crm.require_arg(order_id, 'order_id');
    PERFORM FROM crm.sales_order o WHERE o.id = order_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'order % does not exist', order_id USING ERRCODE = 'PC003';
    END IF;
    IF override_reason IS NOT NULL THEN
        IF btrim(override_reason) = '' THEN
            RAISE EXCEPTION 'an override needs a reason' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF NOT pg_has_role('crm_admin', 'MEMBER') THEN
            RAISE EXCEPTION 'only crm_admin may override a contract check' USING ERRCODE = 'insufficient_privilege';
        END IF;
        refusal := crm.contract_refusal(order_id);
        IF refusal.code IS NOT NULL THEN
            INSERT INTO crm.contract_override (order_id, contract_id, refusal, reason)
            SELECT o.id, o.contract_id, refusal.message, override_reason FROM crm.sales_order o WHERE o.id = order_id;
        END IF;
    END IF;
    UPDATE crm.sales_order o SET status = 'confirmed' WHERE o.id = order_id;
END $$;
COMMENT ON FUNCTION crm.confirm_order(bigint, text) IS
    'Confirms an order; with override_reason a crm_admin confirms one its contract refuses, and the override is recorded';

CREATE OR REPLACE FUNCTION crm.expire_contracts(as_of date DEFAULT current_date) RETURNS integer
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    expired integer;
BEGIN
    PERFORM crm.require_day(as_of, 'as_of');
    UPDATE crm.contract c SET status = 'expired' WHERE c.status = 'active' AND c.valid_until < as_of;
    GET DIAGNOSTICS expired = ROW_COUNT;
    RETURN expired;
END $$;
COMMENT ON FUNCTION crm.expire_contracts(date) IS 'Moves active contracts past valid_until to expired; returns how many (for a daily job)';

-- Quotes -------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION crm.quote_defaults() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    NEW.number := crm.document_number('quote', 'QUO', NEW.quote_date, NEW.number);
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER assign_number BEFORE INSERT ON crm.quote
    FOR EACH ROW EXECUTE FUNCTION crm.quote_defaults();

-- A quote's deal is one of its client's.
CREATE OR REPLACE FUNCTION crm.check_quote_deal() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM crm.deal d WHERE d.id = NEW.deal_id AND d.account_id = NEW.account_id) THEN
        RAISE EXCEPTION 'deal % is not a deal of account %', NEW.deal_id, NEW.account_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER check_deal BEFORE INSERT OR UPDATE OF deal_id, account_id ON crm.quote FOR EACH ROW
    WHEN (NEW.deal_id IS NOT NULL) EXECUTE FUNCTION crm.check_quote_deal();

CREATE OR REPLACE FUNCTION crm.expire_quotes(as_of date DEFAULT current_date) RETURNS integer
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    expired integer;
BEGIN
    PERFORM crm.require_day(as_of, 'as_of');
    UPDATE crm.quote q SET status = 'expired' WHERE q.status = 'sent' AND q.valid_until < as_of;
    GET DIAGNOSTICS expired = ROW_COUNT;
    RETURN expired;
END $$;
COMMENT ON FUNCTION crm.expire_quotes(date) IS 'Moves sent quotes past valid_until to expired; returns how many (for a daily job)';

-- A deal moves to won along its pipeline, one stage at a time, so its history
-- shows every step; a deal in a stage off the pipeline is moved directly.
CREATE OR REPLACE FUNCTION crm.win_deal(deal_id bigint) RETURNS void
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    pipeline constant text[] := ARRAY['new', 'qualified', 'proposal', 'negotiation', 'won'];
    stage text;
    next_stage text;
BEGIN
    PERFORM crm.require_arg(deal_id, 'deal_id');
    SELECT d.stage INTO stage FROM crm.deal d WHERE d.id = deal_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'deal % does not exist', deal_id USING ERRCODE = 'PC003';
    END IF;
    IF array_position(pipeline, stage) IS NULL THEN
        UPDATE crm.deal d SET stage = 'won' WHERE d.id = deal_id;
        RETURN;
    END IF;
    FOREACH next_stage IN ARRAY pipeline[array_position(pipeline, stage) + 1:] LOOP
        UPDATE crm.deal d SET stage = next_stage WHERE d.id = deal_id;
    END LOOP;
END $$;
COMMENT ON FUNCTION crm.win_deal(bigint) IS 'Moves a deal to won through each remaining stage of the pipeline';

CREATE OR REPLACE FUNCTION crm.accept_quote(quote bigint) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    q crm.quote;
    new_order bigint;
BEGIN
    PERFORM crm.require_arg(quote, 'quote');
    -- A second call waits here for the first and then finds the quote accepted.
    SELECT * INTO q FROM crm.quote x WHERE x.id = quote FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'quote % does not exist', quote USING ERRCODE = 'PC003';
    END IF;
    IF q.status = 'accepted' THEN
        RETURN q.order_id;
    END IF;
    IF q.status = 'expired' OR q.status = 'sent' AND q.valid_until < current_date THEN
        RAISE EXCEPTION 'quote % expired on %', q.number, q.valid_until
            USING ERRCODE = 'PC032', HINT = 'Send the client a new quote.';
    END IF;
    IF q.status <> 'sent' THEN
        RAISE EXCEPTION 'quote % is %: only a sent quote can be accepted', q.number, q.status USING ERRCODE = 'PC001';
    END IF;
    IF NOT EXISTS (SELECT FROM crm.quote_line l WHERE l.quote_id = quote) THEN
        RAISE EXCEPTION 'quote % has no lines to order', q.number USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    INSERT INTO crm.sales_order (account_id, deal_id, contract_id, currency)
    VALUES (q.account_id, q.deal_id, q.contract_id, q.currency) RETURNING id INTO new_order;
    INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price, discount_pct)
    SELECT new_order, l.line_no, l.product_id, l.quantity, l.unit_price, l.discount_pct
    FROM crm.quote_line l WHERE l.quote_id = quote ORDER BY l.line_no;
    UPDATE crm.quote x SET status = 'accepted', order_id = new_order, accepted_at = now() WHERE x.id = quote;
    IF q.deal_id IS NOT NULL THEN
        PERFORM crm.win_deal(q.deal_id);
    END IF;
    RETURN new_order;
END $$;
COMMENT ON FUNCTION crm.accept_quote(bigint) IS
    'Makes the sales order of a sent quote (same lines and prices), marks the quote accepted and its deal won; again returns the same order';

-- Invoices and credit notes ----------------------------------------------------------------------
-- What an invoice's status is for what is left to pay (the table's CHECK holds it to this).
CREATE OR REPLACE FUNCTION crm.invoice_status(total numeric, credited numeric, paid numeric) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN total - credited - paid = 0 THEN 'paid' WHEN paid > 0 THEN 'partially_paid' ELSE 'issued' END;

-- The header of a document is inserted after its lines: its totals are their
-- sums, its number the next of its kind, its due date the contract's terms
-- (30 days without a contract).
CREATE OR REPLACE FUNCTION crm.invoice_defaults() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    sums record;
BEGIN
    SELECT count(*) AS lines, coalesce(sum(l.net), 0) AS net, coalesce(sum(l.vat), 0) AS vat, coalesce(sum(l.gross), 0) AS gross
    INTO sums FROM crm.invoice_line l WHERE l.invoice_id = NEW.id;
    IF sums.lines = 0 THEN
        RAISE EXCEPTION 'invoice % has no lines: a document''s lines are written before it', NEW.id
            USING ERRCODE = 'PC033', HINT = 'Invoice with crm.invoice_order() or crm.invoice_shipment().';
    END IF;
    NEW.net_total := sums.net;
    NEW.tax_total := sums.vat;
    NEW.total := sums.gross;
    NEW.number := crm.document_number(NEW.kind, CASE NEW.kind WHEN 'credit_note' THEN 'CRN' ELSE 'INV' END,
                                      NEW.issued_on, NEW.number);
    NEW.due_on := coalesce(NEW.due_on, NEW.issued_on + coalesce((SELECT c.payment_terms_days FROM crm.contract c
                                                                  WHERE c.id = NEW.contract_id), 30));
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER issue BEFORE INSERT ON crm.invoice FOR EACH ROW EXECUTE FUNCTION crm.invoice_defaults();

-- Issued documents are immutable: what they say never changes; only what is
-- paid, credited and the status move (and a cancellation's reason).
CREATE OR REPLACE FUNCTION crm.refuse_invoice_change() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION '% cannot be truncated: issued documents are kept', TG_TABLE_NAME USING ERRCODE = 'PC034';
    END IF;
    RAISE EXCEPTION '% % is issued: its % cannot be changed', CASE TG_TABLE_NAME WHEN 'invoice' THEN 'invoice' ELSE 'invoice line' END,
        OLD.id, CASE TG_OP WHEN 'DELETE' THEN 'rows' ELSE 'lines and amounts' END
        USING ERRCODE = 'PC034',
              HINT = 'Correct it with a credit note (crm.credit_note), or cancel it if nothing is paid (crm.cancel_invoice).';
END $$;
-- Merging duplicate clients moves their documents to the one kept: that
-- change alone passes. This trigger fires before the other BEFORE triggers, so
-- NEW is the statement's, its generated balance not yet computed.
CREATE OR REPLACE FUNCTION crm.refuse_invoice_update() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF crm.moved_by_merge(to_jsonb(OLD), to_jsonb(NEW), '{balance}') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'invoice % is issued: its lines and amounts cannot be changed', OLD.id USING ERRCODE = 'PC034',
        HINT = 'Correct it with a credit note (crm.credit_note), or cancel it if nothing is paid (crm.cancel_invoice).';
END $$;
CREATE OR REPLACE TRIGGER immutable BEFORE UPDATE OF number, kind, account_id, order_id, shipment_id, contract_id, corrects_id,
    currency, issued_on, due_on, net_total, tax_total, total, reason, owner, created_at ON crm.invoice FOR EACH ROW
    WHEN ((OLD.number, OLD.kind, OLD.account_id, OLD.order_id, OLD.shipment_id, OLD.contract_id, OLD.corrects_id,
           OLD.currency, OLD.issued_on, OLD.due_on, OLD.net_total, OLD.tax_total, OLD.total, OLD.reason, OLD.owner,
           OLD.created_at)
          IS DISTINCT FROM
          (NEW.number, NEW.kind, NEW.account_id, NEW.order_id, NEW.shipment_id, NEW.contract_id, NEW.corrects_id,
           NEW.currency, NEW.issued_on, NEW.due_on, NEW.net_total, NEW.tax_total, NEW.total, NEW.reason, NEW.owner,
           NEW.created_at))
    EXECUTE FUNCTION crm.refuse_invoice_update();
CREATE OR REPLACE TRIGGER immutable_delete BEFORE DELETE ON crm.invoice
    FOR EACH ROW EXECUTE FUNCTION crm.refuse_invoice_change();
CREATE OR REPLACE TRIGGER immutable BEFORE UPDATE OR DELETE ON crm.invoice_line
    FOR EACH ROW EXECUTE FUNCTION crm.refuse_invoice_change();
CREATE OR REPLACE TRIGGER immutable_truncate BEFORE TRUNCATE ON crm.invoice
    FOR EACH STATEMENT EXECUTE FUNCTION crm.refuse_invoice_change();
CREATE OR REPLACE TRIGGER immutable_truncate BEFORE TRUNCATE ON crm.invoice_line
    FOR EACH STATEMENT EXECUTE FUNCTION crm.refuse_invoice_change();

-- No line joins a document that exists. SECURITY DEFINER: the check must see
-- every document, also those the inserting manager's policies hide.
CREATE OR REPLACE FUNCTION crm.refuse_late_invoice_lines() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    issued text;
BEGIN
    SELECT i.number INTO issued FROM new_lines n JOIN crm.invoice i ON i.id = n.invoice_id LIMIT 1;
    IF issued IS NOT NULL THEN
        RAISE EXCEPTION 'invoice % is issued: no line can be added to it', issued USING ERRCODE = 'PC034',
            HINT = 'Correct it with a credit note (crm.credit_note), or invoice what is left again (crm.invoice_order).';
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER no_late_lines AFTER INSERT ON crm.invoice_line REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION crm.refuse_late_invoice_lines();

-- Pays a newly issued invoice from the client's unallocated credit, the
-- oldest payment first; returns what it applied.
CREATE OR REPLACE FUNCTION crm.apply_credit(invoice_id bigint) RETURNS numeric
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    inv crm.invoice;
    applied numeric;
BEGIN
    PERFORM crm.require_arg(invoice_id, 'invoice_id');
    SELECT * INTO inv FROM crm.invoice i WHERE i.id = invoice_id FOR UPDATE;
    IF NOT FOUND OR inv.kind <> 'invoice' OR inv.status NOT IN ('issued', 'partially_paid') THEN
        RETURN 0::numeric;
    END IF;
    -- Payments are locked in id order, as everywhere, and used oldest first.
    WITH credit AS (
        SELECT p.id, p.received_on, p.amount - p.allocated AS available FROM crm.payment p
        WHERE p.account_id = inv.account_id AND p.currency = inv.currency AND p.allocated < p.amount AND p.loan_id IS NULL
        ORDER BY p.id FOR UPDATE),
    take AS (
        SELECT c.id, c.received_on,
               least(c.available, inv.balance - coalesce(sum(c.available) OVER (ORDER BY c.received_on, c.id
                                                          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)) AS share
        FROM credit c),
    used AS (SELECT * FROM take t WHERE t.share > 0),
    ledger AS (
        INSERT INTO crm.payment_allocation (payment_id, invoice_id, amount, applied_on)
        SELECT u.id, inv.id, u.share, greatest(u.received_on, inv.issued_on) FROM used u ORDER BY u.received_on, u.id),
    payments AS (
        UPDATE crm.payment p SET allocated = p.allocated + u.share FROM used u WHERE p.id = u.id)
    SELECT coalesce(sum(u.share), 0) INTO applied FROM used u;
    IF applied > 0 THEN
        UPDATE crm.invoice i SET paid = i.paid + applied, status = crm.invoice_status(i.total, i.credited, i.paid + applied)
        WHERE i.id = inv.id;
    END IF;
    RETURN applied;
END $$;
COMMENT ON FUNCTION crm.apply_credit(bigint) IS
    'Pays an open invoice from its client''s unallocated credit in its currency, oldest payment first; returns the amount applied';

-- Invoices orders, all or none: each order's every ordered quantity not yet
-- invoiced, or with a shipment (of a single order) what it shipped, no more
-- than is left. Set-based, so a month's orders cost a few statements: the
-- orders are locked in id order, the lines of every invoice written, then
-- the headers (numbered in order id order from one block of the counter);
-- then each client's credit pays what it can.
CREATE OR REPLACE FUNCTION crm.write_invoices(order_ids bigint[], shipment_id bigint, issued_on date)
    RETURNS TABLE (order_id bigint, invoice_id bigint)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    orders bigint[];
    invoices bigint[];
    bad crm.sales_order;
    missing bigint;
    s crm.shipment;
    earlier text;
    default_vat constant numeric := crm.vat_rate();
BEGIN
    PERFORM crm.require_arg(order_ids, 'order_ids');
    PERFORM crm.require_day(issued_on, 'issued_on');
    orders := ARRAY(SELECT DISTINCT x FROM unnest(order_ids) x WHERE x IS NOT NULL ORDER BY x);
    IF cardinality(orders) = 0 OR array_position(order_ids, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'order_ids must name at least one order and no NULL' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF shipment_id IS NOT NULL AND cardinality(orders) <> 1 THEN
        RAISE EXCEPTION 'a shipment is invoiced with its one order, not %', cardinality(orders)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM FROM crm.sales_order o WHERE o.id = ANY (orders) ORDER BY o.id FOR UPDATE;
    SELECT min(x) INTO missing FROM unnest(orders) x WHERE NOT EXISTS (SELECT FROM crm.sales_order o WHERE o.id = x);
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'order % does not exist', missing USING ERRCODE = 'PC003';
    END IF;
    SELECT * INTO bad FROM crm.sales_order o WHERE o.id = ANY (orders) AND o.status IN ('draft', 'cancelled') ORDER BY o.id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'order % is %: nothing is invoiced before an order is confirmed', bad.number, bad.status
            USING ERRCODE = 'PC033';
    END IF;
    IF shipment_id IS NOT NULL THEN
        SELECT * INTO s FROM crm.shipment x WHERE x.id = shipment_id FOR SHARE;
        IF NOT FOUND OR s.order_id <> orders[1] THEN
            RAISE EXCEPTION 'shipment % of order % does not exist', shipment_id, orders[1] USING ERRCODE = 'PC003';
        END IF;
        IF s.status NOT IN ('shipped', 'delivered') THEN
            RAISE EXCEPTION 'shipment % is %: only what was shipped is invoiced', shipment_id, s.status USING ERRCODE = 'PC013';
        END IF;
        SELECT i.number INTO earlier FROM crm.invoice i
        WHERE i.shipment_id = s.id AND i.kind = 'invoice' AND i.status <> 'cancelled' LIMIT 1;
        IF earlier IS NOT NULL THEN
            RAISE EXCEPTION 'shipment % is already invoiced by %', shipment_id, earlier USING ERRCODE = 'PC033';
        END IF;
    END IF;

    invoices := ARRAY(SELECT nextval('crm.invoice_id_seq') FROM unnest(orders));
    INSERT INTO crm.invoice_line (invoice_id, line_no, product_id, order_line_id, quantity, unit_price, discount_pct, vat_rate_pct)
    SELECT t.invoice_id, row_number() OVER (PARTITION BY t.invoice_id ORDER BY l.line_no), l.product_id, l.id, q.quantity,
           l.unit_price, l.discount_pct, coalesce(p.vat_rate_pct, default_vat)
    FROM unnest(orders, invoices) t(order_id, invoice_id)
    JOIN crm.order_line l ON l.order_id = t.order_id
    JOIN crm.product p ON p.id = l.product_id
    -- What is left of the line: from its invoice lines (by their index), each
    -- looked up in its invoice, so the plan stays right however stale the statistics.
    CROSS JOIN LATERAL (
        SELECT l.quantity - coalesce(sum(il.quantity), 0) AS left_over
        FROM crm.invoice_line il
        WHERE il.order_line_id = l.id
          AND (SELECT i.kind = 'invoice' AND i.status <> 'cancelled' FROM crm.invoice i WHERE i.id = il.invoice_id)) inv
    CROSS JOIN LATERAL (
        SELECT CASE WHEN shipment_id IS NULL THEN inv.left_over
                    ELSE least(inv.left_over, (SELECT coalesce(sum(sl.quantity), 0)
                                               FROM crm.shipment_line sl JOIN crm.reservation r ON r.id = sl.reservation_id
                                               WHERE sl.shipment_id = s.id AND r.order_line_id = l.id)) END AS quantity) q
    WHERE q.quantity > 0;
    SELECT o.number INTO earlier FROM unnest(orders, invoices) t(order_id, invoice_id) JOIN crm.sales_order o ON o.id = t.order_id
    WHERE NOT EXISTS (SELECT FROM crm.invoice_line il WHERE il.invoice_id = t.invoice_id) ORDER BY o.id LIMIT 1;
    IF earlier IS NOT NULL THEN
        RAISE EXCEPTION '% has nothing left to invoice', CASE WHEN shipment_id IS NULL THEN 'order ' || earlier
                                                            ELSE format('shipment %s of order %s', shipment_id, earlier) END
            USING ERRCODE = 'PC033', DETAIL = 'Every ordered quantity is on an invoice already.';
    END IF;
    -- The headers' numbers, in order id order, as one block of the counter.
    INSERT INTO crm.invoice (id, number, account_id, order_id, shipment_id, contract_id, currency, issued_on)
    SELECT t.invoice_id, t.number, o.account_id, o.id, shipment_id, o.contract_id, o.currency, issued_on
    FROM unnest(orders, invoices, crm.next_document_numbers('invoice', 'INV', issued_on, cardinality(orders)))
         t(order_id, invoice_id, number)
    JOIN crm.sales_order o ON o.id = t.order_id
    ORDER BY o.id;
    -- Most clients have no credit: the step runs only for those who do.
    PERFORM crm.apply_credit(t.invoice_id)
    FROM (SELECT t.invoice_id FROM unnest(orders, invoices) t(order_id, invoice_id) JOIN crm.sales_order o ON o.id = t.order_id
          WHERE EXISTS (SELECT FROM crm.payment p WHERE p.account_id = o.account_id AND p.currency = o.currency
                                                    AND p.allocated < p.amount AND p.loan_id IS NULL)
          ORDER BY t.invoice_id) t;
    RETURN QUERY SELECT t.order_id, t.invoice_id FROM unnest(orders, invoices) t(order_id, invoice_id);
END $$;
COMMENT ON FUNCTION crm.write_invoices(bigint[], bigint, date) IS
    'The step behind crm.invoice_order, crm.invoice_orders and crm.invoice_shipment: invoices what is left of the orders (of the shipment, when given), all or none';

CREATE OR REPLACE FUNCTION crm.invoice_order(order_id bigint, issued_on date DEFAULT current_date) RETURNS bigint
    LANGUAGE sql VOLATILE
    RETURN (SELECT w.invoice_id FROM crm.write_invoices(ARRAY[order_id], NULL, issued_on) w);
COMMENT ON FUNCTION crm.invoice_order(bigint, date) IS
    'Invoices every ordered quantity not yet invoiced; PC033 when nothing is left. Returns the invoice id';

CREATE OR REPLACE FUNCTION crm.invoice_orders(order_ids bigint[], issued_on date DEFAULT current_date)
    RETURNS TABLE (order_id bigint, invoice_id bigint)
    LANGUAGE sql VOLATILE
    BEGIN ATOMIC
        SELECT w.order_id, w.invoice_id FROM crm.write_invoices(order_ids, NULL, issued_on) w;
    END;
COMMENT ON FUNCTION crm.invoice_orders(bigint[], date) IS
    'crm.invoice_order for many orders at once (a month''s run), all or none; returns each order''s invoice';

CREATE OR REPLACE FUNCTION crm.invoice_shipment(shipment_id bigint, issued_on date DEFAULT current_date) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    order_id bigint;
BEGIN
    PERFORM crm.require_arg(shipment_id, 'shipment_id');
    SELECT s.order_id INTO order_id FROM crm.shipment s WHERE s.id = shipment_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'shipment % does not exist', shipment_id USING ERRCODE = 'PC003';
    END IF;
    RETURN (SELECT w.invoice_id FROM crm.write_invoices(ARRAY[order_id], shipment_id, issued_on) w);
END $$;
COMMENT ON FUNCTION crm.invoice_shipment(bigint, date) IS
    'Invoices what a shipped shipment carried (no more than is left of its order); PC013 before it ships, PC033 once invoiced';

CREATE OR REPLACE FUNCTION crm.cancel_invoice(invoice_id bigint, reason text) RETURNS void
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    inv crm.invoice;
BEGIN
    PERFORM crm.require_arg(invoice_id, 'invoice_id');
    PERFORM crm.require_arg(reason, 'reason');
    IF btrim(reason) = '' THEN
        RAISE EXCEPTION 'a cancellation needs a reason' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO inv FROM crm.invoice i WHERE i.id = invoice_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'invoice % does not exist', invoice_id USING ERRCODE = 'PC003';
    END IF;
    IF inv.kind <> 'invoice' OR inv.status <> 'issued' OR inv.paid <> 0 OR inv.credited <> 0 THEN
        RAISE EXCEPTION '% % cannot be cancelled: it is %, with % paid and % credited', replace(inv.kind, '_', ' '),
            inv.number, inv.status, inv.paid, inv.credited
            USING ERRCODE = 'PC038', HINT = 'Only an issued invoice with nothing paid or credited is cancelled; correct others with a credit note.';
    END IF;
    UPDATE crm.invoice i SET status = 'cancelled', cancel_reason = reason WHERE i.id = invoice_id;
END $$;
COMMENT ON FUNCTION crm.cancel_invoice(bigint, text) IS
    'Cancels an issued invoice nothing was paid or credited on; its quantities can be invoiced again';

-- A credit note corrects an issued invoice: lines returned at their price, or
-- a price reduced for a quantity. Without lines it credits the whole invoice.
-- What the invoice then owes less than was paid on it goes back to the
-- payments, newest allocation first, as the client's credit.
CREATE OR REPLACE FUNCTION crm.credit_note(invoice_id bigint, reason text, lines jsonb DEFAULT NULL,
                                           issued_on date DEFAULT current_date) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    inv crm.invoice;
    note_id bigint := nextval('crm.invoice_id_seq');
    note_total numeric;
    excess numeric;
    bad record;
BEGIN
    PERFORM crm.require_arg(invoice_id, 'invoice_id');
    PERFORM crm.require_arg(reason, 'reason');
    PERFORM crm.require_day(issued_on, 'issued_on');
    IF btrim(reason) = '' THEN
        RAISE EXCEPTION 'a credit note needs a reason' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF lines IS NOT NULL AND (jsonb_typeof(lines) <> 'array' OR jsonb_array_length(lines) = 0
        OR EXISTS (SELECT FROM jsonb_array_elements(lines) e
                   WHERE jsonb_typeof(e->'line_no') IS DISTINCT FROM 'number' OR jsonb_typeof(e->'quantity') IS DISTINCT FROM 'number'
                      OR jsonb_typeof(e->'unit_price') NOT IN ('number', 'null'))) THEN
        RAISE EXCEPTION 'lines must be an array of {"line_no": n, "quantity": q[, "unit_price": p]}, not %', left(lines::text, 200)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- The invoice first, then its payments: the canonical order.
    SELECT * INTO inv FROM crm.invoice i WHERE i.id = invoice_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'invoice % does not exist', invoice_id USING ERRCODE = 'PC003';
    END IF;
    IF inv.kind <> 'invoice' OR inv.status = 'cancelled' THEN
        RAISE EXCEPTION '% % is %: only an issued invoice is credited', replace(inv.kind, '_', ' '), inv.number, inv.status
            USING ERRCODE = 'PC038';
    END IF;
    IF lines IS NULL AND inv.credited <> 0 THEN
        RAISE EXCEPTION 'invoice % is credited already (%): name the lines to credit', inv.number, inv.credited
            USING ERRCODE = 'PC035';
    END IF;

    IF lines IS NULL THEN
        INSERT INTO crm.invoice_line (invoice_id, line_no, product_id, order_line_id, corrects_line_id, quantity, unit_price,
                                      discount_pct, vat_rate_pct)
        SELECT note_id, o.line_no, o.product_id, o.order_line_id, o.id, -o.quantity, o.unit_price, o.discount_pct, o.vat_rate_pct
        FROM crm.invoice_line o WHERE o.invoice_id = inv.id;
    ELSE
        SELECT r.line_no, r.quantity, r.unit_price, o.quantity AS invoiced, o.unit_price AS price INTO bad
        FROM jsonb_to_recordset(lines) AS r(line_no numeric, quantity numeric, unit_price numeric)
        LEFT JOIN crm.invoice_line o ON o.invoice_id = inv.id AND o.line_no = r.line_no
        WHERE o.id IS NULL OR NOT (r.quantity > 0 AND r.quantity <= o.quantity)
           OR NOT (coalesce(r.unit_price, o.unit_price) > 0 AND coalesce(r.unit_price, o.unit_price) <= o.unit_price
                   AND r.unit_price IS NOT DISTINCT FROM round(r.unit_price, 2))
        LIMIT 1;
        IF FOUND AND bad.invoiced IS NULL THEN
            RAISE EXCEPTION 'invoice % has no line %', inv.number, bad.line_no USING ERRCODE = 'invalid_parameter_value';
        ELSIF FOUND THEN
            RAISE EXCEPTION 'line % of invoice % has % at %: % at % cannot be credited', bad.line_no, inv.number, bad.invoiced,
                bad.price, bad.quantity, coalesce(bad.unit_price, bad.price)
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Credit more than 0 and at most the invoiced quantity, at a price in kopiykas above 0 and at most the invoiced one.';
        END IF;
        INSERT INTO crm.invoice_line (invoice_id, line_no, product_id, order_line_id, corrects_line_id, quantity, unit_price,
                                      discount_pct, vat_rate_pct)
        SELECT note_id, r.k, o.product_id, o.order_line_id, o.id, -r.quantity, coalesce(r.unit_price, o.unit_price),
               o.discount_pct, o.vat_rate_pct
        FROM ROWS FROM (jsonb_to_recordset(lines) AS (line_no numeric, quantity numeric, unit_price numeric)) WITH ORDINALITY
             AS r(line_no, quantity, unit_price, k)
        JOIN crm.invoice_line o ON o.invoice_id = inv.id AND o.line_no = r.line_no;
    END IF;
    -- Returns (at the invoiced price) never exceed what was invoiced of a line.
    SELECT o.line_no, o.quantity, -sum(c.quantity) AS returned INTO bad
    FROM crm.invoice_line c JOIN crm.invoice_line o ON o.id = c.corrects_line_id
    WHERE o.invoice_id = inv.id AND c.unit_price = o.unit_price
      AND (c.invoice_id = note_id OR c.invoice_id IN (SELECT n.id FROM crm.invoice n WHERE n.corrects_id = inv.id))
    GROUP BY o.id HAVING -sum(c.quantity) > o.quantity LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'line % of invoice % has % invoiced, and credit notes would return %', bad.line_no, inv.number,
            bad.quantity, bad.returned USING ERRCODE = 'PC035';
    END IF;
    SELECT -sum(l.gross) INTO note_total FROM crm.invoice_line l WHERE l.invoice_id = note_id;
    IF inv.credited + note_total > inv.total THEN
        RAISE EXCEPTION 'a credit of % on invoice % would exceed it: % invoiced, % credited already', note_total, inv.number,
            inv.total, inv.credited USING ERRCODE = 'PC035';
    END IF;
    INSERT INTO crm.invoice (id, kind, account_id, order_id, contract_id, corrects_id, currency, issued_on, due_on, reason)
    VALUES (note_id, 'credit_note', inv.account_id, inv.order_id, inv.contract_id, inv.id, inv.currency, issued_on, issued_on,
            reason);

    excess := greatest(inv.paid + inv.credited + note_total - inv.total, 0);
    WITH held AS (
        SELECT a.payment_id, sum(a.amount) AS amount, max(a.id) AS last FROM crm.payment_allocation a
        WHERE a.invoice_id = inv.id GROUP BY a.payment_id HAVING sum(a.amount) > 0),
    payments AS (
        SELECT p.id FROM crm.payment p WHERE p.id IN (SELECT h.payment_id FROM held h) ORDER BY p.id FOR UPDATE),
    take AS (
        SELECT h.payment_id, least(h.amount, excess - coalesce(sum(h.amount) OVER (ORDER BY h.last DESC
                                                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)) AS share
        FROM held h JOIN payments p ON p.id = h.payment_id),
    back AS (SELECT * FROM take t WHERE t.share > 0),
    ledger AS (
        INSERT INTO crm.payment_allocation (payment_id, invoice_id, amount, applied_on)
        SELECT b.payment_id, inv.id, -b.share, issued_on FROM back b ORDER BY b.payment_id)
    UPDATE crm.payment p SET allocated = p.allocated - b.share FROM back b WHERE p.id = b.payment_id;
    UPDATE crm.invoice i SET credited = i.credited + note_total, paid = i.paid - excess,
                             status = crm.invoice_status(i.total, i.credited + note_total, i.paid - excess)
    WHERE i.id = inv.id;
    RETURN note_id;
END $$;
COMMENT ON FUNCTION crm.credit_note(bigint, text, jsonb, date) IS
    'Issues a credit note (CRN-...) against an invoice: lines [{"line_no", "quantity"[, "unit_price"]}] or, NULL, all of it; overpaid amounts become credit';

-- Payments -------------------------------------------------------------------------------------------
-- The step of receiving money: the payment, its allocations to the client's
-- open invoices in its currency (oldest due first, or the one named), and the
-- invoices' new paid amounts, in one statement. What is left is the client's
-- credit. The invoices are locked in due order and their CHECK refuses any
-- overpayment, so concurrent payers cannot overpay an invoice.
CREATE OR REPLACE FUNCTION crm.record_payment(account bigint, amount numeric, currency text, received_on date, reference text,
                                              request_key text DEFAULT NULL, invoice bigint DEFAULT NULL) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    cur crm.currency;
    named crm.invoice;
    payment_id bigint;
BEGIN
    -- The hot path: the helpers, which word the errors, run only for a bad argument.
    IF (account IS NOT NULL AND amount > 0 AND amount < 1e12 AND amount = round(amount, 2) AND currency ~ '^[A-Z]{3}$'
        AND received_on BETWEEN date '1900-01-01' AND date '9999-12-31') IS NOT TRUE THEN
        PERFORM crm.require_arg(account, 'account');
        PERFORM crm.require_money(amount, 'payment amount');
        PERFORM crm.require_currency(currency, 'currency');
        PERFORM crm.require_day(received_on, 'received_on');
    END IF;
    cur := currency;
    IF request_key IS NOT NULL THEN
        payment_id := crm.payment_by_key(request_key, account, amount, currency, NULL);
        IF payment_id IS NOT NULL THEN
            RETURN payment_id;
        END IF;
    END IF;
    IF NOT EXISTS (SELECT FROM crm.account a WHERE a.id = account) THEN
        RAISE EXCEPTION 'account % does not exist', account USING ERRCODE = 'PC003';
    END IF;
    IF invoice IS NOT NULL THEN
        SELECT * INTO named FROM crm.invoice i WHERE i.id = invoice;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'invoice % does not exist', invoice USING ERRCODE = 'PC003';
        END IF;
        IF named.account_id <> account OR named.currency <> cur THEN
            RAISE EXCEPTION 'a payment of % % by account % cannot pay invoice % of account % in %', amount, cur, account,
                named.number, named.account_id, named.currency USING ERRCODE = 'PC036';
        END IF;
        IF named.kind <> 'invoice' OR named.status = 'cancelled' THEN
            RAISE EXCEPTION '% % is %: it cannot be paid', replace(named.kind, '_', ' '), named.number, named.status
                USING ERRCODE = 'PC038';
        END IF;
    END IF;
    WITH open AS (
        SELECT i.id, i.due_on, i.issued_on, i.balance FROM crm.invoice i
        WHERE i.account_id = account AND i.currency = cur AND i.kind = 'invoice' AND i.status IN ('issued', 'partially_paid')
          AND (invoice IS NULL OR i.id = invoice)
        ORDER BY i.due_on, i.id FOR UPDATE),
    take AS (
        SELECT o.id, o.due_on, o.issued_on,
               least(o.balance, amount - coalesce(sum(o.balance) OVER (ORDER BY o.due_on, o.id
                                                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)) AS share
        FROM open o),
    paying AS (SELECT * FROM take t WHERE t.share > 0),
    payment AS (
        INSERT INTO crm.payment (account_id, amount, currency, received_on, reference, request_key, allocated)
        SELECT account, amount, cur, received_on, reference, request_key, coalesce(sum(p.share), 0) FROM paying p
        RETURNING id),
    ledger AS (
        INSERT INTO crm.payment_allocation (payment_id, invoice_id, amount, applied_on)
        SELECT payment.id, p.id, p.share, greatest(received_on, p.issued_on) FROM payment, paying p ORDER BY p.due_on, p.id),
    invoices AS (
        UPDATE crm.invoice i SET paid = i.paid + p.share, status = crm.invoice_status(i.total, i.credited, i.paid + p.share)
        FROM paying p WHERE i.id = p.id)
    SELECT id INTO payment_id FROM payment;
    RETURN payment_id;
END $$;
COMMENT ON FUNCTION crm.record_payment(bigint, numeric, text, date, text, text, bigint) IS
    'Records money received and allocates it to the client''s open invoices in that currency, oldest due first (or the one named); the rest is credit. A repeated request_key returns the same payment';

CREATE OR REPLACE FUNCTION crm.allocate(payment bigint, invoice bigint, amount numeric) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    inv crm.invoice;
    pay crm.payment;
    allocation bigint;
BEGIN
    PERFORM crm.require_arg(payment, 'payment');
    PERFORM crm.require_arg(invoice, 'invoice');
    PERFORM crm.require_money(amount, 'allocation amount');
    SELECT * INTO inv FROM crm.invoice i WHERE i.id = invoice FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'invoice % does not exist', invoice USING ERRCODE = 'PC003';
    END IF;
    SELECT * INTO pay FROM crm.payment p WHERE p.id = payment FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'payment % does not exist', payment USING ERRCODE = 'PC003';
    END IF;
    IF pay.account_id <> inv.account_id OR pay.currency <> inv.currency OR pay.loan_id IS NOT NULL THEN
        RAISE EXCEPTION 'payment % (% %, account %) cannot pay invoice % (% %, account %)', payment, pay.amount, pay.currency,
            pay.account_id, inv.number, inv.total, inv.currency, inv.account_id
            USING ERRCODE = 'PC036', HINT = 'A payment pays invoices of its own client, in its own currency; a loan repayment pays its loan.';
    END IF;
    IF inv.kind <> 'invoice' OR inv.status NOT IN ('issued', 'partially_paid') THEN
        RAISE EXCEPTION '% % is %: nothing is left to pay on it', replace(inv.kind, '_', ' '), inv.number, inv.status
            USING ERRCODE = 'PC038';
    END IF;
    IF amount > pay.unallocated THEN
        RAISE EXCEPTION 'payment % has % % left to allocate, not %', payment, pay.unallocated, pay.currency, amount
            USING ERRCODE = 'PC035';
    END IF;
    IF amount > inv.balance THEN
        RAISE EXCEPTION 'invoice % has % % left to pay, not %', inv.number, inv.balance, inv.currency, amount
            USING ERRCODE = 'PC035';
    END IF;
    INSERT INTO crm.payment_allocation (payment_id, invoice_id, amount, applied_on)
    VALUES (payment, invoice, amount, greatest(pay.received_on, inv.issued_on)) RETURNING id INTO allocation;
    UPDATE crm.payment p SET allocated = p.allocated + amount WHERE p.id = payment;
    UPDATE crm.invoice i SET paid = i.paid + amount, status = crm.invoice_status(i.total, i.credited, i.paid + amount)
    WHERE i.id = invoice;
    RETURN allocation;
END $$;
COMMENT ON FUNCTION crm.allocate(bigint, bigint, numeric) IS
    'Allocates part of a payment''s unallocated amount to an open invoice of the same client and currency; returns the allocation id';

CREATE OR REPLACE FUNCTION crm.unallocate(payment bigint, invoice bigint, amount numeric DEFAULT NULL) RETURNS numeric
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    inv crm.invoice;
    held numeric;
BEGIN
    PERFORM crm.require_arg(payment, 'payment');
    PERFORM crm.require_arg(invoice, 'invoice');
    IF amount IS NOT NULL THEN
        PERFORM crm.require_money(amount, 'amount to unallocate');
    END IF;
    SELECT * INTO inv FROM crm.invoice i WHERE i.id = invoice FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'invoice % does not exist', invoice USING ERRCODE = 'PC003';
    END IF;
    PERFORM FROM crm.payment p WHERE p.id = payment FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'payment % does not exist', payment USING ERRCODE = 'PC003';
    END IF;
    SELECT coalesce(sum(a.amount), 0) INTO held FROM crm.payment_allocation a WHERE a.payment_id = payment AND a.invoice_id = invoice;
    amount := coalesce(amount, held);
    IF held = 0 OR amount > held THEN
        RAISE EXCEPTION 'payment % has % allocated to invoice %, not %', payment, held, inv.number, amount
            USING ERRCODE = 'PC035';
    END IF;
    INSERT INTO crm.payment_allocation (payment_id, invoice_id, amount, applied_on) VALUES (payment, invoice, -amount, current_date);
    UPDATE crm.payment p SET allocated = p.allocated - amount WHERE p.id = payment;
    UPDATE crm.invoice i SET paid = i.paid - amount, status = crm.invoice_status(i.total, i.credited, i.paid - amount)
    WHERE i.id = invoice;
    RETURN amount;
END $$;
COMMENT ON FUNCTION crm.unallocate(bigint, bigint, numeric) IS
    'Takes back (all, or amount of) what a payment allocated to an invoice: the invoice owes it again, the payment has it as credit';

CREATE OR REPLACE FUNCTION crm.refuse_allocation_change() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RAISE EXCEPTION 'crm.payment_allocation is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'PC014', HINT = 'Take an allocation back with crm.unallocate(), which appends a negative one.';
END $$;
CREATE OR REPLACE TRIGGER append_only BEFORE UPDATE OR DELETE ON crm.payment_allocation
    FOR EACH ROW EXECUTE FUNCTION crm.refuse_allocation_change();
CREATE OR REPLACE TRIGGER append_only_truncate BEFORE TRUNCATE ON crm.payment_allocation
    FOR EACH STATEMENT EXECUTE FUNCTION crm.refuse_allocation_change();

-- A recorded payment keeps what it says; only its allocated amount moves.
CREATE OR REPLACE FUNCTION crm.refuse_payment_change() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- Merging duplicate clients moves their payments to the one kept (NEW's
    -- generated unallocated is not computed yet).
    IF crm.moved_by_merge(to_jsonb(OLD), to_jsonb(NEW), '{unallocated}') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'payment % is recorded: its account, amount, currency, date and key cannot be changed', OLD.id
        USING ERRCODE = 'PC034', HINT = 'Take its allocations back with crm.unallocate() and record the right payment.';
END $$;
CREATE OR REPLACE TRIGGER immutable BEFORE UPDATE OF account_id, loan_id, amount, currency, received_on, request_key
    ON crm.payment FOR EACH ROW
    WHEN ((OLD.account_id, OLD.loan_id, OLD.amount, OLD.currency, OLD.received_on, OLD.request_key)
          IS DISTINCT FROM (NEW.account_id, NEW.loan_id, NEW.amount, NEW.currency, NEW.received_on, NEW.request_key))
    EXECUTE FUNCTION crm.refuse_payment_change();

-- Receivables ----------------------------------------------------------------------------------------
CREATE OR REPLACE VIEW crm.receivables WITH (security_invoker = true) AS
SELECT i.id AS invoice_id, i.number, i.account_id, a.name AS account_name, i.contract_id, i.order_id, i.currency, i.issued_on,
       i.due_on, i.total, i.credited, i.paid, i.balance, greatest(current_date - i.due_on, 0) AS days_overdue, i.status
FROM crm.invoice i JOIN crm.account a ON a.id = i.account_id
WHERE i.kind = 'invoice' AND i.status IN ('issued', 'partially_paid');
COMMENT ON VIEW crm.receivables IS 'Every open invoice the caller may see: what is left to pay and how many days it is overdue';

-- What each invoice still owed at the end of as_of: its total less the credit
-- notes issued and the allocations effective by then.
CREATE OR REPLACE FUNCTION crm.receivables_aging(as_of date DEFAULT current_date)
    RETURNS TABLE (account_id bigint, account_name text, currency text, current numeric, days_1_30 numeric,
                   days_31_60 numeric, days_61_90 numeric, days_over_90 numeric, total numeric)
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    WITH owed AS (
        SELECT i.account_id, i.currency, as_of - i.due_on AS overdue,
               i.total - coalesce((SELECT -sum(c.total) FROM crm.invoice c WHERE c.corrects_id = i.id AND c.issued_on <= as_of), 0)
                       - coalesce((SELECT sum(a.amount) FROM crm.payment_allocation a
                                    WHERE a.invoice_id = i.id AND a.applied_on <= as_of), 0) AS balance
        FROM crm.invoice i
        WHERE i.kind = 'invoice' AND i.status <> 'cancelled' AND i.issued_on <= as_of)
    SELECT o.account_id, a.name, o.currency::text,
           coalesce(sum(o.balance) FILTER (WHERE o.overdue <= 0), 0)::numeric(16, 2),
           coalesce(sum(o.balance) FILTER (WHERE o.overdue BETWEEN 1 AND 30), 0)::numeric(16, 2),
           coalesce(sum(o.balance) FILTER (WHERE o.overdue BETWEEN 31 AND 60), 0)::numeric(16, 2),
           coalesce(sum(o.balance) FILTER (WHERE o.overdue BETWEEN 61 AND 90), 0)::numeric(16, 2),
           coalesce(sum(o.balance) FILTER (WHERE o.overdue > 90), 0)::numeric(16, 2),
           sum(o.balance)::numeric(16, 2)
    FROM owed o JOIN crm.account a ON a.id = o.account_id
    WHERE o.balance > 0
    GROUP BY o.account_id, a.name, o.currency
    ORDER BY a.name, o.account_id, o.currency;
END;
COMMENT ON FUNCTION crm.receivables_aging(date) IS
    'Per client and currency, what was owed at the end of as_of by days overdue: current, 1-30, 31-60, 61-90, over 90, total';

-- Loans --------------------------------------------------------------------------------------------------
-- Installments that count: those no early repayment replaced.
CREATE OR REPLACE FUNCTION crm.loan_owes(loan_id bigint) RETURNS numeric
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    SELECT coalesce(sum(i.amount - i.paid), 0) FROM crm.loan_installment i WHERE i.loan_id = loan_owes.loan_id AND i.replaced_by IS NULL;
END;
COMMENT ON FUNCTION crm.loan_owes(bigint) IS 'What a loan''s installments still ask for';

-- When a credit application starts, its loan and schedule are written; it
-- finishes only when everything is paid (the last repayment finishes it).
CREATE OR REPLACE FUNCTION crm.credit_application_changed() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    product crm.credit_product;
    method text;
    first_due date;
    loan_id bigint;
    unpaid numeric;
BEGIN
    IF NEW.status = 'started' THEN
        SELECT * INTO product FROM crm.credit_product p WHERE p.id = NEW.product_id;
        method := coalesce(NEW.repayment_method, product.repayment_method);
        first_due := coalesce(NEW.first_payment_date, (current_date + interval '1 month')::date);
        INSERT INTO crm.loan (application_id, account_id, principal, annual_rate_pct, term_months, method, currency,
                              started_on, first_due_on)
        VALUES (NEW.id, NEW.account_id, NEW.amount, product.annual_rate_pct, NEW.term_months, method, crm.base_currency(),
                least(current_date, (first_due - interval '1 month')::date), first_due)
        RETURNING id INTO loan_id;
        INSERT INTO crm.loan_installment (loan_id, period, due_on, principal, interest)
        SELECT loan_id, s.period, s.due_date, s.principal, s.interest
        FROM crm.loan_schedule(NEW.amount, product.annual_rate_pct, NEW.term_months, method, first_due) s;
    ELSIF NEW.status = 'finished' THEN
        SELECT l.id, crm.loan_owes(l.id) INTO loan_id, unpaid FROM crm.loan l WHERE l.application_id = NEW.id;
        IF unpaid > 0 THEN
            RAISE EXCEPTION 'credit application % cannot finish: its loan % still owes %', NEW.id, loan_id, unpaid
                USING ERRCODE = 'PC039', HINT = 'It finishes by itself when the last installment is paid.';
        END IF;
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER loan AFTER UPDATE OF status ON crm.credit_application FOR EACH ROW
    WHEN (NEW.status IN ('started', 'finished') AND OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION crm.credit_application_changed();

-- A locked, active loan, or the error that says why not.
CREATE OR REPLACE FUNCTION crm.lock_active_loan(loan_id bigint) RETURNS crm.loan
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    l crm.loan;
BEGIN
    PERFORM crm.require_arg(loan_id, 'loan');
    SELECT * INTO l FROM crm.loan x WHERE x.id = loan_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'loan % does not exist', loan_id USING ERRCODE = 'PC003';
    END IF;
    IF l.status <> 'active' THEN
        RAISE EXCEPTION 'loan % is % since %: nothing is left to repay', loan_id, l.status, l.finished_on USING ERRCODE = 'PC039';
    END IF;
    RETURN l;
END $$;

-- Pays a loan's installments in due order, up to `amount`, from a repayment
-- of that loan (the loan first, then the payment: the canonical order).
CREATE OR REPLACE FUNCTION crm.pay_installments(loan_id bigint, payment_id bigint, amount numeric, received_on date,
                                                due_by date DEFAULT 'infinity') RETURNS numeric
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    paid numeric;
BEGIN
    PERFORM crm.require_arg(loan_id, 'loan_id');
    PERFORM crm.require_money(amount, 'amount');
    PERFORM crm.require_day(received_on, 'received_on');
    PERFORM FROM crm.loan l WHERE l.id = loan_id FOR UPDATE;
    PERFORM FROM crm.payment p WHERE p.id = payment_id AND p.loan_id = pay_installments.loan_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'payment % is not a repayment of loan %', coalesce(payment_id::text, 'NULL'), loan_id
            USING ERRCODE = 'PC036';
    END IF;
    WITH open AS (
        SELECT i.id, i.period, i.amount - i.paid AS owed FROM crm.loan_installment i
        WHERE i.loan_id = loan_id AND i.replaced_by IS NULL AND i.paid < i.amount AND i.due_on <= due_by),
    take AS (
        SELECT o.id, least(o.owed, amount - coalesce(sum(o.owed) OVER (ORDER BY o.period
                                                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)) AS share
        FROM open o),
    paying AS (SELECT * FROM take t WHERE t.share > 0),
    ledger AS (
        INSERT INTO crm.payment_allocation (payment_id, installment_id, amount, applied_on)
        SELECT payment_id, p.id, p.share, received_on FROM paying p ORDER BY p.id),
    installments AS (
        UPDATE crm.loan_installment i SET paid = i.paid + p.share,
                                          paid_on = CASE WHEN i.paid + p.share = i.amount THEN received_on END
        FROM paying p WHERE i.id = p.id)
    SELECT coalesce(sum(p.share), 0) INTO paid FROM paying p;
    UPDATE crm.payment p SET allocated = p.allocated + paid WHERE p.id = payment_id;
    RETURN paid;
END $$;
COMMENT ON FUNCTION crm.pay_installments(bigint, bigint, numeric, date, date) IS
    'The step behind repayments: allocates up to amount of a payment to the loan''s unpaid installments due by due_by, in due order';

-- The last installment paid finishes the loan and its application.
CREATE OR REPLACE FUNCTION crm.finish_loan_if_repaid(loan_id bigint, on_date date) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    application bigint;
BEGIN
    IF crm.loan_owes(loan_id) > 0 THEN
        RETURN false;
    END IF;
    UPDATE crm.loan l SET status = 'finished', finished_on = on_date WHERE l.id = loan_id AND l.status = 'active'
    RETURNING l.application_id INTO application;
    UPDATE crm.credit_application a SET status = 'finished' WHERE a.id = application AND a.status = 'started';
    RETURN true;
END $$;

CREATE OR REPLACE FUNCTION crm.record_repayment(loan bigint, amount numeric, received_on date, reference text,
                                                request_key text DEFAULT NULL) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    l crm.loan;
    payment_id bigint;
BEGIN
    PERFORM crm.require_arg(loan, 'loan');
    PERFORM crm.require_money(amount, 'repayment amount');
    PERFORM crm.require_day(received_on, 'received_on');
    SELECT * INTO l FROM crm.loan x WHERE x.id = loan;
    payment_id := crm.payment_by_key(request_key, l.account_id, amount, l.currency, loan);
    IF payment_id IS NOT NULL THEN
        RETURN payment_id;
    END IF;
    l := crm.lock_active_loan(loan);
    IF amount > crm.loan_owes(loan) THEN
        RAISE EXCEPTION 'a repayment of % % exceeds what loan % still owes: %', amount, l.currency, loan, crm.loan_owes(loan)
            USING ERRCODE = 'PC035', HINT = 'Repay the principal early with crm.repay_early().';
    END IF;
    INSERT INTO crm.payment (account_id, loan_id, amount, currency, received_on, reference, request_key)
    VALUES (l.account_id, loan, amount, l.currency, received_on, reference, request_key) RETURNING id INTO payment_id;
    PERFORM crm.pay_installments(loan, payment_id, amount, received_on);
    PERFORM crm.finish_loan_if_repaid(loan, received_on);
    RETURN payment_id;
END $$;
COMMENT ON FUNCTION crm.record_repayment(bigint, numeric, date, text, text) IS
    'Records a loan repayment and allocates it to the installments in due order; the last one paid finishes the loan and its application';

-- Early repayment: the payment first pays what is due by its date; the rest
-- repays principal. The installments not yet due and not paid at all are
-- replaced by one installment of that principal and a schedule of what
-- remains: with rule shorter_term as many months as keep the payment at most
-- what it was, with lower_payment the same months at a lower payment.
CREATE OR REPLACE FUNCTION crm.repay_early(loan bigint, amount numeric, received_on date, reference text,
                                           rule text DEFAULT 'shorter_term', request_key text DEFAULT NULL) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    l crm.loan;
    payment_id bigint;
    due numeric;
    early numeric;
    future record;
    remaining numeric;
    months integer;
    r numeric;
    slot integer;
BEGIN
    PERFORM crm.require_arg(loan, 'loan');
    PERFORM crm.require_money(amount, 'repayment amount');
    PERFORM crm.require_day(received_on, 'received_on');
    PERFORM crm.require_arg(rule, 'rule');
    IF rule NOT IN ('shorter_term', 'lower_payment') THEN
        RAISE EXCEPTION 'rule must be shorter_term or lower_payment, not "%"', left(rule, 50) USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO l FROM crm.loan x WHERE x.id = loan;
    payment_id := crm.payment_by_key(request_key, l.account_id, amount, l.currency, loan);
    IF payment_id IS NOT NULL THEN
        RETURN payment_id;
    END IF;
    l := crm.lock_active_loan(loan);
    SELECT coalesce(sum(i.amount - i.paid), 0) INTO due FROM crm.loan_installment i
    WHERE i.loan_id = loan AND i.replaced_by IS NULL AND i.due_on <= received_on;
    -- The installments an early repayment replaces: after every one due or paid in part.
    SELECT min(i.period) AS first_period, min(i.due_on) AS first_due, count(*) AS count, sum(i.principal) AS principal,
           (array_agg(i.amount ORDER BY i.period))[1] AS payment, (array_agg(i.principal ORDER BY i.period))[1] AS level_principal
    INTO future
    FROM crm.loan_installment i
    WHERE i.loan_id = loan AND i.replaced_by IS NULL
      AND i.period > (SELECT coalesce(max(j.period), 0) FROM crm.loan_installment j
                      WHERE j.loan_id = loan AND j.replaced_by IS NULL AND (j.due_on <= received_on OR j.paid > 0));
    early := amount - due;
    IF early <= 0 THEN
        RAISE EXCEPTION 'a repayment of % covers only the % due by %: there is nothing to repay early', amount, due, received_on
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Record it with crm.record_repayment().';
    END IF;
    IF early > coalesce(future.principal, 0) THEN
        RAISE EXCEPTION 'an early repayment of % exceeds the principal of loan % not yet due: %', early, loan,
            coalesce(future.principal, 0) USING ERRCODE = 'PC035';
    END IF;
    INSERT INTO crm.payment (account_id, loan_id, amount, currency, received_on, reference, request_key)
    VALUES (l.account_id, loan, amount, l.currency, received_on, reference, request_key) RETURNING id INTO payment_id;
    IF due > 0 THEN
        PERFORM crm.pay_installments(loan, payment_id, due, received_on, received_on);
    END IF;

    UPDATE crm.loan_installment i SET replaced_by = payment_id
    WHERE i.loan_id = loan AND i.replaced_by IS NULL AND i.period >= future.first_period;
    INSERT INTO crm.loan_installment (loan_id, period, kind, due_on, principal, interest)
    VALUES (loan, future.first_period, 'early_repayment', received_on, early, 0);
    PERFORM crm.pay_installments(loan, payment_id, early, received_on, received_on);

    remaining := future.principal - early;
    IF remaining > 0 THEN
        r := l.annual_rate_pct / 1200;
        months := (CASE
            WHEN rule = 'lower_payment' THEN future.count
            WHEN l.method = 'differentiated' THEN ceil(remaining / future.level_principal)
            WHEN r = 0 THEN ceil(remaining / future.payment)
            -- The annuity term that keeps the payment at most the old one: n = -ln(1 - P·r/A) / ln(1 + r).
            ELSE ceil(round(-ln(1 - remaining * r / future.payment) / ln(1 + r), 9)) END)::integer;
        months := least(greatest(months, 1), future.count::integer);
        -- Rounded to the kopiyka, the closed form's term may still ask a kopiyka more.
        WHILE rule = 'shorter_term' AND months < future.count
              AND (SELECT s.payment FROM crm.loan_schedule(remaining, l.annual_rate_pct, months, l.method, future.first_due) s
                   WHERE s.period = 1) > future.payment LOOP
            months := months + 1;
        END LOOP;
        -- The new installments keep the original schedule's days of the month (month ends stay month ends).
        slot := ((extract(year FROM future.first_due) - extract(year FROM l.first_due_on)) * 12
                 + extract(month FROM future.first_due) - extract(month FROM l.first_due_on))::integer;
        INSERT INTO crm.loan_installment (loan_id, period, due_on, principal, interest)
        SELECT loan, future.first_period + s.period, (l.first_due_on + (slot + s.period - 1) * interval '1 month')::date,
               s.principal, s.interest
        FROM crm.loan_schedule(remaining, l.annual_rate_pct, months, l.method, future.first_due) s;
    END IF;
    PERFORM crm.finish_loan_if_repaid(loan, received_on);
    RETURN payment_id;
END $$;
COMMENT ON FUNCTION crm.repay_early(bigint, numeric, date, text, text, text) IS
    'Repays principal early: pays what is due, then recomputes the installments not yet due (rule shorter_term: fewer months; lower_payment: a lower payment)';

CREATE OR REPLACE VIEW crm.loan_arrears WITH (security_invoker = true) AS
SELECT i.loan_id, l.application_id, l.account_id, a.name AS account_name, i.id AS installment_id, i.period, i.due_on,
       current_date - i.due_on AS days_past_due, i.amount, i.paid, i.amount - i.paid AS overdue_amount, l.currency
FROM crm.loan_installment i JOIN crm.loan l ON l.id = i.loan_id JOIN crm.account a ON a.id = l.account_id
WHERE i.replaced_by IS NULL AND i.paid < i.amount AND i.due_on < current_date;
COMMENT ON VIEW crm.loan_arrears IS 'Every overdue installment the caller may see: days past due and what is unpaid of it';

-- Invariants ------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION crm.receivable_invariant_violations()
    RETURNS TABLE (record text, id bigint, problem text, expected text, actual text)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp BEGIN ATOMIC
    WITH alloc AS (SELECT a.invoice_id, sum(a.amount) AS amount FROM crm.payment_allocation a WHERE a.invoice_id IS NOT NULL
                   GROUP BY a.invoice_id),
    lines AS (SELECT l.invoice_id, sum(l.net) AS net, sum(l.vat) AS vat, sum(l.gross) AS gross FROM crm.invoice_line l
              GROUP BY l.invoice_id),
    notes AS (SELECT n.corrects_id, -sum(n.total) AS amount FROM crm.invoice n WHERE n.kind = 'credit_note' GROUP BY n.corrects_id)
    SELECT 'invoice', i.id, 'paid differs from its allocations', coalesce(a.amount, 0)::text, i.paid::text
    FROM crm.invoice i LEFT JOIN alloc a ON a.invoice_id = i.id WHERE i.paid <> coalesce(a.amount, 0)
    UNION ALL
    SELECT 'invoice', i.id, 'credited differs from its credit notes', coalesce(n.amount, 0)::text, i.credited::text
    FROM crm.invoice i LEFT JOIN notes n ON n.corrects_id = i.id WHERE i.credited <> coalesce(n.amount, 0)
    UNION ALL
    SELECT 'invoice', i.id, 'totals differ from the sums of its lines', format('%s + %s = %s', l.net, l.vat, l.gross),
           format('%s + %s = %s', i.net_total, i.tax_total, i.total)
    FROM crm.invoice i LEFT JOIN lines l ON l.invoice_id = i.id
    WHERE (i.net_total, i.tax_total, i.total) IS DISTINCT FROM (l.net, l.vat, l.gross)
    UNION ALL
    SELECT 'invoice', i.id, 'paid and credited exceed the total, or are negative', i.total::text, (i.paid + i.credited)::text
    FROM crm.invoice i WHERE i.kind = 'invoice' AND (i.paid < 0 OR i.credited < 0 OR i.paid + i.credited > i.total)
    UNION ALL
    SELECT 'invoice', i.id, 'status does not match the balance', crm.invoice_status(i.total, i.credited, i.paid), i.status
    FROM crm.invoice i
    WHERE i.kind = 'invoice' AND i.status <> 'cancelled' AND i.status <> crm.invoice_status(i.total, i.credited, i.paid)
    UNION ALL
    SELECT 'payment', p.id, 'allocated differs from its allocations', coalesce(sum(a.amount), 0)::text, p.allocated::text
    FROM crm.payment p LEFT JOIN crm.payment_allocation a ON a.payment_id = p.id
    GROUP BY p.id HAVING p.allocated <> coalesce(sum(a.amount), 0)
    UNION ALL
    SELECT 'payment', p.id, 'allocations exceed the payment, or are negative', p.amount::text, p.allocated::text
    FROM crm.payment p WHERE p.allocated < 0 OR p.allocated > p.amount
    UNION ALL
    SELECT 'payment', a.payment_id, format('allocates less than nothing to %s %s', CASE WHEN a.invoice_id IS NULL THEN 'installment'
                                                                                        ELSE 'invoice' END,
                                           coalesce(a.invoice_id, a.installment_id)), '>= 0', sum(a.amount)::text
    FROM crm.payment_allocation a GROUP BY a.payment_id, a.invoice_id, a.installment_id HAVING sum(a.amount) < 0
    UNION ALL
    SELECT 'payment', p.id, format('pays invoice %s of another client, currency or a loan', i.id),
           format('%s %s', i.account_id, i.currency), format('%s %s%s', p.account_id, p.currency, ' loan ' || p.loan_id)
    FROM crm.payment_allocation a JOIN crm.payment p ON p.id = a.payment_id JOIN crm.invoice i ON i.id = a.invoice_id
    WHERE (p.account_id, p.currency) <> (i.account_id, i.currency) OR p.loan_id IS NOT NULL
    GROUP BY p.id, i.id
    UNION ALL
    SELECT 'installment', x.id, 'paid differs from its allocations', coalesce(sum(a.amount), 0)::text, x.paid::text
    FROM crm.loan_installment x LEFT JOIN crm.payment_allocation a ON a.installment_id = x.id
    GROUP BY x.id HAVING x.paid <> coalesce(sum(a.amount), 0)
    UNION ALL
    SELECT 'installment', x.id, 'pays another loan than its payment''s', x.loan_id::text, p.loan_id::text
    FROM crm.payment_allocation a JOIN crm.payment p ON p.id = a.payment_id JOIN crm.loan_installment x ON x.id = a.installment_id
    WHERE p.loan_id IS DISTINCT FROM x.loan_id
    UNION ALL
    SELECT 'loan', l.id, 'installments'' principal differs from the loan''s', l.principal::text, coalesce(sum(x.principal), 0)::text
    FROM crm.loan l LEFT JOIN crm.loan_installment x ON x.loan_id = l.id AND x.replaced_by IS NULL
    GROUP BY l.id HAVING l.principal <> coalesce(sum(x.principal), 0)
    UNION ALL
    SELECT 'loan', l.id, 'status does not match what is owed', CASE WHEN crm.loan_owes(l.id) = 0 THEN 'finished' ELSE 'active' END,
           l.status
    FROM crm.loan l WHERE (l.status = 'finished') <> (crm.loan_owes(l.id) = 0);
END;
COMMENT ON FUNCTION crm.receivable_invariant_violations() IS
    'Every invoice, payment, installment or loan whose amounts disagree with the allocation ledger, its lines or its status: must return nothing';

-- Dashboards (the callers' own rights: each sees what its policies let it) --------------------------------------
CREATE OR REPLACE VIEW crm.v_application_counts WITH (security_invoker = true) AS
SELECT count(*) AS total, count(*) FILTER (WHERE status = 'pending') AS pending,
       count(*) FILTER (WHERE status = 'refused') AS refused, count(*) FILTER (WHERE status = 'started') AS started,
       count(*) FILTER (WHERE status = 'finished') AS finished
FROM crm.credit_application;
COMMENT ON VIEW crm.v_application_counts IS
    'Credit applications the caller may see: all (total), awaiting review (pending), refused, active (started), finished';

CREATE OR REPLACE VIEW crm.v_order_counts WITH (security_invoker = true) AS
SELECT s.code AS status, s.label_en, s.label_uk, count(o.id) AS orders
FROM crm.workflow_state s LEFT JOIN crm.sales_order o ON o.status = s.code
WHERE s.workflow = 'sales_order'
GROUP BY s.code, s.label_en, s.label_uk, s.sort_order
ORDER BY s.sort_order;
COMMENT ON VIEW crm.v_order_counts IS 'The orders the caller may see, per status of the sales_order workflow';

-- Money is shown in the base currency (NULL when a rate is missing).
CREATE OR REPLACE VIEW crm.v_account_card WITH (security_invoker = true) AS
SELECT a.id AS account_id, a.name, a.kind, a.industry, a.region, a.manager, a.status,
       o.orders, o.open_orders, o.last_order_on,
       r.open_invoices, r.open_balance, r.overdue_balance, r.max_days_overdue,
       c.credit AS unallocated_credit,
       p.received_on AS last_payment_on, p.amount AS last_payment_amount, p.currency AS last_payment_currency,
       x.applications, x.active_applications, crm.base_currency() AS currency
FROM crm.account a
CROSS JOIN LATERAL (
    SELECT count(*) AS orders, count(*) FILTER (WHERE s.status NOT IN ('delivered', 'cancelled')) AS open_orders,
           max(s.order_date) AS last_order_on
    FROM crm.sales_order s WHERE s.account_id = a.id) o
CROSS JOIN LATERAL (
    SELECT count(*) AS open_invoices,
           coalesce(sum(i.balance * crm.rate_to_base(i.currency, current_date)), 0)::numeric(16, 2) AS open_balance,
           coalesce(sum(i.balance * crm.rate_to_base(i.currency, current_date)) FILTER (WHERE i.due_on < current_date), 0)
               ::numeric(16, 2) AS overdue_balance,
           greatest(max(current_date - i.due_on), 0) AS max_days_overdue
    FROM crm.invoice i WHERE i.account_id = a.id AND i.kind = 'invoice' AND i.status IN ('issued', 'partially_paid')) r
CROSS JOIN LATERAL (
    SELECT coalesce(sum(y.unallocated * crm.rate_to_base(y.currency, current_date)), 0)::numeric(16, 2) AS credit
    FROM crm.payment y WHERE y.account_id = a.id AND y.loan_id IS NULL AND y.allocated < y.amount) c
LEFT JOIN LATERAL (
    SELECT y.received_on, y.amount, y.currency FROM crm.payment y WHERE y.account_id = a.id
    ORDER BY y.received_on DESC, y.id DESC LIMIT 1) p ON true
CROSS JOIN LATERAL (
    SELECT count(*) AS applications, count(*) FILTER (WHERE ca.status = 'started') AS active_applications
    FROM crm.credit_application ca WHERE ca.account_id = a.id) x;
COMMENT ON VIEW crm.v_account_card IS
    'A client card: orders, open and overdue invoices (base currency), unallocated credit, the last payment, credit applications';
