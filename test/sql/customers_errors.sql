-- Customer data: the errors of an employee without can_see_customers that writes customer
-- data (a client, a lead, an order, a message, a call, an invoice's ip), and of crm's own
-- work on a row it cannot see (a payment or an item on an invoice that records an ip), and
-- a call task refused for a client it cannot see, named by id.
-- Each failing statement is followed by its SQLSTATE; account 9961 and its fixed ids
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
INSERT INTO crm.accounts (id, name) VALUES (9961, 'Customers A');
INSERT INTO crm.employees (account_id, id, name, can_see_customers) VALUES
  (9961, 9961, 'Anna', true), (9961, 9962, 'Hidden', false);
INSERT INTO crm.clients (account_id, id, name, category) VALUES (9961, 9961, 'Ivan', 'client'), (9961, 9962, 'Sam', 'spam');
INSERT INTO crm.conversations (account_id, id, client_id) VALUES (9961, 9961, 9961);
INSERT INTO crm.offers (account_id, id, name, price) VALUES (9961, 9961, 'Book', 10);
INSERT INTO crm.invoices (account_id, id, client_id, amount, ip) VALUES
  (9961, 9961, 9961, 100, NULL), (9961, 9962, 9961, 100, '192.0.2.1');

SET crm.account_id = 9961;
SET crm.employee_id = 9962;
SET ROLE crm_regress_manager;
-- Customer data is not written by an employee who may not see it.
INSERT INTO crm.clients (name) VALUES ('Olga'); \echo SQLSTATE :SQLSTATE
INSERT INTO crm.leads (contact_name) VALUES ('Olga'); \echo SQLSTATE :SQLSTATE
INSERT INTO crm.orders (amount) VALUES (10); \echo SQLSTATE :SQLSTATE
INSERT INTO crm.messages (conversation_id, direction, body) VALUES (9961, 'out', 'hi'); \echo SQLSTATE :SQLSTATE
SELECT crm.log_call(invoice_id => 9961, outcome => 'wrong_contact'); \echo SQLSTATE :SQLSTATE
INSERT INTO crm.invoices (client_id, amount, ip) VALUES (9961, 10, '192.0.2.2'); \echo SQLSTATE :SQLSTATE
UPDATE crm.invoices SET ip = '192.0.2.2' WHERE id = 9961; \echo SQLSTATE :SQLSTATE
-- An invoice that records an ip is not there for it, nor for crm's work on its behalf.
SELECT crm.record_payment(9962, 10, true); \echo SQLSTATE :SQLSTATE
INSERT INTO crm.invoice_items (invoice_id, offer_id) VALUES (9962, 9961); \echo SQLSTATE :SQLSTATE
-- A refused call task names a client it cannot see by id.
INSERT INTO crm.call_tasks (client_id, title) VALUES (9962, 'Call Sam'); \echo SQLSTATE :SQLSTATE
RESET ROLE;
SET crm.employee_id = 9961;
SET ROLE crm_regress_manager;
INSERT INTO crm.call_tasks (client_id, title) VALUES (9962, 'Call Sam'); \echo SQLSTATE :SQLSTATE
RESET ROLE;

-- Nothing changed.
RESET crm.account_id;
RESET crm.employee_id;
SELECT id, amount, paid_amount, status FROM crm.invoices WHERE account_id = 9961 ORDER BY id;
SELECT (SELECT count(*) FROM crm.clients WHERE account_id = 9961) AS clients,
       (SELECT count(*) FROM crm.calls WHERE account_id = 9961) AS calls,
       (SELECT contact_flagged FROM crm.clients WHERE account_id = 9961 AND id = 9961) AS flagged;
