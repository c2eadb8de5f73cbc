-- behaviour/calls.sql: the call rules the call_log and read_call_queue workloads exercise,
-- run against crm and against the PL/pgSQL variant (plpgsql/50_calls.sql).  Calls go through
-- the database's implementation of log_call / claim_next_call: crm.* where crm's call
-- triggers are on, crm_pl.* where they are replaced.  Times are arguments, in UTC.
BEGIN;
SELECT plan(38);

SET LOCAL timezone = 'UTC';
SELECT CASE WHEN tgenabled = 'D' THEN 'crm_pl' ELSE 'crm' END AS impl
FROM pg_trigger WHERE tgname = 'calls_10_schedule' AND tgrelid = 'crm.calls'::regclass \gset
SELECT is(to_regprocedure(:'impl' || '.claim_next_call(timestamptz, interval)') IS NOT NULL
          AND to_regprocedure(:'impl' || '.log_call(text, bigint, bigint, timestamptz, timestamptz, interval, text, text, bigint, boolean)') IS NOT NULL,
          true, 'the implementation under test is the one whose triggers are on: ' || :'impl');

SELECT crm_test.company('Calls bench') AS a \gset
SELECT crm_test.id('employees', :a, 'Anna') AS anna, crm_test.id('employees', :a, 'Boris') AS boris \gset
SELECT set_config('crm.account_id', :'a', true), set_config('crm.employee_id', :'anna', true);
INSERT INTO crm.clients (name) VALUES ('Ivan') RETURNING id AS c \gset
INSERT INTO crm.invoices (client_id, amount) VALUES (:c, 100) RETURNING id AS i \gset

-- The retry rules, from the call's own called_at.
SELECT (:impl.log_call(invoice_id => :i, outcome => 'no_answer', called_at => '2026-03-02 10:05:00+00')).id AS k1 \gset
SELECT is((SELECT next_call_at FROM crm.calls WHERE id = :k1), '2026-03-02 11:05:00+00'::timestamptz,
          'first no_answer: due no_answer_first_retry (1 h) after the call');
SELECT is((SELECT (client_id, employee_id)::text FROM crm.calls WHERE id = :k1), format('(%s,%s)', :c, :anna),
          'the call gets the invoice''s client and the current employee');
SELECT is((SELECT (next_call_at, call_attempts, no_answer_streak, calls_stopped)::text FROM crm.invoices WHERE id = :i),
          '("2026-03-02 11:05:00+00",1,1,)', 'the invoice follows: next call, one attempt, a streak of one');
SELECT (:impl.log_call(invoice_id => :i, outcome => 'no_answer', called_at => '2026-03-02 11:45:00+00')).id AS k2 \gset
SELECT is((SELECT next_call_at FROM crm.calls WHERE id = :k2), '2026-03-03 11:45:00+00'::timestamptz,
          'a consecutive no_answer: no_answer_next_retry (24 h) after the actual call');
SELECT (:impl.log_call(invoice_id => :i, outcome => 'no_answer', called_at => '2026-03-03 12:00:00+00')).id AS k3 \gset
SELECT is((SELECT (next_call_at, call_attempts, no_answer_streak)::text FROM crm.invoices WHERE id = :i),
          '("2026-03-04 12:00:00+00",3,3)', 'a third one: again 24 h; three attempts, a streak of three');
SELECT (:impl.log_call(invoice_id => :i, outcome => 'talked', called_at => '2026-03-04 12:10:00+00', callback_after => '2 days')).id AS k4 \gset
SELECT is((SELECT (next_call_at, no_answer_streak)::text FROM crm.invoices WHERE id = :i),
          '("2026-03-06 12:10:00+00",0)', 'talked with a call-back interval: called_at + interval; the chain ends');
SELECT (:impl.log_call(invoice_id => :i, outcome => 'no_answer', called_at => '2026-03-06 12:10:30+00')).id AS k5 \gset
SELECT is((SELECT next_call_at FROM crm.calls WHERE id = :k5), '2026-03-06 13:10:30+00'::timestamptz,
          'a no_answer after talked is a first one again');
SELECT (:impl.log_call(invoice_id => :i, outcome => 'talked', called_at => '2026-03-06 14:00:00+00')).id AS k6 \gset
SELECT is((SELECT (next_call_at IS NULL, call_attempts, calls_stopped IS NULL)::text FROM crm.invoices WHERE id = :i),
          '(t,6,t)', 'talked without a call-back: no next call, calls not stopped');
