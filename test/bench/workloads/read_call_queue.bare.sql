-- The claim, bare: the oldest due invoice and the oldest due task FOR UPDATE SKIP LOCKED,
-- the older one marked claimed, in one statement; no employee check, no client category.
-- Same operator and clock as read_call_queue.sql.
\set calls_step :calls_step + 1
\set op 2 + :client_id % (:nemp - 1)
\set now :calls_now + 60 * :calls_step
WITH inv AS (SELECT id, next_call_at FROM crm.invoices
             WHERE account_id = 1 AND status IN ('awaiting', 'prepaid') AND calls_stopped IS NULL
               AND next_call_at <= to_timestamp(:now) AND (claimed_until IS NULL OR claimed_until <= to_timestamp(:now))
             ORDER BY next_call_at, id LIMIT 1 FOR UPDATE SKIP LOCKED),
     tsk AS (SELECT id, next_call_at FROM crm.call_tasks
             WHERE account_id = 1 AND closed_at IS NULL
               AND next_call_at <= to_timestamp(:now) AND (claimed_until IS NULL OR claimed_until <= to_timestamp(:now))
             ORDER BY next_call_at, id LIMIT 1 FOR UPDATE SKIP LOCKED),
     pick AS (SELECT 'invoice' AS kind, id, next_call_at FROM inv
              UNION ALL SELECT 'task', id, next_call_at FROM tsk ORDER BY next_call_at, kind LIMIT 1),
     ui AS (UPDATE crm.invoices SET claimed_by = :op, claimed_until = to_timestamp(:now) + interval '10 minutes', updated_at = now()
            WHERE account_id = 1 AND id = (SELECT id FROM pick WHERE kind = 'invoice')),
     ut AS (UPDATE crm.call_tasks SET claimed_by = :op, claimed_until = to_timestamp(:now) + interval '10 minutes'
            WHERE account_id = 1 AND id = (SELECT id FROM pick WHERE kind = 'task'))
SELECT kind, id, next_call_at FROM pick;
