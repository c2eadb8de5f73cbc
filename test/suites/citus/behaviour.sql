-- behaviour.sql: one account's working day, a transaction per step as a tenant session
-- through the Citus coordinator runs it (SET LOCAL crm.account_id, propagated to the
-- workers by citus.propagate_set_commands = 'local'); run by run.sh on the cluster and
-- on one server, whose outputs must be equal.  Prints key=value lines, no ids.
--   psql -v acc=ID -v raw='a phone as typed' -v raw2=... -v raw3=... -f behaviour.sql
\set ON_ERROR_STOP 1
SET citus.propagate_set_commands = 'local';
SELECT crm_test.id('employees', :acc, 'Anna') AS anna, crm_test.id('statuses', :acc, 'In work') AS s_work,
       crm_test.id('statuses', :acc, 'Won') AS s_won, crm_test.id('statuses', :acc, 'Paid order') AS s_paid \gset
UPDATE crm.accounts SET order_link_mode = 'auto', client_link_mode = 'auto' WHERE id = :acc;

-- Numbering: the account's own counter.
BEGIN;
SET LOCAL crm.account_id = :acc;
INSERT INTO crm.leads (contact_name) VALUES ('First') RETURNING id AS l1, number AS n1 \gset
INSERT INTO crm.leads (contact_name) VALUES ('Second') RETURNING number AS n2 \gset
COMMIT;

-- Transitions: allowed moves, one step each.
BEGIN;
SET LOCAL crm.account_id = :acc;
SELECT (crm.transition_lead(:l1, :s_work)).status_id = :s_work AS moved \gset
COMMIT;
BEGIN;
SET LOCAL crm.account_id = :acc;
SELECT (crm.transition_lead(:l1, :s_won)).status_id = :s_won AS won \gset
COMMIT;

-- A client's phone normalised; a lead with that phone linked to the client; an order
-- with it linked to the lead, which moves to the order status.
BEGIN;
SET LOCAL crm.account_id = :acc;
INSERT INTO crm.clients (name) VALUES ('Petr') RETURNING id AS c \gset
INSERT INTO crm.client_phones (client_id, raw) VALUES (:c, :'raw') RETURNING phone AS client_phone \gset
INSERT INTO crm.leads (contact_name, contact_phone) VALUES ('Petr', :'raw2')
  RETURNING id AS l3, client_id = :c AS lead_client_linked, phone AS lead_phone \gset
INSERT INTO crm.orders (phone, amount) VALUES (:'raw3', 100)
  RETURNING id AS o, lead_id = :l3 AS order_lead_linked, number AS order_number \gset
COMMIT;
SELECT status_id = :s_paid AS lead_paid, order_id = :o AS lead_order FROM crm.leads WHERE account_id = :acc AND id = :l3 \gset

-- An invoice of a flagged offer; the manager wrote to the client first; a failed
-- payment alerts her; a payment pays the invoice; calls on the invoice and a task.
BEGIN;
SET LOCAL crm.account_id = :acc;
INSERT INTO crm.offers (name, price, notify_on_failed_payment) VALUES ('Course', 1000, true) RETURNING id AS off \gset
INSERT INTO crm.conversations (client_id, channel) VALUES (:c, 'chat') RETURNING id AS conv \gset
INSERT INTO crm.messages (conversation_id, direction, employee_id, body, sent_at)
  VALUES (:conv, 'out', :anna, 'Hello', now() - interval '1 hour');
INSERT INTO crm.invoices (client_id, manager_id, amount) VALUES (:c, :anna, 1000)
  RETURNING id AS inv, number AS invoice_number \gset
INSERT INTO crm.invoice_items (invoice_id, offer_id, quantity, price) VALUES (:inv, :off, 1, 1000);
COMMIT;
BEGIN;
SET LOCAL crm.account_id = :acc;
INSERT INTO crm.payments (invoice_id, kind, amount, succeeded, failure_reason, at)
  VALUES (:inv, 'payment', 1000, false, 'card declined', now());
COMMIT;
BEGIN;
SET LOCAL crm.account_id = :acc;
INSERT INTO crm.payments (invoice_id, kind, amount, succeeded, at) VALUES (:inv, 'payment', 1000, true, now());
INSERT INTO crm.calls (invoice_id, client_id, employee_id, outcome, called_at) VALUES (:inv, :c, :anna, 'talked', now());
INSERT INTO crm.call_tasks (client_id, title, employee_id) VALUES (:c, 'Call back', :anna) RETURNING id AS task \gset
INSERT INTO crm.calls (task_id, client_id, employee_id, outcome, called_at, callback_at)
  VALUES (:task, :c, :anna, 'call_back', now(), now() + interval '1 day');
COMMIT;

-- The chat list of the account: its conversation with the client, the last message, where
-- the client is.
BEGIN;
SET LOCAL crm.account_id = :acc;
SELECT string_agg(client || ' ' || array_to_string(phones, ';') || ' ' || funnel || ' ' || last_direction || ' '
                  || last_message || ' ' || (last_employee_id = :anna) || ' ' || client_country || ' ' || client_timezone, ',') AS chat
  FROM crm.chat_list WHERE account_id = :acc \gset
SELECT client || ' ' || last_message AS chat_page FROM crm.chat_list ORDER BY last_message_at DESC LIMIT 1 \gset
COMMIT;

SELECT 'numbers=' || :'n1' || ',' || :'n2',
       'transitions=' || :'moved' || ',' || :'won',
       'client_phone=' || :'client_phone',
       'lead_phone=' || :'lead_phone' || ' linked to the client: ' || :'lead_client_linked',
       'order=' || :'order_number' || ' linked to the lead: ' || :'order_lead_linked'
         || '; lead moved to the order status: ' || :'lead_paid' || ', names the order: ' || :'lead_order',
       'invoice=' || :'invoice_number' || ' ' || i.status || ' ' || i.amount,
       'alerts=' || (SELECT count(*) FROM crm.alerts a WHERE a.account_id = :acc AND a.invoice_id = :inv AND a.employee_id = :anna),
       'invoice_events=' || (SELECT string_agg(kind, ',' ORDER BY id) FROM crm.invoice_events e WHERE e.account_id = :acc AND e.invoice_id = :inv),
       'lead_events=' || (SELECT string_agg(kind, ',' ORDER BY id) FROM crm.lead_events e WHERE e.account_id = :acc AND e.lead_id = :l1),
       'calls=' || (SELECT string_agg(outcome, ',' ORDER BY id) FROM crm.calls k WHERE k.account_id = :acc AND k.client_id = :c),
       'task=' || (SELECT t.call_attempts || ' attempts, next call set: ' || (t.next_call_at IS NOT NULL) FROM crm.call_tasks t WHERE t.account_id = :acc AND t.id = :task),
       'events=' || (SELECT count(*) FROM crm.events e WHERE e.account_id = :acc),
       'chat_list=' || :'chat' || '; its first page: ' || :'chat_page'
FROM crm.invoices i WHERE i.account_id = :acc AND i.id = :inv;
