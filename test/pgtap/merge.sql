-- Merging duplicates: every referencing row moves (pgcrm's tables and a
-- user's), the combine rule, the record, the audit and the event, resolving a
-- removed id, every refusal, contacts, the one-call merge of a data-quality
-- finding, and the warehouse: an incremental refresh after a merge equals a
-- full one.
BEGIN;
SELECT plan(44);
\ir ../lib/pgtap.sql
\ir ../lib/derived_rows.sql

CREATE ROLE mrg_anna LOGIN IN ROLE crm_manager;
CREATE ROLE mrg_boris LOGIN IN ROLE crm_manager;
CREATE ROLE mrg_client LOGIN;
INSERT INTO crm.account (id, name, industry, region, email, phone, is_vip, registered_on, owner, alt_phones) VALUES
    (970001, 'Vodokanal Poltava', NULL, 'Poltava', 'office@vk-poltava.example.ua', '+380 53 100 0001', false, '2024-05-01', 'mrg_anna', '{}'),
    (970002, 'Vodokanal Poltava (old card)', 'water_supply', 'Poltava', 'zakupivli@vk-poltava.example.ua', '+380 53 100 0002', true,
     '2023-02-01', 'mrg_anna', '{+380 53 100 0009}'),
    (970003, 'Boris''s client', 'utilities', NULL, NULL, NULL, false, '2024-01-01', 'mrg_boris', '{}');
INSERT INTO crm.contact (id, account_id, first_name, last_name, email, phone, is_primary, owner) VALUES
    (970001, 970001, 'Olena', 'Kovalenko', 'o.kovalenko@vk-poltava.example.ua', NULL, true, 'mrg_anna'),
    (970002, 970002, 'Taras', 'Melnyk', NULL, '+380 53 100 0003', true, 'mrg_boris'),
    (970003, 970002, 'Olena', 'Kovalenko', 'olena.k@vk-poltava.example.ua', '+380 50 111 2233', false, 'mrg_anna');
INSERT INTO crm.product (id, sku, name, kind, list_price) VALUES (970001, 'MRG-1', 'Pipe', 'goods', 100);
INSERT INTO crm.sales_order (id, account_id, order_date, owner) VALUES
    (970001, 970001, current_date - 40, 'mrg_anna'), (970002, 970002, current_date - 400, 'mrg_boris'),
    (970003, 970002, current_date - 10, 'mrg_anna');
INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price)
SELECT o, 1, 970001, 10 * o % 7 + 1, 100 FROM unnest(ARRAY[970001, 970002, 970003]) o;
UPDATE crm.sales_order SET status = 'confirmed' WHERE id BETWEEN 970001 AND 970003;
INSERT INTO crm.deal (id, account_id, title) VALUES (970001, 970002, 'Water main');
SELECT crm.invoice_order(970002) AS mrg_invoice \gset
SELECT crm.record_payment(970002, 50, 'UAH', current_date, 'paid from the old card') AS mrg_payment \gset
INSERT INTO crm.complaint (account_id, order_id, kind, description) VALUES (970002, 970002, 'quality', 'Leaking joint');
INSERT INTO crm.interaction (account_id, contact_id, channel, direction, occurred_at, subject) VALUES
    (970002, 970002, 'call', 'in', now() - interval '3 days', 'Price request'),
    (970002, 970003, 'email', 'out', now() - interval '2 days', 'Offer');
INSERT INTO crm.task (title, account_id) VALUES ('Call them', 970002);
INSERT INTO crm.lead (id, source, company_name, account_id, contact_id) VALUES (970001, 'web', 'VK Poltava', 970002, 970003);
SELECT crm.grant_client_access('mrg_client', 970002);
CREATE TABLE public.mrg_visit (id int PRIMARY KEY, client bigint REFERENCES crm.account, note text);
INSERT INTO public.mrg_visit VALUES (1, 970002, 'site visit'), (2, 970001, 'kick-off');
-- The warehouse as it stands before the merge.
SELECT crm.etl_refresh('facts', true);
SELECT crm.etl_refresh('features', true);

