-- Chats and appointments: the errors of an appointment moved the way its rules do not
-- allow (the hint lists the moves that are), and of rewriting its history.
-- Each failing statement is followed by its SQLSTATE; account 9801 and its fixed ids
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
INSERT INTO crm.accounts (id, name) VALUES (9801, 'Chats A');
INSERT INTO crm.employees (account_id, id, name) VALUES (9801, 9801, 'Anna');
INSERT INTO crm.clients (account_id, id, name) VALUES (9801, 9801, 'Ivan');
-- Appointments 9801 waiting, 9802 confirmed, 9803 came, 9804 cancelled.
INSERT INTO crm.appointments (account_id, id, client_id, employee_id, starts_at) VALUES
  (9801, 9801, 9801, 9801, '2026-02-01 10:00:00+00'), (9801, 9802, 9801, 9801, '2026-02-02 10:00:00+00'),
  (9801, 9803, 9801, 9801, '2026-02-03 10:00:00+00'), (9801, 9804, 9801, 9801, '2026-02-04 10:00:00+00');
SET crm.account_id = 9801;
SET crm.employee_id = 9801;
UPDATE crm.appointments SET status = 'confirmed' WHERE id IN (9802, 9803);
UPDATE crm.appointments SET status = 'came' WHERE id = 9803;
UPDATE crm.appointments SET status = 'cancelled' WHERE id = 9804;

SET ROLE crm_regress_manager;
-- waiting -> confirmed | cancelled; confirmed -> came | cancelled; came and cancelled are final.
UPDATE crm.appointments SET status = 'came' WHERE id = 9801; \echo SQLSTATE :SQLSTATE
UPDATE crm.appointments SET status = 'waiting' WHERE id = 9802; \echo SQLSTATE :SQLSTATE
UPDATE crm.appointments SET status = 'cancelled' WHERE id = 9803; \echo SQLSTATE :SQLSTATE
UPDATE crm.appointments SET status = 'confirmed' WHERE id = 9804; \echo SQLSTATE :SQLSTATE
RESET ROLE;
-- The appointment history is append-only, even for the owner.
UPDATE crm.appointment_events SET to_status = 'came' WHERE appointment_id = 9801; \echo SQLSTATE :SQLSTATE
DELETE FROM crm.appointment_events WHERE appointment_id = 9801; \echo SQLSTATE :SQLSTATE
TRUNCATE crm.appointment_events; \echo SQLSTATE :SQLSTATE

-- Nothing changed.
RESET crm.account_id;
RESET crm.employee_id;
SELECT id, status FROM crm.appointments WHERE account_id = 9801 ORDER BY id;
SELECT appointment_id, from_status, to_status FROM crm.appointment_events WHERE account_id = 9801 ORDER BY appointment_id, id;
