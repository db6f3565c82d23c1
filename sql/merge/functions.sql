-- Merging a duplicate account or contact into another (docs/merge.md): every
-- row that references it moves, found from the catalog's foreign keys; the
-- profiles combine; the merge is recorded, audited and emitted; the removed id
-- stays resolvable.

-- The account an id names now: itself while it exists, else the account it
-- was merged into, followed through later merges. NULL for an unknown id.
CREATE OR REPLACE FUNCTION crm.resolve_account(id bigint) RETURNS bigint
    LANGUAGE sql STABLE STRICT
BEGIN ATOMIC
    WITH RECURSIVE chain (account_id, steps) AS (
        SELECT resolve_account.id, 0
        UNION ALL
        SELECT (SELECT m.keep_id FROM crm.account_merge m
                 WHERE m.entity = 'crm.account' AND m.remove_id = c.account_id ORDER BY m.id DESC LIMIT 1), c.steps + 1
          FROM chain c
         WHERE c.account_id IS NOT NULL AND c.steps < 1000
           AND NOT EXISTS (SELECT FROM crm.account a WHERE a.id = c.account_id))
    SELECT c.account_id FROM chain c
     WHERE EXISTS (SELECT FROM crm.account a WHERE a.id = c.account_id)
     ORDER BY c.steps LIMIT 1;
END;
COMMENT ON FUNCTION crm.resolve_account(bigint) IS
    'The account an id names now: itself, or the account it was merged into (through later merges); NULL when unknown';

-- Moves every row that references the removed row of tbl to the kept one: the
-- referencing columns come from the catalog's foreign keys, so tables added
-- later, users' tables too, are covered. All tables move in one statement, so
-- foreign keys between them (an interaction and its contact) are checked once
-- everything has moved. It acts as the extension's owner, so only for a merge
-- the caller recorded in this transaction, which row security let it record.
-- Returns how many rows of each table.column moved.
-- Whether this transaction recorded the merge of remove into keep: what lets
-- a merge move rows that no other change may touch (issued invoices, payments).
CREATE OR REPLACE FUNCTION crm.merged_in_this_transaction(tbl regclass, keep bigint, remove bigint) RETURNS boolean
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
    RETURN EXISTS (SELECT FROM crm.account_merge m WHERE m.entity = tbl::text AND m.keep_id = keep AND m.remove_id = remove
                                                     AND m.transaction_id = pg_current_xact_id());
COMMENT ON FUNCTION crm.merged_in_this_transaction(regclass, bigint, bigint) IS
    'Whether the current transaction recorded the merge of remove into keep (crm.account_merge)';

-- What the immutability guards of issued documents let through: a row whose
-- client alone changed, by a merge this transaction recorded. computed: the
-- generated columns, which a BEFORE trigger sees not yet recomputed.
CREATE OR REPLACE FUNCTION crm.moved_by_merge(old_row jsonb, new_row jsonb, computed text[]) RETURNS boolean
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
    RETURN crm.merged_in_this_transaction('crm.account', (new_row ->> 'account_id')::bigint, (old_row ->> 'account_id')::bigint)
           AND old_row - (ARRAY['account_id'] || computed) = new_row - (ARRAY['account_id'] || computed);
COMMENT ON FUNCTION crm.moved_by_merge(jsonb, jsonb, text[]) IS
    'Whether a row changed only its account_id (and computed columns), moved by a merge of this transaction';

CREATE OR REPLACE FUNCTION crm.move_references(tbl regclass, keep bigint, remove bigint) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    moves text;
    counts text;
    counted jsonb;
