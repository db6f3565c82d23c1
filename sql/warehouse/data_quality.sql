-- The data_quality job: duplicates, incomplete profiles and orphaned records.

CREATE OR REPLACE FUNCTION crm_dw.normalize_email(email text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN regexp_replace(lower(btrim(email)), '\+[^@]*@', '@');
COMMENT ON FUNCTION crm_dw.normalize_email(text) IS 'Lower case, without a +tag in the local part: A.Buyer+tender@X.ua is a.buyer@x.ua';

CREATE OR REPLACE FUNCTION crm_dw.normalize_phone(phone text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN CASE WHEN regexp_replace(phone, '\D', '', 'g') ~ '^0[0-9]{9}$' THEN '38' ELSE '' END
           || regexp_replace(phone, '\D', '', 'g');
COMMENT ON FUNCTION crm_dw.normalize_phone(text) IS
    'Digits only; a ten-digit national number starting with 0 gets the Ukrainian country code 38';

-- Every current finding, one row per (kind, table, record).
CREATE OR REPLACE VIEW crm_dw.dq_findings AS
WITH addresses AS (
    SELECT a.id AS account_id, 'email' AS what, crm_dw.normalize_email(a.email) AS norm, a.email::text AS value
    FROM crm.account a WHERE a.email IS NOT NULL
    UNION ALL SELECT c.account_id, 'email', crm_dw.normalize_email(c.email), c.email FROM crm.contact c WHERE c.email IS NOT NULL
    UNION ALL SELECT a.id, 'phone', crm_dw.normalize_phone(a.phone), a.phone FROM crm.account a WHERE a.phone IS NOT NULL
    UNION ALL SELECT c.account_id, 'phone', crm_dw.normalize_phone(c.phone), c.phone FROM crm.contact c WHERE c.phone IS NOT NULL),
shared AS (
    SELECT what, norm, min(account_id) AS first_account
    FROM addresses GROUP BY what, norm HAVING count(DISTINCT account_id) > 1)
(SELECT DISTINCT ON (1, 3) 'duplicate_' || s.what AS kind, 'crm.account' AS table_name, x.account_id AS record_id,
        format('%s %s is also account %s''s', s.what, x.value, s.first_account) AS detail, s.first_account AS duplicate_of
 FROM shared s JOIN addresses x ON x.what = s.what AND x.norm = s.norm AND x.account_id <> s.first_account
 ORDER BY 1, 3, 4)
UNION ALL
SELECT 'incomplete_profile', 'crm.account', g.account_id, 'missing: ' || array_to_string(g.missing, ', '), NULL
FROM crm_dw.account_profile_gaps g WHERE g.missing <> '{}'
UNION ALL
SELECT 'orphaned_record', 'crm.sales_order', o.id, format('order %s is %s but has no lines', o.number, o.status), NULL
FROM crm.sales_order o
WHERE o.status NOT IN ('draft', 'cancelled') AND NOT EXISTS (SELECT FROM crm.order_line l WHERE l.order_id = o.id)
UNION ALL
SELECT 'orphaned_record', 'crm.production_order', p.id, format('production order in state %s belongs to no order line', p.status), NULL
FROM crm.production_order p WHERE p.order_line_id IS NULL AND p.status <> 'cancelled'
UNION ALL
SELECT 'orphaned_record', 'crm.complaint', c.id, format('complaint of account %s is about order %s of account %s',
                                                       c.account_id, o.number, o.account_id), NULL
FROM crm.complaint c JOIN crm.sales_order o ON o.id = c.order_id WHERE o.account_id <> c.account_id;
COMMENT ON VIEW crm_dw.dq_findings IS 'The data-quality checks, evaluated now; the data_quality job keeps their results in dq_issue; a duplicate names the account it duplicates, for crm.merge_duplicate';

CREATE OR REPLACE FUNCTION crm_dw.refresh_data_quality(rebuild boolean, OUT mode text, OUT rows_touched bigint, OUT message text)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    fixed bigint;
    found bigint;
BEGIN
    mode := 'run';
    PERFORM crm_dw.drop_temp_table('etl_dq');
    CREATE TEMP TABLE etl_dq ON COMMIT DROP AS SELECT * FROM crm_dw.dq_findings;
    PERFORM 'PRAGMA:TABLE: etl_dq (LIKE crm_dw.dq_findings)';
    DELETE FROM crm_dw.dq_issue d
    WHERE NOT EXISTS (SELECT FROM etl_dq f WHERE (f.kind, f.table_name, f.record_id) = (d.kind, d.table_name, d.record_id));
    GET DIAGNOSTICS fixed = ROW_COUNT;
    INSERT INTO crm_dw.dq_issue AS d (kind, table_name, record_id, detail, first_seen, last_seen, duplicate_of)
    SELECT kind, table_name, record_id, detail, now(), now(), duplicate_of FROM etl_dq
    ON CONFLICT (kind, table_name, record_id) DO UPDATE
        SET detail = EXCLUDED.detail, last_seen = EXCLUDED.last_seen, duplicate_of = EXCLUDED.duplicate_of;
    GET DIAGNOSTICS found = ROW_COUNT;
    rows_touched := fixed + found;
    message := format('%s open findings, %s fixed since the last run', found, fixed);
END $$;

SELECT crm_dw.register_job('data_quality', 70, 'crm_dw.refresh_data_quality(boolean)', false, '0 1 * * *',
                           'dq_issue: duplicates, incomplete profiles, orphaned records');
