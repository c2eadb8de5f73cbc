-- Linking and orders: the errors of a link that cannot be made (already linked, a
-- closed lead, a lead of another client, a lead or order or client that does not
-- exist), of the link columns written by hand, and of an order's fixed
-- columns.
-- Each failing statement is followed by its SQLSTATE; account 9401 and its fixed ids
-- keep every message the same whatever ran before.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET intervalstyle = 'postgres';
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'crm_regress_manager') THEN
    CREATE ROLE crm_regress_manager NOLOGIN IN ROLE crm_manager, crm_service;
  END IF;
END $$;
INSERT INTO crm.accounts (id, name, client_link_mode, order_link_mode) VALUES (9401, 'Linking A', 'suggest', 'suggest');
INSERT INTO crm.statuses (account_id, id, name, kind, position) VALUES
  (9401, 9401, 'New', 'open', 1), (9401, 9402, 'Lost', 'lost', 2), (9401, 9403, 'Paid order', 'won', 3);
UPDATE crm.accounts SET order_won_status_id = 9403 WHERE id = 9401;
INSERT INTO crm.lead_types (account_id, id, name, initial_status_id, number_template, is_default)
  VALUES (9401, 9401, 'Sales', 9401, 'K-{N:3}', true);
INSERT INTO crm.clients (account_id, id, name) VALUES (9401, 9401, 'Ivan'), (9401, 9402, 'Olga');
-- Leads: K-001 of Ivan (linked below), K-002 of Olga, K-003 lost, K-004 without a client.
INSERT INTO crm.leads (account_id, id, contact_name, client_id) VALUES
  (9401, 9401, 'Ivan', 9401), (9401, 9402, 'Olga', 9402), (9401, 9403, 'Gone', NULL), (9401, 9404, 'Anyone', NULL);
UPDATE crm.leads SET status_id = 9402 WHERE id = 9403;
-- Orders: ORD-000001 and ORD-000002 of Ivan, ORD-000003 without a client.
INSERT INTO crm.orders (account_id, id, client_id) VALUES (9401, 9401, 9401), (9401, 9402, 9401), (9401, 9403, NULL);

SET crm.account_id = 9401;
SET ROLE crm_regress_manager;
SELECT number, status_id, order_id FROM crm.link_order(9401, 9401);
-- An order links to one lead, a lead to one order.
SELECT crm.link_order(9401, 9404); \echo SQLSTATE :SQLSTATE
SELECT crm.link_order(9402, 9401); \echo SQLSTATE :SQLSTATE
-- Only an open lead, of the order's client or of none.
SELECT crm.link_order(9402, 9403); \echo SQLSTATE :SQLSTATE
SELECT crm.link_order(9402, 9402); \echo SQLSTATE :SQLSTATE
-- Ids that do not exist, and NULL.
SELECT crm.link_order(9499, 9404); \echo SQLSTATE :SQLSTATE
SELECT crm.link_order(9402, 9499); \echo SQLSTATE :SQLSTATE
SELECT crm.link_order(NULL, 9404); \echo SQLSTATE :SQLSTATE
SELECT * FROM crm.order_candidates(9499); \echo SQLSTATE :SQLSTATE
SELECT crm.link_lead_client(9404, 9499); \echo SQLSTATE :SQLSTATE
SELECT crm.link_lead_client(9499, 9401); \echo SQLSTATE :SQLSTATE
SELECT crm.link_lead_client(9404, NULL); \echo SQLSTATE :SQLSTATE
-- Writing orders.lead_id links too, with the same rules; a link is not moved or undone.
UPDATE crm.orders SET lead_id = 9404 WHERE id = 9401; \echo SQLSTATE :SQLSTATE
UPDATE crm.orders SET lead_id = NULL WHERE id = 9401; \echo SQLSTATE :SQLSTATE
UPDATE crm.orders SET lead_id = 9403 WHERE id = 9403; \echo SQLSTATE :SQLSTATE
UPDATE crm.orders SET lead_id = 9499 WHERE id = 9403; \echo SQLSTATE :SQLSTATE
-- leads.order_id is written by linking only.
UPDATE crm.leads SET order_id = 9402 WHERE id = 9404; \echo SQLSTATE :SQLSTATE
INSERT INTO crm.leads (contact_name, order_id) VALUES ('Petr', 9402); \echo SQLSTATE :SQLSTATE
-- An order's number and creation time stay (numbers given from outside: orders_errors.sql).
UPDATE crm.orders SET number = 'ORD-2' WHERE id = 9402; \echo SQLSTATE :SQLSTATE
UPDATE crm.orders SET created_at = '2020-01-01 00:00:00+00' WHERE id = 9402; \echo SQLSTATE :SQLSTATE
RESET ROLE;
-- Orders are not deleted, not even by the owner.
DELETE FROM crm.orders WHERE id = 9403; \echo SQLSTATE :SQLSTATE

-- Nothing changed but the one link.
RESET crm.account_id;
SELECT id, number, client_id, status_id, order_id FROM crm.leads WHERE account_id = 9401 ORDER BY id;
SELECT id, number, client_id, lead_id FROM crm.orders WHERE account_id = 9401 ORDER BY id;
