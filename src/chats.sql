-- chats.sql: conversations, messages, who talked to whom (appointments: appointments.sql).

COMMENT ON TABLE crm.conversations IS 'Conversations with clients, opened by the application; crm keeps the time of the last message.';
COMMENT ON COLUMN crm.conversations.account_id IS 'The account the row belongs to (default crm.current_account()).';
COMMENT ON COLUMN crm.conversations.id IS 'The conversation''s id (an identity; the key is (account_id, id)).';
COMMENT ON COLUMN crm.conversations.client_id IS 'The client talked to.';
COMMENT ON COLUMN crm.conversations.channel IS 'Where the conversation takes place (free text, default chat).';
COMMENT ON COLUMN crm.conversations.last_message_at IS E'@omit create,update\n'
    'Set by crm: the sent_at of the latest message, in or out; NULL before the first.';
COMMENT ON COLUMN crm.conversations.created_at IS 'When the conversation was opened (default: the transaction time).';

COMMENT ON TABLE crm.messages IS
    E'@foreignKey (direction) references crm.message_directions (value)\n'
    'The messages of conversations, in and out; an outgoing one names the acting employee. Customer data.';
COMMENT ON COLUMN crm.messages.account_id IS 'The account the row belongs to (default crm.current_account()).';
COMMENT ON COLUMN crm.messages.id IS 'The message''s id (an identity; the key is (account_id, id)).';
COMMENT ON COLUMN crm.messages.conversation_id IS 'The conversation the message belongs to.';
COMMENT ON COLUMN crm.messages.direction IS 'The message''s direction: in (from the client) or out (to the client).';
COMMENT ON COLUMN crm.messages.employee_id IS
    'For an outgoing message, the employee who wrote it: the acting one (naming another raises 42501); NULL for an incoming one, or by nobody.';
COMMENT ON COLUMN crm.messages.body IS 'The text of the message (default empty).';
COMMENT ON COLUMN crm.messages.sent_at IS
    'When the message was sent (default: the transaction time): from 2000-01-01 to 5 minutes after now(), for a bound login within 5 minutes of now(), else 22008. Decides who wrote to a client first.';

COMMENT ON TABLE crm.client_contacts IS
    'Written by crm: when each employee first and last wrote to each client. Failed-payment alerts are routed by it.';
COMMENT ON COLUMN crm.client_contacts.account_id IS 'The account the row belongs to (default crm.current_account()).';
COMMENT ON COLUMN crm.client_contacts.client_id IS 'The client written to.';
COMMENT ON COLUMN crm.client_contacts.employee_id IS 'The employee who wrote.';
COMMENT ON COLUMN crm.client_contacts.conversation_id IS 'The conversation of the employee''s first message to the client.';
COMMENT ON COLUMN crm.client_contacts.first_out_at IS 'The sent_at of the employee''s first message to the client.';
COMMENT ON COLUMN crm.client_contacts.last_out_at IS 'The sent_at of the employee''s latest message to the client.';

GRANT SELECT ON crm.conversations, crm.messages, crm.client_contacts TO crm_reader;
-- crm_manager writes the columns of crm.conversations but those crm fills (@omit create,update):
-- those are refused (42501), but for the ones a trigger refuses with an explanation (428C9).
REVOKE INSERT, UPDATE ON crm.conversations FROM crm_manager;
GRANT INSERT (account_id, id, client_id, channel, created_at), UPDATE (account_id, id,
    client_id, channel, created_at) ON crm.conversations TO crm_manager;
GRANT INSERT ON crm.messages TO crm_manager;

CREATE OR REPLACE FUNCTION crm._message_before_insert() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_message_before_insert';
REVOKE ALL ON FUNCTION crm._message_before_insert() FROM PUBLIC;
COMMENT ON FUNCTION crm._message_before_insert() IS
    'Trigger messages_10_check: an outgoing message names the acting employee, and sent_at is a sane time.';
CREATE OR REPLACE FUNCTION crm._message_after_insert() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_message_after_insert';
REVOKE ALL ON FUNCTION crm._message_after_insert() FROM PUBLIC;
COMMENT ON FUNCTION crm._message_after_insert() IS
    'Trigger messages_50_contacts: last_message_at, crm.client_contacts, and the first writer as the client''s responsible manager.';

-- The employee is the actor, and sent_at a sane time (actor.c).
CREATE OR REPLACE TRIGGER messages_10_check BEFORE INSERT ON crm.messages
    FOR EACH ROW EXECUTE FUNCTION crm._message_before_insert();
CREATE OR REPLACE TRIGGER messages_50_contacts AFTER INSERT ON crm.messages
    FOR EACH ROW EXECUTE FUNCTION crm._message_after_insert();