-- Merging accounts -------------------------------------------------------------------------------
SET ROLE mrg_anna;
SELECT throws_ok($$SELECT crm.merge_accounts(970001, 970003, 'same client')$$, '42501',
    'permission denied to merge account 970003: it is not yours or your team''s', 'a manager cannot merge another team''s account');
SELECT throws_ok($$SELECT crm.merge_accounts(970003, 970002, 'same client')$$, '42501', NULL, '... nor merge into it');
SELECT lives_ok($$SELECT crm.merge_accounts(970001, 970002, 'the same water utility, an old card')$$,
    'a manager merges two accounts of hers');
RESET ROLE;
SELECT is_empty($$SELECT FROM crm.account WHERE id = 970002$$, 'the removed account is gone');
SELECT results_eq($$SELECT count(*) FILTER (WHERE account_id = 970001), count(*) FILTER (WHERE account_id = 970002) FROM crm.contact
                    WHERE id BETWEEN 970001 AND 970003$$, $$VALUES (3::bigint, 0::bigint)$$, 'its contacts moved');
SELECT results_eq($$SELECT id FROM crm.sales_order WHERE account_id = 970001 ORDER BY id$$, ARRAY[970001::bigint, 970002, 970003],
    '... its orders, even one of another owner''s');
SELECT ok((SELECT account_id FROM crm.deal WHERE id = 970001) = 970001 AND (SELECT account_id FROM crm.lead WHERE id = 970001) = 970001
          AND (SELECT count(*) FROM crm.complaint WHERE account_id = 970001) = 1 AND (SELECT count(*) FROM crm.task WHERE account_id = 970001) = 1,
    '... its deals, leads, complaints and tasks');
SELECT results_eq($$SELECT account_id, contact_id FROM crm.interaction WHERE subject IN ('Price request', 'Offer') ORDER BY contact_id$$,
    $$VALUES (970001::bigint, 970002::bigint), (970001, 970003)$$, '... its interactions, still with their contacts');
SELECT is((SELECT account_id FROM crm.client_login WHERE login = 'mrg_client'), 970001::bigint, '... its client login');
SELECT results_eq($$SELECT id, client FROM public.mrg_visit ORDER BY id$$, $$VALUES (1, 970001::bigint), (2, 970001::bigint)$$,
    '... and the rows of a user''s table that references crm.account');
SELECT is((SELECT moved FROM crm.account_merge WHERE remove_id = 970002),
    '{"crm.contact.account_id": 2, "crm.sales_order.account_id": 2, "crm.deal.account_id": 1, "crm.complaint.account_id": 1,
      "crm.interaction.account_id": 2, "crm.task.account_id": 1, "crm.lead.account_id": 1, "crm.client_login.account_id": 1,
      "public.mrg_visit.client": 1, "crm.invoice.account_id": 1, "crm.payment.account_id": 1}'::jsonb,
    'the record counts what moved, table by table');
SELECT results_eq(format('SELECT (SELECT account_id FROM crm.invoice WHERE id = %s), (SELECT account_id FROM crm.payment WHERE id = %s)',
                         :mrg_invoice, :mrg_payment),
    $$VALUES (970001::bigint, 970001::bigint)$$, '... its issued invoices and recorded payments: their guards let a merge through');
SELECT throws_ok(format('UPDATE crm.invoice SET account_id = 970003 WHERE id = %s', :mrg_invoice), 'PC034', NULL,
    '... and nothing else: outside a merge an issued invoice keeps its client');
