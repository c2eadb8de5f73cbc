-- Lead managers: the errors of the account's lead_manager_mode (one of its two values,
-- set by admins).
-- Each failing statement is followed by its SQLSTATE; account 9981 keeps every message
-- the same whatever ran before.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'crm_regress_manager') THEN
    CREATE ROLE crm_regress_manager NOLOGIN IN ROLE crm_manager, crm_service;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'crm_regress_admin') THEN
    CREATE ROLE crm_regress_admin NOLOGIN IN ROLE crm_admin, crm_service;
  END IF;
END $$;
INSERT INTO crm.accounts (id, name) VALUES (9981, 'Lead managers A');
-- As the owner: the CHECK names the column and its choices.
INSERT INTO crm.accounts (id, name, lead_manager_mode) VALUES (9982, 'Lead managers B', 'round_robin'); \echo SQLSTATE :SQLSTATE
INSERT INTO crm.accounts (id, name, lead_manager_mode) VALUES (9982, 'Lead managers B', ''); \echo SQLSTATE :SQLSTATE
SET crm.account_id = 9981;
SET ROLE crm_regress_admin;
UPDATE crm.accounts SET lead_manager_mode = 'Client_Responsible' WHERE id = 9981; \echo SQLSTATE :SQLSTATE
RESET ROLE;
SET ROLE crm_regress_manager;
UPDATE crm.accounts SET lead_manager_mode = 'client_responsible' WHERE id = 9981; \echo SQLSTATE :SQLSTATE
RESET ROLE;

-- Nothing changed.
RESET crm.account_id;
SELECT id, lead_manager_mode FROM crm.accounts WHERE id IN (9981, 9982) ORDER BY id;
