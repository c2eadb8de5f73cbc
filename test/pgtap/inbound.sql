-- First contact creates the lead (article 004: the contact "заполняется автоматически
-- при создании контакта или если клиент написал вам первым").  A channel integration
-- hands each message to crm.receive_message; crm finds the client by its address on
-- the channel or by phone, or makes it, and by accounts.inbound_lead_mode opens a lead.
BEGIN;
SELECT plan(39);

SELECT crm_test.company('Salon') AS a \gset
SELECT crm_test.id('employees', :a, 'Anna') AS anna \gset
-- The integration: a crm_service member acting as no employee.
SELECT crm_test.act('crm_test_manager', :a);

-- Olga writes first, on WhatsApp.
SELECT * INTO TEMP first_message FROM crm.receive_message('whatsapp', '+7 916 123-45-67', 'Ольга Иванова',
    'Здравствуйте! Хочу записаться на стрижку в субботу', '2026-03-01 10:00+00');
SELECT results_eq($$SELECT direction, employee_id, body, sent_at FROM first_message$$,
                  $$VALUES ('in', NULL::bigint, 'Здравствуйте! Хочу записаться на стрижку в субботу', '2026-03-01 10:00+00'::timestamptz)$$,
                  'receive_message returns the stored incoming message');
SELECT results_eq($$SELECT name FROM crm.clients$$, $$VALUES ('Ольга Иванова')$$,
                  'an unknown sender becomes a client named as the channel names it');
SELECT results_eq($$SELECT phone FROM crm.client_phones$$, $$VALUES ('+79161234567')$$,
                  'a sender that is a phone becomes the client''s phone (E.164 in the account''s region)');
SELECT results_eq($$SELECT channel, address FROM crm.client_channels$$, $$VALUES ('whatsapp', '+7 916 123-45-67')$$,
                  'the client''s address on the channel is recorded as the channel gives it');
SELECT results_eq($$SELECT v.channel, v.last_message_at, v.id = (SELECT conversation_id FROM first_message)
                    FROM crm.conversations v$$,
                  $$VALUES ('whatsapp', '2026-03-01 10:00+00'::timestamptz, true)$$,
                  'the message is in a new conversation on that channel');
SELECT results_eq($$SELECT l.number, t.name, s.name, l.client_id = c.id, l.contact_name, l.phone, l.comment,
                           l.manager_id, l.created_at
                    FROM crm.leads l JOIN crm.lead_types t ON t.account_id = l.account_id AND t.id = l.type_id
                    JOIN crm.statuses s ON s.account_id = l.account_id AND s.id = l.status_id
                    JOIN crm.clients c ON c.account_id = l.account_id$$,
                  $$VALUES ('L-00001', 'Sales', 'New', true, 'Ольга Иванова', '+79161234567',
                            'Здравствуйте! Хочу записаться на стрижку в субботу', NULL::bigint,
                            '2026-03-01 10:00+00'::timestamptz)$$,
                  'a new client''s first message opens a lead of the default type: client linked, contact, message as comment, no manager yet');
SELECT results_eq($$SELECT client, channel, last_direction, last_message FROM crm.chat_list$$,
                  $$VALUES ('Ольга Иванова', 'whatsapp', 'in', 'Здравствуйте! Хочу записаться на стрижку в субботу')$$,
                  'the conversation is in the chat list');

-- Olga writes again: the same client and conversation, no second lead.
SELECT conversation_id = (SELECT conversation_id FROM first_message) AS same_conversation
  FROM crm.receive_message('whatsapp', '+7 916 123-45-67', 'Ольга Иванова', 'В 12:00 можно?', '2026-03-01 10:01+00') \gset
SELECT ok(:'same_conversation'::boolean, 'a known address writes into its conversation');
SELECT is((SELECT count(*) FROM crm.clients), 1::bigint, 'no second client');
SELECT is((SELECT count(*) FROM crm.leads), 1::bigint, 'no second lead for a client crm knows (new_client)');
SELECT is((SELECT count(*) FROM crm.messages), 2::bigint, 'both messages are stored');

-- Olga sends an SMS from the same phone, dialled another way: found by phone.
SELECT 1 FROM crm.receive_message('sms', '8 (916) 123-45-67', NULL, 'Это Ольга, по СМС', '2026-03-01 10:05+00');
SELECT is((SELECT count(*) FROM crm.clients), 1::bigint, 'a known phone on another channel is the same client');
SELECT results_eq($$SELECT channel, address FROM crm.client_channels ORDER BY id$$,
                  $$VALUES ('whatsapp', '+7 916 123-45-67'), ('sms', '8 (916) 123-45-67')$$,
                  'and its address on that channel is recorded');
SELECT results_eq($$SELECT channel FROM crm.conversations ORDER BY id$$, $$VALUES ('whatsapp'), ('sms')$$,
                  'a conversation per channel');
SELECT is((SELECT count(*) FROM crm.leads), 1::bigint, 'still one lead');

RESET ROLE;
-- Anna answers on WhatsApp: the lead is hers (lead_managers.sql has the rule).
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT conversation_id AS first_conversation FROM first_message \gset
INSERT INTO crm.messages (conversation_id, direction, employee_id, body, sent_at)
  VALUES (:first_conversation, 'out', crm.current_employee(), 'Здравствуйте, Ольга! Суббота 12:00 свободна.', '2026-03-01 10:10+00');
RESET ROLE;
SELECT is((SELECT manager_id FROM crm.leads WHERE account_id = :a), :anna::bigint,
          'the first employee to answer gets the lead');
SELECT is((SELECT responsible_id FROM crm.clients WHERE account_id = :a), :anna::bigint,
          'and becomes the client''s responsible manager');

-- A client entered by hand, with a phone, writes for the first time, on Telegram from that phone.
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.clients (name) VALUES ('Пётр Сидоров') RETURNING id AS petr \gset
INSERT INTO crm.client_phones (client_id, raw) VALUES (:petr, '+7 903 555-12-12');
RESET ROLE;
SELECT crm_test.act('crm_test_manager', :a);
SELECT 1 FROM crm.receive_message('telegram', '+79035551212', 'Petya', 'Добрый день', '2026-03-02 09:00+00');
SELECT is((SELECT count(*) FROM crm.clients WHERE name <> 'Ольга Иванова'), 1::bigint, 'a client crm knew is found by phone');
SELECT is((SELECT name FROM crm.clients WHERE id = :petr), 'Пётр Сидоров', 'its name is kept');
SELECT is((SELECT count(*) FROM crm.leads WHERE client_id = :petr), 0::bigint, 'new_client: a client crm knew gets no lead');

-- A sender that is not a phone, without a name: the client is named by the address.
SELECT 1 FROM crm.receive_message('telegram', '@masha_k', NULL, 'Привет', '2026-03-02 09:30+00');
SELECT results_eq($$SELECT c.name, (SELECT count(*) FROM crm.client_phones p WHERE p.account_id = c.account_id AND p.client_id = c.id)
                    FROM crm.clients c JOIN crm.client_channels k ON k.account_id = c.account_id AND k.client_id = c.id
                    WHERE k.address = '@masha_k'$$,
                  $$VALUES ('@masha_k', 0::bigint)$$, 'a sender that is not a phone: a client named by its address, with no phone');
SELECT results_eq($$SELECT contact_name, contact_phone FROM crm.leads l JOIN crm.client_channels k
                    ON k.account_id = l.account_id AND k.client_id = l.client_id WHERE k.address = '@masha_k'$$,
                  $$VALUES ('@masha_k', NULL::text)$$, 'and a lead with no phone');
RESET ROLE;

-- no_open_lead: a lead whenever the client has no open lead.
SELECT crm_test.act('crm_test_admin', :a, 'Admin');
UPDATE crm.accounts SET inbound_lead_mode = 'no_open_lead' WHERE id = :a;
RESET ROLE;
SELECT crm_test.act('crm_test_manager', :a);
SELECT 1 FROM crm.receive_message('telegram', '+79035551212', 'Petya', 'Хочу ещё раз', '2026-03-03 09:00+00');
SELECT is((SELECT count(*) FROM crm.leads WHERE client_id = :petr AND closed_at IS NULL), 1::bigint,
          'no_open_lead: a known client without an open lead gets one');
SELECT 1 FROM crm.receive_message('telegram', '+79035551212', 'Petya', 'Алло?', '2026-03-03 09:01+00');
SELECT is((SELECT count(*) FROM crm.leads WHERE client_id = :petr), 1::bigint, 'no_open_lead: not while it is open');
RESET ROLE;
UPDATE crm.leads SET status_id = crm_test.id('statuses', :a, 'Lost') WHERE client_id = :petr;
SELECT crm_test.act('crm_test_manager', :a);
SELECT 1 FROM crm.receive_message('telegram', '+79035551212', 'Petya', 'Снова я', '2026-03-10 09:00+00');
SELECT is((SELECT count(*) FROM crm.leads WHERE client_id = :petr AND closed_at IS NULL), 1::bigint,
          'no_open_lead: once the lead is closed, the next message opens another');
RESET ROLE;

-- An integration that acts as an employee gives the lead to that employee.
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT 1 FROM crm.receive_message('vk', 'id777', 'Вера', 'Здравствуйте', '2026-03-11 09:00+00');
SELECT is((SELECT l.manager_id FROM crm.leads l JOIN crm.client_channels k ON k.account_id = l.account_id
           AND k.client_id = l.client_id WHERE k.address = 'id777'), :anna::bigint,
          'a lead opened by an integration acting as an employee is that employee''s');
RESET ROLE;

-- off: clients and messages, no leads.
SELECT crm_test.act('crm_test_admin', :a, 'Admin');
UPDATE crm.accounts SET inbound_lead_mode = 'off' WHERE id = :a;
RESET ROLE;
SELECT crm_test.act('crm_test_manager', :a);
SELECT 1 FROM crm.receive_message('vk', 'id888', 'Гость', 'Добрый вечер', '2026-03-12 19:00+00');
SELECT is((SELECT count(*) FROM crm.client_channels WHERE address = 'id888'), 1::bigint, 'off: the new client is made');
SELECT is((SELECT count(*) FROM crm.leads l JOIN crm.client_channels k ON k.account_id = l.account_id
           AND k.client_id = l.client_id WHERE k.address = 'id888'), 0::bigint, 'off: no lead');
RESET ROLE;

-- Refusals; each changes nothing.
SELECT crm_test.act('crm_test_manager', :a);
SELECT throws_ok($$SELECT crm.receive_message(NULL, 'id1', 'x', 'y')$$, '22004',
                 'channel, sender, body and sent_at must not be NULL', 'a NULL channel is refused');
SELECT throws_ok($$SELECT crm.receive_message('vk', '  ', 'x', 'y')$$, '22023', 'sender must not be empty',
                 'an empty sender is refused');
SELECT throws_ok($$SELECT crm.receive_message('vk', 'id1', 'x', 'y', 'infinity')$$, '22008', NULL,
                 'a sent_at that is not a sane time is refused');
RESET ROLE;
SELECT crm_test.act('crm_test_manager', :a, 'Hidden');
SELECT throws_ok($$SELECT crm.receive_message('vk', 'id999', 'x', 'y')$$, '42501', NULL,
                 'an employee without can_see_customers cannot record a client''s message');
RESET ROLE;
SELECT crm_test.act('crm_test_reader', :a);
SELECT throws_ok($$SELECT crm.receive_message('vk', 'id999', 'x', 'y')$$, '42501', NULL,
                 'a reader cannot record messages');
RESET ROLE;
SELECT is((SELECT count(*) FROM crm.client_channels WHERE account_id = :a AND address IN ('id1', 'id999')), 0::bigint,
          'the refused messages left nothing behind');
-- No default lead type while a lead is due: refused before anything is written.
SELECT crm_test.act('crm_test_admin', :a, 'Admin');
UPDATE crm.accounts SET inbound_lead_mode = 'new_client' WHERE id = :a;
UPDATE crm.lead_types SET is_default = false;
RESET ROLE;
SELECT crm_test.act('crm_test_manager', :a);
SELECT throws_ok($$SELECT crm.receive_message('vk', 'id555', 'x', 'y')$$, '55000',
                 format('account %s has no default lead type', :a), 'a lead due without a default lead type is refused');
SELECT lives_ok($$SELECT crm.receive_message('whatsapp', '+7 916 123-45-67', 'Ольга Иванова', 'Спасибо!')$$,
                'a message that opens no lead needs no default type');
RESET ROLE;

-- The setting: admins change it; one of its three values; new_client by default.
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT throws_ok($$UPDATE crm.accounts SET inbound_lead_mode = 'off'$$, '42501', NULL,
                 'a manager cannot change inbound_lead_mode');
RESET ROLE;
SELECT crm_test.act('crm_test_admin', :a, 'Admin');
SELECT throws_ok($$UPDATE crm.accounts SET inbound_lead_mode = 'always'$$, '22023',
                 'inbound_lead_mode "always" is not one of its choices', 'an unknown inbound_lead_mode is refused');
RESET ROLE;
SELECT crm_test.company('Fresh') AS fresh \gset
SELECT is((SELECT inbound_lead_mode FROM crm.accounts WHERE id = :fresh), 'new_client',
          'a new account opens a lead for a client crm did not know');

SELECT * FROM finish();
ROLLBACK;
