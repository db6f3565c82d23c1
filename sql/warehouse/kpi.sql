-- The kpi job: the CRM's own KPIs measured against their standards.

-- Active clients and what their profile lacks.
CREATE OR REPLACE VIEW crm_dw.account_profile_gaps AS
SELECT a.id AS account_id,
       array_remove(ARRAY[CASE WHEN a.industry IS NULL THEN 'industry' END, CASE WHEN a.region IS NULL THEN 'region' END,
                          CASE WHEN a.email IS NULL THEN 'email' END, CASE WHEN a.phone IS NULL THEN 'phone' END,
                          CASE WHEN NOT EXISTS (SELECT FROM crm.contact c WHERE c.account_id = a.id) THEN 'contact' END],
                    NULL) AS missing
FROM crm.account a
WHERE a.status = 'active';

CREATE OR REPLACE FUNCTION crm_dw.refresh_kpi(rebuild boolean, OUT mode text, OUT rows_touched bigint, OUT message text)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    mode := 'run';
    -- Defaults for the KPIs without a standard (an edited standard is kept).
    INSERT INTO crm_dw.kpi_standard VALUES
        ('response_time_hours',
         'Average hours from a client''s incoming request (last 90 days) to the next outgoing interaction', 'hours', 24, 'lower'),
        ('complete_profiles_pct', 'Share of active clients with industry, region, e-mail, phone and a contact', '%', 90, 'higher'),
        ('lead_conversion_pct', 'Share of the leads created in the last 365 days that were converted to deals', '%', 20, 'higher'),
        ('repeat_order_probability', 'Repeat orders ÷ all booked orders of the last 365 days', 'ratio', 0.85, 'higher')
    ON CONFLICT (kpi) DO NOTHING;

    WITH response AS (
        SELECT round(avg(extract(epoch FROM r.reply_at - i.occurred_at) / 3600), 2) AS value, count(*) AS basis
        FROM crm.interaction i
        CROSS JOIN LATERAL (SELECT min(o.occurred_at) AS reply_at FROM crm.interaction o
                            WHERE o.account_id = i.account_id AND o.direction = 'out' AND o.occurred_at >= i.occurred_at) r
        WHERE i.direction = 'in' AND i.occurred_at >= now() - interval '90 days' AND r.reply_at IS NOT NULL),
    profiles AS (
        SELECT round(100.0 * count(*) FILTER (WHERE missing = '{}') / nullif(count(*), 0), 2) AS value, count(*) AS basis
        FROM crm_dw.account_profile_gaps),
    leads AS (
        SELECT round(100.0 * count(*) FILTER (WHERE status = 'converted') / nullif(count(*), 0), 2) AS value,
               count(*) AS basis
        FROM crm.lead WHERE created_at >= now() - interval '365 days'),
    orders AS (
        SELECT o.order_date, row_number() OVER (PARTITION BY o.account_id ORDER BY o.order_date, o.order_id) > 1 AS repeat
        FROM (SELECT DISTINCT order_id, account_id, order_date FROM crm_dw.fact_sales WHERE booked) o),
    repeats AS (
        SELECT round(count(*) FILTER (WHERE repeat)::numeric / nullif(count(*), 0), 4) AS value, count(*) AS basis
        FROM orders WHERE order_date > current_date - 365 AND order_date <= current_date),
    taken AS (
        INSERT INTO crm_dw.kpi_snapshot (taken_at, kpi, value, basis)
        SELECT now(), 'response_time_hours', value, basis FROM response
        UNION ALL SELECT now(), 'complete_profiles_pct', value, basis FROM profiles
        UNION ALL SELECT now(), 'lead_conversion_pct', value, basis FROM leads
        UNION ALL SELECT now(), 'repeat_order_probability', value, basis FROM repeats
        ON CONFLICT (kpi, taken_at) DO UPDATE SET value = EXCLUDED.value, basis = EXCLUDED.basis
        RETURNING 1)
    SELECT count(*) INTO rows_touched FROM taken;
    message := 'KPIs measured; compare them in crm_dw.v_kpi_vs_standard';
END $$;

SELECT crm_dw.register_job('kpi', 60, 'crm_dw.refresh_kpi(boolean)', false, '45 1 * * *', 'a kpi_snapshot of every KPI');
