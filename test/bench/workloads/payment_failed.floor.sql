-- The rows crm writes for a failed payment, written whole by the client in one
-- statement with every trigger off: the payment row, its 'payment_failed' invoice
-- history row, its alerts (computed from the client's contacts), the payment's event
-- and one event per alert.  No checks, no NOTIFY.
\set k random(1, :nfailinv)
\set s random(0, 86399)
WITH f AS (
  SELECT invoice_id, client_id, amount, at + (:s)::int * interval '1 second' AS at
  FROM public.bench_fail_invoices WHERE n = :k),
p AS (
  INSERT INTO crm.payments (account_id, invoice_id, amount, succeeded, at, failure_reason, employee_id)
  SELECT 1, invoice_id, amount, false, at, 'declined', 2 FROM f RETURNING id, invoice_id, amount, at, external_id),
ie AS (
  INSERT INTO crm.invoice_events (account_id, invoice_id, employee_id, kind, detail)
  SELECT 1, p.invoice_id, 2, 'payment_failed',
         jsonb_build_object('payment_id', p.id, 'kind', 'payment', 'amount', p.amount, 'at', p.at,
                            'external_id', p.external_id, 'failure_reason', 'declined')
  FROM p),
a AS (
  INSERT INTO crm.alerts (account_id, employee_id, kind, client_id, conversation_id, offer_id, invoice_id, payment_id,
                          happened_at)
  SELECT 1, cc.employee_id, 'failed_payment', f.client_id, cc.conversation_id, it.offer_id, p.invoice_id, p.id, p.at
  FROM p CROSS JOIN f
  JOIN crm.invoice_items it ON it.account_id = 1 AND it.invoice_id = p.invoice_id
  JOIN crm.offers o ON o.account_id = 1 AND o.id = it.offer_id AND o.notify_on_failed_payment
  JOIN crm.client_contacts cc ON cc.account_id = 1 AND cc.client_id = f.client_id AND cc.first_out_at < p.at
  JOIN crm.employees e ON e.account_id = 1 AND e.id = cc.employee_id AND e.active
  ON CONFLICT DO NOTHING
  RETURNING id, employee_id, client_id, offer_id, invoice_id, payment_id),
na AS (SELECT count(*) AS n FROM a),
e AS (UPDATE crm.event_counters SET last_id = last_id + 1 + na.n FROM na WHERE account_id = 1 AND EXISTS (SELECT FROM p)
      RETURNING last_id, na.n)
INSERT INTO crm.events (account_id, id, at, kind, employee_id, payload)
SELECT 1, e.last_id - e.n + (row_number() OVER (ORDER BY a.id)) - 1, now(), 'alert_raised', 2,
       jsonb_build_object('kind', 'failed_payment', 'alert_id', a.id, 'offer_id', a.offer_id, 'client_id', a.client_id,
                          'invoice_id', a.invoice_id, 'payment_id', a.payment_id, 'employee_id', a.employee_id)
FROM a, e
UNION ALL
SELECT 1, e.last_id, now(), 'payment_failed', 2,
       jsonb_build_object('kind', 'payment', 'invoice_id', p.invoice_id, 'payment_id', p.id, 'amount', p.amount,
                          'succeeded', false, 'at', p.at)
FROM p, e;
