-- Appointments: the errors of an appointment booked or moved the way its rules do not
-- allow (the hint lists the moves that are), of an undo by another employee or too
-- late, and of rewriting its history.
-- Each failing statement is followed by its SQLSTATE; account 9801 and its fixed ids
-- and times keep every message the same whatever ran before.
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
INSERT INTO crm.employees (account_id, id, name) VALUES (9801, 9801, 'Anna'), (9801, 9802, 'Boris');
INSERT INTO crm.clients (account_id, id, name) VALUES (9801, 9801, 'Ivan');
-- Appointments 9801 waiting, 9802 confirmed, 9803 came, 9804 cancelled, 9805 came
-- (from confirmed, at 10:05), all booked at 10:00 on 2025-03-01.
INSERT INTO crm.appointments (account_id, id, client_id, employee_id, starts_at, status_changed_at) VALUES
  (9801, 9801, 9801, 9801, '2026-02-01 10:00:00+00', '2025-03-01 10:00:00+00'),
  (9801, 9802, 9801, 9801, '2026-02-02 10:00:00+00', '2025-03-01 10:00:00+00'),
  (9801, 9803, 9801, 9801, '2026-02-03 10:00:00+00', '2025-03-01 10:00:00+00'),
  (9801, 9804, 9801, 9801, '2026-02-04 10:00:00+00', '2025-03-01 10:00:00+00'),
  (9801, 9805, 9801, 9801, '2026-02-05 10:00:00+00', '2025-03-01 10:00:00+00');
SET crm.account_id = 9801;
SET crm.employee_id = 9801;
UPDATE crm.appointments SET status = 'confirmed', status_changed_at = '2025-03-01 10:01:00+00' WHERE id IN (9802, 9803, 9805);
UPDATE crm.appointments SET status = 'came', status_changed_at = '2025-03-01 10:02:00+00' WHERE id = 9803;
UPDATE crm.appointments SET status = 'cancelled', status_changed_at = '2025-03-01 10:02:00+00' WHERE id = 9804;
UPDATE crm.appointments SET status = 'came', status_changed_at = '2025-03-01 10:05:00+00' WHERE id = 9805;

SET ROLE crm_regress_manager;
-- A new appointment is waiting.
INSERT INTO crm.appointments (client_id, starts_at, status) VALUES (9801, '2026-02-06 10:00:00+00', 'came'); \echo SQLSTATE :SQLSTATE
-- waiting -> confirmed | came | cancelled; confirmed -> came | cancelled; came and cancelled
-- are final; the one way back is the undo of the last move.
UPDATE crm.appointments SET status = 'waiting', status_changed_at = '2025-03-01 10:03:00+00' WHERE id = 9803; \echo SQLSTATE :SQLSTATE
UPDATE crm.appointments SET status = 'cancelled' WHERE id = 9803; \echo SQLSTATE :SQLSTATE
UPDATE crm.appointments SET status = 'confirmed' WHERE id = 9804; \echo SQLSTATE :SQLSTATE
-- The time of a move: given with the status, never before the last move.
UPDATE crm.appointments SET status = 'came', status_changed_at = '2025-03-01 10:00:30+00' WHERE id = 9802; \echo SQLSTATE :SQLSTATE
UPDATE crm.appointments SET status_changed_at = '2025-03-01 10:03:00+00' WHERE id = 9802; \echo SQLSTATE :SQLSTATE
-- The undo of 9805's move to came (10:05): too late at 10:15:01; another employee's.
SELECT crm.undo_appointment_move(9805, '2025-03-01 10:15:01+00'); \echo SQLSTATE :SQLSTATE
SELECT crm.undo_appointment_move(9801, '2025-03-01 10:03:00+00'); \echo SQLSTATE :SQLSTATE
SELECT crm.undo_appointment_move(9899, '2025-03-01 10:03:00+00'); \echo SQLSTATE :SQLSTATE
SELECT crm.undo_appointment_move(9805, NULL); \echo SQLSTATE :SQLSTATE
SET crm.employee_id = 9802;
SELECT crm.undo_appointment_move(9805, '2025-03-01 10:06:00+00'); \echo SQLSTATE :SQLSTATE
RESET crm.employee_id;
UPDATE crm.appointments SET status = 'confirmed', status_changed_at = '2025-03-01 10:06:00+00' WHERE id = 9805; \echo SQLSTATE :SQLSTATE
RESET ROLE;
-- The appointment history is append-only, even for the owner.
UPDATE crm.appointment_events SET to_status = 'came' WHERE appointment_id = 9801; \echo SQLSTATE :SQLSTATE
DELETE FROM crm.appointment_events WHERE appointment_id = 9801; \echo SQLSTATE :SQLSTATE
TRUNCATE crm.appointment_events; \echo SQLSTATE :SQLSTATE

-- Nothing changed.
RESET crm.account_id;
RESET crm.employee_id;
SELECT id, status, status_changed_at FROM crm.appointments WHERE account_id = 9801 ORDER BY id;
SELECT appointment_id, from_status, to_status, at FROM crm.appointment_events WHERE account_id = 9801 ORDER BY appointment_id, id;
