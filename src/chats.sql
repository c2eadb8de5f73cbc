-- chats.sql: conversations, messages, who talked to whom, appointments.

GRANT SELECT ON crm.conversations, crm.messages, crm.client_contacts, crm.appointments TO crm_reader;
GRANT INSERT, UPDATE ON crm.conversations TO crm_manager;
GRANT INSERT ON crm.messages TO crm_manager;
GRANT INSERT, UPDATE ON crm.appointments TO crm_manager;
GRANT SELECT ON crm.appointment_events TO crm_reader;

CREATE OR REPLACE FUNCTION crm._message_before_insert() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_message_before_insert';
REVOKE ALL ON FUNCTION crm._message_before_insert() FROM PUBLIC;
CREATE OR REPLACE FUNCTION crm._message_after_insert() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_message_after_insert';
REVOKE ALL ON FUNCTION crm._message_after_insert() FROM PUBLIC;
CREATE OR REPLACE FUNCTION crm._appointment_before_update() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_appointment_before_update';
REVOKE ALL ON FUNCTION crm._appointment_before_update() FROM PUBLIC;
CREATE OR REPLACE FUNCTION crm._appointment_history() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_appointment_history';
REVOKE ALL ON FUNCTION crm._appointment_history() FROM PUBLIC;

-- The employee is the actor, and sent_at a sane time (actor.c).
CREATE OR REPLACE TRIGGER messages_10_check BEFORE INSERT ON crm.messages
    FOR EACH ROW EXECUTE FUNCTION crm._message_before_insert();
CREATE OR REPLACE TRIGGER messages_50_contacts AFTER INSERT ON crm.messages
    FOR EACH ROW EXECUTE FUNCTION crm._message_after_insert();
CREATE OR REPLACE TRIGGER appointments_10_transition BEFORE UPDATE OF status ON crm.appointments
    FOR EACH ROW EXECUTE FUNCTION crm._appointment_before_update();
CREATE OR REPLACE TRIGGER appointments_90_history AFTER INSERT OR UPDATE OF status ON crm.appointments
    FOR EACH ROW EXECUTE FUNCTION crm._appointment_history();
CREATE OR REPLACE TRIGGER appointment_events_append_only BEFORE UPDATE OR DELETE ON crm.appointment_events
    FOR EACH ROW EXECUTE FUNCTION crm._append_only();
CREATE OR REPLACE TRIGGER appointment_events_no_truncate BEFORE TRUNCATE ON crm.appointment_events
    FOR EACH STATEMENT EXECUTE FUNCTION crm._append_only();

-- The chat list: one row per conversation with its client and last message
-- (its search indexes on crm.clients and crm.client_phones are in clients.sql).
-- funnel is 'employees' for clients of category 'employee', else 'clients'.
-- Search: lower(client) LIKE lower('ann') || '%' (name prefix, index
-- clients_name_prefix_idx) or a phone suffix: client_id IN (SELECT client_id FROM
-- crm.client_phones WHERE account_id = crm.current_account() AND reverse(phone) LIKE reverse($1) || '%') (client_phones_suffix_idx).
CREATE OR REPLACE VIEW crm.chat_list WITH (security_invoker = true) AS
SELECT v.id,
       v.account_id,
       v.client_id,
       c.name AS client,
       ARRAY(SELECT p.phone FROM crm.client_phones p
             WHERE p.account_id = v.account_id AND p.client_id = v.client_id ORDER BY p.id) AS phones,
       c.category,
       CASE WHEN c.category = 'employee' THEN 'employees' ELSE 'clients' END AS funnel,
       v.channel,
       v.last_message_at,
       m.direction AS last_direction,
       m.employee_id AS last_employee_id,
       m.body AS last_message
FROM crm.conversations v
JOIN crm.clients c ON c.account_id = v.account_id AND c.id = v.client_id
LEFT JOIN LATERAL (
    SELECT m.direction, m.employee_id, m.body FROM crm.messages m
    WHERE m.account_id = v.account_id AND m.conversation_id = v.id
    ORDER BY m.sent_at DESC, m.id DESC LIMIT 1) m ON true;
GRANT SELECT ON crm.chat_list, crm.appointment_events TO crm_reader;

-- First contact (inbound.c): a channel integration hands crm each message a client
-- writes; crm finds the client by its address on the channel or by phone, or makes
-- it, and by accounts.inbound_lead_mode opens a lead.
CREATE OR REPLACE FUNCTION crm.receive_message(channel text, sender text, sender_name text, body text,
                                               sent_at timestamptz DEFAULT now())
    RETURNS crm.messages
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_receive_message';
REVOKE ALL ON FUNCTION crm.receive_message(text,text,text,text,timestamp with time zone) FROM PUBLIC;
COMMENT ON FUNCTION crm.receive_message(text, text, text, text, timestamptz) IS
    'Records a message a client sent through a channel: finds the client by its address on the channel or its phone, or creates it; finds or creates the conversation; by accounts.inbound_lead_mode opens a lead. Returns the message.';
GRANT EXECUTE ON FUNCTION crm.receive_message(text, text, text, text, timestamptz) TO crm_manager;
COMMENT ON COLUMN crm.accounts.inbound_lead_mode IS
    'Whether crm.receive_message opens a lead: off (never), new_client (for a client crm did not know; the default) or no_open_lead (whenever the client has no open lead).';
GRANT UPDATE (inbound_lead_mode) ON crm.accounts TO crm_admin;
