-- Every warehouse table a refresh derives from crm, as one comparable text per row.
CREATE FUNCTION pg_temp.derived_rows() RETURNS TABLE (tbl text, row_text text) LANGUAGE sql AS $$
    SELECT 'dim_date', d::text FROM crm_dw.dim_date d
    UNION ALL SELECT 'dim_product', p::text FROM crm_dw.dim_product p
    UNION ALL SELECT 'dim_account', a::text FROM crm_dw.dim_account a
    UNION ALL SELECT 'fact_sales', f::text FROM crm_dw.fact_sales f
    UNION ALL SELECT 'fact_sales_monthly', m::text FROM crm_dw.fact_sales_monthly m
    UNION ALL SELECT 'customer_features', c::text FROM crm_dw.customer_features c
$$;
