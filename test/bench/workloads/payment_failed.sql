-- A failed payment (crm and plpgsql run this text): a random awaiting invoice whose
-- offer notifies on a failed payment, its full amount, at a random second of the day
-- after the invoice was created.  The payment rules lock and judge the invoice and
-- record the 'payment_failed' event; routing alerts every active employee who wrote
-- to the client before that time (one per flagged offer) and sends one NOTIFY.
\set k random(1, :nfailinv)
\set s random(0, 86399)
INSERT INTO crm.payments (invoice_id, amount, succeeded, at, failure_reason)
SELECT f.invoice_id, f.amount, false, f.at + (:s)::int * interval '1 second', 'declined'
FROM public.bench_fail_invoices f WHERE f.n = :k;
