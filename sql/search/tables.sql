-- The indexes behind search and the list screens (docs/search.md): trigram
-- GIN indexes (pg_trgm) on names, numbers, e-mails and phones as digits,
-- full-text GIN indexes ('simple' configuration: Ukrainian and English alike)
-- on notes and articles, and btree indexes for the order list's filters in
-- its sort order. New in 0.3.0.

CREATE INDEX account_name_trgm ON crm.account USING gin (name gin_trgm_ops);
CREATE INDEX account_email_trgm ON crm.account USING gin ((lower(email)) gin_trgm_ops);
CREATE INDEX account_phone_trgm ON crm.account USING gin ((crm_dw.normalize_phone(phone)) gin_trgm_ops);

CREATE INDEX contact_name_trgm ON crm.contact USING gin ((first_name || ' ' || last_name) gin_trgm_ops);
CREATE INDEX contact_email_trgm ON crm.contact USING gin ((lower(email)) gin_trgm_ops);
CREATE INDEX contact_phone_trgm ON crm.contact USING gin ((crm_dw.normalize_phone(phone)) gin_trgm_ops);

CREATE INDEX lead_name_trgm ON crm.lead USING gin (company_name gin_trgm_ops);
CREATE INDEX lead_email_trgm ON crm.lead USING gin ((lower(email)) gin_trgm_ops);
CREATE INDEX lead_phone_trgm ON crm.lead USING gin ((crm_dw.normalize_phone(phone)) gin_trgm_ops);
CREATE INDEX lead_notes_fts ON crm.lead USING gin (to_tsvector('simple', coalesce(technical_requirements, '')));

CREATE INDEX deal_title_trgm ON crm.deal USING gin (title gin_trgm_ops);

CREATE INDEX sales_order_number_trgm ON crm.sales_order USING gin (number gin_trgm_ops);
CREATE INDEX sales_order_status_list ON crm.sales_order (status, order_date DESC, id DESC);
CREATE INDEX sales_order_manager_list ON crm.sales_order (manager, order_date DESC, id DESC);

CREATE INDEX product_sku_trgm ON crm.product USING gin (sku gin_trgm_ops);
CREATE INDEX product_name_trgm ON crm.product USING gin (name gin_trgm_ops);

CREATE INDEX knowledge_article_title_trgm ON crm.knowledge_article USING gin (title gin_trgm_ops);
CREATE INDEX knowledge_article_fts ON crm.knowledge_article USING gin (to_tsvector('simple', title || ' ' || body));
