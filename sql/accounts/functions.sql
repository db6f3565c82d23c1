-- Converting a lead into an account, contact and deal (docs/accounts.md).

CREATE OR REPLACE FUNCTION crm.convert_lead(lead_id bigint) RETURNS crm.convert_lead_result
    LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    l crm.lead;
    r crm.convert_lead_result;
BEGIN
    -- The row lock makes a concurrent second call wait, then see the result.
    SELECT * INTO l FROM crm.lead WHERE id = lead_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'lead % does not exist', lead_id USING ERRCODE = 'PC003';
    END IF;
    IF l.status = 'converted' THEN
        RETURN (l.account_id, l.contact_id, l.deal_id, false)::crm.convert_lead_result;
    END IF;
    IF l.status <> 'qualified' THEN
        RAISE EXCEPTION 'lead % is "%", only a qualified lead can be converted', lead_id, l.status
            USING ERRCODE = 'PC001', HINT = 'Move it to "qualified" first.';
    END IF;

    -- The account: the one already linked, else one with the lead's e-mail, else by name, else a new one.
    r.account_id := coalesce(l.account_id,
        (SELECT a.id FROM crm.account a WHERE lower(a.email) = lower(l.email) LIMIT 1),
        (SELECT c.account_id FROM crm.contact c WHERE lower(c.email) = lower(l.email) LIMIT 1),
        (SELECT a.id FROM crm.account a WHERE lower(a.name) = lower(l.company_name) ORDER BY a.id LIMIT 1));
    r.account_created := r.account_id IS NULL;
    IF r.account_created THEN
        INSERT INTO crm.account (name, industry, region, source, status, owner)
        VALUES (l.company_name, l.industry, l.region, l.source, 'active', l.owner)
        RETURNING id INTO r.account_id;
    END IF;

    r.contact_id := coalesce(l.contact_id,
        (SELECT c.id FROM crm.contact c WHERE lower(c.email) = lower(l.email) AND c.account_id = r.account_id));
    IF r.contact_id IS NULL AND l.contact_last_name IS NOT NULL THEN
        INSERT INTO crm.contact (account_id, first_name, last_name, email, phone, is_primary, owner)
        VALUES (r.account_id, coalesce(l.contact_first_name, '-'), l.contact_last_name,
                CASE WHEN NOT EXISTS (SELECT FROM crm.contact c WHERE lower(c.email) = lower(l.email)) THEN l.email END,
                l.phone, r.account_created, l.owner)
        RETURNING id INTO r.contact_id;
    END IF;

    INSERT INTO crm.deal (account_id, title, expected_close, owner)
    VALUES (r.account_id, left(format('%s: %s', l.company_name, coalesce(l.technical_requirements, 'request')), 200),
            l.deadline, l.owner)
    RETURNING id INTO r.deal_id;

    UPDATE crm.lead SET status = 'converted', account_id = r.account_id, contact_id = r.contact_id,
                        deal_id = r.deal_id, converted_at = now()
    WHERE id = lead_id;
    RETURN r;
END $$;
COMMENT ON FUNCTION crm.convert_lead(bigint) IS
    'Turns a qualified lead into an account (found or created), a contact and a deal, atomically; a second call returns the same result';
