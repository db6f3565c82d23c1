-- Search for list views: misspelt names, phones in any format, e-mails, order
-- numbers, SKUs, words of notes and articles (Ukrainian and English), ranking,
-- keyset paging, row security, the indexes it uses; and the order list.
-- Latency at scale 20 is measured in bench/search/.
BEGIN;
SELECT plan(39);
\ir ../lib/pgtap.sql

CREATE ROLE srch_anna LOGIN IN ROLE crm_manager;
CREATE ROLE srch_boris LOGIN IN ROLE crm_manager;
INSERT INTO crm.account (id, name, phone, email, region, owner) VALUES
    (960001, 'Vodokanal Zhytomyr', '+380 44 123 4567', 'orders@vodokanal-zt.example.ua', 'Zhytomyr', 'srch_anna'),
    (960002, 'Vodokanal Zhytomyr Service', '+380 44 765 4321', NULL, 'Zhytomyr', 'srch_boris'),
    (960003, 'Zhytomyrteplo', NULL, 'info@zt-teplo.example.ua', 'Zhytomyr', 'srch_boris'),
    (960004, 'Kamianets 50%_off Trade', NULL, NULL, NULL, 'srch_anna');
INSERT INTO crm.contact (id, account_id, first_name, last_name, phone, email) VALUES
    (960001, 960001, 'Ostap', 'Zhytomyrskyi', '044 555 0101', 'ostap@vodokanal-zt.example.ua'),
    (960002, 960002, 'Halyna', 'Vodianyk', '044 123-45-67', NULL);
INSERT INTO crm.lead (id, source, company_name, technical_requirements, phone) VALUES
    (960001, 'web', 'Zhytomyr Agro', 'Труби для зрошення полів, DN200, тиск PN10', '+380 50 000 1122');
INSERT INTO crm.deal (id, account_id, title) VALUES (960001, 960001, 'Zhytomyr water main renewal');
INSERT INTO crm.product (id, sku, name, kind, list_price) VALUES (960001, 'ZT-P10-DN300', 'Zhytomyr pressure pipe DN300', 'goods', 10);
INSERT INTO crm.sales_order (id, number, account_id) VALUES (960001, 'ORD-2026-96001', 960001), (960002, 'ORD-2026-96002', 960002);
INSERT INTO crm.knowledge_article (id, topic, title, body) VALUES
    (960001, 'монтаж', 'Монтаж труб у мерзлому ґрунті', 'Під трубу потрібна піщана подушка не менше 150 мм, а засипку роблять талим ґрунтом.'),
    (960002, 'installation', 'Laying pipe in frozen ground', 'Lay the pipe on a sand bed of at least 150 mm and backfill with thawed soil.');
ANALYZE crm.account, crm.contact, crm.lead, crm.deal, crm.product, crm.sales_order, crm.knowledge_article;

-- Finding ------------------------------------------------------------------------------------
SELECT results_eq($$SELECT kind, id FROM crm.search('Vodokanl Zhytomir') WHERE kind = 'account' ORDER BY rank DESC, id$$,
    $$VALUES ('account', 960001::bigint), ('account', 960002::bigint)$$, 'a misspelt client name finds the clients');
SELECT ok((SELECT rank FROM crm.search('Vodokanal Zhytomyr') WHERE id = 960001 AND kind = 'account')
          > (SELECT rank FROM crm.search('Vodokanl Zhytomir') WHERE id = 960001 AND kind = 'account'), '... the exact name ranks higher');
SELECT results_eq($$SELECT kind, id FROM crm.search('ytomyrtep')$$, $$VALUES ('account', 960003::bigint)$$, 'a fragment from a name''s middle');
SELECT set_eq($$SELECT kind || ' ' || id FROM crm.search('044-123-45-67')$$, ARRAY['account 960001', 'contact 960002'],
    'a phone in another format finds the client and the contact whose phone it is, however theirs is written');
SELECT set_eq($$SELECT kind || ' ' || id FROM crm.search('+38 (044) 123 45 67')$$, ARRAY['account 960001', 'contact 960002'],
    '... with the country code and brackets too');
SELECT results_eq($$SELECT rank FROM crm.search('0441234567') WHERE kind = 'account'$$, ARRAY[1.000000],
    '... and the whole number ranks 1');
SELECT results_eq($$SELECT kind, id FROM crm.search('123 4567') WHERE kind IN ('account', 'contact') ORDER BY kind$$,
    $$VALUES ('account', 960001::bigint), ('contact', 960002::bigint)$$, 'the last digits of a phone find it too');
