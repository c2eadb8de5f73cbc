-- import: what the imports so far brought (every variant): leads, those with a past
-- deadline marked overdue, and the notifications queued for them (none: history is
-- not announced).
SELECT format('import: %s leads imported so far, %s marked overdue at import, %s announced',
              count(*), count(*) FILTER (WHERE overdue_since IS NOT NULL),
              (SELECT count(*) FROM crm.outbox o WHERE o.account_id = 1 AND o.payload ->> 'event' = 'lead_overdue'
                 AND o.payload ->> 'lead_id' IN (SELECT l2.id::text FROM crm.leads l2
                                                 WHERE l2.account_id = 1 AND l2.comment = 'from the other CRM')))
FROM crm.leads WHERE account_id = 1 AND comment = 'from the other CRM';
