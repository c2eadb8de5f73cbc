-- data/60_chats.sql: conversations, 1,000,000·s messages (at least 1,000), who
-- wrote to whom (crm.client_contacts), the clients' responsible managers and a
-- backlog of failed-payment alerts, as the chat and payment triggers would
-- write them.  Fixed seed; no randomness is needed beyond data/30's.
--
-- The contacted clients are the clients of the awaiting invoices whose offer
-- notifies on a failed payment (about 13% of the invoices), so every invoice
-- the payment_failed workload picks has a client with contacts.  Client c has
-- 1 + c % 5 employees (2..nemp, distinct by construction), all in the client's
-- one conversation; the j-th of them first wrote "before" (40 to 80 days before
-- the client's first such invoice) unless (c + j) % 6 = 5, then "later" (3 days
-- after its last one).  Each contact has two outgoing messages (its first and
-- last); the rest of the messages are incoming ones spread over the
-- conversations.  responsible_id: the employee who wrote first.
--
-- Backlog: each such invoice had three failed payments 6, 12 and 18 hours after
-- it was created ('declined', no employee set), each with its 'payment_failed'
-- invoice event and one alert per "before" contact (the "later" ones wrote after
-- it): about 96 alerts per employee at every scale, of which about half are seen
-- and a quarter resolved, so a typical inbox page is full (50 rows) whatever ran
-- before.  public.bench_fail_invoices lists the invoices for the workload
-- (n = 1..nfailinv) with the invoice amount and the start of a failure time
-- window one day after creation (the workload adds up to a day): "before"
-- contacts are before any such time, "later" ones after.
\set ON_ERROR_STOP 1
SET crm.account_id = 1;
SELECT value AS n_emp FROM public.bench_vars WHERE name = 'nemp' \gset
SELECT greatest(1000, (1000000 * :scale)::int) AS n_msg \gset
-- Ids follow any rows an earlier data file wrote.
SELECT (SELECT coalesce(max(id), 0) FROM crm.conversations) AS conv_base,
       (SELECT coalesce(max(id), 0) FROM crm.messages) AS msg_base,
       (SELECT coalesce(max(id), 0) FROM crm.payments) AS pay_base \gset

CREATE TABLE public.bench_fail_invoices (n bigint PRIMARY KEY, invoice_id bigint NOT NULL, client_id bigint NOT NULL,
                                         amount numeric(14, 2) NOT NULL, at timestamptz NOT NULL);
INSERT INTO public.bench_fail_invoices
SELECT row_number() OVER (ORDER BY i.id), i.id, i.client_id, i.amount, i.created_at + interval '1 day'
FROM crm.invoices i
WHERE i.account_id = 1 AND i.status = 'awaiting'
  AND EXISTS (SELECT 1 FROM crm.invoice_items it JOIN crm.offers o ON o.account_id = it.account_id AND o.id = it.offer_id
              WHERE it.account_id = 1 AND it.invoice_id = i.id AND o.notify_on_failed_payment);

-- Contacted clients, their conversation (ids 1..) and time frame.
CREATE TEMP TABLE cl AS
SELECT :conv_base + row_number() OVER (ORDER BY client_id) AS conv_id, client_id, min(at) - interval '1 day' AS first_inv_at,
       max(at) - interval '1 day' AS last_inv_at
FROM public.bench_fail_invoices GROUP BY client_id;
CREATE TEMP TABLE cc AS
SELECT cl.client_id, 2 + ((cl.client_id * 7919 + j * 104729) % (:n_emp - 1)) AS employee_id, cl.conv_id,
       CASE WHEN (cl.client_id + j) % 6 = 5 THEN cl.last_inv_at + interval '3 days' + j * interval '1 hour'
            ELSE cl.first_inv_at - interval '80 days' + j * interval '10 days' END AS first_out_at
FROM cl, generate_series(0, 4) j
WHERE j < 1 + cl.client_id % 5;