BEGIN
    PERFORM crm.require_arg(tbl, 'tbl');
    PERFORM crm.require_arg(keep, 'keep');
    PERFORM crm.require_arg(remove, 'remove');
    IF NOT crm.merged_in_this_transaction(tbl, keep, remove) THEN
        RAISE EXCEPTION 'no merge of % % into % was recorded in this transaction', tbl, remove, keep
            USING ERRCODE = 'insufficient_privilege', HINT = 'Merge with crm.merge_accounts() or crm.merge_contacts().';
    END IF;
    -- Per referencing table, its columns that point at tbl's key (a composite
    -- key's other columns, an interaction's account_id, stay as they are).
    WITH refs AS (
        SELECT DISTINCT c.conrelid::regclass AS referencing, a.attname AS column_name
        FROM pg_constraint c
        CROSS JOIN LATERAL unnest(c.conkey, c.confkey) AS k(referencing_att, referenced_att)
        JOIN pg_index i ON i.indrelid = tbl AND i.indisprimary AND i.indkey[0] = k.referenced_att
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.referencing_att
        WHERE c.contype = 'f' AND c.confrelid = tbl AND c.conparentid = 0),
    tables AS (
        SELECT t.referencing, row_number() OVER (ORDER BY t.referencing::text) AS n FROM (SELECT DISTINCT referencing FROM refs) t)
    SELECT string_agg(format('m%s AS (UPDATE %s SET %s WHERE %s RETURNING *)', t.n, t.referencing, x.sets, x.matches), ', ' ORDER BY t.n),
           string_agg(x.counted, ', ' ORDER BY t.n)
    INTO moves, counts
    FROM tables t
    CROSS JOIN LATERAL (
        SELECT string_agg(format('%1$I = CASE WHEN %1$I = $2 THEN $1 ELSE %1$I END', r.column_name), ', ') AS sets,
               string_agg(format('%I = $2', r.column_name), ' OR ') AS matches,
               string_agg(format('%L, (SELECT count(*) FROM m%s WHERE %I = $1)', t.referencing::text || '.' || r.column_name, t.n,
                                 r.column_name), ', ') AS counted
        FROM refs r WHERE r.referencing = t.referencing) x;
    IF moves IS NULL THEN
        RETURN '{}'::jsonb;
    END IF;
    EXECUTE format('WITH %s SELECT jsonb_build_object(%s)', moves, counts) INTO counted USING keep, remove;
    -- Only what moved.
    SELECT coalesce(jsonb_object_agg(key, value), '{}') INTO counted FROM jsonb_each(counted) WHERE value <> '0';
    UPDATE crm.account_merge m SET moved = counted
    WHERE m.entity = tbl::text AND m.keep_id = keep AND m.remove_id = remove AND m.transaction_id = pg_current_xact_id();
    RETURN counted;
END $$;
COMMENT ON FUNCTION crm.move_references(regclass, bigint, bigint) IS
    'Moves every row referencing the removed row to the kept one, for a merge recorded in this transaction; returns the counts per table.column';

-- The checks and the record both merges share, with the caller's rights: the
-- two rows must be different, exist, be visible and changeable to the caller
-- (row security: a manager merges only what her team may change), and not be
-- in a chain of merges that would loop.
CREATE OR REPLACE FUNCTION crm.begin_merge(tbl regclass, keep bigint, remove bigint, reason text) RETURNS crm.account_merge
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    what text := CASE tbl WHEN 'crm.account'::regclass THEN 'account' ELSE 'contact' END;
    locked bigint[];
    missing bigint;
    survivor bigint;
    removed jsonb;
    merge crm.account_merge;
