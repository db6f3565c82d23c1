-- Shared pieces of the data model: validated value types and the document
-- counters.

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

-- Per-kind, per-year document counters: ORD-2026-00056. One row per key, so
-- numbering serialises only orders of the same year.
CREATE TABLE crm.document_counter (
    kind       text NOT NULL,
    year       integer NOT NULL CHECK (year BETWEEN 1900 AND 9999),
    last_value integer NOT NULL CHECK (last_value >= 0),
    PRIMARY KEY (kind, year)
);
COMMENT ON TABLE crm.document_counter IS 'The last number given to a kind of document in a year';
SELECT pg_catalog.pg_extension_config_dump('crm.document_counter', '');
