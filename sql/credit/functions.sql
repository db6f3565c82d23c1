-- Repayment schedules (docs/credit.md); the arithmetic is core/credit.

CREATE OR REPLACE FUNCTION crm.loan_schedule_cents(amount_cents bigint, annual_rate_pct float8, term_months integer, method text)
    RETURNS TABLE (period integer, payment bigint, principal bigint, interest bigint, balance bigint)
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgcrm_loan_schedule_cents';
COMMENT ON FUNCTION crm.loan_schedule_cents(bigint, float8, integer, text) IS
    'The repayment plan in cents; crm.loan_schedule is the one to call';

CREATE OR REPLACE FUNCTION crm.loan_schedule(amount numeric, annual_rate numeric, term_months integer,
                                  method text DEFAULT 'annuity', first_payment date DEFAULT NULL)
    RETURNS TABLE (period integer, due_date date, payment numeric, principal numeric, interest numeric, balance numeric)
    LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    first date := coalesce(first_payment, (current_date + interval '1 month')::date);
BEGIN
    IF amount IS NULL OR annual_rate IS NULL OR term_months IS NULL OR method IS NULL THEN
        RAISE EXCEPTION 'amount, annual_rate, term_months and method are required' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT (abs(amount) < 'Infinity') OR amount <> round(amount, 2) THEN
        RAISE EXCEPTION 'loan amount % is not a whole number of cents', amount USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF amount > 1e12 OR NOT (abs(annual_rate) < 'Infinity') THEN
        RAISE EXCEPTION 'loan amount % or rate % is out of range', amount, annual_rate
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT (first BETWEEN date '1900-01-01' AND date '9999-12-31' - term_months * interval '1 month') THEN
        RAISE EXCEPTION 'a loan of % months cannot start paying on %', term_months, first
            USING ERRCODE = 'datetime_field_overflow', HINT = 'Give a first payment date between 1900 and 9999.';
    END IF;
    RETURN QUERY
    SELECT s.period, (first + (s.period - 1) * interval '1 month')::date,
           (s.payment / 100.0)::numeric(16, 2), (s.principal / 100.0)::numeric(16, 2),
           (s.interest / 100.0)::numeric(16, 2), (s.balance / 100.0)::numeric(16, 2)
    FROM crm.loan_schedule_cents((amount * 100)::bigint, annual_rate::float8, term_months, method) s;
END $$;
COMMENT ON FUNCTION crm.loan_schedule(numeric, numeric, integer, text, date) IS
    'Repayment plan: annuity (level payments) or differentiated (level principal); principal sums exactly to the amount';
