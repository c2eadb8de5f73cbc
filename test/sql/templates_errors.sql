-- Templates: the errors of an unknown or unterminated variable, in a message template
-- when it is saved and in a text when it is rendered, and of rendering for a client
-- that does not exist.
-- Each failing statement is followed by its SQLSTATE; account 9901 and its fixed ids
-- keep every message the same whatever ran before.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET intervalstyle = 'postgres';
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'crm_regress_admin') THEN
    CREATE ROLE crm_regress_admin NOLOGIN IN ROLE crm_admin, crm_service;
  END IF;
END $$;
INSERT INTO crm.accounts (id, name) VALUES (9901, 'Templates A');
INSERT INTO crm.clients (account_id, id, name, attrs) VALUES (9901, 9901, 'Ivan', '{"city": "Moscow"}');
INSERT INTO crm.message_templates (account_id, id, name, subject, body)
  VALUES (9901, 9901, 'Reminder', 'Invoice {$invoice_number}', 'Hello {$name} from {$attrs.city}');

SET crm.account_id = 9901;
SET ROLE crm_regress_admin;
-- A template is checked when it is saved: subject and body.
INSERT INTO crm.message_templates (name, body) VALUES ('Bad', 'Hello {$first_name}'); \echo SQLSTATE :SQLSTATE
INSERT INTO crm.message_templates (name, subject, body) VALUES ('Bad', 'Your {$order}', 'Hello'); \echo SQLSTATE :SQLSTATE
UPDATE crm.message_templates SET body = 'Hello {$name' WHERE id = 9901; \echo SQLSTATE :SQLSTATE
UPDATE crm.message_templates SET subject = 'Invoice {$invoice_number} {$' WHERE id = 9901; \echo SQLSTATE :SQLSTATE
-- And a text when it is rendered.
SELECT crm.render_template('Hello {$name}', 9901) AS rendered;
SELECT crm.render_template('Hello {$surname}', 9901); \echo SQLSTATE :SQLSTATE
SELECT crm.render_template('Hello {$name', 9901); \echo SQLSTATE :SQLSTATE
SELECT crm.render_template('Hello {$name}', 9999); \echo SQLSTATE :SQLSTATE
-- A long variable is quoted up to 60 bytes, cut between characters: "{$x" and 28
-- two-byte letters (59 bytes), not half of the 29th.
SELECT crm.render_template('{$x' || repeat(chr(1078), 40) || '}', 9901); \echo SQLSTATE :SQLSTATE
-- So a client in another encoding gets the error itself (22023), not an invalid byte
-- sequence (22021).  Only the SQLSTATE is shown: the text is in the client's encoding.
\set VERBOSITY sqlstate
SET client_encoding = 'WIN1251';
SELECT crm.render_template('{$x' || repeat(chr(1078), 40) || '}', 9901); \echo SQLSTATE :SQLSTATE
SET client_encoding = 'LATIN1';
SELECT crm.render_template('{$x' || repeat(chr(233), 40) || '}', 9901); \echo SQLSTATE :SQLSTATE
INSERT INTO crm.message_templates (name, body) VALUES ('Long', 'Dear {$x' || repeat(chr(233), 40)); \echo SQLSTATE :SQLSTATE
RESET client_encoding;
\set VERBOSITY default
RESET ROLE;

-- Nothing changed.
RESET crm.account_id;
SELECT id, name, subject, body FROM crm.message_templates WHERE account_id = 9901 ORDER BY id;
