-- Chats: client contacts, responsible manager, categories, chat list (appointments: appointments.sql).
BEGIN;
SELECT plan(13);

CREATE TEMP TABLE t AS SELECT crm_test.company('Chats Co') AS a;
GRANT SELECT ON t TO crm_reader;
-- Boris's id as a value: a query Citus sends whole to a worker cannot call a function that reads crm tables.
SELECT crm_test.id('employees', (SELECT a FROM t), 'Boris') AS boris \gset

SELECT crm_test.act('crm_test_manager', (SELECT a FROM t), 'Anna');
INSERT INTO crm.clients (name) VALUES ('Olga'), ('Petr'), ('Staff Ivan');
INSERT INTO crm.client_phones (client_id, raw, phone)
  SELECT id, '+7 916 123-45-67', '+79161234567' FROM crm.clients WHERE name = 'Olga';
RESET ROLE;
-- Created without a current employee, the lead has no manager (lead_managers.sql has
-- the rule it then follows).
SELECT crm_test.act('crm_test_manager', (SELECT a FROM t));
INSERT INTO crm.leads (client_id, contact_name, created_at)
  SELECT id, 'Olga lead', '2026-01-01 09:00+00' FROM crm.clients WHERE name = 'Olga';
RESET ROLE;

SELECT crm_test.act('crm_test_manager', (SELECT a FROM t), 'Anna');
INSERT INTO crm.conversations (client_id) SELECT id FROM crm.clients WHERE name IN ('Olga', 'Staff Ivan');
INSERT INTO crm.messages (conversation_id, direction, body, sent_at)
  SELECT v.id, 'in', 'hello', '2026-01-01 10:00+00' FROM crm.conversations v
  JOIN crm.clients c ON c.id = v.client_id AND c.account_id = v.account_id WHERE c.name = 'Olga';
RESET ROLE;

SELECT is((SELECT count(*) FROM crm.client_contacts WHERE account_id = (SELECT a FROM t)), 0::bigint,
          'an incoming message records no contact');
SELECT is((SELECT last_message_at FROM crm.conversations v JOIN crm.clients c ON c.id = v.client_id AND c.account_id = v.account_id
           WHERE c.name = 'Olga' AND v.account_id = (SELECT a FROM t)), '2026-01-01 10:00+00'::timestamptz,
          'an incoming message moves last_message_at');

SELECT crm_test.act('crm_test_manager', (SELECT a FROM t), 'Boris');
INSERT INTO crm.messages (conversation_id, direction, employee_id, body, sent_at)
  SELECT v.id, 'out', crm.current_employee(), 'hi, Boris here', '2026-01-01 11:00+00' FROM crm.conversations v
  JOIN crm.clients c ON c.id = v.client_id AND c.account_id = v.account_id WHERE c.name = 'Olga';
RESET ROLE;

SELECT is((SELECT responsible_id FROM crm.clients WHERE account_id = (SELECT a FROM t) AND name = 'Olga'),
          crm_test.id('employees', (SELECT a FROM t), 'Boris'),
          'the first outgoing message makes the writer responsible');
SELECT is((SELECT manager_id FROM crm.leads WHERE account_id = (SELECT a FROM t) AND contact_name = 'Olga lead'),
          crm_test.id('employees', (SELECT a FROM t), 'Boris'),
          'the client''s lead without a manager, created before the message, gets the writer as its manager');
SELECT is((SELECT count(*) FROM crm.lead_events e JOIN crm.leads l ON l.id = e.lead_id AND l.account_id = e.account_id
                  WHERE l.contact_name = 'Olga lead' AND l.account_id = (SELECT a FROM t) AND e.kind = 'manager_changed'), 1::bigint,
          'the lead history records the manager change');
SELECT results_eq(format($$SELECT first_out_at, last_out_at FROM crm.client_contacts cc
                   WHERE account_id = (SELECT a FROM t) AND employee_id = %s$$, :boris),
                  $$VALUES ('2026-01-01 11:00+00'::timestamptz, '2026-01-01 11:00+00'::timestamptz)$$,
                  'the first outgoing message records the contact');

SELECT crm_test.act('crm_test_manager', (SELECT a FROM t), 'Anna');
INSERT INTO crm.messages (conversation_id, direction, employee_id, body, sent_at)
  SELECT v.id, 'out', crm.current_employee(), 'Anna too', '2026-01-01 12:00+00' FROM crm.conversations v
  JOIN crm.clients c ON c.id = v.client_id AND c.account_id = v.account_id WHERE c.name = 'Olga';
RESET ROLE;
SELECT crm_test.act('crm_test_manager', (SELECT a FROM t), 'Boris');
INSERT INTO crm.messages (conversation_id, direction, employee_id, body, sent_at)
  SELECT v.id, 'out', crm.current_employee(), 'again', '2026-01-02 09:00+00' FROM crm.conversations v
  JOIN crm.clients c ON c.id = v.client_id AND c.account_id = v.account_id WHERE c.name = 'Olga';
RESET ROLE;

SELECT is((SELECT responsible_id FROM crm.clients WHERE account_id = (SELECT a FROM t) AND name = 'Olga'),
          crm_test.id('employees', (SELECT a FROM t), 'Boris'),
          'a later message by another employee changes nothing');
SELECT results_eq(format($$SELECT first_out_at, last_out_at FROM crm.client_contacts cc
                   WHERE account_id = (SELECT a FROM t) AND employee_id = %s$$, :boris),
                  $$VALUES ('2026-01-01 11:00+00'::timestamptz, '2026-01-02 09:00+00'::timestamptz)$$,
                  'a later message moves last_out_at only');
SELECT is((SELECT count(*) FROM crm.client_contacts WHERE account_id = (SELECT a FROM t)), 2::bigint,
          'one contact row per client and employee');

-- Categories: one UPDATE; the CHECK refuses unknown ones.
SELECT crm_test.act('crm_test_manager', (SELECT a FROM t), 'Anna');
UPDATE crm.clients SET category = 'employee' WHERE name = 'Staff Ivan';
SELECT throws_ok($$UPDATE crm.clients SET category = 'vip' WHERE name = 'Petr'$$, '23514',
                 NULL, 'an unknown category is refused');

-- Chat list and funnel.
SELECT results_eq($$SELECT client, funnel, phones, last_message FROM crm.chat_list ORDER BY client$$,
                  $$VALUES ('Olga', 'clients', ARRAY['+79161234567'], 'again'),
                           ('Staff Ivan', 'employees', '{}'::text[], NULL)$$,
                  'chat list: client, funnel, phones, last message');
SELECT results_eq($$SELECT client FROM crm.chat_list WHERE lower(client) LIKE lower('OL') || '%'$$,
                  $$VALUES ('Olga')$$, 'chat list searched by name prefix');
SELECT results_eq($$SELECT client FROM crm.chat_list WHERE client_id IN
                    (SELECT client_id FROM crm.client_phones WHERE reverse(phone) LIKE reverse('4567') || '%')$$,
                  $$VALUES ('Olga')$$, 'chat list searched by the last digits of a phone');

SELECT * FROM finish();
ROLLBACK;