SET session_replication_role = replica;
INSERT INTO crm.conversations (account_id, id, client_id, channel, last_message_at, created_at)
SELECT 1, conv_id, client_id, 'chat', NULL, first_inv_at - interval '100 days' FROM cl;
-- Outgoing: each contact's first message and, a day later, its last.
CREATE TEMP TABLE msg AS
SELECT conv_id, 'out'::text AS direction, employee_id, first_out_at + d * interval '1 day' AS sent_at
FROM cc, generate_series(0, 1) d;
-- Incoming: the rest, round the conversations, from 100 days before the first invoice on.
INSERT INTO msg
SELECT cl.conv_id, 'in', NULL, cl.first_inv_at - interval '100 days' + g * interval '1 minute'
FROM generate_series(0, greatest(0, :n_msg - (SELECT count(*) FROM msg)) - 1) g
JOIN cl ON cl.conv_id = :conv_base + 1 + g % (SELECT count(*) FROM cl);
INSERT INTO crm.messages (account_id, id, conversation_id, direction, employee_id, body, sent_at)
SELECT 1, :msg_base + row_number() OVER (ORDER BY sent_at, conv_id, employee_id), conv_id, direction, employee_id,
       CASE direction WHEN 'in' THEN 'Hello, a question about my invoice' ELSE 'Hello, how can I help?' END, sent_at
FROM msg;
UPDATE crm.conversations v SET last_message_at = m.last
FROM (SELECT conv_id, max(sent_at) AS last FROM msg GROUP BY conv_id) m
WHERE v.account_id = 1 AND v.id = m.conv_id;
INSERT INTO crm.client_contacts (account_id, client_id, employee_id, conversation_id, first_out_at, last_out_at)
SELECT 1, client_id, employee_id, conv_id, first_out_at, first_out_at + interval '1 day' FROM cc;
UPDATE crm.clients c SET responsible_id = f.employee_id
FROM (SELECT DISTINCT ON (client_id) client_id, employee_id FROM cc ORDER BY client_id, first_out_at) f
WHERE c.account_id = 1 AND c.id = f.client_id;

-- The backlog: three past failed payments per listed invoice, their events, their alerts.
CREATE TEMP TABLE pay AS
SELECT :pay_base + 3 * (f.n - 1) + r AS id, f.invoice_id, f.client_id, f.amount, f.at - interval '1 day' + r * interval '6 hours' AS at
FROM public.bench_fail_invoices f, generate_series(1, 3) r;
INSERT INTO crm.payments (account_id, id, invoice_id, kind, amount, succeeded, failure_reason, at, created_at)
SELECT 1, id, invoice_id, 'payment', amount, false, 'declined', at, at FROM pay;
INSERT INTO crm.invoice_events (account_id, invoice_id, at, employee_id, kind, detail)
SELECT 1, invoice_id, at, NULL, 'payment_failed',
       jsonb_build_object('payment_id', id::text, 'kind', 'payment', 'amount', amount::text, 'at', at::text,
                          'failure_reason', 'declined', 'external_id', NULL)
FROM pay ORDER BY id;
INSERT INTO crm.alerts (account_id, employee_id, kind, client_id, conversation_id, offer_id, invoice_id, payment_id,
                        happened_at, created_at, seen_at, resolved_at)
SELECT 1, cc.employee_id, 'failed_payment', p.client_id, cc.conv_id, it.offer_id, p.invoice_id, p.id, p.at, p.at,
       CASE WHEN (p.id + cc.employee_id) % 4 >= 2 THEN p.at + interval '2 hours' END,
       CASE WHEN (p.id + cc.employee_id) % 4 = 3 THEN p.at + interval '1 day' END
FROM pay p
JOIN crm.invoice_items it ON it.account_id = 1 AND it.invoice_id = p.invoice_id
JOIN crm.offers o ON o.account_id = 1 AND o.id = it.offer_id AND o.notify_on_failed_payment
JOIN cc ON cc.client_id = p.client_id AND cc.first_out_at < p.at
ORDER BY p.id, cc.employee_id, it.offer_id;
RESET session_replication_role;
SELECT setval(pg_get_serial_sequence('crm.conversations', 'id'), (SELECT max(id) FROM crm.conversations) + 1000),
       setval(pg_get_serial_sequence('crm.messages', 'id'), (SELECT max(id) FROM crm.messages) + 1000),
       setval(pg_get_serial_sequence('crm.payments', 'id'), (SELECT max(id) FROM crm.payments) + 1000);
-- nfailinv: rows of bench_fail_invoices; paylast: payments with larger ids are the workload's.
INSERT INTO public.bench_vars VALUES ('nfailinv', (SELECT count(*) FROM public.bench_fail_invoices)),
                                     ('nmsg', (SELECT count(*) FROM msg)),
                                     ('paylast', (SELECT max(id) FROM crm.payments) + 1000);
