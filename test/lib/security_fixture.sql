-- The people and records the security and audit tests share (inside their
-- transaction). Who is who. Anna and Olga share a team; Boris works alone; Kim is a client
-- of Anna's account; Nika is a client login nobody mapped.
CREATE ROLE sec_anna LOGIN IN ROLE crm_manager;
CREATE ROLE sec_olga LOGIN IN ROLE crm_manager;
CREATE ROLE sec_boris LOGIN IN ROLE crm_manager;
CREATE ROLE sec_kim LOGIN;
CREATE ROLE sec_nika LOGIN IN ROLE crm_client;
CREATE ROLE sec_alex LOGIN IN ROLE crm_analyst;
CREATE ROLE sec_bea LOGIN IN ROLE crm_bi;
CREATE ROLE sec_ada LOGIN IN ROLE crm_admin;
INSERT INTO crm.team (id, name) VALUES (910001, 'Sec team');
INSERT INTO crm.team_member (team_id, member) VALUES (910001, 'sec_anna'), (910001, 'sec_olga');
INSERT INTO crm.account (id, name, owner) VALUES (910001, 'Anna''s client', 'sec_anna');
INSERT INTO crm.account (id, name, owner, manager) VALUES (910002, 'Boris''s client', 'postgres', 'sec_boris');
INSERT INTO crm.account (id, name, owner) VALUES (910003, 'Nobody''s client', 'postgres');
INSERT INTO crm.contact (id, account_id, first_name, last_name) VALUES (910001, 910001, 'A', 'One'), (910002, 910002, 'B', 'Two');
INSERT INTO crm.product (id, sku, name, kind, list_price, attributes) VALUES (910001, 'SEC-1', 'Sec pipe', 'goods', 5, '{}');
INSERT INTO crm.sales_order (id, account_id) VALUES (910001, 910001), (910002, 910002), (910003, 910003);
INSERT INTO crm.order_line (id, order_id, line_no, product_id, quantity, unit_price)
VALUES (910001, 910001, 1, 910001, 10, 5), (910002, 910002, 1, 910001, 20, 5), (910003, 910003, 1, 910001, 30, 5);
INSERT INTO crm.credit_product (id, name, annual_rate_pct, collateral) VALUES (910001, 'Sec loan', 12, 'unsecured');
INSERT INTO crm.credit_application (id, account_id, product_id, amount, term_months)
VALUES (910001, 910001, 910001, 1000, 12), (910002, 910002, 910001, 2000, 12);
SELECT crm.grant_client_access('sec_kim', 910001);
INSERT INTO crm.warehouse (id, code, name) VALUES (910001, 'SEC', 'Sec store');
SELECT crm.receive_stock(910001, 910001, 100);
