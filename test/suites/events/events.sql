-- The event stream, in committed transactions (events get their ids at commit): every
-- business change writes one event of the documented kind, with typed payloads, the
-- acting employee and the transaction's time; ids run 1, 2, 3 ... per account in commit
-- order; a rolled-back subtransaction leaves none; events_since pages through them and
-- shows only the caller's account.  Runs in a database of its own (the events suite).
\set QUIET on
SET client_min_messages = warning;
SELECT plan(27);
SELECT crm_test.company('Events A') AS a \gset
SELECT crm_test.company('Events B') AS b \gset
SELECT crm_test.id('employees', :a, 'Anna') AS anna \gset
SELECT crm_test.id('employees', :a, 'Boris') AS boris \gset
SELECT crm_test.id('statuses', :a, 'In work') AS in_work \gset
SELECT crm_test.id('statuses', :a, 'New') AS new_status \gset

-- 1. A lead typed by Anna, moved, reassigned: three events in three transactions.
BEGIN;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.leads (contact_name, manager_id, deadline) VALUES ('Ev lead', :anna, '2026-03-01 10:00+00') RETURNING id AS lead \gset
COMMIT;
BEGIN;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT (crm.transition_lead(:lead, :in_work, 'taken')).id AS moved \gset
COMMIT;
BEGIN;
SELECT crm_test.act('crm_test_admin', :a, 'Admin');
UPDATE crm.leads SET manager_id = :boris WHERE id = :lead;
COMMIT;
RESET ROLE;

SELECT results_eq(
  format('SELECT id, kind FROM crm.events WHERE account_id = %s ORDER BY id', :a),
  $$VALUES (1::bigint, 'lead_created'), (2, 'lead_status_changed'), (3, 'lead_manager_changed')$$,
  'a new lead, its move and its reassignment are events 1, 2, 3 of the account');
SELECT is((SELECT payload FROM crm.events WHERE account_id = :a AND id = 2),
          jsonb_build_object('lead_id', :lead, 'from', :new_status, 'to', :in_work),
          'a move carries the lead and the statuses, as JSON numbers');
SELECT is((SELECT jsonb_typeof(payload->'lead_id') || ' ' || jsonb_typeof(payload->'deadline') || ' ' ||
                  (payload->>'deadline') || ' ' || jsonb_typeof(payload->'urgent')
           FROM crm.events WHERE account_id = :a AND id = 1),
          'number string 2026-03-01T10:00:00+00:00 boolean',
          'ids are numbers, times ISO 8601 with the UTC offset, flags booleans');
SELECT is((SELECT payload->>'number' FROM crm.events WHERE account_id = :a AND id = 1),
          (SELECT number FROM crm.leads WHERE id = :lead), 'the created event carries the lead number');
SELECT is((SELECT array_agg(employee_id ORDER BY id) FROM crm.events WHERE account_id = :a AND id <= 3),
          ARRAY[:anna, :anna, crm_test.id('employees', :a, 'Admin')]::bigint[], 'each event names the acting employee');
SELECT is((SELECT payload FROM crm.events WHERE account_id = :a AND id = 3),
          jsonb_build_object('lead_id', :lead, 'from', :anna, 'to', :boris), 'a reassignment carries from and to');
SELECT ok(NOT EXISTS (SELECT 1 FROM crm.events WHERE payload::text ~* 'Ev lead|contact'),
          'no customer data (names, phones) in any payload');

-- 2. The deadline passes: run_due marks it, an event of its own.
SELECT count(*) AS n FROM crm.run_due('2026-03-01 11:00+00') \gset
SELECT is((SELECT kind || ' ' || (payload->>'to') FROM crm.events WHERE account_id = :a AND id = 4),
          'lead_overdue 2026-03-01T10:00:00+00:00', 'run_due''s overdue mark is the lead_overdue event (overdue since the deadline)');
SELECT is((SELECT employee_id FROM crm.events WHERE account_id = :a AND id = 4), NULL,
          'the system''s change has no employee');
SELECT is((SELECT count(*) FROM crm.events WHERE account_id = :a AND kind = 'outbox_queued'), 1::bigint,
          'the overdue notice queued in the outbox is an event too');

-- 3. A rolled-back savepoint and a rolled-back transaction leave no event; numbering goes on.
BEGIN;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SAVEPOINT s;
INSERT INTO crm.leads (contact_name) VALUES ('rolled back');
ROLLBACK TO SAVEPOINT s;
INSERT INTO crm.leads (contact_name) VALUES ('kept') RETURNING id AS kept \gset
COMMIT;
BEGIN;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.leads (contact_name) VALUES ('aborted');
ROLLBACK;
RESET ROLE;
SELECT is((SELECT array_agg((payload->>'lead_id')::bigint) FROM crm.events WHERE account_id = :a AND kind = 'lead_created' AND id > 5),
          ARRAY[:kept]::bigint[], 'only the kept lead''s event is written');
SELECT is((SELECT array_agg(id ORDER BY id) = array_agg(n ORDER BY id)
           FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM crm.events WHERE account_id = :a) x), true,
          'the account''s ids are gapless from 1');

