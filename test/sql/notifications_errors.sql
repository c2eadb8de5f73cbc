-- Notification rules: the errors of crm.notification_rules (an event, a recipient and a
-- channel from their lists; employee_id with notify = employee, and only with it; admins
-- write, managers read).
-- Each failing statement is followed by its SQLSTATE; account 9991 keeps every message
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
INSERT INTO crm.accounts (id, name) VALUES (9991, 'Notifications A');
INSERT INTO crm.employees (account_id, id, name, email) VALUES (9991, 9991, 'Nina', 'nina@example.com');
SET crm.account_id = 9991;
SET ROLE crm_regress_admin;
INSERT INTO crm.notification_rules (event, notify) VALUES ('lead_deleted', 'manager'); \echo SQLSTATE :SQLSTATE
INSERT INTO crm.notification_rules (event, notify) VALUES ('lead_created', 'everyone'); \echo SQLSTATE :SQLSTATE
INSERT INTO crm.notification_rules (event, notify, channel) VALUES ('lead_created', 'manager', 'sms'); \echo SQLSTATE :SQLSTATE
INSERT INTO crm.notification_rules (event, notify) VALUES ('lead_created', 'employee'); \echo SQLSTATE :SQLSTATE
INSERT INTO crm.notification_rules (event, notify, employee_id) VALUES ('lead_urgent', 'admins', 9991); \echo SQLSTATE :SQLSTATE
INSERT INTO crm.notification_rules (event, notify, employee_id) VALUES ('lead_urgent', 'employee', 9999); \echo SQLSTATE :SQLSTATE
INSERT INTO crm.notification_rules (event, notify, employee_id) VALUES ('lead_urgent', 'employee', 9991);
UPDATE crm.notification_rules SET notify = 'manager' WHERE event = 'lead_urgent'; \echo SQLSTATE :SQLSTATE
RESET ROLE;
SET ROLE crm_regress_manager;
INSERT INTO crm.notification_rules (event, notify) VALUES ('lead_created', 'manager'); \echo SQLSTATE :SQLSTATE
DELETE FROM crm.notification_rules; \echo SQLSTATE :SQLSTATE
RESET ROLE;

-- Nothing changed but the one rule added: the account's default and Nina's.
RESET crm.account_id;
SELECT event, notify, employee_id, channel FROM crm.notification_rules WHERE account_id = 9991 ORDER BY id;
