-- Alerts: the errors of marking an alert that does not exist or that was sent to
-- another employee (or with no employee set), through the functions and a plain UPDATE.
-- Each failing statement is followed by its SQLSTATE; account 9851 and its fixed ids
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
INSERT INTO crm.accounts (id, name) VALUES (9851, 'Alerts A');
INSERT INTO crm.employees (account_id, id, name) VALUES (9851, 9851, 'Anna'), (9851, 9852, 'Boris');
INSERT INTO crm.clients (account_id, id, name) VALUES (9851, 9851, 'Ivan');
-- Anna's alert, written as crm writes one for a failed payment.
INSERT INTO crm.alerts (account_id, id, employee_id, client_id, happened_at)
  VALUES (9851, 9851, 9851, 9851, '2026-01-10 10:00:00+00');

SET crm.account_id = 9851;
SET ROLE crm_regress_manager;
-- Only the employee the alert was sent to marks it.
SET crm.employee_id = 9852;
SELECT crm.mark_alert_seen(9851, '2026-01-10 11:00:00+00'); \echo SQLSTATE :SQLSTATE
SELECT crm.resolve_alert(9851, '2026-01-10 11:00:00+00'); \echo SQLSTATE :SQLSTATE
RESET crm.employee_id;
SELECT crm.resolve_alert(9851, '2026-01-10 11:00:00+00'); \echo SQLSTATE :SQLSTATE
-- A plain UPDATE is held to the same rule.
SET crm.employee_id = 9852;
UPDATE crm.alerts SET resolved_at = '2026-01-10 11:00:00+00' WHERE id = 9851; \echo SQLSTATE :SQLSTATE
UPDATE crm.alerts SET seen_at = '2026-01-10 11:00:00+00'; \echo SQLSTATE :SQLSTATE
-- An alert that does not exist.
SET crm.employee_id = 9851;
SELECT crm.resolve_alert(9899, '2026-01-10 11:00:00+00'); \echo SQLSTATE :SQLSTATE
SELECT crm.mark_alert_seen(9899, '2026-01-10 11:00:00+00'); \echo SQLSTATE :SQLSTATE
RESET ROLE;

-- Nothing changed.
RESET crm.account_id;
RESET crm.employee_id;
SELECT id, employee_id, seen_at, resolved_at FROM crm.alerts WHERE account_id = 9851 ORDER BY id;
