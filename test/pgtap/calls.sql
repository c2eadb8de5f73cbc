BEGIN;
SELECT plan(33);

SELECT crm_test.company('Calls Co') AS a \gset
SELECT crm_test.id('employees', :a, 'Anna') AS anna \gset
SET LOCAL crm.account_id = :'a';
SET LOCAL crm.employee_id = :'anna';
SET LOCAL timezone = 'UTC';
INSERT INTO crm.clients (name, email, category) VALUES ('Ivan', 'ivan@example.com', 'client') RETURNING id AS c \gset
INSERT INTO crm.invoices (client_id, amount) VALUES (:c, 100) RETURNING id AS i \gset
INSERT INTO crm.invoices (client_id, amount) VALUES (:c, 200) RETURNING id AS i2 \gset

-- the 10:05 / 11:45 example
SELECT (crm.log_call(invoice_id => :i, outcome => 'no_answer', called_at => '2026-03-02 10:05:00+00')).id AS k \gset
SELECT is((SELECT next_call_at FROM crm.calls WHERE id = :k), '2026-03-02 11:05:00+00'::timestamptz, 'first no_answer: due one hour after the call');
SELECT is((SELECT next_call_at FROM crm.invoices WHERE id = :i), '2026-03-02 11:05:00+00'::timestamptz, 'invoice next_call_at follows');
SELECT (crm.log_call(invoice_id => :i, outcome => 'no_answer', called_at => '2026-03-02 11:45:00+00')).id AS k \gset
SELECT is((SELECT next_call_at FROM crm.calls WHERE id = :k), '2026-03-03 11:45:00+00'::timestamptz, 'second consecutive no_answer: 24 hours after the actual call');
SELECT (crm.log_call(invoice_id => :i, outcome => 'no_answer', called_at => '2026-03-03 12:00:00+00')).id AS k \gset
SELECT is((SELECT next_call_at FROM crm.calls WHERE id = :k), '2026-03-04 12:00:00+00'::timestamptz, 'third consecutive no_answer: again 24 hours');
SELECT is((SELECT call_attempts FROM crm.invoices WHERE id = :i), 3, 'three attempts counted');
-- talked resets the chain
SELECT (crm.log_call(invoice_id => :i, outcome => 'talked', called_at => '2026-03-04 12:10:00+00', callback_after => '2 days')).id AS k \gset
SELECT is((SELECT next_call_at FROM crm.calls WHERE id = :k), '2026-03-06 12:10:00+00'::timestamptz, 'talked with interval: call back after it');
SELECT (crm.log_call(invoice_id => :i, outcome => 'no_answer', called_at => '2026-03-06 12:10:30+00')).id AS k \gset
SELECT is((SELECT next_call_at FROM crm.calls WHERE id = :k), '2026-03-06 13:10:30+00'::timestamptz, 'no_answer after talked: first again, one hour');
SELECT (crm.log_call(invoice_id => :i, outcome => 'talked', called_at => '2026-03-06 14:00:00+00')).id AS k \gset
SELECT is((SELECT next_call_at FROM crm.calls WHERE id = :k), NULL, 'talked without callback: no further call');
SELECT (crm.log_call(invoice_id => :i, outcome => 'call_back', called_at => '2026-03-07 09:00:00+00', callback_at => '2026-03-08 15:30:00+00')).id AS k \gset
SELECT is((SELECT next_call_at FROM crm.calls WHERE id = :k), '2026-03-08 15:30:00+00'::timestamptz, 'call_back: at the chosen time');
SELECT throws_ok($$SELECT crm.log_call(invoice_id => $$ || :i || $$, outcome => 'call_back', called_at => '2026-03-07 09:00:00+00', callback_at => '2026-03-07 08:59:59+00')$$,
          '22023', NULL, 'call-back before the call is refused');
SELECT throws_ok($$SELECT crm.log_call(invoice_id => $$ || :i || $$, outcome => 'call_back', called_at => '2026-03-07 09:00:00+00')$$,
          '22023', NULL, 'call_back without a time is refused');
SELECT throws_ok($$SELECT crm.log_call(invoice_id => $$ || :i || $$, outcome => 'talked', recording => 'rec.wav')$$,
          '22023', NULL, 'recording must be an .mp3');
SELECT is((SELECT count(*)::int FROM crm.invoice_events WHERE invoice_id = :i AND kind = 'call' AND detail->>'employee_id' = current_setting('crm.employee_id')), 7,
          'every call is in the invoice history with the employee');
-- one multi-row INSERT: the second row already sees the first's streak
INSERT INTO crm.invoices (client_id, amount) VALUES (:c, 300) RETURNING id AS i3 \gset
INSERT INTO crm.calls (invoice_id, outcome, called_at)
VALUES (:i3, 'no_answer', '2026-03-02 10:05:00+00'), (:i3, 'no_answer', '2026-03-02 11:45:00+00');
SELECT is(ARRAY(SELECT next_call_at FROM crm.calls WHERE invoice_id = :i3 ORDER BY id),
          ARRAY['2026-03-02 11:05:00+00', '2026-03-03 11:45:00+00']::timestamptz[], 'the chain holds inside one INSERT of several calls');
