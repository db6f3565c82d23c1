-- Helpers every capability uses: NULL checks, updated_at upkeep, document
-- numbering, and the install helper that registers a table.

-- A NULL argument is 22004 naming it, in every function (docs/errors.md).
CREATE OR REPLACE FUNCTION crm.require_arg(value anyelement, name text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF value IS NULL THEN
        RAISE EXCEPTION '% must not be NULL', name USING ERRCODE = 'null_value_not_allowed';
    END IF;
END $$;
COMMENT ON FUNCTION crm.require_arg(anyelement, text) IS 'Raises 22004 naming the argument when value is NULL';

-- A setting that holds an interval (a retention): its value, fallback when it
-- is not set, and 22023 naming it when it is no interval or below minimum.
CREATE OR REPLACE FUNCTION crm.interval_setting(name text, fallback text, minimum interval) RETURNS interval
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    setting text := coalesce(nullif(current_setting(name, true), ''), fallback);
    value interval;
BEGIN
    PERFORM crm.require_arg(name, 'name');
    PERFORM crm.require_arg(fallback, 'fallback');
    PERFORM crm.require_arg(minimum, 'minimum');
    BEGIN
        value := setting::interval;
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR interval_field_overflow THEN
        NULL;
    END;
    IF value IS NULL OR value < minimum THEN
        RAISE EXCEPTION '% must be an interval of at least %, not "%"', name, minimum, setting
            USING ERRCODE = 'invalid_parameter_value', HINT = format('For example: ALTER DATABASE crm SET %s = ''90 days''.', name);
    END IF;
    RETURN value;
END $$;
COMMENT ON FUNCTION crm.interval_setting(text, text, interval) IS
    'The interval a setting holds (fallback when unset); 22023 naming it when it is no interval or below minimum';

CREATE OR REPLACE FUNCTION crm.touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END $$;
COMMENT ON FUNCTION crm.touch_updated_at() IS 'Keeps updated_at at the time of the last change';

-- Install helper (dropped by sql/finish.sql): keeps updated_at current and
-- registers the table and its identity sequences with pg_dump.
CREATE OR REPLACE FUNCTION crm.register_table(tbl regclass) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    seq text;
BEGIN
    IF EXISTS (SELECT FROM pg_attribute WHERE attrelid = tbl AND attname = 'updated_at' AND NOT attisdropped) THEN
        EXECUTE format('CREATE OR REPLACE TRIGGER touch_updated_at BEFORE UPDATE ON %s FOR EACH ROW '
                       'EXECUTE FUNCTION crm.touch_updated_at()', tbl);
    END IF;
    PERFORM pg_catalog.pg_extension_config_dump(tbl, '');
    FOR seq IN SELECT pg_get_serial_sequence(tbl::text, attname) FROM pg_attribute
               WHERE attrelid = tbl AND attidentity <> '' AND NOT attisdropped LOOP
        PERFORM pg_catalog.pg_extension_config_dump(seq::regclass, '');
    END LOOP;
END $$;

-- A block of numbers takes the counter row once: numbering a statement's
-- thousands of documents one by one would update that row as often, every
-- update walking the longer chain of its versions.
CREATE OR REPLACE FUNCTION crm.next_document_numbers(kind text, prefix text, on_date date, how_many integer) RETURNS text[]
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    year integer;
    last integer;
BEGIN
    PERFORM crm.require_arg(kind, 'kind');
    PERFORM crm.require_arg(prefix, 'prefix');
    PERFORM crm.require_arg(on_date, 'on_date');
    IF NOT (on_date >= date '1900-01-01' AND on_date <= date '9999-12-31') THEN
        RAISE EXCEPTION 'no % number can be given for %: documents are numbered by year, from 1900 to 9999', kind, on_date
            USING ERRCODE = 'datetime_field_overflow', HINT = 'Give the document a real date.';
    END IF;
    IF how_many IS NULL OR how_many < 1 THEN
        RAISE EXCEPTION 'how_many must be at least 1, not %', coalesce(how_many::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    year := extract(year FROM on_date)::int;
    INSERT INTO crm.document_counter AS c (kind, year, last_value)
    VALUES (kind, year, how_many)
    ON CONFLICT ON CONSTRAINT document_counter_pkey DO UPDATE SET last_value = c.last_value + how_many
    RETURNING c.last_value INTO last;
    RETURN ARRAY(SELECT format('%s-%s-%s', prefix, year, lpad(n::text, greatest(5, length(n::text)), '0'))
                 FROM generate_series(last - how_many + 1, last) n ORDER BY n);
END $$;
COMMENT ON FUNCTION crm.next_document_numbers(text, text, date, integer) IS
    'The next how_many gapless numbers of a kind of document for the year of on_date, in order, taking the counter once';

CREATE OR REPLACE FUNCTION crm.next_document_number(kind text, prefix text, on_date date) RETURNS text
    LANGUAGE sql VOLATILE
    RETURN (crm.next_document_numbers(kind, prefix, on_date, 1))[1];
COMMENT ON FUNCTION crm.next_document_number(text, text, date) IS
    'The next gapless number of a kind of document for the year of on_date, e.g. ORD-2026-00056';

-- The number of a new document: the next one when none is given. A given
-- number of the kind's form (an import) moves the counter past it, so later
-- numbers never collide.
CREATE OR REPLACE FUNCTION crm.document_number(kind text, prefix text, on_date date, given text) RETURNS text
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
BEGIN
    IF given IS NULL THEN
        RETURN crm.next_document_number(kind, prefix, on_date);
    END IF;
    PERFORM crm.require_arg(kind, 'kind');
    PERFORM crm.require_arg(prefix, 'prefix');
    -- A number from a block already taken (crm.next_document_numbers) finds
    -- the counter past it: no need to take the counter's row again.
    IF given ~ ('^' || prefix || '-[0-9]{4}-[0-9]{5,}$')
       AND NOT EXISTS (SELECT FROM crm.document_counter c WHERE c.kind = kind AND c.year = split_part(given, '-', 2)::int
                                                            AND c.last_value >= split_part(given, '-', 3)::int) THEN
        INSERT INTO crm.document_counter AS c (kind, year, last_value)
        VALUES (kind, split_part(given, '-', 2)::int, split_part(given, '-', 3)::int)
        ON CONFLICT ON CONSTRAINT document_counter_pkey DO UPDATE SET last_value = greatest(c.last_value, EXCLUDED.last_value);
    END IF;
    RETURN given;
END $$;
COMMENT ON FUNCTION crm.document_number(text, text, date, text) IS
    'The given document number (moving the counter past an imported one), or the next of its kind for the year of on_date';
