-- One of the newest paid invoices is refunded.
\set a random(1, :accounts)
\set e random(1, 3)
\set k random(0, 10)
SELECT crm_soak.attempt('refund', :a, :e, $$
SELECT (crm.refund_invoice(v.id, 'soak')).id
FROM (SELECT id FROM crm.invoices WHERE account_id = :a AND status = 'paid' ORDER BY id DESC OFFSET :k LIMIT 1) v$$);
