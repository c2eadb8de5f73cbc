-- appointments.sql: appointments with clients, their moves, the undo of a mis-click and
-- their history (C: src/appointments.c; the tables in src/schema/chats.sql).

COMMENT ON TABLE crm.appointments IS
    E'@foreignKey (status) references crm.appointment_statuses (value)\n'
    'Appointments with clients: booked waiting, then confirmed, came or cancelled; the last move can be undone by its employee within 10 minutes; every move is kept in crm.appointment_events.';
COMMENT ON COLUMN crm.appointments.account_id IS 'The account the row belongs to (default crm.current_account()).';
COMMENT ON COLUMN crm.appointments.id IS 'The appointment''s id (an identity; the key is (account_id, id)).';
COMMENT ON COLUMN crm.appointments.client_id IS 'The client the appointment is with.';
COMMENT ON COLUMN crm.appointments.employee_id IS 'The employee the client is to meet; NULL: none named.';
COMMENT ON COLUMN crm.appointments.starts_at IS 'When the appointment starts.';
COMMENT ON COLUMN crm.appointments.status IS
    'The appointment''s status: a new one is waiting (else 55000); it moves waiting -> confirmed, came or cancelled, confirmed -> came or cancelled (else 55000); the last move may be undone (moved back) by the employee who made it (else 42501) within 10 minutes of it (else 55000).';
COMMENT ON COLUMN crm.appointments.created_at IS 'When the appointment was booked (default: the transaction time).';
COMMENT ON COLUMN crm.appointments.status_changed_at IS
    'When the status last moved: given with the status (a sane time, else 22008; not before the last move), else the transaction time; it decides whether an undo is within 10 minutes. Changed alone: 55000.';

COMMENT ON TABLE crm.appointment_events IS
    'Who moved an appointment from which status to which, and who undid a move, written by crm; append-only: UPDATE, DELETE and TRUNCATE raise 42501.';
COMMENT ON COLUMN crm.appointment_events.account_id IS 'The account the row belongs to (default crm.current_account()).';
COMMENT ON COLUMN crm.appointment_events.id IS 'The event''s id (an identity; the key is (account_id, id)), in the order of the events.';
COMMENT ON COLUMN crm.appointment_events.appointment_id IS 'The appointment moved.';
COMMENT ON COLUMN crm.appointment_events.employee_id IS 'The acting employee; NULL: none.';
COMMENT ON COLUMN crm.appointment_events.from_status IS 'The status before; NULL for the booking.';
COMMENT ON COLUMN crm.appointment_events.to_status IS 'The status after.';
COMMENT ON COLUMN crm.appointment_events.at IS 'When: the appointment''s status_changed_at, the time of the booking, move or undo.';
COMMENT ON COLUMN crm.appointment_events.undoes_event_id IS 'For an undo, the event of the move it takes back; NULL for a booking or a move.';

GRANT SELECT ON crm.appointments, crm.appointment_events TO crm_reader;
GRANT INSERT, UPDATE ON crm.appointments TO crm_manager;

CREATE OR REPLACE FUNCTION crm._appointment_before_update() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_appointment_before_update';
REVOKE ALL ON FUNCTION crm._appointment_before_update() FROM PUBLIC;
COMMENT ON FUNCTION crm._appointment_before_update() IS
    'Trigger appointments_10_transition: a new appointment is waiting; waiting -> confirmed, came or cancelled, confirmed -> came or cancelled, and the undo of the last move; the time of a move.';
CREATE OR REPLACE FUNCTION crm._appointment_history() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_appointment_history';
REVOKE ALL ON FUNCTION crm._appointment_history() FROM PUBLIC;
COMMENT ON FUNCTION crm._appointment_history() IS
    'Trigger appointments_90_history: one crm.appointment_events row per booking, status move and undo.';

CREATE OR REPLACE TRIGGER appointments_10_transition
    BEFORE INSERT OR UPDATE OF status, status_changed_at ON crm.appointments
    FOR EACH ROW EXECUTE FUNCTION crm._appointment_before_update();
CREATE OR REPLACE TRIGGER appointments_90_history AFTER INSERT OR UPDATE OF status ON crm.appointments
    FOR EACH ROW EXECUTE FUNCTION crm._appointment_history();
CREATE OR REPLACE TRIGGER appointment_events_append_only BEFORE UPDATE OR DELETE ON crm.appointment_events
    FOR EACH ROW EXECUTE FUNCTION crm._append_only();
CREATE OR REPLACE TRIGGER appointment_events_no_truncate BEFORE TRUNCATE ON crm.appointment_events
    FOR EACH STATEMENT EXECUTE FUNCTION crm._append_only();

-- The undo of a mis-click: the last move back, as of `at` (the time of the undo).
CREATE OR REPLACE FUNCTION crm.undo_appointment_move(appointment_id bigint, at timestamptz DEFAULT now())
    RETURNS crm.appointments
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_undo_appointment_move';
REVOKE ALL ON FUNCTION crm.undo_appointment_move(bigint,timestamp with time zone) FROM PUBLIC;
COMMENT ON FUNCTION crm.undo_appointment_move(bigint, timestamptz) IS
    'Takes back the last move of an appointment, as of at (default now()): allowed to the employee who made it (else 42501) within 10 minutes of it (else 55000); recorded in crm.appointment_events. Returns the appointment.';
GRANT EXECUTE ON FUNCTION crm.undo_appointment_move(bigint, timestamptz) TO crm_manager;