SELECT crm.log_call(invoice_id => :i3, outcome => 'already_paid', called_at => '2026-03-03 11:50:00+00');
-- already_paid stops
SELECT crm.log_call(invoice_id => :i, outcome => 'already_paid', called_at => '2026-03-08 15:31:00+00');
SELECT is((SELECT calls_stopped FROM crm.invoices WHERE id = :i), 'already_paid', 'already_paid stops calls');
-- refused cancels
SELECT crm.log_call(invoice_id => :i2, outcome => 'refused', called_at => '2026-03-08 16:00:00+00');
SELECT is((SELECT status || '/' || calls_stopped FROM crm.invoices WHERE id = :i2), 'cancelled/refused', 'refused cancels the invoice and stops calls');
SELECT ok(EXISTS (SELECT 1 FROM crm.invoice_events WHERE invoice_id = :i2 AND kind = 'call' AND detail->>'outcome' = 'refused'), 'refused call in the invoice history');
-- wrong_contact flags
INSERT INTO crm.call_tasks (client_id, title) VALUES (:c, 'Ask about renewal') RETURNING id AS t \gset
SELECT is((SELECT next_call_at = created_at FROM crm.call_tasks WHERE id = :t), true, 'a new task is due at once');
SELECT crm.log_call(task_id => :t, outcome => 'wrong_contact', called_at => '2026-03-08 16:00:00+00');
SELECT is((SELECT contact_flagged FROM crm.clients WHERE id = :c), true, 'wrong_contact flags the contact');
SELECT is((SELECT calls_stopped || '/' || (closed_at IS NOT NULL) FROM crm.call_tasks WHERE id = :t), 'wrong_contact/true', 'wrong_contact stops the task');
SELECT is((SELECT count(*)::int FROM crm.call_task_events WHERE task_id = :t AND kind = 'call'), 1, 'task call in the task history');
SELECT throws_ok($$UPDATE crm.calls SET comment = 'x'$$, '42501', NULL, 'calls are append-only');

-- categories and the queue
INSERT INTO crm.clients (name, category) VALUES ('Spammer', 'spam') RETURNING id AS s \gset
SELECT throws_ok($$INSERT INTO crm.call_tasks (client_id, title) VALUES ($$ || :s || $$, 'x')$$, '55000', NULL, 'no call task for a spam client');
INSERT INTO crm.clients (name) VALUES ('Olga') RETURNING id AS o \gset
INSERT INTO crm.client_phones (client_id, raw, phone) VALUES (:o, '+79161234567', '+79161234567');
INSERT INTO crm.call_tasks (client_id, title, created_at) VALUES (:o, 'Call Olga', now() - interval '1 hour') RETURNING id AS t2 \gset
SELECT is((SELECT kind || ':' || client || ':' || phones[1] FROM crm.call_queue WHERE id = :t2 AND kind = 'task'), 'task:Olga:+79161234567', 'open task in the queue with phones');
UPDATE crm.clients SET category = 'not_client' WHERE id = :o;
SELECT is((SELECT closed_reason FROM crm.call_tasks WHERE id = :t2), 'client_not_client', 'moving the client to not_client closes its tasks; it leaves the queue');

-- the queue: due now only, oldest first, no spam clients; claiming as an operator
INSERT INTO crm.clients (name) VALUES ('Petr') RETURNING id AS p \gset
INSERT INTO crm.invoices (client_id, amount, next_call_at) VALUES (:p, 10, now() - interval '2 hours') RETURNING id AS q1 \gset
INSERT INTO crm.invoices (client_id, amount, next_call_at) VALUES (:p, 20, now() - interval '3 hours') RETURNING id AS q2 \gset
INSERT INTO crm.invoices (client_id, amount, next_call_at) VALUES (:p, 30, now() + interval '1 minute') RETURNING id AS q3 \gset
INSERT INTO crm.invoices (client_id, amount) VALUES (:p, 40) RETURNING id AS q4 \gset
INSERT INTO crm.invoices (client_id, amount, next_call_at) VALUES (:s, 50, now() - interval '5 hours') RETURNING id AS q5 \gset
SELECT is(ARRAY(SELECT amount FROM crm.call_queue WHERE kind = 'invoice' AND client_id IN (:p, :s)), ARRAY[20, 10]::numeric[],
          'only due invoices, oldest first; never a spam client; a new invoice waits for a scheduled call');
SELECT crm.log_call(invoice_id => :q2, outcome => 'no_answer', called_at => now());
SELECT is((SELECT last_outcome FROM crm.call_queue WHERE id = :q1 AND kind = 'invoice'), NULL, 'no outcome yet');
SELECT ok(NOT EXISTS (SELECT 1 FROM crm.call_queue WHERE id = :q2 AND kind = 'invoice'), 'a called invoice leaves the queue until its next call');
SELECT crm_test.act('crm_test_manager', :a, 'Boris');
SELECT is((SELECT kind || ':' || id FROM crm.claim_next_call()), 'invoice:' || :q1, 'the operator claims the oldest due item');
SELECT ok(NOT EXISTS (SELECT 1 FROM crm.call_queue WHERE claimed_by IS NOT NULL AND claimed_by <> crm.current_employee()), 'claims of others are hidden');
RESET ROLE;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT ok(NOT EXISTS (SELECT 1 FROM crm.call_queue WHERE kind = 'invoice' AND id = :q1), 'another operator does not see the claimed invoice');
SELECT isnt((SELECT id FROM crm.claim_next_call()), :q1::bigint, 'nor can she claim it');
RESET ROLE;
SELECT crm_test.act('crm_test_manager', :a, 'Hidden');
SELECT throws_ok($$SELECT * FROM crm.claim_next_call()$$, '42501', NULL, 'an employee without can_see_customers cannot claim');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
