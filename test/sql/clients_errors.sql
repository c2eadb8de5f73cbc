-- Clients and phones: the errors of a phone that is not valid, of a derived E.164
-- column written by hand (client phones, leads, orders), of an unknown region or
-- account, and of a call task for a client who takes none.
-- Each failing statement is followed by its SQLSTATE; account 9301 and its fixed ids
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
INSERT INTO crm.accounts (id, name, default_region, client_link_mode, order_link_mode)
  VALUES (9301, 'Clients A', 'RU', 'off', 'off');
INSERT INTO crm.statuses (account_id, id, name, kind, position) VALUES (9301, 9301, 'New', 'open', 1);
INSERT INTO crm.lead_types (account_id, id, name, initial_status_id, number_template, is_default)
  VALUES (9301, 9301, 'Sales', 9301, 'C-{N:3}', true);
INSERT INTO crm.clients (account_id, id, name, category) VALUES
  (9301, 9301, 'Ivan', 'client'), (9301, 9302, 'Not a client', 'not_client'), (9301, 9303, 'Spammer', 'spam');
INSERT INTO crm.client_phones (account_id, id, client_id, raw) VALUES (9301, 9301, 9301, '8 916 123-45-67');
INSERT INTO crm.leads (account_id, id, contact_name, contact_phone) VALUES (9301, 9301, 'Ivan', '8 916 123-45-67');
INSERT INTO crm.orders (account_id, id, phone) VALUES (9301, 9301, '8 916 123-45-67');
SELECT raw, phone FROM crm.client_phones WHERE id = 9301;
SELECT number, contact_phone, phone FROM crm.leads WHERE id = 9301;
SELECT number, phone, phone_e164 FROM crm.orders WHERE id = 9301;

SET crm.account_id = 9301;
SET ROLE crm_regress_manager;
-- A phone that is not a number in the account's region nor in international format.
INSERT INTO crm.client_phones (client_id, raw) VALUES (9301, '12'); \echo SQLSTATE :SQLSTATE
UPDATE crm.client_phones SET raw = 'call me' WHERE id = 9301; \echo SQLSTATE :SQLSTATE
-- The E.164 columns are derived: a value that differs from the derived one is refused.
INSERT INTO crm.client_phones (client_id, raw, phone) VALUES (9301, '8 916 123-45-68', '+79990000000'); \echo SQLSTATE :SQLSTATE
UPDATE crm.client_phones SET phone = '+79990000000' WHERE id = 9301; \echo SQLSTATE :SQLSTATE
INSERT INTO crm.leads (contact_name, contact_phone, phone) VALUES ('Olga', '8 916 123-45-68', '+79990000000'); \echo SQLSTATE :SQLSTATE
UPDATE crm.leads SET phone = '+79990000000' WHERE id = 9301; \echo SQLSTATE :SQLSTATE
INSERT INTO crm.orders (phone, phone_e164) VALUES ('8 916 123-45-68', '+79990000000'); \echo SQLSTATE :SQLSTATE
UPDATE crm.orders SET phone_e164 = '+79990000000' WHERE id = 9301; \echo SQLSTATE :SQLSTATE
-- A region is an ISO 3166 code with a numbering plan.
SELECT crm.normalize_phone('8 916 123-45-67', 'XX'); \echo SQLSTATE :SQLSTATE
SELECT crm.normalize_phone('8 916 123-45-67', 'Russia'); \echo SQLSTATE :SQLSTATE
SELECT crm.normalize_phone('8 916 123-45-67', 'ru') AS lower_case_region;
-- Clients of category not_client and spam take no call tasks.
INSERT INTO crm.call_tasks (client_id, title) VALUES (9302, 'Offer the course'); \echo SQLSTATE :SQLSTATE
INSERT INTO crm.call_tasks (client_id, title) VALUES (9303, 'Offer the course'); \echo SQLSTATE :SQLSTATE
RESET ROLE;
-- crm.account_id names an account that does not exist: the account's region is unknown.
SET crm.account_id = 9399;
SELECT crm.normalize_phone('8 916 123-45-67'); \echo SQLSTATE :SQLSTATE

-- Nothing changed.
RESET crm.account_id;
SELECT id, raw, phone FROM crm.client_phones WHERE account_id = 9301 ORDER BY id;
SELECT id, contact_phone, phone FROM crm.leads WHERE account_id = 9301 ORDER BY id;
SELECT id, phone, phone_e164 FROM crm.orders WHERE account_id = 9301 ORDER BY id;
SELECT count(*) AS call_tasks FROM crm.call_tasks WHERE account_id = 9301;
