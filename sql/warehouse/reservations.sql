-- The reservations job: stock held past its time goes back to available.
CREATE OR REPLACE FUNCTION crm_dw.refresh_reservations(rebuild boolean, OUT mode text, OUT rows_touched bigint,
                                                       OUT message text)
    LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT 'run', crm.expire_reservations()::bigint, 'expired reservations past their time'
$$;

-- Every minute, so it must end within the minute.
SELECT crm_dw.register_job('reservations', 10, 'crm_dw.refresh_reservations(boolean)', false, '* * * * *',
                           'expire reservations past their time', interval '50 seconds', interval '10 seconds');
