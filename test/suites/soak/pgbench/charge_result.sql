-- The payment provider reports the result of one of the newest queued charges (a
-- quarter fail), with the charge's dedup key as external id: a second report is a no-op.
\set a random(1, :accounts)
\set k random(0, 5)
\set ok random(0, 3)
SELECT crm_soak.attempt('charge_result', :a, NULL, $$
SELECT (crm.record_payment((o.payload->>'invoice_id')::bigint, (o.payload->>'amount')::numeric, :ok > 0, 'autopay',
                           failure_reason => CASE WHEN :ok = 0 THEN 'card expired' END, external_id => o.dedup_key)).id
FROM (SELECT payload, dedup_key FROM crm.outbox WHERE account_id = :a AND kind = 'charge'
      ORDER BY id DESC OFFSET :k LIMIT 1) o$$);