BEGIN
    PERFORM crm.require_arg(keep, 'keep');
    PERFORM crm.require_arg(remove, 'remove');
    PERFORM crm.require_arg(reason, 'reason');
    IF btrim(reason) = '' THEN
        RAISE EXCEPTION 'a merge needs a reason' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF keep = remove THEN
        RAISE EXCEPTION '% % cannot be merged into itself', what, keep USING ERRCODE = 'PC051';
    END IF;
    -- Locked in id order, as the caller: a row it may not change is not found.
    EXECUTE format('SELECT array_agg(t.id) FROM (SELECT t.id FROM %s t WHERE t.id IN ($1, $2) ORDER BY t.id FOR UPDATE) t', tbl)
        INTO locked USING keep, remove;
    missing := CASE WHEN keep <> ALL (coalesce(locked, '{}')) THEN keep WHEN remove <> ALL (coalesce(locked, '{}')) THEN remove END;
    IF missing IS NOT NULL THEN
        survivor := (SELECT m.keep_id FROM crm.account_merge m WHERE m.entity = tbl::text AND m.remove_id = missing
                     ORDER BY m.id DESC LIMIT 1);
        IF survivor IS NOT NULL THEN
            RAISE EXCEPTION '% % was already merged into %', what, missing, survivor USING ERRCODE = 'PC050',
                HINT = CASE WHEN tbl = 'crm.account'::regclass
                            THEN format('It is account %s now: crm.resolve_account(%s).', crm.resolve_account(missing), missing) END;
        ELSIF crm.record_exists(tbl, missing) THEN
            RAISE EXCEPTION 'permission denied to merge % %: it is not yours or your team''s', what, missing
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RAISE EXCEPTION '% % does not exist', what, missing USING ERRCODE = 'PC003';
    END IF;
    -- A chain loops if keep was itself merged, through later merges, into remove.
    IF EXISTS (WITH RECURSIVE chain (id, steps) AS (
                   SELECT keep, 0
                   UNION ALL
                   SELECT m.keep_id, c.steps + 1 FROM chain c JOIN crm.account_merge m ON m.entity = tbl::text AND m.remove_id = c.id
                   WHERE c.steps < 1000)
               SELECT FROM chain WHERE id = remove) THEN
        RAISE EXCEPTION 'merging % % into % would loop: % was merged into % before', what, remove, keep, keep, remove
            USING ERRCODE = 'PC051', HINT = 'Look at crm.account_merge.';
    END IF;
    EXECUTE format('SELECT to_jsonb(t) FROM %s t WHERE t.id = $1', tbl) INTO removed USING remove;
    INSERT INTO crm.account_merge (entity, keep_id, remove_id, reason, removed_row, merged_by)
    VALUES (tbl::text, keep, remove, reason, removed, crm.acting_role())
    RETURNING * INTO merge;
    RETURN merge;
END $$;

-- Whether a row exists, whatever the caller may see: only to tell "not
-- yours" from "not there" in an error.
CREATE OR REPLACE FUNCTION crm.record_exists(tbl regclass, id bigint) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    found_it boolean;
BEGIN
    IF tbl NOT IN ('crm.account'::regclass, 'crm.contact'::regclass) THEN
        RAISE EXCEPTION '% is not an account or contact table', tbl USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT FROM %s WHERE id = $1)', tbl) INTO found_it USING id;
    RETURN found_it;
END $$;

-- The removed row's e-mail and phone, and its alternates, that the kept row
-- does not already have: they become the kept row's alternates.
CREATE OR REPLACE FUNCTION crm.merged_alternates(kept text, kept_alternates text[], removed text, removed_alternates text[])
    RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ARRAY(SELECT DISTINCT ON (lower(v)) v FROM unnest(kept_alternates || removed || removed_alternates) WITH ORDINALITY AS u(v, n)
                 WHERE v IS NOT NULL AND lower(v) IS DISTINCT FROM lower(kept) ORDER BY lower(v), n);

CREATE OR REPLACE FUNCTION crm.merge_accounts(keep bigint, remove bigint, reason text) RETURNS crm.account_merge
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    merge crm.account_merge := crm.begin_merge('crm.account', keep, remove, reason);
    k crm.account;
    r crm.account;
    moved_contacts bigint[];
BEGIN
    SELECT * INTO k FROM crm.account a WHERE a.id = keep;
    SELECT * INTO r FROM crm.account a WHERE a.id = remove;
    moved_contacts := ARRAY(SELECT c.id FROM crm.contact c WHERE c.account_id = remove);
    merge.moved := crm.move_references('crm.account', keep, remove);
    -- One primary contact: the kept account's, when it has one.
    IF EXISTS (SELECT FROM crm.contact c WHERE c.account_id = keep AND c.is_primary AND c.id <> ALL (moved_contacts)) THEN
        UPDATE crm.contact c SET is_primary = false WHERE c.id = ANY (moved_contacts) AND c.is_primary;
    END IF;
    DELETE FROM crm.account a WHERE a.id = remove;
    -- The combined profile: the kept row's values win, the removed row's fill
    -- what the kept one lacks; the earlier registration; VIP if either was.
    UPDATE crm.account a SET
        industry = coalesce(k.industry, r.industry), region = coalesce(k.region, r.region), source = coalesce(k.source, r.source),
        email = coalesce(k.email, r.email), phone = coalesce(k.phone, r.phone), manager = coalesce(k.manager, r.manager),
        registered_on = least(k.registered_on, r.registered_on), is_vip = k.is_vip OR r.is_vip,
        alt_emails = crm.merged_alternates(coalesce(k.email, r.email), k.alt_emails, r.email, r.alt_emails),
        alt_phones = crm.merged_alternates(coalesce(k.phone, r.phone), k.alt_phones, r.phone, r.alt_phones)
    WHERE a.id = keep;
    PERFORM crm.emit_event('account.merged', 'crm.account', keep::text,
        jsonb_build_object('keep_id', keep, 'remove_id', remove, 'reason', reason, 'moved', merge.moved, 'merge_id', merge.id));
    RETURN merge;
