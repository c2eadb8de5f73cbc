-- Call logging, bare: the client locks the invoice, computes next_call_at the simplest way
-- (the account's default retries, 1 h and 24 h, written in), inserts the whole call row
-- (employee 2, the preset crm.employee_id) and updates the invoice's call columns: the same
-- final rows as crm, without the event.
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
           SELECT 1, id, client_id, 2, outcome, called_at, after, next_call_at FROM n)
UPDATE crm.invoices SET next_call_at = n.next_call_at, call_attempts = call_attempts + 1, calls_stopped = NULL,
       claimed_by = NULL, claimed_until = NULL, updated_at = now(),
       no_answer_streak = CASE WHEN n.outcome = 'no_answer' THEN no_answer_streak + 1 ELSE 0 END
FROM n WHERE invoices.account_id = 1 AND invoices.id = n.id;
