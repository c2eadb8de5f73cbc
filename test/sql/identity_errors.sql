-- Identity: the errors of a crm_service login whose account or employee was set for
-- the session rather than for the transaction (behind a transaction pooler such a
-- value may be another client's), and what it may do instead.
-- Each failing statement is followed by its SQLSTATE; account 8101 and its fixed ids
-- keep every message the same whatever ran before.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'crm_regress_app') THEN
    CREATE ROLE crm_regress_app LOGIN IN ROLE crm_manager, crm_service;
  END IF;
END $$;
INSERT INTO crm.accounts (id, name) VALUES (8101, 'Identity A');
INSERT INTO crm.employees (account_id, id, name) VALUES (8101, 8101, 'Anna');
INSERT INTO crm.clients (account_id, id, name) VALUES (8101, 8101, 'Ivan');
RESET crm.account_id;
RESET crm.employee_id;

-- The application's login: a session-level value is refused at first use.
SET SESSION AUTHORIZATION crm_regress_app;
SET crm.account_id = 8101;
SELECT crm.current_account(); \echo SQLSTATE :SQLSTATE
SELECT count(*) FROM crm.clients; \echo SQLSTATE :SQLSTATE
INSERT INTO crm.clients (name) VALUES ('Nobody'); \echo SQLSTATE :SQLSTATE
-- So is a plain SET inside the transaction: it would outlive it.
BEGIN;
SET crm.account_id = 8101;
SELECT crm.current_account(); \echo SQLSTATE :SQLSTATE
ROLLBACK;
-- A value of the transaction is used, over the session's.
BEGIN;
SET LOCAL crm.account_id = 8101;
SELECT crm.current_account(), crm.current_employee();
SELECT name FROM crm.clients ORDER BY id;
COMMIT;
SET crm.employee_id = 8101;
BEGIN;
SELECT set_config('crm.account_id', '8101', true);
SELECT crm.current_employee(); \echo SQLSTATE :SQLSTATE
ROLLBACK;
BEGIN;
SELECT set_config('crm.account_id', '8101', true), set_config('crm.employee_id', '8101', true);
SELECT crm.current_account(), crm.current_employee();
COMMIT;
-- Unset for the session, nothing is refused: the role sees no row.
RESET crm.account_id;
RESET crm.employee_id;
SELECT count(*) AS visible_clients FROM crm.clients;
RESET SESSION AUTHORIZATION;

-- A superuser's session that takes the role with SET ROLE keeps its session values.
SET crm.account_id = 8101;
SET ROLE crm_regress_app;
SELECT crm.current_account();
RESET ROLE;
RESET crm.account_id;
