-- Search across the CRM and the order list, both with keyset paging
-- (docs/search.md). Both run with the caller's rights: row security decides
-- what a manager finds.

-- The rows of one search, from checked input: q the text, pattern it as an
-- ILIKE pattern, is_phone whether it may be a phone, words its full-text query.
-- A standard body binds pg_trgm's operators and crm_dw.normalize_phone when
-- the extension is installed, whatever the search_path and schema rights later.
CREATE OR REPLACE FUNCTION crm.search_rows(q text, pattern text, is_phone boolean, words tsquery, kinds text[], lim integer,
                                           after_rank numeric, after_kind text, after_id bigint)
    RETURNS TABLE (kind text, id bigint, title text, snippet text, rank numeric)
    LANGUAGE sql STABLE
BEGIN ATOMIC
    WITH found AS (
        SELECT 'account' AS kind, a.id, a.name AS title, concat_ws(' · ', a.region, a.industry, a.email, a.phone) AS snippet,
               NULL::text AS doc,
               greatest(word_similarity(q, a.name), CASE WHEN lower(a.email) LIKE lower(pattern) THEN 0.9 ELSE 0 END,
                        CASE crm_dw.normalize_phone(a.phone) WHEN crm_dw.normalize_phone(q) THEN 1 ELSE 0.9 END
                        * (crm_dw.normalize_phone(a.phone) LIKE '%' || CASE WHEN is_phone THEN crm_dw.normalize_phone(q) END || '%')::int) AS score
          FROM crm.account a
         WHERE 'account' = ANY (kinds)
           AND (q <% a.name OR a.name ILIKE pattern OR lower(a.email) LIKE lower(pattern)
                OR crm_dw.normalize_phone(a.phone) LIKE '%' || CASE WHEN is_phone THEN crm_dw.normalize_phone(q) END || '%')
        UNION ALL
        SELECT 'contact', c.id, c.first_name || ' ' || c.last_name,
               concat_ws(' · ', c.position, (SELECT a.name FROM crm.account a WHERE a.id = c.account_id), c.email, c.phone), NULL,
               greatest(word_similarity(q, c.first_name || ' ' || c.last_name), CASE WHEN lower(c.email) LIKE lower(pattern) THEN 0.9 ELSE 0 END,
                        CASE crm_dw.normalize_phone(c.phone) WHEN crm_dw.normalize_phone(q) THEN 1 ELSE 0.9 END
                        * (crm_dw.normalize_phone(c.phone) LIKE '%' || CASE WHEN is_phone THEN crm_dw.normalize_phone(q) END || '%')::int)
          FROM crm.contact c
         WHERE 'contact' = ANY (kinds)
           AND (q <% (c.first_name || ' ' || c.last_name) OR (c.first_name || ' ' || c.last_name) ILIKE pattern
                OR lower(c.email) LIKE lower(pattern) OR crm_dw.normalize_phone(c.phone) LIKE '%' || CASE WHEN is_phone THEN crm_dw.normalize_phone(q) END || '%')
        UNION ALL
        SELECT 'lead', l.id, l.company_name, concat_ws(' · ', l.status, l.industry, l.region, l.email, l.phone), l.technical_requirements,
               greatest(word_similarity(q, l.company_name), CASE WHEN lower(l.email) LIKE lower(pattern) THEN 0.9 ELSE 0 END,
                        CASE crm_dw.normalize_phone(l.phone) WHEN crm_dw.normalize_phone(q) THEN 1 ELSE 0.9 END
                        * (crm_dw.normalize_phone(l.phone) LIKE '%' || CASE WHEN is_phone THEN crm_dw.normalize_phone(q) END || '%')::int,
                        CASE WHEN to_tsvector('simple', coalesce(l.technical_requirements, '')) @@ words
                             THEN 0.5 + 0.5 * ts_rank_cd(to_tsvector('simple', coalesce(l.technical_requirements, '')), words, 32) ELSE 0 END)
          FROM crm.lead l
         WHERE 'lead' = ANY (kinds)
           AND (q <% l.company_name OR l.company_name ILIKE pattern OR lower(l.email) LIKE lower(pattern)
                OR crm_dw.normalize_phone(l.phone) LIKE '%' || CASE WHEN is_phone THEN crm_dw.normalize_phone(q) END || '%'
                OR to_tsvector('simple', coalesce(l.technical_requirements, '')) @@ words)
        UNION ALL
        SELECT 'deal', d.id, d.title, concat_ws(' · ', d.stage, d.amount || ' ' || d.currency, d.expected_close), NULL,
               word_similarity(q, d.title)
          FROM crm.deal d
         WHERE 'deal' = ANY (kinds) AND (q <% d.title OR d.title ILIKE pattern)
        UNION ALL
        SELECT 'order', o.id, o.number, concat_ws(' · ', (SELECT a.name FROM crm.account a WHERE a.id = o.account_id), o.order_date, o.status),
               NULL, CASE WHEN upper(o.number) = upper(q) THEN 1 ELSE 0.5 + 0.5 * length(q)::numeric / length(o.number) END
          FROM crm.sales_order o
         WHERE 'order' = ANY (kinds) AND o.number ILIKE pattern
        UNION ALL
        SELECT 'product', p.id, p.sku || ' ' || p.name, concat_ws(' · ', p.family, p.list_price || ' ' || p.currency), NULL,
               greatest(CASE WHEN upper(p.sku) = upper(q) THEN 1 WHEN p.sku ILIKE pattern THEN 0.9 ELSE 0 END, word_similarity(q, p.name))
          FROM crm.product p
         WHERE 'product' = ANY (kinds) AND (p.sku ILIKE pattern OR q <% p.name OR p.name ILIKE pattern)
        UNION ALL
        SELECT 'article', k.id, k.title, k.topic, k.body,
               greatest(word_similarity(q, k.title),
                        CASE WHEN to_tsvector('simple', k.title || ' ' || k.body) @@ words
                             THEN 0.5 + 0.5 * ts_rank_cd(to_tsvector('simple', k.title || ' ' || k.body), words, 32) ELSE 0 END)
          FROM crm.knowledge_article k
         WHERE 'article' = ANY (kinds) AND k.published
           AND (q <% k.title OR k.title ILIKE pattern OR to_tsvector('simple', k.title || ' ' || k.body) @@ words)),
    ranked AS (
        SELECT f.kind, f.id, f.title, f.snippet, f.doc, round(f.score::numeric, 6) AS rank FROM found f),
    page AS (
        SELECT * FROM ranked r
         WHERE after_rank IS NULL OR r.rank < after_rank
            OR (r.rank = after_rank AND (r.kind > after_kind OR (r.kind = after_kind AND r.id > after_id)))
         ORDER BY r.rank DESC, r.kind, r.id
         LIMIT lim)
    SELECT p.kind, p.id, p.title,
           CASE WHEN p.doc IS NOT NULL AND to_tsvector('simple', p.doc) @@ words
                THEN ts_headline('simple', p.doc, words, 'MaxWords=18, MinWords=8, StartSel=«, StopSel=»')
                ELSE p.snippet END,
           p.rank
      FROM page p
     ORDER BY p.rank DESC, p.kind, p.id;