SELECT (:impl.log_call(invoice_id => :i, outcome => 'call_back', called_at => '2026-03-07 09:00:00+00',
                      callback_at => '2026-03-08 15:30:00+00')).id AS k7 \gset
SELECT is((SELECT next_call_at FROM crm.invoices WHERE id = :i), '2026-03-08 15:30:00+00'::timestamptz,
          'call_back at a chosen time');
SELECT (:impl.log_call(invoice_id => :i, outcome => 'call_back', called_at => '2026-03-08 15:30:00+00',
                      callback_after => '90 minutes', comment => 'busy')).id AS k8 \gset
SELECT is((SELECT (next_call_at, callback_after, comment)::text FROM crm.calls WHERE id = :k8),
          '("2026-03-08 17:00:00+00",01:30:00,busy)', 'call_back after an interval; the call keeps what was given');
INSERT INTO crm.calls (invoice_id, outcome, called_at, employee_id) VALUES (:i, 'no_answer', '2026-03-08 17:00:00+00', :boris) RETURNING id AS k9 \gset
SELECT is((SELECT (employee_id, next_call_at)::text FROM crm.calls WHERE id = :k9), format('(%s,"2026-03-08 18:00:00+00")', :boris),
          'a call inserted directly follows the same rules; an employee given explicitly is kept');

-- The invoice's history: one 'call' event per call, at called_at.
SELECT results_eq(format($$SELECT at, employee_id, detail FROM crm.invoice_events WHERE invoice_id = %s AND kind = 'call' ORDER BY id$$, :i),
  format($$VALUES ('2026-03-02 10:05:00+00'::timestamptz, %2$s::bigint, jsonb_build_object('call_id', %3$s::bigint, 'outcome', 'no_answer', 'employee_id', %2$s::bigint, 'next_call_at', '2026-03-02T11:05:00+00:00')),
                  ('2026-03-02 11:45:00+00', %2$s, jsonb_build_object('call_id', %4$s::bigint, 'outcome', 'no_answer', 'employee_id', %2$s::bigint, 'next_call_at', '2026-03-03T11:45:00+00:00')),
                  ('2026-03-03 12:00:00+00', %2$s, jsonb_build_object('call_id', %5$s::bigint, 'outcome', 'no_answer', 'employee_id', %2$s::bigint, 'next_call_at', '2026-03-04T12:00:00+00:00')),
                  ('2026-03-04 12:10:00+00', %2$s, jsonb_build_object('call_id', %6$s::bigint, 'outcome', 'talked', 'employee_id', %2$s::bigint, 'next_call_at', '2026-03-06T12:10:00+00:00')),
                  ('2026-03-06 12:10:30+00', %2$s, jsonb_build_object('call_id', %7$s::bigint, 'outcome', 'no_answer', 'employee_id', %2$s::bigint, 'next_call_at', '2026-03-06T13:10:30+00:00')),
                  ('2026-03-06 14:00:00+00', %2$s, jsonb_build_object('call_id', %8$s::bigint, 'outcome', 'talked', 'employee_id', %2$s::bigint, 'next_call_at', NULL)),
                  ('2026-03-07 09:00:00+00', %2$s, jsonb_build_object('call_id', %9$s::bigint, 'outcome', 'call_back', 'employee_id', %2$s::bigint, 'next_call_at', '2026-03-08T15:30:00+00:00')),
                  ('2026-03-08 15:30:00+00', %2$s, jsonb_build_object('call_id', %10$s::bigint, 'outcome', 'call_back', 'employee_id', %2$s::bigint, 'next_call_at', '2026-03-08T17:00:00+00:00')),
                  ('2026-03-08 17:00:00+00', %11$s, jsonb_build_object('call_id', %12$s::bigint, 'outcome', 'no_answer', 'employee_id', %11$s::bigint, 'next_call_at', '2026-03-08T18:00:00+00:00'))$$,
         NULL, :anna, :k1, :k2, :k3, :k4, :k5, :k6, :k7, :k8, :boris, :k9),
  'every call is in the invoice history: call id, outcome, employee, next call');
SELECT is((SELECT count(*) FROM crm.invoice_events WHERE invoice_id = :i AND kind <> 'call' AND kind <> 'created'), 0::bigint,
          'scheduling calls writes no other invoice event');
SELECT is((SELECT detail->>'next_call_at' FROM crm.invoice_events WHERE invoice_id = :i AND detail->>'call_id' = :'k9'),
          '2026-03-08T18:00:00+00:00', 'the next call is written ISO 8601 in UTC, as every event time');