SELECT is_empty('SELECT * FROM crm.receivable_invariant_violations()', 'the billing invariants hold after the merge');
SELECT results_eq($$SELECT name, industry, email::text, phone::text, is_vip, registered_on, alt_emails, alt_phones FROM crm.account WHERE id = 970001$$,
    $$VALUES ('Vodokanal Poltava', 'water_supply', 'office@vk-poltava.example.ua', '+380 53 100 0001', true, date '2023-02-01',
              ARRAY['zakupivli@vk-poltava.example.ua'], ARRAY['+380 53 100 0002', '+380 53 100 0009'])$$,
    'the profile: the kept values win, the removed fill the gaps, its e-mail and phones become alternates, the earlier registration, VIP');
SELECT results_eq($$SELECT id FROM crm.contact WHERE account_id = 970001 AND is_primary$$, ARRAY[970001::bigint],
    'the kept account''s primary contact stays the only one');
SELECT results_eq($$SELECT entity, keep_id, remove_id, reason, removed_row ->> 'name', merged_by FROM crm.account_merge WHERE remove_id = 970002$$,
    $$VALUES ('crm.account', 970001::bigint, 970002::bigint, 'the same water utility, an old card', 'Vodokanal Poltava (old card)',
              'mrg_anna'::name)$$, 'crm.account_merge records who merged what, why, and the removed row');
SELECT set_eq($$SELECT operation || ' ' || table_name FROM crm.audit_log
                WHERE actor = 'mrg_anna' AND table_name IN ('crm.account', 'crm.account_merge')$$,
    ARRAY['INSERT crm.account_merge', 'UPDATE crm.account_merge', 'DELETE crm.account', 'UPDATE crm.account'],
    'the merge (recorded, then its counts), the removed row and the combined profile are in the audit log, as the manager''s');
SELECT results_eq($$SELECT entity_key, payload ->> 'remove_id', payload ->> 'reason', actor FROM crm.event WHERE kind = 'account.merged'$$,
    $$VALUES ('970001', '970002', 'the same water utility, an old card', 'mrg_anna'::name)$$, 'account.merged is emitted');
SELECT is(crm.resolve_account(970002), 970001::bigint, 'the removed id resolves to the kept one');
SELECT is(crm.resolve_account(970001), 970001::bigint, '... a live id to itself');
SELECT is(crm.resolve_account(979999), NULL, '... an unknown one to nothing');

-- The warehouse after a merge ----------------------------------------------------------------------
SELECT results_eq($$SELECT mode FROM crm.etl_refresh('facts') UNION ALL SELECT mode FROM crm.etl_refresh('features')$$,
    ARRAY['incremental', 'incremental'], 'the warehouse refreshes the merge incrementally');
CREATE TEMP TABLE incremental AS SELECT * FROM pg_temp.derived_rows();
SELECT crm.etl_refresh('facts', true);
SELECT crm.etl_refresh('features', true);
SELECT is_empty($$(SELECT * FROM incremental EXCEPT SELECT * FROM pg_temp.derived_rows())
                  UNION ALL (SELECT * FROM pg_temp.derived_rows() EXCEPT SELECT * FROM incremental)$$,
    'and the incremental result equals a full rebuild, row for row');
SELECT is_empty($$SELECT FROM crm_dw.dim_account WHERE account_id = 970002 UNION ALL SELECT FROM crm_dw.customer_features WHERE account_id = 970002
                  UNION ALL SELECT FROM crm_dw.fact_sales WHERE account_id = 970002$$, '... with nothing left of the removed account');

-- Refusals -------------------------------------------------------------------------------------------
SELECT throws_ok($$SELECT crm.merge_accounts(970001, 970001, 'x')$$, 'PC051', 'account 970001 cannot be merged into itself',
    'an account merged into itself');
SELECT throws_ok($$SELECT crm.merge_accounts(970001, 970002, 'again')$$, 'PC050', 'account 970002 was already merged into 970001',
    'an account merged before');
SELECT is((pg_temp.error_of($$SELECT crm.merge_accounts(970002, 970003, 'x')$$))[4], 'It is account 970001 now: crm.resolve_account(970002).',
    '... whose hint names what it is now');
