-- One working day of Northwind Repairs (test/demo/sample_company.sql), as the people and
-- systems that make it issue their SQL.  scripts/demo.sh runs this file in one psql
-- session (-e: every statement is printed before its result), reconnecting as each
-- actor with \c:
--
--   olga     Olga Admin, the account's admin          bound login, crm_admin
--   anna     Anna Petrova, manager                    bound login, crm_manager
--   boris    Boris Ivanov, manager                    bound login, crm_manager
--   dmitry   Dmitry Sokolov, manager (the workshop)   bound login, crm_manager
--   elena    Elena Smirnova, call-centre operator     bound login, crm_manager
--   bi       the reporting tool                       bound login, crm_reader, no employee
--   shop     the web shop and its payment provider    crm_service: SET LOCAL per transaction
--   messenger  the WhatsApp gateway                   crm_service: SET LOCAL per transaction
--   postgres the owner, here playing the scheduler at the end of the day
--
-- The day is today in the account's time zone (Europe/Moscow, every session's zone).
-- A time a person or a system hands over (a call's time, a payment's time, a deadline,
-- the scheduler's "now") is written into the SQL as today's clock time; what crm stamps
-- itself (history, messages a person sends) is the real clock.  Views that compute
-- "now" (overdue, the call queue) read the real clock too.
--
-- Each step names the README section that explains it.  The test suite
-- test/suites/demo checks the figures this file leaves behind.
\set ON_ERROR_STOP on
\set VERBOSITY terse
\set ECHO none
SELECT (now() AT TIME ZONE 'Europe/Moscow')::date AS d, (SELECT max(id) FROM crm.events) AS events_before \gset
\set ECHO queries

\echo
\echo '=================================================================================='
\echo ' 1. Morning: leads arrive                 README: Leads; Clients, phones and linking'
\echo '=================================================================================='
\echo
\echo '-- 09:10 Ivan Petrov phones Anna: his screen is cracked. She types the lead.'
\c - anna
INSERT INTO crm.leads (contact_name, contact_phone, campaign_id, urgent, budget, comment)
VALUES ('Ivan Petrov', '8 (916) 123-45-67', 1, true, 4500, 'Cracked screen, wants it fixed today')
RETURNING id AS ivan_lead \gset

\echo '-- 09:15 Nikolai walks in and asks Boris for the price of a new battery by 16:00.'
\c - boris
INSERT INTO crm.leads (contact_name, contact_phone, campaign_id, deadline, comment)
VALUES ('Nikolai Belov', '+7 (926) 555-01-02', 4, date :'d' + time '16:00', 'Price of a battery replacement, by 16:00')
RETURNING id AS nikolai_lead \gset

\echo '-- 09:20 A first WhatsApp message from a number nobody knows (the gateway hands it over).'
\c - messenger
BEGIN;
SET LOCAL crm.account_id = 1;
SET LOCAL timezone = 'Europe/Moscow';
SELECT direction, employee_id, body FROM crm.receive_message('whatsapp', '+7 903 555-12-34', 'Natalia Sidorova',
                                                               'Hello! My phone does not charge any more. Can you fix it today?');
COMMIT;

\echo '-- 09:30 Olga adds the trade fair as a campaign and imports the lead Dmitry met there yesterday.'
\c - olga
INSERT INTO crm.campaigns (name) VALUES ('Trade fair') RETURNING id, name;
INSERT INTO crm.import_leads (contact_name, contact_phone, campaign, manager, comment, created_at)
VALUES ('Tatiana Lebedeva', '8 915 222 33 44', 'Trade fair', 'dmitry@northwind.example',
        'A tablet with a broken screen', date :'d' - 1 + time '17:30');
SELECT kind, staged, imported, rejected FROM crm.import_run();

\c - anna
\echo '>> The four new leads: numbered, phones in E.164, Ivan''s linked to his client card by phone'
SELECT number, contact_name, contact_phone, phone, client, manager, campaign
FROM crm.lead_board ORDER BY id DESC LIMIT 4;
\echo '>> Anna''s board: her open leads, urgent and overdue first (overdue: at the time of the query)'
SELECT number, status, contact_name, deadline::timestamp(0) AS deadline, overdue, urgent
FROM crm.lead_board WHERE manager_id = crm.current_employee() AND closed_at IS NULL
ORDER BY urgent DESC, overdue DESC, deadline NULLS LAST, number LIMIT 5;
\echo '>> The badges of every manager this morning'
SELECT manager, overdue, urgent FROM crm.lead_badges ORDER BY id NULLS LAST;

\echo
\echo '=================================================================================='
\echo ' 2. 10:30 A shop order with Ivan''s phone              README: Orders and leads'
\echo '=================================================================================='
\c - shop
BEGIN;
SET LOCAL crm.account_id = 1;
SET LOCAL timezone = 'Europe/Moscow';
INSERT INTO crm.orders (number, phone, amount) VALUES ('SHOP-1001', '+7 916 123 45 67', 4500)
RETURNING number, phone_e164, lead_id, client_id;
COMMIT;
\c - anna
\echo '>> Ivan''s lead followed its order to Won (the account''s successful-order status)'
SELECT e.kind, f.name AS from_status, t.name AS to_status, e.detail ->> 'by' AS by
FROM crm.lead_events e
LEFT JOIN crm.statuses f ON f.id = e.from_status_id
LEFT JOIN crm.statuses t ON t.id = e.to_status_id
WHERE e.lead_id = :ivan_lead ORDER BY e.id;
\echo '>> The campaign report: Search ads earned the order''s 4500.00 (kept-up counts, no recount)'
SELECT campaign, leads, open, won, conversion, revenue FROM crm.campaign_report ORDER BY campaign;

\echo
\echo '=================================================================================='
\echo ' 3. Invoices                  README: Invoices, payments, auto-cancel and autopay'
\echo '=================================================================================='
\echo '-- 09:40 The shop files two unpaid online orders as invoices for the call centre:'
\echo '--       Maria''s (call her at 10:00; cancelled by itself at 18:00 unless paid) and Sergey''s (call at 12:00).'
\c - shop
BEGIN;
SET LOCAL crm.account_id = 1;
SET LOCAL timezone = 'Europe/Moscow';
INSERT INTO crm.invoices (client_id, manager_id, source, channel, next_call_at, auto_cancel_at)
VALUES (2, 3, 'shop', 'site', date :'d' + time '10:00', date :'d' + time '18:00')
RETURNING id AS maria_invoice \gset
INSERT INTO crm.invoice_items (invoice_id, offer_id, quantity) VALUES (:maria_invoice, 4, 2);
INSERT INTO crm.invoices (client_id, manager_id, source, channel, next_call_at)
VALUES (3, 3, 'shop', 'site', date :'d' + time '12:00')
RETURNING id AS sergey_invoice \gset
INSERT INTO crm.invoice_items (invoice_id, offer_id) VALUES (:sergey_invoice, 1);
COMMIT;

\echo '-- 10:35 Anna invoices Ivan for the repair, and sells him the protection plan on autopay (12 months at most).'
\c - anna
INSERT INTO crm.invoices (client_id) VALUES (1) RETURNING id AS ivan_invoice \gset
INSERT INTO crm.invoice_items (invoice_id, offer_id) VALUES (:ivan_invoice, 1);
INSERT INTO crm.invoices (client_id, autopay, autopay_interval, autopay_limit) VALUES (1, true, '1 month', 12)
RETURNING id AS plan_invoice \gset
INSERT INTO crm.invoice_items (invoice_id, offer_id) VALUES (:plan_invoice, 3);

\echo '-- The payment provider reports: Ivan prepays 1500 at 10:40, pays the rest at 13:10, and buys the plan at 13:15.'
\c - shop
BEGIN;
SET LOCAL crm.account_id = 1;
SET LOCAL timezone = 'Europe/Moscow';
SELECT kind, amount, succeeded, at::timestamp(0) AS at
FROM crm.record_payment(:ivan_invoice, 1500, true, 'prepayment', at => date :'d' + time '10:40', external_id => 'psp-5001');
SELECT kind, amount, succeeded, at::timestamp(0) AS at
FROM crm.record_payment(:ivan_invoice, 3000, true, at => date :'d' + time '13:10', external_id => 'psp-5002');
SELECT kind, amount, succeeded, at::timestamp(0) AS at
FROM crm.record_payment(:plan_invoice, 490, true, at => date :'d' + time '13:15', external_id => 'psp-5003');
COMMIT;

\c - anna
\echo '>> The invoice cards: the repair paid in two parts, the plan paid with its first charge a month on'
SELECT number, status, client, manager, amount, prepaid, income, paid_at::timestamp(0) AS paid_at,
       autopay_state AS autopay, autopay_limit AS "limit", next_charge_at::timestamp(0) AS next_charge
FROM crm.invoice_card WHERE id IN (:ivan_invoice, :plan_invoice) ORDER BY id;
\echo '>> The repair invoice''s history'
SELECT kind, from_status, to_status, employee, reason FROM crm.invoice_history
WHERE invoice_id = :ivan_invoice ORDER BY id;

\echo
\echo '=================================================================================='
\echo ' 4. The call centre                                        README: Call centre'
\echo '=================================================================================='
\c - elena
\echo '>> Elena''s queue (due by the real clock at the time of the query)'
SELECT kind, id, client, phones, amount, next_call_at::timestamp(0) AS due, last_outcome FROM crm.call_queue;
\echo '-- 10:00 Elena takes the oldest due call; 10:05 no answer.'
SELECT kind, id, next_call_at::timestamp(0) AS due FROM crm.claim_next_call(now => date :'d' + time '10:00');
SELECT crm.log_call(invoice_id => :maria_invoice, outcome => 'no_answer', called_at => date :'d' + time '10:05') \gset
\echo '-- 11:45 the queue hands her Maria again (back since 11:05); no answer again.'
SELECT kind, id, next_call_at::timestamp(0) AS due FROM crm.claim_next_call(now => date :'d' + time '11:45');
SELECT crm.log_call(invoice_id => :maria_invoice, outcome => 'no_answer', called_at => date :'d' + time '11:45') \gset
\echo '-- 12:30 Sergey answers: he will pay tonight and wants the details by email (a copy goes to his manager).'
SELECT kind, id, next_call_at::timestamp(0) AS due FROM crm.claim_next_call(now => date :'d' + time '12:30');
SELECT crm.log_call(invoice_id => :sergey_invoice, outcome => 'talked', called_at => date :'d' + time '12:34',
                    comment => 'Pays tonight, send the details', recording => 'calls/sergey-1234.mp3',
                    template_id => 1, copy_to_manager => true) \gset
\echo '>> The calls of the day: a first no-answer comes back in an hour, the next one in 24 hours'
SELECT client, invoice_number, called_at::timestamp(0) AS called_at, outcome, employee,
       next_call_at::timestamp(0) AS next_call
FROM crm.client_calls ORDER BY called_at;
\echo '>> The email the call queued, rendered from the template, for the delivery worker'
SELECT o.kind, o.recipient, o.cc, o.subject, o.body
FROM crm.outbox o JOIN crm.calls k ON o.dedup_key = 'call:' || k.id
WHERE k.invoice_id = :sergey_invoice;

\echo
\echo '=================================================================================='
\echo ' 5. Chats                README: Chats, responsible managers, appointments and'
\echo '                         failed-payment alerts (the real clock: messages are sent now)'
\echo '=================================================================================='
\c - anna
\echo '>> Anna''s chat list: Natalia''s first message is on top'
SELECT id, client, phones, channel, last_direction, last_message FROM crm.chat_list
ORDER BY last_message_at DESC LIMIT 3;
SELECT id AS natalia_chat, client_id AS natalia FROM crm.chat_list ORDER BY last_message_at DESC LIMIT 1 \gset
\echo '-- Anna answers first, and books Natalia in at 17:00; Dmitry from the workshop asks a question.'
INSERT INTO crm.messages (conversation_id, direction, employee_id, body)
VALUES (:natalia_chat, 'out', crm.current_employee(), 'Hello Natalia! Yes: a charging port repair is 2500, bring it at 17:00?');
INSERT INTO crm.appointments (client_id, employee_id, starts_at) VALUES (:natalia, crm.current_employee(), date :'d' + time '17:00')
RETURNING id AS natalia_visit \gset
\c - dmitry
INSERT INTO crm.messages (conversation_id, direction, employee_id, body)
VALUES (:natalia_chat, 'out', crm.current_employee(), 'Dmitry from the workshop: which phone model is it?');
\c - anna
UPDATE crm.appointments SET status = 'confirmed' WHERE id = :natalia_visit;
\echo '>> The first reply made Anna Natalia''s responsible manager, and the manager of her lead'
SELECT c.name AS client, r.name AS responsible, l.number AS lead, l.manager
FROM crm.clients c
JOIN crm.employees r ON r.id = c.responsible_id
JOIN crm.lead_board l ON l.client_id = c.id
WHERE c.id = :natalia;
\echo '-- Anna invoices the repair with a month of the protection plan (an offer that alerts on a failed payment).'
INSERT INTO crm.invoices (client_id) VALUES (:natalia) RETURNING id AS natalia_invoice \gset
INSERT INTO crm.invoice_items (invoice_id, offer_id) VALUES (:natalia_invoice, 2), (:natalia_invoice, 3);
\echo '-- The payment provider: Natalia''s card is declined.'
\c - shop
BEGIN;
SET LOCAL crm.account_id = 1;
SET LOCAL timezone = 'Europe/Moscow';
SELECT kind, amount, succeeded, failure_reason FROM crm.record_payment(:natalia_invoice, 2990, false, failure_reason => 'card declined');
COMMIT;
\echo '-- Afterwards Boris writes to Natalia too.'
\c - boris
INSERT INTO crm.messages (conversation_id, direction, employee_id, body)
VALUES (:natalia_chat, 'out', crm.current_employee(), 'Boris here: we can also send a courier for the phone.');
\echo '>> The Important inbox of Anna, of Dmitry, and of Boris (who wrote after the failure: nothing)'
\c - anna
SELECT 'Anna' AS inbox, client, happened_at::timestamp(0) AS happened_at, conversation_id, offer_id, invoice_id FROM crm.important;
\c - dmitry
SELECT 'Dmitry' AS inbox, client, happened_at::timestamp(0) AS happened_at, conversation_id, offer_id, invoice_id FROM crm.important;
\c - boris
SELECT 'Boris' AS inbox, client, happened_at::timestamp(0) AS happened_at, conversation_id, offer_id, invoice_id FROM crm.important;

\echo
\echo '=================================================================================='
\echo ' 6. 20:00 The clock        README: Time-based work: crm.run_due and the scheduler'
\echo '=================================================================================='
\echo '-- The scheduler (the owner; without preloading, pg_cron or the application) does what fell due today.'
\c - postgres
SET timezone = 'Europe/Moscow';
SELECT kind, handled FROM crm.run_due(now => date :'d' + time '20:00');
\c - boris
\echo '>> Nikolai''s lead is overdue since its deadline, and Boris has a notice in the outbox'
SELECT number, deadline::timestamp(0) AS deadline, overdue_since::timestamp(0) AS overdue_since
FROM crm.leads WHERE id = :nikolai_lead;
SELECT kind, recipient, subject FROM crm.outbox WHERE payload ->> 'event' = 'lead_overdue' AND payload ->> 'lead_id' = :'nikolai_lead';
\echo '>> Maria''s invoice was cancelled at 18:00 (no answer twice, never paid): it leaves the call queue'
SELECT kind, from_status, to_status, employee, reason FROM crm.invoice_history
WHERE invoice_id = :maria_invoice ORDER BY id;
\echo '>> Pavel''s protection plan: this month''s charge is queued for the payment provider'
SELECT kind, payload ->> 'number' AS invoice, payload ->> 'amount' AS amount, payload ->> 'charge' AS charge
FROM crm.outbox WHERE kind = 'charge';
\echo '>> The badges tonight (Anna''s urgent lead was won; overdue at the time of the query)'
SELECT manager, overdue, urgent FROM crm.lead_badges ORDER BY id NULLS LAST;

\echo
\echo '=================================================================================='
\echo ' 7. Reporting (the bi login)    README: Leads > Views; Invoices > Views; Events'
\echo '=================================================================================='
\c - bi
\echo '>> The funnel: leads per type and status'
SELECT type, status, kind, leads FROM crm.funnel ORDER BY type, position;
\echo '>> The campaign report'
SELECT campaign, leads, open, won, lost, conversion, revenue FROM crm.campaign_report ORDER BY revenue DESC, campaign;
\echo '>> The client cards'' orders: Ivan''s order and invoices, Natalia''s failed invoice (failed: shown in red)'
SELECT client_id, kind, number, status, amount, failed FROM crm.client_orders
WHERE client_id IN (1, :natalia) ORDER BY client_id, created_at, number;
\echo '>> The day as a frontend heard it: the account''s events since this morning (README: Events and notifications)'
SELECT kind, count(*) AS events FROM crm.events_since(:events_before, 10000) GROUP BY kind ORDER BY kind;