-- The account's retry intervals.
UPDATE crm.accounts SET no_answer_first_retry = '2 hours', no_answer_next_retry = '3 days' WHERE id = :a;
INSERT INTO crm.invoices (client_id, amount) VALUES (:c, 200) RETURNING id AS i2 \gset
SELECT :impl.log_call(invoice_id => :i2, outcome => 'no_answer', called_at => '2026-04-01 10:00:00+00');
SELECT (:impl.log_call(invoice_id => :i2, outcome => 'no_answer', called_at => '2026-04-01 12:30:00+00')).id AS k \gset
SELECT is((SELECT array_agg(next_call_at ORDER BY id) FROM crm.calls WHERE invoice_id = :i2),
          ARRAY['2026-04-01 12:00:00+00', '2026-04-04 12:30:00+00']::timestamptz[], 'the account''s own retry intervals apply');

-- Refusals: nothing is written.
SELECT throws_ok(format($$SELECT %s.log_call(invoice_id => %s, outcome => 'call_back', called_at => '2026-03-07 09:00:00+00', callback_at => '2026-03-07 08:59:59+00')$$, :'impl', :i),
                 '22023', 'call-back time is before the call', 'a call-back before the call is refused');
SELECT throws_ok(format($$SELECT %s.log_call(invoice_id => %s, outcome => 'talked', called_at => '2026-03-07 09:00:00+00', callback_at => '2026-03-07 08:00:00+00')$$, :'impl', :i),
                 '22023', 'call-back time is before the call', 'also for talked');
SELECT throws_ok(format($$SELECT %s.log_call(invoice_id => %s, outcome => 'call_back', called_at => '2026-03-09 09:00:00+00')$$, :'impl', :i),
                 '22023', 'call_back needs a call-back time', 'call_back without a time is refused');
SELECT throws_ok(format($$SELECT %s.log_call(invoice_id => 999999999, outcome => 'no_answer', called_at => '2026-03-09 09:00:00+00')$$, :'impl'),
                 '23503', 'invoice 999999999 does not exist', 'a call on an unknown invoice is refused');
SELECT is((SELECT (call_attempts, no_answer_streak, next_call_at)::text FROM crm.invoices WHERE id = :i),
          '(9,1,"2026-03-08 18:00:00+00")', 'a refused call changes nothing on the invoice');
SELECT is((SELECT count(*) FROM crm.calls WHERE invoice_id = :i), 9::bigint, 'and is not recorded');
SELECT throws_ok(format($$UPDATE crm.calls SET comment = 'x' WHERE id = %s$$, :k1), '42501',
                 'rows of "crm.calls" cannot be updated', 'calls are append-only: no update');
SELECT throws_ok(format($$DELETE FROM crm.calls WHERE id = %s$$, :k1), '42501',
                 'rows of "crm.calls" cannot be deleted', 'no delete either');

-- The queue at a fixed now: invoices and tasks due, oldest first.
INSERT INTO crm.clients (name) VALUES ('Petr') RETURNING id AS p \gset
INSERT INTO crm.clients (name, category) VALUES ('Spammer', 'spam') RETURNING id AS s \gset
INSERT INTO crm.invoices (client_id, amount, next_call_at) VALUES (:p, 10, '2026-05-01 08:00+00') RETURNING id AS q1 \gset
INSERT INTO crm.invoices (client_id, amount, next_call_at) VALUES (:p, 20, '2026-05-01 07:00+00') RETURNING id AS q2 \gset
INSERT INTO crm.invoices (client_id, amount, next_call_at) VALUES (:p, 30, '2026-05-01 12:01+00') RETURNING id AS q3 \gset
INSERT INTO crm.invoices (client_id, amount, next_call_at) VALUES (:s, 40, '2026-05-01 06:00+00') RETURNING id AS q4 \gset
INSERT INTO crm.invoices (client_id, amount, next_call_at, status) VALUES (:p, 50, '2026-05-01 06:00+00', 'awaiting') RETURNING id AS q5 \gset
UPDATE crm.invoices SET status = 'cancelled' WHERE id = :q5;
INSERT INTO crm.call_tasks (client_id, title, created_at) VALUES (:p, 'Renewal', '2026-05-01 07:30+00') RETURNING id AS t1 \gset
-- The invoices logged above are not due before March 9 or have no next call; park them.
SELECT :impl.log_call(invoice_id => :i, outcome => 'already_paid', called_at => '2026-03-10 10:00:00+00');
SELECT :impl.log_call(invoice_id => :i2, outcome => 'already_paid', called_at => '2026-04-02 10:00:00+00');
SELECT is((SELECT calls_stopped FROM crm.invoices WHERE id = :i2), 'already_paid', 'already_paid stops the calls');