-- The chat list: one row per conversation with its client and last message
-- (its search indexes on crm.clients and crm.client_phones are in clients.sql).
-- funnel is 'employees' for clients of category 'employee', else 'clients'.
-- Search: lower(client) LIKE lower('ann') || '%' (name prefix, index
-- clients_name_prefix_idx) or a phone suffix: client_id IN (SELECT client_id FROM
-- crm.client_phones WHERE account_id = crm.current_account() AND reverse(phone) LIKE reverse($1) || '%') (client_phones_suffix_idx).
-- The last message and where the client is (client_place.sql: from its first phone, at
-- query time) are subqueries in the select list, one in each column's expression, so that
-- they run only for the rows and columns a query reads (after a LIMIT). No outer join and
-- no subquery without FROM: on Citus, a query with either is refused beside the
-- policies' account conditions (their equalities are pseudoconstant quals) or beside a
-- correlated subquery; this shape runs there on the account's shards.
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
       (SELECT m.direction FROM crm.messages m
        WHERE m.account_id = v.account_id AND m.conversation_id = v.id ORDER BY m.sent_at DESC, m.id DESC LIMIT 1) AS last_direction,
       (SELECT m.employee_id FROM crm.messages m
        WHERE m.account_id = v.account_id AND m.conversation_id = v.id ORDER BY m.sent_at DESC, m.id DESC LIMIT 1) AS last_employee_id,
       (SELECT m.body FROM crm.messages m
        WHERE m.account_id = v.account_id AND m.conversation_id = v.id ORDER BY m.sent_at DESC, m.id DESC LIMIT 1) AS last_message,
       crm.phone_country((SELECT p.phone FROM crm.client_phones p
                WHERE p.account_id = c.account_id AND p.client_id = c.id ORDER BY p.id LIMIT 1)) AS client_country,
       crm.phone_area((SELECT p.phone FROM crm.client_phones p
                WHERE p.account_id = c.account_id AND p.client_id = c.id ORDER BY p.id LIMIT 1)) AS client_area,
       coalesce(c.timezone,
                crm.country_timezone(crm.phone_country((SELECT p.phone FROM crm.client_phones p
                WHERE p.account_id = c.account_id AND p.client_id = c.id ORDER BY p.id LIMIT 1))),
                (SELECT a.timezone FROM crm.accounts a WHERE a.id = v.account_id)) AS client_timezone,
       now() AT TIME ZONE coalesce(c.timezone,
                crm.country_timezone(crm.phone_country((SELECT p.phone FROM crm.client_phones p
                WHERE p.account_id = c.account_id AND p.client_id = c.id ORDER BY p.id LIMIT 1))),
                (SELECT a.timezone FROM crm.accounts a WHERE a.id = v.account_id)) AS client_local_time
FROM crm.conversations v
JOIN crm.clients c ON c.account_id = v.account_id AND c.id = v.client_id;
COMMENT ON VIEW crm.chat_list IS
    E'@primaryKey account_id,id\n'
    '@foreignKey (account_id,id) references crm.conversations (account_id,id)|@fieldName conversation|@foreignSingleFieldName chatListRow|@foreignFieldName chatListRows\n'
    '@foreignKey (category) references crm.client_categories (value)\n'
    '@foreignKey (last_direction) references crm.message_directions (value)\n'
    'One row per conversation with its client, the client''s phones and the last message; funnel splits employees from clients.';
COMMENT ON COLUMN crm.chat_list.id IS 'The conversation''s id (crm.conversations.id).';
COMMENT ON COLUMN crm.chat_list.account_id IS 'The account of the conversation.';
COMMENT ON COLUMN crm.chat_list.client_id IS 'The client''s id.';
COMMENT ON COLUMN crm.chat_list.client IS 'The client''s name (search by prefix: lower(client) LIKE lower(...) || ''%'').';
COMMENT ON COLUMN crm.chat_list.phones IS 'The client''s phones in E.164, oldest first (empty without phones).';
COMMENT ON COLUMN crm.chat_list.category IS 'The client''s category.';
COMMENT ON COLUMN crm.chat_list.funnel IS 'The chat list''s funnel: employees for clients of category employee, else clients.';
COMMENT ON COLUMN crm.chat_list.channel IS 'The conversation''s channel.';
COMMENT ON COLUMN crm.chat_list.last_message_at IS 'When the latest message was sent; NULL: no message yet.';
COMMENT ON COLUMN crm.chat_list.last_direction IS 'The latest message''s direction, in or out; NULL: no message yet.';
COMMENT ON COLUMN crm.chat_list.last_employee_id IS 'The employee who wrote the latest message; NULL: an incoming one, or none.';
COMMENT ON COLUMN crm.chat_list.last_message IS 'The latest message''s text; NULL: no message yet.';
COMMENT ON COLUMN crm.chat_list.client_country IS
    'The country of the client''s first phone (ISO 3166 alpha-2, libphonenumber); NULL without a phone.';
COMMENT ON COLUMN crm.chat_list.client_area IS
    'The offline geocoder''s description of the client''s first phone, in English: the area of a fixed line (Moscow), the country of a mobile (Russia); NULL without a phone.';
COMMENT ON COLUMN crm.chat_list.client_timezone IS
    'The client''s time zone: clients.timezone, else the zone of its first phone''s country when that country has only one, else the account''s.';
COMMENT ON COLUMN crm.chat_list.client_local_time IS
    'The client''s current time: now() in client_timezone, at the time of the query.';
GRANT SELECT ON crm.chat_list TO crm_reader;

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
CREATE OR REPLACE FUNCTION crm._receive_message(account bigint, channel text, sender text, sender_name text,
                                                body text, sent_at timestamptz)
    RETURNS crm.messages
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_receive_message';
REVOKE ALL ON FUNCTION crm._receive_message(bigint, text, text, text, text, timestamptz) FROM PUBLIC;
COMMENT ON FUNCTION crm._receive_message(bigint, text, text, text, text, timestamptz) IS
    'The work of crm.receive_message on Citus, delegated by crm.distribute() to the worker that holds the account (its account argument, which must be the session''s).';
GRANT EXECUTE ON FUNCTION crm.receive_message(text, text, text, text, timestamptz),
                          crm._receive_message(bigint, text, text, text, text, timestamptz) TO crm_manager;
COMMENT ON COLUMN crm.accounts.inbound_lead_mode IS
    'Whether crm.receive_message opens a lead: off (never), new_client (for a client crm did not know; the default) or no_open_lead (whenever the client has no open lead).';
GRANT UPDATE (inbound_lead_mode) ON crm.accounts TO crm_admin;