SELECT throws_ok($$SELECT crm.merge_accounts(970001, 979999, 'x')$$, 'PC003', 'account 979999 does not exist', 'an unknown account');
SELECT throws_ok($$SELECT crm.merge_accounts(970001, 970003, NULL)$$, '22004', 'reason must not be NULL', 'a merge needs a reason');
-- Account 970002 comes back with its old id (an import, a restore): merging 970001 into it would close
-- the loop 970002 -> 970001 -> 970002.
INSERT INTO crm.account (id, name) VALUES (970002, 'Vodokanal Poltava (imported again)');
SELECT throws_ok($$SELECT crm.merge_accounts(970002, 970001, 'x')$$, 'PC051',
    'merging account 970001 into 970002 would loop: 970002 was merged into 970001 before', 'a chain that would loop');
SELECT throws_ok($$SELECT crm.move_references('crm.account', 970001, 970003)$$, '42501', NULL,
    'references move only for a merge recorded in the same transaction');
DELETE FROM crm.account WHERE id = 970002;

-- Chains -------------------------------------------------------------------------------------------
INSERT INTO crm.account (id, name, owner) VALUES (970004, 'Vodokanal Poltava Group', 'postgres');
SELECT lives_ok($$SELECT crm.merge_accounts(970004, 970001, 'the group took it over')$$, 'the kept account is merged later');
SELECT is(crm.resolve_account(970002), 970004::bigint, 'an id merged twice resolves through both merges');

-- Contacts -------------------------------------------------------------------------------------------
SELECT lives_ok($$SELECT crm.merge_contacts(970001, 970003, 'the same Olena Kovalenko')$$, 'merge_contacts');
SELECT results_eq($$SELECT contact_id FROM crm.interaction WHERE subject = 'Offer' UNION ALL SELECT contact_id FROM crm.lead WHERE id = 970001$$,
    ARRAY[970001::bigint, 970001], 'the removed contact''s interactions and leads moved');
SELECT results_eq($$SELECT email::text, phone::text, alt_emails FROM crm.contact WHERE id = 970001$$,
    $$VALUES ('o.kovalenko@vk-poltava.example.ua', '+380 50 111 2233', ARRAY['olena.k@vk-poltava.example.ua'])$$,
    'the contact''s profile combines by the same rule');
SELECT results_eq($$SELECT entity, payload ->> 'remove_id' FROM crm.event WHERE kind = 'contact.merged'$$,
    $$VALUES ('crm.contact', '970003')$$, 'contact.merged is emitted');
INSERT INTO crm.contact (id, account_id, first_name, last_name) VALUES (970009, 970003, 'Other', 'Person');
SELECT throws_ok($$SELECT crm.merge_contacts(970001, 970009, 'x')$$, '22023', NULL, 'contacts of different accounts are not merged');

-- The one-call merge of a data-quality finding ---------------------------------------------------------
INSERT INTO crm.account (id, name, phone, owner) VALUES (970005, 'VK Poltava LLC', '053 100 0001', 'postgres');
SELECT crm.etl_refresh('data_quality');
SELECT results_eq($$SELECT kind, duplicate_of FROM crm_dw.dq_issue WHERE record_id = 970005 AND kind LIKE 'duplicate%'$$,
    $$VALUES ('duplicate_phone', 970004::bigint)$$, 'the data_quality job names the account a duplicate duplicates');
SELECT is((crm.merge_duplicate(970005)).keep_id, 970004::bigint, 'crm.merge_duplicate merges it in one call');
SELECT matches((SELECT reason FROM crm.account_merge WHERE remove_id = 970005), 'duplicate_phone: phone', '... with the finding as the reason');
SELECT crm.etl_refresh('data_quality');
SELECT is_empty($$SELECT FROM crm_dw.dq_issue WHERE record_id = 970005 OR duplicate_of = 970005$$, 'and the finding is gone');
SELECT throws_ok($$SELECT crm.merge_duplicate(970003)$$, 'PC003', 'account 970003 has no open duplicate finding', 'an account with no finding');

SELECT * FROM finish();
ROLLBACK;