END;
COMMENT ON FUNCTION crm.search_rows(text, text, boolean, tsquery, text[], integer, numeric, text, bigint) IS
    'The rows behind crm.search, from checked input';

CREATE OR REPLACE FUNCTION crm.search(query text, kinds text[] DEFAULT NULL, "limit" integer DEFAULT 20, after text DEFAULT NULL)
    RETURNS TABLE (kind text, id bigint, title text, snippet text, rank numeric, cursor text)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
    all_kinds constant text[] := ARRAY['account', 'contact', 'lead', 'deal', 'order', 'product', 'article'];
    q text := btrim(regexp_replace(query, '\s+', ' ', 'g'));
    unknown text;
BEGIN
    PERFORM crm.require_arg(query, 'query');
    PERFORM crm.require_arg("limit", 'limit');
    IF length(q) < 3 OR length(q) > 200 THEN
        RAISE EXCEPTION 'a search needs 3 to 200 characters, not %', length(q) USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF "limit" < 1 OR "limit" > 1000 THEN
        RAISE EXCEPTION 'limit must be 1 to 1000, not %', "limit" USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT string_agg(coalesce(k, 'NULL'), ', ') INTO unknown FROM unnest(kinds) k WHERE k IS NULL OR k <> ALL (all_kinds);
    IF unknown IS NOT NULL OR cardinality(kinds) = 0 THEN
        RAISE EXCEPTION 'unknown search kind %', coalesce(unknown, '(none given)') USING ERRCODE = 'invalid_parameter_value',
            HINT = 'The kinds are ' || array_to_string(all_kinds, ', ') || '; NULL searches them all.';
    END IF;
    IF after IS NOT NULL AND after !~ '^[0-9]+(\.[0-9]+)?:[a-z]+:[0-9]{1,18}$' THEN
        RAISE EXCEPTION 'after "%" is not a cursor crm.search returned', left(after, 100) USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
        SELECT r.kind, r.id, r.title, r.snippet, r.rank, r.rank || ':' || r.kind || ':' || r.id
        FROM crm.search_rows(q, '%' || replace(replace(replace(q, '\', '\\'), '%', '\%'), '_', '\_') || '%',
                             -- A phone in any format, compared as digits with the country code.
                             q ~ '^[+0-9 ()./-]+$' AND length(regexp_replace(q, '\D', '', 'g')) >= 5,
                             websearch_to_tsquery('simple', q), coalesce(kinds, all_kinds), "limit",
                             split_part(after, ':', 1)::numeric, split_part(after, ':', 2), split_part(after, ':', 3)::bigint) r;
END $$;
COMMENT ON FUNCTION crm.search(text, text[], integer, text) IS
    'Accounts, contacts, leads, deals, orders, products and knowledge articles matching a text (names with typos, phones in any format, e-mails, order numbers, SKUs, words of notes and articles), best first; the next page starts after a row''s cursor';

CREATE OR REPLACE FUNCTION crm.list_orders(with_status text DEFAULT NULL, of_manager name DEFAULT NULL, of_account bigint DEFAULT NULL,
                                           from_date date DEFAULT NULL, to_date date DEFAULT NULL, "limit" integer DEFAULT 50,
                                           after text DEFAULT NULL)
    RETURNS TABLE (id bigint, number text, account_id bigint, account_name text, order_date date, status text, manager name,
                   lines bigint, total numeric, cursor text)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM crm.require_arg("limit", 'limit');
    IF "limit" < 1 OR "limit" > 1000 THEN
        RAISE EXCEPTION 'limit must be 1 to 1000, not %', "limit" USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF after IS NOT NULL THEN
        BEGIN
            IF after !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}:[0-9]{1,18}$' THEN
                RAISE invalid_datetime_format;
            END IF;
            PERFORM split_part(after, ':', 1)::date;
        EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow THEN
            RAISE EXCEPTION 'after "%" is not a cursor crm.list_orders returned', left(after, 100) USING ERRCODE = 'invalid_parameter_value';
        END;
    END IF;
    -- Only the filters given, so each list gets the plan of its own index.
    RETURN QUERY EXECUTE format(
        'SELECT o.id, o.number, o.account_id, a.name, o.order_date, o.status, o.manager, t.lines, t.total, to_char(o.order_date, ''YYYY-MM-DD'') || '':'' || o.id
           FROM crm.sales_order o
           JOIN crm.account a ON a.id = o.account_id
           CROSS JOIN LATERAL (SELECT count(*) AS lines, coalesce(sum(l.line_total), 0)::numeric(16, 2) AS total
                                 FROM crm.order_line l WHERE l.order_id = o.id) t
          WHERE true %s %s %s %s %s %s
          ORDER BY o.order_date DESC, o.id DESC
          LIMIT $6',
        CASE WHEN with_status IS NOT NULL THEN 'AND o.status = $1' END,
        CASE WHEN of_manager IS NOT NULL THEN 'AND o.manager = $2' END,
        CASE WHEN of_account IS NOT NULL THEN 'AND o.account_id = $3' END,
        CASE WHEN from_date IS NOT NULL THEN 'AND o.order_date >= $4' END,
        CASE WHEN to_date IS NOT NULL THEN 'AND o.order_date <= $5' END,
        CASE WHEN after IS NOT NULL THEN 'AND (o.order_date, o.id) < ($7::date, $8::bigint)' END)
        USING with_status, of_manager, of_account, from_date, to_date, "limit", split_part(after, ':', 1), split_part(after, ':', 2);
END $$;
COMMENT ON FUNCTION crm.list_orders(text, name, bigint, date, date, integer, text) IS
    'The order list: newest first, filtered by status, manager, account and dates, a page at a time (after: the last row''s cursor)';