SELECT set_config('crm.employee_id', '', true);
SELECT throws_ok(format($$SELECT * FROM %s.claim_next_call(now => '2026-05-01 12:00+00', hold => '10 minutes')$$, :'impl'),
                 '42501', 'no employee to claim a call for', 'a claim needs an employee');
SELECT crm_test.act('crm_test_manager', :a, 'Hidden');
SELECT throws_ok(format($$SELECT * FROM %s.claim_next_call(now => '2026-05-01 12:00+00', hold => '10 minutes')$$, :'impl'),
                 '42501', format('employee %s may not claim calls', crm_test.id('employees', :a, 'Hidden')),
                 'an employee without can_see_customers cannot claim');
RESET ROLE;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT results_eq(format($$SELECT kind, id, next_call_at FROM %s.claim_next_call(now => '2026-05-01 12:00+00', hold => '10 minutes')$$, :'impl'),
                  format($$VALUES ('invoice'::text, %s::bigint, '2026-05-01 07:00+00'::timestamptz)$$, :q2),
                  'the oldest due item first; never a spam client''s, never a cancelled invoice''s');
SELECT is((SELECT (claimed_by, claimed_until)::text FROM crm.invoices WHERE id = :q2),
          format('(%s,"2026-05-01 12:10:00+00")', :anna), 'the claim is recorded: operator and now + hold');
RESET ROLE;
SELECT crm_test.act('crm_test_manager', :a, 'Boris');
SELECT results_eq(format($$SELECT kind, id FROM %s.claim_next_call(now => '2026-05-01 12:00+00', hold => '10 minutes')$$, :'impl'),
                  format($$VALUES ('task'::text, %s::bigint)$$, :t1), 'another operator gets the next one: an older task before a newer invoice');
SELECT results_eq(format($$SELECT kind, id FROM %s.claim_next_call(now => '2026-05-01 12:00+00', hold => '10 minutes')$$, :'impl'),
                  format($$VALUES ('invoice'::text, %s::bigint)$$, :q1), 'then the next invoice');
SELECT is((SELECT count(*) FROM crm.invoices WHERE claimed_by IS NOT NULL AND account_id = :a), 2::bigint,
          'two claims, two different invoices');
SELECT results_eq(format($$SELECT kind, id FROM %s.claim_next_call(now => '2026-05-01 12:00+00', hold => '10 minutes')$$, :'impl'),
                  $$VALUES (NULL::text, NULL::bigint)$$, 'nothing left that is due and not held: NULLs');
RESET ROLE;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT results_eq(format($$SELECT kind, id FROM %s.claim_next_call(now => '2026-05-01 12:10+00', hold => '10 minutes')$$, :'impl'),
                  format($$VALUES ('invoice'::text, %s::bigint)$$, :q2), 'a claim ends at now + hold');
SELECT :impl.log_call(invoice_id => :q1, outcome => 'no_answer', called_at => '2026-05-01 12:05:00+00');
SELECT is((SELECT (claimed_by IS NULL AND claimed_until IS NULL AND next_call_at = '2026-05-01 14:05:00+00')::text FROM crm.invoices WHERE id = :q1),
          'true', 'a call on an invoice clears its claim and schedules the next call (the account''s first retry, 2 h)');
SELECT results_eq(format($$SELECT kind, id FROM %s.claim_next_call(now => '2026-05-01 12:15+00', hold => '10 minutes')$$, :'impl'),
                  format($$VALUES ('task'::text, %s::bigint)$$, :t1),
                  'a lapsed claim is handed out again, the operator''s own claim still holding is not, a called invoice waits');
SELECT (:impl.log_call(task_id => :t1, outcome => 'talked', called_at => '2026-05-01 13:10:00+00')).id AS kt \gset
SELECT is((SELECT (closed_at, closed_reason, next_call_at, claimed_by, call_attempts)::text FROM crm.call_tasks WHERE id = :t1),
          '("2026-05-01 13:10:00+00",talked,,,1)', 'a task with no next call is closed by the call, its claim cleared');
SELECT is((SELECT detail FROM crm.call_task_events WHERE task_id = :t1 AND kind = 'call'),
          jsonb_build_object('call_id', :'kt'::bigint, 'outcome', 'talked', 'employee_id', :'anna'::bigint, 'next_call_at', NULL),
          'a task''s call is in the task history');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
