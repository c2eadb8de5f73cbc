-- events.sql: the event stream (C: src/events.c).  Every business change writes one
-- row of crm.events in its transaction, numbered per account in commit order; the
-- account's listeners hear NOTIFY crm_events_<account_id> with the newest id only.

COMMENT ON TABLE crm.events IS
    'One row per business change, numbered per account in commit order (read with crm.events_since); append-only, written by crm.';
COMMENT ON TABLE crm.event_counters IS
    'The last event id of each account (crm''s own; no role reads it).';

CREATE OR REPLACE FUNCTION crm._record_event() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_record_event';
REVOKE ALL ON FUNCTION crm._record_event() FROM PUBLIC;

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

GRANT SELECT ON crm.events TO crm_reader;