END $$;
COMMENT ON FUNCTION crm.merge_accounts(bigint, bigint, text) IS
    'Merges a duplicate account into the one kept: every referencing row moves, the profiles combine, the merge is recorded (crm.account_merge), audited and emitted (account.merged); the removed id resolves to the kept one';

CREATE OR REPLACE FUNCTION crm.merge_contacts(keep bigint, remove bigint, reason text) RETURNS crm.account_merge
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    merge crm.account_merge := crm.begin_merge('crm.contact', keep, remove, reason);
    k crm.contact;
    r crm.contact;
BEGIN
    SELECT * INTO k FROM crm.contact c WHERE c.id = keep;
    SELECT * INTO r FROM crm.contact c WHERE c.id = remove;
    IF k.account_id <> r.account_id THEN
        RAISE EXCEPTION 'contacts % and % belong to different accounts (% and %)', keep, remove, k.account_id, r.account_id
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Merge the accounts first: crm.merge_accounts().';
    END IF;
    merge.moved := crm.move_references('crm.contact', keep, remove);
    DELETE FROM crm.contact c WHERE c.id = remove;
    UPDATE crm.contact c SET
        middle_name = coalesce(k.middle_name, r.middle_name), position = coalesce(k.position, r.position),
        email = coalesce(k.email, r.email), phone = coalesce(k.phone, r.phone), channels = r.channels || k.channels,
        is_primary = k.is_primary OR r.is_primary,
        alt_emails = crm.merged_alternates(coalesce(k.email, r.email), k.alt_emails, r.email, r.alt_emails),
        alt_phones = crm.merged_alternates(coalesce(k.phone, r.phone), k.alt_phones, r.phone, r.alt_phones)
    WHERE c.id = keep;
    PERFORM crm.emit_event('contact.merged', 'crm.contact', keep::text,
        jsonb_build_object('keep_id', keep, 'remove_id', remove, 'account_id', k.account_id, 'reason', reason, 'moved', merge.moved,
                           'merge_id', merge.id));
    RETURN merge;
END $$;
COMMENT ON FUNCTION crm.merge_contacts(bigint, bigint, text) IS
    'Merges a duplicate contact into the one kept, of the same account: its interactions, leads and other references move, the profiles combine, the merge is recorded and emitted (contact.merged)';

-- The one call a data-quality finding needs: the duplicate account merges
-- into the one it duplicates (or what that one became).
CREATE OR REPLACE FUNCTION crm.merge_duplicate(account bigint, reason text DEFAULT NULL) RETURNS crm.account_merge
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    finding crm_dw.dq_issue;
BEGIN
    PERFORM crm.require_arg(account, 'account');
    SELECT * INTO finding FROM crm_dw.dq_issue d
    WHERE d.table_name = 'crm.account' AND d.record_id = account AND d.duplicate_of IS NOT NULL
    ORDER BY d.kind LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'account % has no open duplicate finding', account USING ERRCODE = 'PC003',
            HINT = 'The data_quality job lists them in crm_dw.dq_issue; merge any two accounts with crm.merge_accounts().';
    END IF;
    RETURN crm.merge_accounts(coalesce(crm.resolve_account(finding.duplicate_of), finding.duplicate_of), account,
                              coalesce(reason, format('%s: %s', finding.kind, finding.detail)));
END $$;
COMMENT ON FUNCTION crm.merge_duplicate(bigint, text) IS
    'Merges an account the data_quality job found to be a duplicate into the account it duplicates; the finding is the reason unless one is given';
