-- Shared pieces of the data model: validated value types, updated_at upkeep,
-- and the registration every user-data table gets.

CREATE DOMAIN crm.email AS text
    CONSTRAINT email_format CHECK (VALUE ~ '^[A-Za-z0-9._%+''-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$'
                                   AND length(VALUE) <= 254);
COMMENT ON DOMAIN crm.email IS 'An e-mail address: local@domain.tld, at most 254 characters';

CREATE DOMAIN crm.phone AS text
    CONSTRAINT phone_format CHECK (VALUE ~ '^\+?[0-9][0-9 ()-]{4,22}[0-9]$');
COMMENT ON DOMAIN crm.phone IS 'A phone number: digits with optional leading +, spaces, dashes and parentheses';

-- numeric accepts NaN and ±Infinity, and NaN sorts above every number, so a
-- plain "> 0" would let NaN through: every bound is two-sided.
CREATE DOMAIN crm.quantity AS numeric
    CONSTRAINT quantity_positive_finite CHECK (VALUE > 0 AND VALUE < 'Infinity');
COMMENT ON DOMAIN crm.quantity IS 'A positive, finite quantity (metres of pipe, pieces, hours)';

CREATE DOMAIN crm.amount AS numeric(14, 2)
    CONSTRAINT amount_nonnegative_finite CHECK (VALUE >= 0 AND VALUE < 'Infinity');
COMMENT ON DOMAIN crm.amount IS 'A non-negative money amount in currency units, to the cent';

CREATE DOMAIN crm.currency AS char(3)
    CONSTRAINT currency_iso4217 CHECK (VALUE ~ '^[A-Z]{3}$');
COMMENT ON DOMAIN crm.currency IS 'An ISO 4217 currency code such as UAH, EUR, USD';

-- A NULL argument is 22004 naming it, in every function (docs/errors.md).
CREATE FUNCTION crm.require_arg(value anyelement, name text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF value IS NULL THEN
        RAISE EXCEPTION '% must not be NULL', name USING ERRCODE = 'null_value_not_allowed';
    END IF;
END $$;
COMMENT ON FUNCTION crm.require_arg(anyelement, text) IS 'Raises 22004 naming the argument when value is NULL';

CREATE FUNCTION crm.touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END $$;
COMMENT ON FUNCTION crm.touch_updated_at() IS 'Keeps updated_at at the time of the last change';

-- Install-time helper (dropped at the end of the script): keeps updated_at
-- current and registers the table and its identity sequences with pg_dump.
CREATE FUNCTION crm.register_table(tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    seq text;
BEGIN
    IF EXISTS (SELECT FROM pg_attribute WHERE attrelid = tbl AND attname = 'updated_at' AND NOT attisdropped) THEN
        EXECUTE format('CREATE TRIGGER touch_updated_at BEFORE UPDATE ON %s FOR EACH ROW '
                       'EXECUTE FUNCTION crm.touch_updated_at()', tbl);
    END IF;
    PERFORM pg_catalog.pg_extension_config_dump(tbl, '');
    FOR seq IN SELECT pg_get_serial_sequence(tbl::text, attname) FROM pg_attribute
               WHERE attrelid = tbl AND attidentity <> '' AND NOT attisdropped LOOP
        PERFORM pg_catalog.pg_extension_config_dump(seq::regclass, '');
    END LOOP;
END $$;

-- Per-kind, per-year document counters: ORD-2026-00056. One row per key, so
-- numbering serialises only orders of the same year.
CREATE TABLE crm.document_counter (
    kind       text NOT NULL,
    year       integer NOT NULL CHECK (year BETWEEN 1900 AND 9999),
    last_value integer NOT NULL CHECK (last_value >= 0),
    PRIMARY KEY (kind, year)
);
COMMENT ON TABLE crm.document_counter IS 'The last number given to a kind of document in a year';
SELECT crm.register_table('crm.document_counter');

CREATE FUNCTION crm.next_document_number(kind text, prefix text, on_date date) RETURNS text
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    number text;
BEGIN
    PERFORM crm.require_arg(kind, 'kind');
    PERFORM crm.require_arg(prefix, 'prefix');
    PERFORM crm.require_arg(on_date, 'on_date');
    IF NOT (on_date >= date '1900-01-01' AND on_date <= date '9999-12-31') THEN
        RAISE EXCEPTION 'no % number can be given for %: documents are numbered by year, from 1900 to 9999', kind, on_date
            USING ERRCODE = 'datetime_field_overflow', HINT = 'Give the document a real date.';
    END IF;
    INSERT INTO crm.document_counter AS c (kind, year, last_value)
    VALUES (kind, extract(year FROM on_date)::int, 1)
    ON CONFLICT ON CONSTRAINT document_counter_pkey DO UPDATE SET last_value = c.last_value + 1
    RETURNING format('%s-%s-%s', prefix, c.year, lpad(c.last_value::text, greatest(5, length(c.last_value::text)), '0'))
    INTO number;
    RETURN number;
END $$;
COMMENT ON FUNCTION crm.next_document_number(text, text, date) IS
    'The next gapless number of a kind of document for the year of on_date, e.g. ORD-2026-00056';
