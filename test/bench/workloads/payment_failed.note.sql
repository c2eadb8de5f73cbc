-- After each point: the failed payments the workload has recorded so far in this
-- variant and the alerts routed to them (the same per payment in every variant).
SELECT format('payment_failed: %s payments recorded, %s alerts per payment', count(*),
              coalesce(round((SELECT count(*) FROM crm.alerts a WHERE a.account_id = 1 AND a.payment_id > :paylast)::numeric
                             / nullif(count(*), 0), 2), 0))
FROM crm.payments p WHERE p.account_id = 1 AND p.id > :paylast AND NOT p.succeeded AND p.failure_reason = 'declined';
