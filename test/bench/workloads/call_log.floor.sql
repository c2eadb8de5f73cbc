-- The rows crm writes for a logged call, written whole by the client in one statement
-- with every trigger off: the invoice locked, next_call_at by the account's default
-- retries (1 h, then 24 h) written in, the call row, the invoice's call columns, its
-- 'call' history row and the call's event.
\set id 10 * random(1, :ninv / 10 - 1) + random(0, 4)
\set o random(1, 10)
\set at :calls_now - random(0, 259199)
WITH v AS (SELECT to_timestamp(:at) AS called_at,
                  CASE WHEN :o <= 6 THEN 'no_answer' WHEN :o <= 8 THEN 'talked' ELSE 'call_back' END AS outcome,
                  CASE WHEN :o >= 8 THEN interval '2 days' END AS after),
     i AS (SELECT id, client_id, no_answer_streak FROM crm.invoices WHERE account_id = 1 AND id = :id FOR UPDATE),
     n AS (SELECT i.id, i.client_id, v.called_at, v.outcome, v.after,
                  CASE WHEN v.outcome = 'no_answer'
                       THEN v.called_at + CASE WHEN i.no_answer_streak > 0 THEN interval '24 hours' ELSE interval '1 hour' END
                       ELSE v.called_at + v.after END AS next_call_at
           FROM i, v),
     k AS (INSERT INTO crm.calls (account_id, invoice_id, client_id, employee_id, outcome, called_at, callback_after, next_call_at)
           SELECT 1, id, client_id, 2, outcome, called_at, after, next_call_at FROM n
           RETURNING id, invoice_id, outcome, called_at, next_call_at, task_id),
     u AS (UPDATE crm.invoices SET next_call_at = n.next_call_at, call_attempts = call_attempts + 1, calls_stopped = NULL,
                  claimed_by = NULL, claimed_until = NULL, updated_at = now(),
                  no_answer_streak = CASE WHEN n.outcome = 'no_answer' THEN no_answer_streak + 1 ELSE 0 END
           FROM n WHERE invoices.account_id = 1 AND invoices.id = n.id),
     h AS (INSERT INTO crm.invoice_events (account_id, invoice_id, employee_id, kind, detail)
           SELECT 1, k.invoice_id, 2, 'call',
                  jsonb_build_object('call_id', k.id, 'outcome', k.outcome, 'employee_id', 2, 'next_call_at', k.next_call_at)
           FROM k),
     e AS (UPDATE crm.event_counters SET last_id = last_id + 1 WHERE account_id = 1 AND EXISTS (SELECT FROM k)
           RETURNING last_id)
INSERT INTO crm.events (account_id, id, at, kind, employee_id, payload)
SELECT 1, e.last_id, now(), 'call_logged', 2,
       jsonb_build_object('call_id', k.id, 'invoice_id', k.invoice_id, 'outcome', k.outcome, 'called_at', k.called_at,
                          'next_call_at', k.next_call_at, 'employee_id', 2, 'task_id', k.task_id)
FROM k, e;
