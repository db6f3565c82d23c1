-- Billing's daily job (docs/billing.md): contracts and quotes past their
-- validity expire. Registered here, after the warehouse's job registry.
CREATE OR REPLACE FUNCTION crm_dw.expire_billing_documents(rebuild boolean, OUT mode text, OUT rows_touched bigint, OUT message text)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    contracts integer := crm.expire_contracts(current_date);
    quotes integer := crm.expire_quotes(current_date);
BEGIN
    mode := 'run';
    rows_touched := (contracts + quotes)::bigint;
    message := format('expired %s contracts and %s quotes', contracts, quotes);
END $$;

SELECT crm_dw.register_job('billing', 85, 'crm_dw.expire_billing_documents(boolean)', false, '5 0 * * *',
                           'contracts and quotes past their validity expire');
