-- Accounts, contacts, leads and deals: constraints and bad input, and lead
-- conversion.
BEGIN;
SELECT plan(23);

-- Accounts and contacts --------------------------------------------------------
INSERT INTO crm.account (id, name, industry, region, email) VALUES (900001, 'Vodokanal Test', 'water_supply', 'Kyiv', 'info@vodokanal.example.ua');
SELECT throws_ok($$INSERT INTO crm.account (name) VALUES (NULL)$$, '23502', NULL, 'an account needs a name');
SELECT throws_ok($$INSERT INTO crm.account (name) VALUES ('  ')$$, '23514', NULL, 'a blank name is no name');
SELECT throws_ok($$INSERT INTO crm.account (name, kind) VALUES ('X', 'alien')$$, '23514', NULL, 'account kind is legal_entity or individual');
SELECT throws_like($$INSERT INTO crm.account (name, email) VALUES ('X', 'not-an-email')$$,
    '%violates check constraint "email_format"', 'an e-mail that is not an e-mail');
SELECT throws_ok($$INSERT INTO crm.account (name, email) VALUES ('X', 'INFO@Vodokanal.example.ua')$$, '23505', NULL,
    'account e-mails are unique case-insensitively');
SELECT throws_ok($$INSERT INTO crm.account (name, phone) VALUES ('X', 'call me')$$, '23514', NULL, 'a phone that is not a phone');
INSERT INTO crm.contact (id, account_id, first_name, last_name, email, channels)
VALUES (900001, 900001, 'Olena', 'Shevchenko', 'olena@vodokanal.example.ua', '{"fax": "+380 44 000 0000"}');
SELECT throws_ok($$INSERT INTO crm.contact (account_id, first_name, last_name, email) VALUES (900001, 'A', 'B', 'Olena@VODOKANAL.example.ua')$$,
    '23505', NULL, 'contact e-mails are unique case-insensitively');
SELECT throws_ok($$INSERT INTO crm.contact (account_id, first_name, last_name) VALUES (123456789, 'A', 'B')$$, '23503', NULL,
    'a contact needs an existing account');
SELECT throws_ok($$INSERT INTO crm.contact (account_id, first_name, last_name, channels) VALUES (900001, 'A', 'B', '[1]')$$, '23514', NULL,
    'channels is an object');
SELECT throws_ok($$DELETE FROM crm.account WHERE id = 900001$$, '23503', NULL, 'an account with contacts is never cascade-deleted');
SELECT isnt((SELECT updated_at FROM crm.account WHERE id = 900001), NULL, 'updated_at is set');

-- Lead conversion ---------------------------------------------------------------------
INSERT INTO crm.lead (id, source, company_name, contact_first_name, contact_last_name, email, industry, technical_requirements, expected_volume)
VALUES (900001, 'tender', 'Naftobud Test', 'Taras', 'Melnyk', 'taras@naftobud.example.ua', 'oil_gas', 'DN200 PN40', 800),
       (900002, 'website', 'Vodokanal Test', 'Iryna', 'Boiko', 'info@vodokanal.example.ua', 'water_supply', 'DN500', 300);
UPDATE crm.lead SET status = 'contacted' WHERE id IN (900001, 900002);
SELECT throws_ok($$SELECT crm.convert_lead(900001)$$, 'PC001', NULL, 'only a qualified lead converts');
UPDATE crm.lead SET status = 'qualified' WHERE id IN (900001, 900002);
CREATE TEMP TABLE first_call AS SELECT * FROM crm.convert_lead(900001);
SELECT is((SELECT account_created FROM first_call), true, 'a lead from a new company creates the account');
SELECT is((SELECT name FROM crm.account WHERE id = (SELECT account_id FROM first_call)), 'Naftobud Test', '... named after it');
SELECT is((SELECT email::text FROM crm.contact WHERE id = (SELECT contact_id FROM first_call)), 'taras@naftobud.example.ua', '... with its contact');
SELECT is((SELECT stage FROM crm.deal WHERE id = (SELECT deal_id FROM first_call)), 'new', '... and a new deal');
SELECT results_eq($$SELECT status, deal_id FROM crm.lead WHERE id = 900001$$, $$SELECT 'converted'::text, deal_id FROM first_call$$,
    'the lead is converted and points to its deal');
SELECT results_eq($$SELECT * FROM crm.convert_lead(900001)$$, $$SELECT account_id, contact_id, deal_id, false FROM first_call$$,
    'a second call returns the same result');
SELECT is((SELECT count(*) FROM crm.deal WHERE account_id = (SELECT account_id FROM first_call))::int, 1, '... and creates nothing more');
SELECT is(((crm.convert_lead(900002)).account_id), 900001::bigint, 'a lead from a known e-mail links the existing account');
SELECT throws_ok($$SELECT crm.convert_lead(123456789)$$, 'PC003', 'lead 123456789 does not exist', 'an unknown lead');

-- Deals.
SELECT throws_ok($$INSERT INTO crm.deal (account_id, title, probability) VALUES (900001, 'D', 120)$$, '23514', NULL, 'a probability above 100');
SELECT throws_ok($$INSERT INTO crm.deal (account_id, title, currency) VALUES (900001, 'D', 'uah')$$, '23514', NULL, 'a currency code in lower case');

SELECT * FROM finish();
ROLLBACK;
