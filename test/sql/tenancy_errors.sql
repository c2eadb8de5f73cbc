-- Tenancy: the errors of an unset or malformed crm.account_id / crm.employee_id, of a
-- row written into another account, and of an account's settings.
-- Each failing statement is followed by its SQLSTATE; accounts 9201 and 9202 and their
-- fixed ids keep every message the same whatever ran before.
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
INSERT INTO crm.accounts (id, name) VALUES (9201, 'Tenancy A'), (9202, 'Tenancy B');
INSERT INTO crm.employees (account_id, id, name) VALUES (9201, 9201, 'Anna'), (9202, 9202, 'Boris');
INSERT INTO crm.clients (account_id, id, name) VALUES (9201, 9201, 'Ivan'), (9202, 9202, 'Olga');

-- No account selected: crm.current_account() and every write fail closed.
RESET crm.account_id;
SELECT crm.current_account(); \echo SQLSTATE :SQLSTATE
SET ROLE crm_regress_manager;
INSERT INTO crm.clients (name) VALUES ('Nobody'); \echo SQLSTATE :SQLSTATE
SELECT count(*) AS visible_clients FROM crm.clients;
RESET ROLE;

-- A malformed id is refused when it is set, not when it is used.
SET crm.account_id = 'not a number'; \echo SQLSTATE :SQLSTATE
SET crm.account_id = '0'; \echo SQLSTATE :SQLSTATE
SET crm.account_id = '-9201'; \echo SQLSTATE :SQLSTATE
SET crm.account_id = '9201 '; \echo SQLSTATE :SQLSTATE
SET crm.account_id = '99999999999999999999'; \echo SQLSTATE :SQLSTATE
SET crm.employee_id = 'Anna'; \echo SQLSTATE :SQLSTATE
SHOW crm.account_id;

-- A row of another account is refused before any crm trigger sees it.
SET crm.account_id = 9201;
SET ROLE crm_regress_manager;
INSERT INTO crm.clients (account_id, name) VALUES (9202, 'Intruder'); \echo SQLSTATE :SQLSTATE
UPDATE crm.clients SET account_id = 9202 WHERE id = 9201; \echo SQLSTATE :SQLSTATE
-- A manager changes no settings.
UPDATE crm.accounts SET timezone = 'UTC'; \echo SQLSTATE :SQLSTATE
INSERT INTO crm.employees (name) VALUES ('Newcomer'); \echo SQLSTATE :SQLSTATE
RESET ROLE;

-- An account's settings are checked when saved.
SET ROLE crm_regress_admin;
UPDATE crm.accounts SET timezone = 'Mars/Olympus_Mons'; \echo SQLSTATE :SQLSTATE
UPDATE crm.accounts SET invoice_number_template = 'INV-{X}-{N}'; \echo SQLSTATE :SQLSTATE
UPDATE crm.accounts SET order_number_template = 'ORD'; \echo SQLSTATE :SQLSTATE
RESET ROLE;

-- Nothing changed.
SELECT id, timezone, invoice_number_template, order_number_template FROM crm.accounts WHERE id IN (9201, 9202) ORDER BY id;
SELECT account_id, id, name FROM crm.clients WHERE id IN (9201, 9202) ORDER BY id;
RESET crm.account_id;