SELECT results_eq($$SELECT kind, id FROM crm.search('zt-teplo.example')$$, $$VALUES ('account', 960003::bigint)$$, 'an e-mail fragment');
SELECT results_eq($$SELECT kind, id, rank FROM crm.search('ORD-2026-96001')$$, $$VALUES ('order', 960001::bigint, 1.000000)$$,
    'an order by its number');
SELECT set_eq($$SELECT id FROM crm.search('2026-9600', ARRAY['order'])$$, ARRAY[960001::bigint, 960002],
    '... or a part of it');
SELECT results_eq($$SELECT kind, id FROM crm.search('zt-p10-dn300')$$, $$VALUES ('product', 960001::bigint)$$, 'a product by its SKU');
SELECT results_eq($$SELECT kind, id, snippet FROM crm.search('піщана подушка')$$,
    $$VALUES ('article', 960001::bigint, '«піщана» «подушка» не менше 150 мм, а засипку')$$,
    'an article by words of its body in Ukrainian, the words marked in the snippet');
SELECT results_eq($$SELECT kind, id FROM crm.search('sand bed')$$, $$VALUES ('article', 960002::bigint)$$, '... and in English');
SELECT results_eq($$SELECT kind, id FROM crm.search('зрошення', ARRAY['lead'])$$, $$VALUES ('lead', 960001::bigint)$$,
    'a lead by words of its technical requirements');
SELECT results_eq($$SELECT kind, id FROM crm.search('water main renewal')$$, $$VALUES ('deal', 960001::bigint)$$, 'a deal by its title');
SELECT results_eq($$SELECT kind, id FROM crm.search('50%_off')$$, $$VALUES ('account', 960004::bigint)$$,
    '% and _ in a search are taken literally');
SELECT is_empty($$SELECT FROM crm.search('Xyzzyqwerty')$$, 'nothing found is an empty list');
SELECT set_eq($$SELECT DISTINCT kind FROM crm.search('Zhytomyr', NULL, 100)$$, ARRAY['account', 'contact', 'lead', 'deal', 'product'],
    'one search goes through every kind');
SELECT set_eq($$SELECT DISTINCT kind FROM crm.search('Zhytomyr', ARRAY['contact', 'deal'], 100)$$, ARRAY['contact', 'deal'],
    '... or the kinds asked for');

-- Ranking and keyset paging -------------------------------------------------------------------------
SELECT is_empty($$SELECT FROM (SELECT rank, lag(rank) OVER () AS prev FROM crm.search('Zhytomyr', NULL, 100)) r WHERE rank > prev$$,
    'results come best first');
CREATE TEMP TABLE all_rows AS SELECT row_number() OVER () AS n, * FROM crm.search('Zhytomyr', NULL, 100);
CREATE TEMP TABLE paged (n serial, kind text, id bigint, cursor text);
DO $$
DECLARE
    next_after text;
BEGIN
    LOOP
        INSERT INTO paged (kind, id, cursor) SELECT kind, id, cursor FROM crm.search('Zhytomyr', NULL, 2, next_after);
        EXIT WHEN NOT FOUND;
        SELECT cursor INTO next_after FROM paged ORDER BY n DESC LIMIT 1;
    END LOOP;
END $$;
SELECT results_eq($$SELECT kind, id FROM paged ORDER BY n$$, $$SELECT kind, id FROM all_rows ORDER BY n$$,
    'pages of 2, each after the last row''s cursor, give the whole list once, in order');
SELECT is((SELECT count(*) FROM all_rows), 7::bigint, 'sanity: the list has 7 rows');
SELECT results_eq($$SELECT id FROM crm.search('Vodokanal Zhytomyr', ARRAY['account'], 1,
                                              (SELECT cursor FROM crm.search('Vodokanal Zhytomyr', ARRAY['account'], 1)))$$,
    ARRAY[960002::bigint], 'the cursor of the first row gives the second');

