-- First contact: the errors of crm.receive_message (a missing or empty argument, one too
-- long to be a channel's address, a lead due in an account without a default lead type,
-- a session in no account) and of the account's inbound_lead_mode.
-- Each failing statement is followed by its SQLSTATE; account 9971 and its fixed ids
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
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'crm_regress_admin') THEN
    CREATE ROLE crm_regress_admin NOLOGIN IN ROLE crm_admin, crm_service;
  END IF;
END $$;
-- An account without a default lead type.
INSERT INTO crm.accounts (id, name) VALUES (9971, 'Inbound A');
INSERT INTO crm.statuses (account_id, id, name) VALUES (9971, 9971, 'New');
INSERT INTO crm.lead_types (account_id, id, name, initial_status_id) VALUES (9971, 9971, 'Sales', 9971);

SET ROLE crm_regress_manager;
-- No account selected.
SELECT crm.receive_message('telegram', '@olga', 'Olga', 'Hello'); \echo SQLSTATE :SQLSTATE
RESET ROLE;
SET crm.account_id = 9971;
SET ROLE crm_regress_manager;
-- The channel, the sender, the text and the time are required; the name is not.
SELECT crm.receive_message(NULL, '@olga', 'Olga', 'Hello'); \echo SQLSTATE :SQLSTATE
SELECT crm.receive_message('telegram', '@olga', 'Olga', 'Hello', NULL); \echo SQLSTATE :SQLSTATE
SELECT crm.receive_message('', '@olga', 'Olga', 'Hello'); \echo SQLSTATE :SQLSTATE
SELECT crm.receive_message('telegram', ' ', 'Olga', 'Hello'); \echo SQLSTATE :SQLSTATE
-- An address or a name longer than any channel's.
SELECT crm.receive_message('telegram', repeat('x', 256), 'Olga', 'Hello'); \echo SQLSTATE :SQLSTATE
SELECT crm.receive_message(repeat('c', 300), '@olga', 'Olga', 'Hello'); \echo SQLSTATE :SQLSTATE
SELECT crm.receive_message('telegram', '@olga', repeat('n', 1001), 'Hello'); \echo SQLSTATE :SQLSTATE
-- A new client's first message opens a lead (new_client), and the account has no default type.
SELECT crm.receive_message('telegram', '@olga', 'Olga', 'Hello', '2026-03-01 10:00:00+00'); \echo SQLSTATE :SQLSTATE
-- (A sent_at that is not a sane time fails the message's own check, before anything
-- is looked up: actor_errors.sql pins that message, whose detail names the clock.)
RESET ROLE;

-- inbound_lead_mode is off, new_client or no_open_lead; admins set it.
SET ROLE crm_regress_admin;
UPDATE crm.accounts SET inbound_lead_mode = 'always' WHERE id = 9971; \echo SQLSTATE :SQLSTATE
RESET ROLE;
SET ROLE crm_regress_manager;
UPDATE crm.accounts SET inbound_lead_mode = 'off' WHERE id = 9971; \echo SQLSTATE :SQLSTATE
RESET ROLE;

-- Nothing changed.
RESET crm.account_id;
SELECT inbound_lead_mode FROM crm.accounts WHERE id = 9971;
SELECT count(*) AS clients FROM crm.clients WHERE account_id = 9971;
SELECT count(*) AS addresses FROM crm.client_channels WHERE account_id = 9971;
SELECT count(*) AS messages FROM crm.messages WHERE account_id = 9971;
SELECT count(*) AS leads FROM crm.leads WHERE account_id = 9971;
