-- data/30_invoices.sql: offers and 1,000,000·s invoices (at least 1,000), one
-- item each, numbered INV-000001..., with their 'created' events, as the
-- invoice triggers would write them.  Statuses: 40% awaiting, 10% prepaid,
-- 40% paid, 10% cancelled; paid_amount matches (prepaid: half).  Every third
-- offer notifies on a failed payment.  Records ninv and noffers.
\set ON_ERROR_STOP 1
SET crm.account_id = 1;
SELECT setseed(0.3131);
SELECT value AS n_cli FROM public.bench_vars WHERE name = 'ncli' \gset
SELECT value AS n_emp FROM public.bench_vars WHERE name = 'nemp' \gset
SELECT greatest(1000, (1000000 * :scale)::int) AS n_inv \gset
SET session_replication_role = replica;
INSERT INTO crm.offers (account_id, id, name, price, notify_on_failed_payment)
SELECT 1, g, 'Offer ' || g, 100 * g, g % 3 = 0 FROM generate_series(1, 12) g;
INSERT INTO crm.number_sequences (account_id, id, key) VALUES (1, 2, 'INV-{N:6}');
CREATE TEMP TABLE inv AS
SELECT g AS id, 1 + (random() * (:n_cli - 1))::bigint AS client_id, 1 + (random() * (:n_emp - 1))::bigint AS manager_id,
       1 + (random() * 11)::int AS offer_id,
       (ARRAY['awaiting', 'awaiting', 'awaiting', 'awaiting', 'prepaid', 'paid', 'paid', 'paid', 'paid', 'cancelled'])[1 + g % 10] AS status,
       timestamptz '2026-01-01' + g * interval '10 seconds' AS at
FROM generate_series(1, :n_inv) g;
INSERT INTO crm.invoices (account_id, id, number, number_sequence_id, number_seq, client_id, manager_id, status, amount,
                          paid_amount, created_at, updated_at, status_changed_at)
SELECT 1, i.id, 'INV-' || lpad(i.id::text, greatest(6, length(i.id::text)), '0'), 2, i.id, i.client_id, i.manager_id, i.status, o.price,
       CASE i.status WHEN 'paid' THEN o.price WHEN 'prepaid' THEN o.price / 2 ELSE 0 END, i.at, i.at, i.at
FROM inv i JOIN crm.offers o ON o.account_id = 1 AND o.id = i.offer_id;
INSERT INTO crm.invoice_items (account_id, invoice_id, offer_id, quantity, price)
SELECT 1, i.id, i.offer_id, 1, 100 * i.offer_id FROM inv i;
INSERT INTO crm.invoice_events (account_id, invoice_id, at, employee_id, kind, to_status, detail)
SELECT 1, i.id, i.at, i.manager_id, 'created', 'awaiting',
       jsonb_build_object('number', 'INV-' || lpad(i.id::text, greatest(6, length(i.id::text)), '0'), 'amount', (100 * i.offer_id)::numeric(14, 2)::text, 'comment', NULL)
FROM inv i;
RESET session_replication_role;
SELECT setval(pg_get_serial_sequence('crm.offers', 'id'), 1000),
       setval(pg_get_serial_sequence('crm.invoices', 'id'), :n_inv + 1000),
       setval(pg_get_serial_sequence('crm.number_sequences', 'id'), 1000);
INSERT INTO public.bench_vars VALUES ('ninv', :n_inv), ('noffers', 12);