-- Refusals ---------------------------------------------------------------------------------------
SELECT throws_ok($$SELECT * FROM crm.search('ab')$$, '22023', 'a search needs 3 to 200 characters, not 2', 'too short a search');
SELECT throws_ok($$SELECT * FROM crm.search(repeat('x', 201))$$, '22023', NULL, 'too long a search');
SELECT throws_ok($$SELECT * FROM crm.search('abc', ARRAY['account', 'invoice'])$$, '22023', 'unknown search kind invoice', 'an unknown kind');
SELECT throws_ok($$SELECT * FROM crm.search('abc', NULL, 0)$$, '22023', 'limit must be 1 to 1000, not 0', 'a limit out of range');
SELECT throws_ok($$SELECT * FROM crm.search('abc', NULL, 20, '1; DROP TABLE x')$$, '22023', NULL, 'a cursor it did not return');
SELECT throws_ok($$SELECT * FROM crm.search(NULL)$$, '22004', 'query must not be NULL', 'a NULL search');

-- Row security -------------------------------------------------------------------------------------
SET ROLE srch_anna;
SELECT set_eq($$SELECT kind || ' ' || id FROM crm.search('Zhytomyr', ARRAY['account', 'contact', 'deal'], 100)$$,
    ARRAY['account 960001', 'contact 960001', 'deal 960001'], 'a manager finds only what she may see');
SELECT is_empty($$SELECT FROM crm.search('044 765 4321', ARRAY['account'])$$, '... not another manager''s client by its phone');
SELECT results_eq($$SELECT id FROM crm.list_orders()$$, ARRAY[960001::bigint], '... nor its orders in the list');
RESET ROLE;

-- The indexes it uses --------------------------------------------------------------------------------
SET LOCAL enable_seqscan = off;
SELECT ok((SELECT string_agg(p, ' ') FROM pg_temp.plan_of($$SELECT id FROM crm.account WHERE 'Vodokanl' <% name OR name ILIKE '%Vodokanl%'
                                                          OR lower(email) LIKE '%vodokanl%' OR crm_dw.normalize_phone(phone) LIKE '%0441234567%'$$) p)
          ~ 'account_name_trgm.*account_email_trgm.*account_phone_trgm', 'name, e-mail and phone each have a trigram index search can use');
SELECT ok((SELECT string_agg(p, ' ') FROM pg_temp.plan_of($$SELECT id FROM crm.knowledge_article
                                                          WHERE to_tsvector('simple', title || ' ' || body) @@ websearch_to_tsquery('simple', 'sand')$$) p)
          ~ 'knowledge_article_fts', 'articles have a full-text index');
SELECT is((SELECT pg_get_indexdef('crm.sales_order_status_list'::regclass)),
    'CREATE INDEX sales_order_status_list ON crm.sales_order USING btree (status, order_date DESC, id DESC)',
    'the order list by status has an index in its own order (bench/search shows it used at scale)');
RESET enable_seqscan;

-- The order list -------------------------------------------------------------------------------------
INSERT INTO crm.sales_order (id, account_id, order_date, manager)
SELECT 960100 + i, 960001, date '2026-01-01' + i / 3, 'srch_anna' FROM generate_series(1, 12) i;
SELECT results_eq($$SELECT id, account_name, lines, total FROM crm.list_orders(of_account => 960001, "limit" => 2)$$,
    $$VALUES (960001::bigint, 'Vodokanal Zhytomyr', 0::bigint, 0.00::numeric), (960112, 'Vodokanal Zhytomyr', 0, 0.00)$$,
    'the order list: newest first, with the account and the totals');
CREATE TEMP TABLE listed AS SELECT row_number() OVER () AS n, id FROM crm.list_orders(of_manager => 'srch_anna', "limit" => 1000);
CREATE TEMP TABLE pages (n serial, id bigint, cursor text);
DO $$
DECLARE
    next_after text;
BEGIN
    LOOP
        INSERT INTO pages (id, cursor) SELECT id, cursor FROM crm.list_orders(of_manager => 'srch_anna', "limit" => 5, after => next_after);
        EXIT WHEN NOT FOUND;
        SELECT cursor INTO next_after FROM pages ORDER BY n DESC LIMIT 1;
    END LOOP;
END $$;
SELECT results_eq('SELECT id FROM pages ORDER BY n', 'SELECT id FROM listed ORDER BY n',
    'pages of 5 after each cursor give the whole list, orders of one day in id order');
SELECT results_eq($$SELECT id FROM crm.list_orders(of_manager => 'srch_anna', from_date => '2026-01-03', to_date => '2026-01-03')$$,
    ARRAY[960108::bigint, 960107, 960106], 'filtered by dates');
SELECT throws_ok($$SELECT * FROM crm.list_orders(after => '2026-02-30:1')$$, '22023', NULL, 'a cursor that is no date');

SELECT * FROM finish();
ROLLBACK;