-- 4. Another account numbers its own events from 1.
BEGIN;
SELECT crm_test.act('crm_test_manager', :b, 'Anna');
INSERT INTO crm.clients (name, email) VALUES ('B client', 'b@example.com') RETURNING id AS bclient \gset
INSERT INTO crm.invoices (client_id, amount) VALUES (:bclient, 100) RETURNING id AS binv \gset
SELECT (crm.record_payment(:binv, 100, true)).id AS bpay \gset
COMMIT;
RESET ROLE;
SELECT results_eq(
  format('SELECT id, kind FROM crm.events WHERE account_id = %s ORDER BY id', :b),
  $$VALUES (1::bigint, 'client_created'), (2, 'invoice_created'), (3, 'invoice_status_changed'), (4, 'payment')$$,
  'account B: client, invoice, the payment and the move it caused (in the order the rules ran), numbered from 1');
SELECT is((SELECT payload->>'amount' || ' ' || jsonb_typeof(payload->'amount') FROM crm.events WHERE account_id = :b AND id = 4),
          '100.00 number', 'money is a JSON number with its scale');
SELECT is((SELECT payload FROM crm.events WHERE account_id = :b AND id = 3),
          jsonb_build_object('invoice_id', :binv, 'from', 'awaiting', 'to', 'paid'), 'an invoice move carries the statuses');

-- 5. A failed payment with its alerts; a call; messages in and out.
BEGIN;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.clients (name) VALUES ('A client') RETURNING id AS aclient \gset
INSERT INTO crm.conversations (client_id) VALUES (:aclient) RETURNING id AS conv \gset
INSERT INTO crm.messages (conversation_id, direction, body, sent_at) VALUES (:conv, 'in', 'hi', '2026-03-01 09:00+00');
INSERT INTO crm.messages (conversation_id, direction, employee_id, body, sent_at) VALUES (:conv, 'out', :anna, 'hello', '2026-03-01 09:01+00');
COMMIT;
BEGIN;
SELECT crm_test.act('crm_test_admin', :a, 'Admin');
INSERT INTO crm.offers (name, price, notify_on_failed_payment) VALUES ('Course', 100, true) RETURNING id AS offer \gset
INSERT INTO crm.invoices (client_id) VALUES (:aclient) RETURNING id AS ainv \gset
INSERT INTO crm.invoice_items (invoice_id, offer_id) VALUES (:ainv, :offer);
SELECT (crm.record_payment(:ainv, 100, false, at => '2026-03-01 10:00+00', failure_reason => 'declined')).id AS apay \gset
SELECT (crm.log_call(invoice_id => :ainv, outcome => 'no_answer', called_at => '2026-03-01 10:05+00')).id AS acall \gset
COMMIT;
RESET ROLE;
SELECT is((SELECT array_agg(kind ORDER BY id) FROM crm.events WHERE account_id = :a AND kind IN ('message_in', 'message_out')),
          ARRAY['message_in', 'message_out'], 'messages in and out');
SELECT is((SELECT payload->>'employee_id' FROM crm.events WHERE account_id = :a AND kind = 'alert_raised'), :anna::text,
          'the failed payment raised an alert for Anna, an event naming her');
SELECT is((SELECT count(*) FROM crm.events WHERE account_id = :a AND kind = 'payment_failed'), 1::bigint, 'a failed payment');
SELECT is((SELECT payload->>'next_call_at' FROM crm.events WHERE account_id = :a AND kind = 'call_logged'),
          '2026-03-01T11:05:00+00:00', 'a call carries its next call (no answer: an hour later)');

-- 6. Reading: events_since pages in order and shows only the caller's account.
BEGIN;
SELECT crm_test.act('crm_test_reader', :a);
SELECT is((SELECT array_agg(id ORDER BY id) FROM crm.events_since(2, 3)), ARRAY[3, 4, 5]::bigint[],
          'events_since(2, 3): the next three, in order');
SELECT is((SELECT count(*) FROM crm.events WHERE account_id = :b), 0::bigint, 'account A''s reader sees no event of B');
SELECT is((SELECT count(*) FROM crm.events_since(0, 10000) WHERE account_id <> :a), 0::bigint, 'events_since is the caller''s account only');
SELECT throws_ok($$SELECT * FROM crm.events_since(0, 0)$$, '22023', 'max must be between 1 and 10000, not 0', 'max below 1 is refused');
COMMIT;
BEGIN;
SELECT crm_test.act('crm_test_admin', :a, 'Admin');
SELECT throws_ok($$DELETE FROM crm.events$$, '42501', NULL, 'no role deletes events');
ROLLBACK;
RESET ROLE;
SELECT throws_ok($$UPDATE crm.events SET kind = 'x'$$, '42501', NULL, 'events are append-only, even for the owner');

-- 7. An import is history: the rows it brings make no event; the run is one, import_run.
SELECT crm_test.company('Events C') AS c \gset
BEGIN;
SELECT crm_test.act('crm_test_admin', :c, 'Admin');
INSERT INTO crm.import_clients (id, name) VALUES (9001, 'Imported client');
INSERT INTO crm.import_leads (number, contact_name, client_id, created_at)
  VALUES ('L-00500', 'Imported', 9001, '2025-01-01'), ('L-00501', 'From the future', 9001, '2999-01-01');
SELECT batch_id AS c_batch FROM crm.import_run('2026-01-01') LIMIT 1 \gset
COMMIT;
RESET ROLE;
SELECT is((SELECT array_agg(kind ORDER BY id) FROM crm.events WHERE account_id = :c), ARRAY['import_run'],
          'an import run is one event, and the client and lead it imported none');
SELECT is((SELECT payload - 'as_of' FROM crm.events WHERE account_id = :c),
          jsonb_build_object('batch_id', :c_batch, 'clients', 1, 'leads', 1, 'orders', 0, 'invoices', 0,
                             'payments', 0, 'rejected', 1),
          'it carries the batch and what it imported and rejected');

SELECT * FROM finish();
