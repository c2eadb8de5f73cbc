-- What the claims left held, and the due pool at the data's fixed now (the claims' clock
-- starts there and advances one minute per transaction of each client).
SELECT format('%s items held after the point (%s invoices, %s tasks) by %s operators; due at the data''s now: %s invoices, %s tasks',
              hi + ht, hi, ht, ops, di, dt)
FROM (SELECT (SELECT count(*) FROM crm.invoices WHERE account_id = 1 AND claimed_by IS NOT NULL) AS hi,
             (SELECT count(*) FROM crm.call_tasks WHERE account_id = 1 AND claimed_by IS NOT NULL) AS ht,
             (SELECT count(DISTINCT claimed_by) FROM (SELECT claimed_by FROM crm.invoices WHERE account_id = 1
                                                      UNION ALL SELECT claimed_by FROM crm.call_tasks WHERE account_id = 1) c) AS ops,
             (SELECT count(*) FROM crm.invoices WHERE account_id = 1 AND status IN ('awaiting', 'prepaid')
                AND calls_stopped IS NULL AND next_call_at <= to_timestamp(:calls_now)) AS di,
             (SELECT count(*) FROM crm.call_tasks WHERE account_id = 1 AND closed_at IS NULL
                AND next_call_at <= to_timestamp(:calls_now)) AS dt) s;
