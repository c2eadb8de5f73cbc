-- Appointments (article 002, "Work with client data from the chats"): the administrator
-- sees the appointment's state (waiting, confirmed, cancelled, came) beside the chat and
-- records a change with its button, e.g. the client confirms in the chat and the
-- administrator presses "waiting", which turns into "confirmed".  A new appointment is
-- waiting; a client may come without confirming; the employee who pressed a button may
-- take a mis-click back within 10 minutes.  Every time is given (status_changed_at, or
-- the undo's argument): nothing waits.
BEGIN;
SELECT plan(25);

CREATE TEMP TABLE t AS SELECT crm_test.company('Salon') AS a, now() AS t0;
GRANT SELECT ON t TO crm_reader;

SELECT crm_test.act('crm_test_manager', (SELECT a FROM t), 'Anna');
INSERT INTO crm.clients (name) VALUES ('Olga'), ('Petr'), ('Irina');
INSERT INTO crm.conversations (client_id) SELECT id FROM crm.clients WHERE name = 'Olga';

-- Booked an hour ago (a booking's time is free: it is not a move).
INSERT INTO crm.appointments (client_id, employee_id, starts_at, status_changed_at)
  SELECT id, crm.current_employee(), (SELECT t0 FROM t) + interval '1 day', (SELECT t0 FROM t) - interval '1 hour'
  FROM crm.clients WHERE name = 'Olga' RETURNING id AS olga \gset
SELECT is((SELECT status FROM crm.appointments WHERE id = :olga), 'waiting', 'a new appointment is waiting');

-- The client confirms in the chat; the administrator presses "waiting" -> "confirmed".
INSERT INTO crm.messages (conversation_id, direction, body, sent_at)
  SELECT id, 'in', 'Подтверждаю, приду завтра', (SELECT t0 FROM t) - interval '41 minutes'
  FROM crm.conversations WHERE client_id = (SELECT id FROM crm.clients WHERE name = 'Olga');
UPDATE crm.appointments SET status = 'confirmed', status_changed_at = (SELECT t0 FROM t) - interval '40 minutes'
  WHERE id = :olga;
SELECT is((SELECT status FROM crm.appointments WHERE id = :olga), 'confirmed', 'waiting -> confirmed');

-- A mis-click on "cancelled", taken back 4 minutes later.
UPDATE crm.appointments SET status = 'cancelled', status_changed_at = (SELECT t0 FROM t) - interval '39 minutes'
  WHERE id = :olga;
SELECT is((crm.undo_appointment_move(:olga, (SELECT t0 FROM t) - interval '35 minutes')).status, 'confirmed',
          'the employee who cancelled takes it back within 10 minutes: confirmed again');
SELECT is((SELECT status_changed_at FROM crm.appointments WHERE id = :olga), (SELECT t0 FROM t) - interval '35 minutes',
          'the undo''s time is the time of the move back');
SELECT throws_ok(format('SELECT crm.undo_appointment_move(%s, %L)', :olga, (SELECT t0 FROM t) - interval '34 minutes'),
                 '55000', format('appointment %s has no move to undo', :olga), 'an undo is not undone');

-- The client came.
UPDATE crm.appointments SET status = 'came', status_changed_at = (SELECT t0 FROM t) - interval '30 minutes'
  WHERE id = :olga;
SELECT is((SELECT status FROM crm.appointments WHERE id = :olga), 'came', 'confirmed -> came');
RESET ROLE;

SELECT crm_test.act('crm_test_manager', (SELECT a FROM t), 'Boris');
SELECT throws_ok(format('SELECT crm.undo_appointment_move(%s, %L)', :olga, (SELECT t0 FROM t) - interval '29 minutes'),
                 '42501', NULL, 'another employee may not undo the move');
SELECT throws_ok(format($$UPDATE crm.appointments SET status = 'confirmed', status_changed_at = %L WHERE id = %s$$,
                        (SELECT t0 FROM t) - interval '29 minutes', :olga),
                 '42501', NULL, 'nor move it back by hand');
RESET ROLE;

SELECT crm_test.act('crm_test_manager', (SELECT a FROM t), 'Anna');
SELECT throws_ok(format('SELECT crm.undo_appointment_move(%s, %L)', :olga, (SELECT t0 FROM t) - interval '19 minutes 59 seconds'),
                 '55000', NULL, 'an undo 10 minutes and a second after the move is too late');
SELECT throws_ok(format('SELECT crm.undo_appointment_move(%s, %L)', :olga, (SELECT t0 FROM t) - interval '31 minutes'),
                 '22008', NULL, 'an undo before the move it undoes is refused');
UPDATE crm.appointments SET status = 'confirmed', status_changed_at = (SELECT t0 FROM t) - interval '20 minutes'
  WHERE id = :olga;
SELECT is((SELECT status FROM crm.appointments WHERE id = :olga), 'confirmed',
          'exactly 10 minutes after the move, moving it back by hand is still an undo');
UPDATE crm.appointments SET status = 'came', status_changed_at = (SELECT t0 FROM t) - interval '19 minutes'
  WHERE id = :olga;

SELECT results_eq(format($$SELECT coalesce(e.from_status, '-'), e.to_status, e.at - (SELECT t0 FROM t),
                                  (SELECT m.name FROM crm.employees m WHERE m.account_id = e.account_id AND m.id = e.employee_id), u.to_status
                           FROM crm.appointment_events e
                           LEFT JOIN crm.appointment_events u ON u.account_id = e.account_id AND u.id = e.undoes_event_id
                           WHERE e.appointment_id = %s ORDER BY e.id$$, :olga),
                  $$VALUES ('-', 'waiting', interval '-1 hour', 'Anna', NULL),
                           ('waiting', 'confirmed', interval '-40 minutes', 'Anna', NULL),
                           ('confirmed', 'cancelled', interval '-39 minutes', 'Anna', NULL),
                           ('cancelled', 'confirmed', interval '-35 minutes', 'Anna', 'cancelled'),
                           ('confirmed', 'came', interval '-30 minutes', 'Anna', NULL),
                           ('came', 'confirmed', interval '-20 minutes', 'Anna', 'came'),
                           ('confirmed', 'came', interval '-19 minutes', 'Anna', NULL)$$,
                  'the history has every move and every undo, naming the move undone');

-- A client may come without confirming first; a new appointment is never booked as came.
SELECT throws_ok($$INSERT INTO crm.appointments (client_id, starts_at, status)
                   SELECT id, now() + interval '1 day', 'came' FROM crm.clients WHERE name = 'Petr'$$,
                 '55000', 'a new appointment cannot start as "came"', 'inserting an appointment as came is refused');
SELECT throws_ok($$INSERT INTO crm.appointments (client_id, starts_at, status)
                   SELECT id, now() + interval '1 day', 'confirmed' FROM crm.clients WHERE name = 'Petr'$$,
                 '55000', 'a new appointment cannot start as "confirmed"', 'so is inserting it as confirmed');
INSERT INTO crm.appointments (client_id, employee_id, starts_at)
  SELECT id, crm.current_employee(), now() + interval '1 day' FROM crm.clients WHERE name = 'Petr'
  RETURNING id AS petr \gset
UPDATE crm.appointments SET status = 'came' WHERE id = :petr;
SELECT is((SELECT status FROM crm.appointments WHERE id = :petr), 'came', 'waiting -> came');
SELECT ok((SELECT status_changed_at BETWEEN now() AND clock_timestamp() FROM crm.appointments WHERE id = :petr),
          'a move without a time happens at the transaction time');
SELECT throws_ok(format($$UPDATE crm.appointments SET status = 'confirmed' WHERE id = %s$$, :petr),
                 '55000', NULL, 'moving back to a status it did not come from is no undo');
SELECT throws_ok(format($$UPDATE crm.appointments SET status = 'cancelled' WHERE id = %s$$, :petr),
                 '55000', NULL, 'came is final');
SELECT throws_ok(format($$UPDATE crm.appointments SET status_changed_at = now() - interval '1 minute' WHERE id = %s$$, :petr),
                 '55000', NULL, 'status_changed_at changes only with the status');
SELECT lives_ok(format($$UPDATE crm.appointments SET status = 'waiting' WHERE id = %s$$, :petr),
                'the mis-click on came is undone at once, by plain UPDATE');

INSERT INTO crm.appointments (client_id, employee_id, starts_at)
  SELECT id, crm.current_employee(), now() + interval '1 day' FROM crm.clients WHERE name = 'Irina'
  RETURNING id AS irina \gset
UPDATE crm.appointments SET status = 'cancelled' WHERE id = :irina;
SELECT is((SELECT status FROM crm.appointments WHERE id = :irina), 'cancelled', 'waiting -> cancelled');
SELECT throws_ok(format($$UPDATE crm.appointments SET status = 'confirmed' WHERE id = %s$$, :irina),
                 '55000', NULL, 'cancelled is final');
SELECT throws_ok($$UPDATE crm.appointments SET status = 'bogus'$$, '55000', NULL,
                 'an unknown appointment status is refused as a move');
RESET ROLE;

SELECT throws_ok($$UPDATE crm.appointment_events SET to_status = 'came'$$, '42501', NULL,
                 'appointment history is append-only');
SELECT is((SELECT count(*) FROM crm.appointment_events e
           JOIN crm.appointments p ON p.account_id = e.account_id AND p.id = e.appointment_id
           WHERE p.account_id = (SELECT a FROM t) AND e.at <> p.status_changed_at AND e.id = (
               SELECT max(id) FROM crm.appointment_events x WHERE x.account_id = e.account_id AND x.appointment_id = e.appointment_id)),
          0::bigint, 'each appointment''s last event is at its status_changed_at');

SELECT * FROM finish();
ROLLBACK;
