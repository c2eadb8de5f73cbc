-- Not a client means not contacted (article 002: "если клиент переехал или не планирует
-- больше ходить в наш салон, нажмите кнопку Не клиент и Валера не будет больше по нему
-- ставить задачи (чтобы не тратить деньги на СМС и не тратить время Администратора на
-- повторные звонки)").  A not_client or spam client gets no call task, leaves the call
-- queue and gets no template email: a call with a template is logged, no email is
-- queued, and calls.email_skipped records why.
BEGIN;
SELECT plan(22);

SELECT crm_test.company('Salon') AS a \gset
SET LOCAL timezone = 'UTC';
SELECT crm_test.act('crm_test_admin', :a, 'Admin');
INSERT INTO crm.message_templates (name, subject, body)
  VALUES ('Reminder', 'Invoice {$invoice_number}', 'Dear {$name}, please pay {$amount}.') RETURNING id AS tpl \gset
RESET ROLE;
-- Anna, the salon's administrator at the phone.
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.clients (name, email) VALUES ('Ivan', 'ivan@example.com') RETURNING id AS ivan \gset
INSERT INTO crm.clients (name, category) VALUES ('Bot', 'spam') RETURNING id AS bot \gset
INSERT INTO crm.clients (name, email, category) VALUES ('Sleepy', 'sleepy@example.com', 'sleeping') RETURNING id AS sleepy \gset
INSERT INTO crm.invoices (client_id, amount, next_call_at) VALUES (:ivan, 1500, '2026-03-01 09:00+00') RETURNING id AS inv \gset
INSERT INTO crm.invoices (client_id, amount) VALUES (:bot, 10) RETURNING id AS bot_inv \gset
INSERT INTO crm.call_tasks (client_id, title) VALUES (:ivan, 'Offer the spring discount') RETURNING id AS task \gset
INSERT INTO crm.call_tasks (client_id, title) VALUES (:sleepy, 'Wake up') RETURNING id AS sleepy_task \gset

-- While Ivan is a client, a call with the template sends it.
SELECT (crm.log_call(invoice_id => :inv, outcome => 'no_answer', called_at => '2026-03-01 10:00+00',
                    template_id => :tpl)).id AS k1 \gset
SELECT results_eq($$SELECT recipient, subject FROM crm.outbox WHERE payload->>'call_id' = '$$ || :k1 || $$'$$,
                  $$SELECT 'ivan@example.com', 'Invoice ' || (SELECT number FROM crm.invoices WHERE id = $$ || :inv || $$)$$,
                  'a client''s call with a template queues the email');
SELECT is((SELECT email_skipped FROM crm.calls WHERE id = :k1), NULL, 'nothing skipped');

-- Ivan moved away: the administrator presses "Не клиент".
UPDATE crm.clients SET category = 'not_client' WHERE id = :ivan;
SELECT is((SELECT closed_reason FROM crm.call_tasks WHERE id = :task), 'client_not_client', 'his open call task is closed');
SELECT throws_ok($$INSERT INTO crm.call_tasks (client_id, title) VALUES ($$ || :ivan || $$, 'Call again')$$, '55000', NULL,
                 'no new call task for him');
SELECT is((SELECT count(*) FROM crm.call_queue WHERE client_id = :ivan), 0::bigint, 'he is out of the call queue');

-- A call still logged on his invoice, with the template: no email.
SELECT count(*) AS outbox_before FROM crm.outbox \gset
SELECT (crm.log_call(invoice_id => :inv, outcome => 'talked', called_at => '2026-03-02 10:00+00',
                    template_id => :tpl, copy_to_manager => true, comment => 'moved to Kazan')).id AS k2 \gset
SELECT results_eq($$SELECT outcome, comment, template_id, email_skipped FROM crm.calls WHERE id = $$ || :k2,
                  $$VALUES ('talked', 'moved to Kazan', $$ || :tpl || $$::bigint, 'not_client')$$,
                  'the call is logged with its template, and records that the email was skipped for a not_client');
SELECT is((SELECT count(*) FROM crm.outbox), :outbox_before::bigint, 'no email is queued, not even the manager''s copy');
SELECT ok(EXISTS (SELECT 1 FROM crm.invoice_events WHERE invoice_id = :inv AND kind = 'call'
                  AND detail->>'call_id' = :'k2'), 'the call is in the invoice history');
SELECT is((SELECT email_skipped FROM crm.client_calls WHERE id = :k2), 'not_client', 'client_calls shows why');

-- The same call by INSERT.
INSERT INTO crm.calls (invoice_id, outcome, called_at, template_id)
  VALUES (:inv, 'no_answer', '2026-03-03 10:00+00', :tpl) RETURNING id AS k3 \gset
SELECT is((SELECT email_skipped FROM crm.calls WHERE id = :k3), 'not_client', 'a call inserted directly is held to the same rule');
SELECT is((SELECT count(*) FROM crm.outbox), :outbox_before::bigint, 'and queues nothing');

-- Without a template there is nothing to skip.
SELECT (crm.log_call(invoice_id => :inv, outcome => 'no_answer', called_at => '2026-03-04 10:00+00')).id AS k4 \gset
SELECT is((SELECT email_skipped FROM crm.calls WHERE id = :k4), NULL, 'a call without a template skips nothing');

-- Spam: the same, and a spam client without an email does not make the call fail.
SELECT lives_ok($$SELECT crm.log_call(invoice_id => $$ || :bot_inv || $$, outcome => 'refused',
                  called_at => '2026-03-02 11:00+00', template_id => $$ || :tpl || $$)$$,
                'a call with a template to a spam client without an email is logged');
SELECT results_eq($$SELECT outcome, email_skipped FROM crm.calls WHERE invoice_id = $$ || :bot_inv,
                  $$VALUES ('refused', 'spam')$$, 'and records that the email was skipped for spam');
SELECT is((SELECT status FROM crm.invoices WHERE id = :bot_inv), 'cancelled', 'the outcome itself still applies');
SELECT is((SELECT count(*) FROM crm.outbox), :outbox_before::bigint, 'no email for spam');

-- Other categories are contacted: a sleeping client gets the email.
SELECT (crm.log_call(task_id => :sleepy_task, outcome => 'talked', called_at => '2026-03-02 12:00+00',
                    template_id => :tpl)).id AS k5 \gset
SELECT is((SELECT recipient FROM crm.outbox WHERE payload->>'call_id' = :'k5'), 'sleepy@example.com',
          'a sleeping client still gets the template email');

-- Ivan comes back: emails again.
UPDATE crm.clients SET category = 'client' WHERE id = :ivan;
SELECT (crm.log_call(invoice_id => :inv, outcome => 'talked', called_at => '2026-03-05 10:00+00',
                    template_id => :tpl)).id AS k6 \gset
SELECT is((SELECT recipient FROM crm.outbox WHERE payload->>'call_id' = :'k6'), 'ivan@example.com',
          'back in category client, he gets the email');
SELECT is((SELECT email_skipped FROM crm.calls WHERE id = :k6), NULL, 'and nothing is skipped');

-- email_skipped is crm's to fill.
SELECT throws_ok($$INSERT INTO crm.calls (invoice_id, outcome, template_id, email_skipped)
                   VALUES ($$ || :inv || $$, 'talked', $$ || :tpl || $$, 'spam')$$, '428C9',
                 'cannot insert a value into column "email_skipped" of crm.calls', 'a writer cannot set email_skipped');
SELECT throws_ok($$UPDATE crm.calls SET email_skipped = NULL$$, '42501', NULL, 'calls stay append-only');
RESET ROLE;
SELECT throws_ok($$INSERT INTO crm.calls (account_id, invoice_id, outcome, email_skipped)
                   VALUES ($$ || :a || $$, $$ || :inv || $$, 'talked', 'spam')$$, '428C9', NULL,
                 'not even the owner');

SELECT * FROM finish();
ROLLBACK;
