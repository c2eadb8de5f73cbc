-- The same rows written whole by the client: the payment row (employee_id as crm
-- would default it) and its alert rows, computed by one INSERT ... SELECT from the
-- client's contacts; no event, no checks, no NOTIFY.  ON CONFLICT DO NOTHING: the
-- dedupe indexes exist here too, and a repeated (invoice, time) alerts once.
\set k random(1, :nfailinv)
\set s random(0, 86399)
WITH f AS (
  SELECT invoice_id, client_id, amount, at + (:s)::int * interval '1 second' AS at
  FROM public.bench_fail_invoices WHERE n = :k),
p AS (
  INSERT INTO crm.payments (account_id, invoice_id, amount, succeeded, at, failure_reason, employee_id)
  SELECT 1, invoice_id, amount, false, at, 'declined', 2 FROM f RETURNING id, invoice_id, at)
INSERT INTO crm.alerts (account_id, employee_id, kind, client_id, conversation_id, offer_id, invoice_id, payment_id,
                        happened_at)
SELECT 1, cc.employee_id, 'failed_payment', f.client_id, cc.conversation_id, it.offer_id, p.invoice_id, p.id, p.at
FROM p CROSS JOIN f
JOIN crm.invoice_items it ON it.account_id = 1 AND it.invoice_id = p.invoice_id
JOIN crm.offers o ON o.account_id = 1 AND o.id = it.offer_id AND o.notify_on_failed_payment
JOIN crm.client_contacts cc ON cc.account_id = 1 AND cc.client_id = f.client_id AND cc.first_out_at < p.at
JOIN crm.employees e ON e.account_id = 1 AND e.id = cc.employee_id AND e.active
ON CONFLICT DO NOTHING;
