-- events.sql: the event stream (C: src/events.c).  Every business change writes one
-- row of crm.events in its transaction, numbered per account in commit order; the
-- account's listeners hear NOTIFY crm_events_<account_id> with the newest id only.

COMMENT ON TABLE crm.events IS
    'One row per business change, numbered per account in commit order (read with crm.events_since); append-only, written by crm.';
COMMENT ON TABLE crm.event_counters IS
    'The last event id of each account (crm''s own; no role reads it).';
COMMENT ON COLUMN crm.events.account_id IS 'The account of the change.';
COMMENT ON COLUMN crm.events.id IS
    'The event''s number in its account, in commit order: a consumer resumes with crm.events_since(the last id it read).';
COMMENT ON COLUMN crm.events.at IS 'The transaction time of the change.';
COMMENT ON COLUMN crm.events.kind IS
    'What changed: lead_created, lead_status_changed, lead_manager_changed, lead_client_linked, lead_order_linked, lead_overdue, client_created, client_category_changed, client_responsible_changed, order_created, order_lead_linked, invoice_created, invoice_status_changed, payment, payment_failed, alert_raised, call_logged, message_in, message_out, appointment_created, appointment_status_changed or outbox_queued.';
COMMENT ON COLUMN crm.events.employee_id IS 'The acting employee; NULL: none.';
COMMENT ON COLUMN crm.events.payload IS
    'JSON: the row''s id (lead_id, invoice_id, ...) with its ids, states, amounts and times, or from and to for a change; never customer data.';
COMMENT ON COLUMN crm.event_counters.account_id IS 'The account.';
COMMENT ON COLUMN crm.event_counters.last_id IS 'The id of the account''s last event.';
COMMENT ON COLUMN crm.event_counters.relayed_id IS
    'On the Citus coordinator: the last id crm.relay_events notified the coordinator''s listeners of (NULL: none yet); unused on one server.';

CREATE OR REPLACE FUNCTION crm._record_event() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_record_event';
REVOKE ALL ON FUNCTION crm._record_event() FROM PUBLIC;
COMMENT ON FUNCTION crm._record_event() IS
    'Trigger *_96_events: the row''s change as an event of crm.events, numbered when the transaction commits; the argument names the entity.';

-- After the other AFTER triggers of each table (96): the row as the rules left it.
CREATE OR REPLACE TRIGGER leads_96_events AFTER INSERT OR UPDATE ON crm.leads
    FOR EACH ROW EXECUTE FUNCTION crm._record_event('lead');
CREATE OR REPLACE TRIGGER clients_96_events AFTER INSERT OR UPDATE ON crm.clients
    FOR EACH ROW EXECUTE FUNCTION crm._record_event('client');
CREATE OR REPLACE TRIGGER orders_96_events AFTER INSERT OR UPDATE ON crm.orders
    FOR EACH ROW EXECUTE FUNCTION crm._record_event('order');
CREATE OR REPLACE TRIGGER invoices_96_events AFTER INSERT OR UPDATE ON crm.invoices
    FOR EACH ROW EXECUTE FUNCTION crm._record_event('invoice');
CREATE OR REPLACE TRIGGER payments_96_events AFTER INSERT ON crm.payments
    FOR EACH ROW EXECUTE FUNCTION crm._record_event('payment');
CREATE OR REPLACE TRIGGER alerts_96_events AFTER INSERT ON crm.alerts
    FOR EACH ROW EXECUTE FUNCTION crm._record_event('alert');
CREATE OR REPLACE TRIGGER calls_96_events AFTER INSERT ON crm.calls
    FOR EACH ROW EXECUTE FUNCTION crm._record_event('call');
CREATE OR REPLACE TRIGGER messages_96_events AFTER INSERT ON crm.messages
    FOR EACH ROW EXECUTE FUNCTION crm._record_event('message');
CREATE OR REPLACE TRIGGER appointments_96_events AFTER INSERT OR UPDATE ON crm.appointments
    FOR EACH ROW EXECUTE FUNCTION crm._record_event('appointment');
CREATE OR REPLACE TRIGGER outbox_96_events AFTER INSERT ON crm.outbox
    FOR EACH ROW EXECUTE FUNCTION crm._record_event('outbox');

CREATE OR REPLACE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON crm.events
    FOR EACH ROW EXECUTE FUNCTION crm._append_only();
CREATE OR REPLACE TRIGGER events_no_truncate BEFORE TRUNCATE ON crm.events
    FOR EACH STATEMENT EXECUTE FUNCTION crm._append_only();

CREATE OR REPLACE FUNCTION crm.events_since(after_id bigint, max integer DEFAULT 1000) RETURNS SETOF crm.events
    LANGUAGE c STABLE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_events_since';
REVOKE ALL ON FUNCTION crm.events_since(bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crm.events_since(bigint, integer) TO crm_reader;
COMMENT ON FUNCTION crm.events_since(bigint, integer) IS
    'The current account''s events after after_id (0: from the first), in order, at most max (1 to 10000); resume with the last id read.';

-- On Citus the events are written on the worker nodes, whose notifications do not reach a
-- listener on the coordinator: the coordinator relays them (C: src/events_relay.c).
CREATE OR REPLACE FUNCTION crm.relay_events() RETURNS TABLE (account_id bigint, last_id bigint)
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_relay_events_sql';
REVOKE ALL ON FUNCTION crm.relay_events() FROM PUBLIC;
COMMENT ON FUNCTION crm.relay_events() IS
    'On the Citus coordinator of a distributed crm: NOTIFY crm_events_<account_id> with the newest id for every account with events committed since the last relay, as one server notifies them; returns the accounts notified. The coordinator''s crm worker calls it; nothing on one server. For the owner of schema crm.';

GRANT SELECT ON crm.events TO crm_reader;
