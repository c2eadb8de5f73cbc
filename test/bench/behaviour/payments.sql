-- behaviour/payments.sql: payments and failed-payment alert routing, run against
-- crm and against the PL/pgSQL variant (test/bench/plpgsql/60_payments.sql).
-- Payments are plain INSERTs into crm.payments by a manager (Anna), which both
-- implement; error texts are compared too.
BEGIN;
SELECT plan(33);

SELECT crm_test.company('Pay Co') AS a \gset
SELECT set_config('crm.account_id', :'a', true);
SELECT crm_test.id('employees', :a, 'Anna') AS anna, crm_test.id('employees', :a, 'Boris') AS boris,
       crm_test.id('employees', :a, 'Admin') AS admin, crm_test.id('employees', :a, 'Hidden') AS hidden,
       crm_test.id('employees', :a, 'Gone') AS gone \gset
INSERT INTO crm.clients (account_id, name) VALUES (:a, 'Olga') RETURNING id AS olga \gset
INSERT INTO crm.clients (account_id, name) VALUES (:a, 'Petr') RETURNING id AS petr \gset
INSERT INTO crm.offers (account_id, name, price, notify_on_failed_payment) VALUES (:a, 'Course', 100, true) RETURNING id AS course \gset
INSERT INTO crm.offers (account_id, name, price, notify_on_failed_payment) VALUES (:a, 'Club', 100, true) RETURNING id AS club \gset
INSERT INTO crm.offers (account_id, name, price, notify_on_failed_payment) VALUES (:a, 'Book', 100, false) RETURNING id AS book \gset
INSERT INTO crm.conversations (account_id, client_id) VALUES (:a, :olga) RETURNING id AS conv_olga \gset
INSERT INTO crm.conversations (account_id, client_id) VALUES (:a, :petr) RETURNING id AS conv_petr \gset
-- Who wrote to Olga when (the failure below is at 12:00): Anna and Hidden before it,
-- Gone before it but inactive, Admin exactly at it, Boris a second after it.
INSERT INTO crm.messages (account_id, conversation_id, direction, employee_id, body, sent_at) VALUES
  (:a, :conv_olga, 'out', :anna, 'hi', '2026-03-01 10:00+00'),
  (:a, :conv_olga, 'out', :hidden, 'hi', '2026-03-01 11:00+00'),
  (:a, :conv_olga, 'out', :gone, 'hi', '2026-03-01 09:00+00'),
  (:a, :conv_olga, 'out', :admin, 'hi', '2026-03-01 12:00+00'),
  (:a, :conv_olga, 'out', :boris, 'hi', '2026-03-01 12:00:01+00'),
  (:a, :conv_petr, 'out', :anna, 'hi', '2026-03-01 10:00+00');
UPDATE crm.employees SET active = false WHERE account_id = :a AND id = :gone;

SELECT crm_test.act('crm_test_manager', :a, 'Anna');
-- Invoices: Olga's holds two flagged offers and one plain; Petr's only plain ones.
INSERT INTO crm.invoices (client_id) VALUES (:olga) RETURNING id AS i1, number AS i1_number \gset
INSERT INTO crm.invoice_items (invoice_id, offer_id, price) VALUES (:i1, :course, 100), (:i1, :club, 100), (:i1, :book, 100);
INSERT INTO crm.invoices (client_id) VALUES (:petr) RETURNING id AS i2 \gset
INSERT INTO crm.invoice_items (invoice_id, offer_id, price) VALUES (:i2, :book, 100);
INSERT INTO crm.invoices (client_id) VALUES (:petr) RETURNING id AS i3, number AS i3_number \gset
INSERT INTO crm.invoice_items (invoice_id, offer_id, price) VALUES (:i3, :book, 100);
INSERT INTO crm.invoices (client_id) VALUES (:olga) RETURNING id AS i4, number AS i4_number \gset
INSERT INTO crm.invoice_items (invoice_id, offer_id, price) VALUES (:i4, :course, 100);

-- A failed payment: its event, the right alerts, the invoice unchanged.
INSERT INTO crm.payments (invoice_id, amount, succeeded, at, failure_reason)
  VALUES (:i1, 300, false, '2026-03-01 12:00+00', 'declined') RETURNING id AS p1, (to_jsonb(at AT TIME ZONE 'UTC') #>> '{}') || '+00:00' AS p1_at \gset
SELECT is((SELECT employee_id FROM crm.payments WHERE id = :p1), :'anna'::bigint,
    'the payment''s employee defaults to the current employee');
SELECT results_eq(format($$SELECT kind, employee_id, detail FROM crm.invoice_events WHERE invoice_id = %s AND kind LIKE 'payment%%'$$, :i1),
    format($$VALUES ('payment_failed', %s::bigint, jsonb_build_object('payment_id', %s::bigint, 'kind', 'payment',
             'amount', 300.00, 'at', %L, 'failure_reason', 'declined', 'external_id', NULL))$$, :anna, :p1, :'p1_at'),
    'a failed payment records a payment_failed event with the payment in its detail');
SELECT ok((SELECT status = 'awaiting' AND paid_amount = 0 FROM crm.invoices WHERE id = :i1),
    'a failed payment leaves the invoice awaiting with nothing paid');
SELECT results_eq(format('SELECT employee_id, offer_id FROM crm.alerts WHERE payment_id = %s ORDER BY 1, 2', :p1),
    format('VALUES (%s::bigint, %s::bigint), (%s, %s), (%s, %s), (%s, %s)',
           least(:anna, :hidden), least(:course, :club), least(:anna, :hidden), greatest(:course, :club),
           greatest(:anna, :hidden), least(:course, :club), greatest(:anna, :hidden), greatest(:course, :club)),
    'one alert per flagged offer and active employee who wrote strictly before the failure');
SELECT results_eq(format('SELECT DISTINCT kind, client_id, conversation_id, invoice_id, happened_at, seen_at, resolved_at FROM crm.alerts WHERE payment_id = %s', :p1),
    format($$VALUES ('failed_payment', %s::bigint, %s::bigint, %s::bigint, '2026-03-01 12:00+00'::timestamptz, NULL::timestamptz, NULL::timestamptz)$$,
           :olga, :conv_olga, :i1),
    'alerts carry the client, the conversation written in, the invoice and the failure time');
SELECT is((SELECT count(*) FROM crm.alerts WHERE payment_id = :p1 AND employee_id IN (:gone, :admin, :boris)), 0::bigint,
    'the inactive employee, the one writing at the failure time and the one after it get nothing');

-- The same failure again (a new row, same invoice and time): recorded, alerts once.
INSERT INTO crm.payments (invoice_id, amount, succeeded, at, failure_reason)
  VALUES (:i1, 300, false, '2026-03-01 12:00+00', 'declined') RETURNING id AS p2 \gset
SELECT is((SELECT count(*) FROM crm.invoice_events WHERE invoice_id = :i1 AND kind = 'payment_failed'), 2::bigint,
    'the repeated failure is recorded as an event');
SELECT is((SELECT count(*) FROM crm.alerts WHERE invoice_id = :i1), 4::bigint, 'the same failure reported twice alerts once');

-- A later failure reported twice with the same external_id: the second report is skipped.
INSERT INTO crm.payments (invoice_id, amount, succeeded, at, failure_reason, external_id)
  VALUES (:i1, 300, false, '2026-03-01 13:00+00', 'declined', 'gw-1');
INSERT INTO crm.payments (invoice_id, amount, succeeded, at, failure_reason, external_id)
  VALUES (:i1, 300, false, '2026-03-01 13:00+00', 'declined', 'gw-1');
SELECT is((SELECT count(*) FROM crm.payments WHERE invoice_id = :i1 AND external_id = 'gw-1'), 1::bigint,
    'a payment whose external_id was already reported is not inserted');
SELECT is((SELECT count(*) FROM crm.invoice_events WHERE invoice_id = :i1 AND kind = 'payment_failed'), 3::bigint,
    'the skipped report records no event');
SELECT is((SELECT array_agg(DISTINCT employee_id ORDER BY employee_id) FROM crm.alerts
           WHERE invoice_id = :i1 AND happened_at = '2026-03-01 13:00+00'),
          (SELECT array_agg(id ORDER BY id) FROM crm.employees WHERE account_id = :a AND id IN (:anna, :hidden, :admin, :boris)),
    'a later failure alerts everyone active who wrote before it');
SELECT is((SELECT count(*) FROM crm.alerts WHERE invoice_id = :i1), 12::bigint, 'two flagged offers times four employees, once');

-- No flagged offer: no alert; the failure is recorded all the same.
INSERT INTO crm.payments (invoice_id, amount, succeeded, at, failure_reason)
  VALUES (:i2, 100, false, '2026-03-01 12:00+00', 'declined');
SELECT is((SELECT count(*) FROM crm.alerts WHERE invoice_id = :i2), 0::bigint, 'an invoice without flagged offers alerts nobody');
SELECT is((SELECT count(*) FROM crm.invoice_events WHERE invoice_id = :i2 AND kind = 'payment_failed'), 1::bigint,
    'its failure is recorded');

-- Successful payments move the invoice: awaiting -> prepaid -> paid.
INSERT INTO crm.payments (invoice_id, amount, succeeded, at) VALUES (:i3, 40, true, '2026-03-02 10:00+00')
  RETURNING id AS p3, (to_jsonb(at AT TIME ZONE 'UTC') #>> '{}') || '+00:00' AS p3_at \gset
SELECT ok((SELECT status = 'prepaid' AND paid_amount = 40 AND status_changed_at = now() AND updated_at = now()
           FROM crm.invoices WHERE id = :i3), 'a partial payment moves awaiting to prepaid');
SELECT results_eq(format($$SELECT kind, employee_id, from_status, to_status, detail FROM crm.invoice_events
                           WHERE invoice_id = %s AND kind IN ('payment', 'status_changed') ORDER BY id$$, :i3),
    format($$VALUES ('payment', %s::bigint, NULL::text, NULL::text, jsonb_build_object('payment_id', %s::bigint, 'kind', 'payment',
                     'amount', 40.00, 'at', %L, 'failure_reason', NULL, 'external_id', NULL)),
                    ('status_changed', %s, 'awaiting', 'prepaid', '{"reason": "payment", "comment": null}'::jsonb)$$,
           :anna, :p3, :'p3_at', :anna),
    'the payment event, then the status change with reason payment');
INSERT INTO crm.payments (invoice_id, amount, succeeded, external_id) VALUES (:i3, 60, true, 'gw-2');
SELECT ok((SELECT status = 'paid' AND paid_amount = 100 FROM crm.invoices WHERE id = :i3), 'paying the rest moves prepaid to paid');
SELECT is((SELECT to_status FROM crm.invoice_events WHERE invoice_id = :i3 AND kind = 'status_changed' ORDER BY id DESC LIMIT 1),
    'paid', 'the move to paid is in the history');
INSERT INTO crm.payments (invoice_id, amount, succeeded, external_id) VALUES (:i3, 60, true, 'gw-2');
SELECT ok((SELECT paid_amount = 100 AND status = 'paid' FROM crm.invoices WHERE id = :i3),
    'the same succeeded payment reported again changes nothing');
SELECT is((SELECT count(*) FROM crm.payments WHERE invoice_id = :i3), 2::bigint, 'and is not inserted');
SELECT is((SELECT count(*) FROM crm.alerts WHERE invoice_id = :i3), 0::bigint, 'successful payments alert nobody');
INSERT INTO crm.payments (invoice_id, amount, succeeded, kind) VALUES (:i4, 100, true, 'prepayment');
SELECT ok((SELECT status = 'paid' AND paid_amount = 100 FROM crm.invoices WHERE id = :i4),
    'paying all of an awaiting invoice at once moves it to paid');
SELECT is((SELECT count(*) FROM crm.invoice_events WHERE invoice_id = :i4 AND kind = 'status_changed'
           AND from_status = 'awaiting' AND to_status = 'paid'), 1::bigint, 'with one status change');

-- Refusals.
SELECT throws_ok(format('INSERT INTO crm.payments (invoice_id, amount, succeeded) VALUES (%s, 0, false)', :i1), '22023',
    'payment amount must be positive', 'a zero amount is refused');
SELECT throws_ok(format('INSERT INTO crm.payments (invoice_id, amount, succeeded) VALUES (%s, -5, true)', :i1), '22023',
    'payment amount must be positive', 'a negative amount is refused');
SELECT throws_ok(format('INSERT INTO crm.payments (invoice_id, amount, succeeded) VALUES (%s, 10, false)', :i3), '22023',
    format('payment of 10.00 is more than the 0.00 still due on invoice "%s"', :'i3_number'),
    'a paid invoice takes no more payments, not even failed ones');
SELECT throws_ok(format('INSERT INTO crm.payments (invoice_id, amount, succeeded) VALUES (%s, 301, true)', :i1), '22023',
    format('payment of 301.00 is more than the 300.00 still due on invoice "%s"', :'i1_number'),
    'more than is due is refused');
SELECT throws_ok('INSERT INTO crm.payments (invoice_id, amount, succeeded) VALUES (999999999, 10, false)', '23503',
    'invoice 999999999 does not exist', 'an unknown invoice is refused');
INSERT INTO crm.invoices (client_id) VALUES (:olga) RETURNING id AS i5, number AS i5_number \gset
INSERT INTO crm.invoice_items (invoice_id, offer_id, price) VALUES (:i5, :course, 100);
SELECT crm.cancel_invoice(:i5) IS NOT NULL AS cancelled \gset
SELECT throws_ok(format('INSERT INTO crm.payments (invoice_id, amount, succeeded, at) VALUES (%s, 100, false, %L)', :i5, '2026-03-01 12:00+00'),
    '55000', format('payment cannot be recorded on cancelled invoice "%s"', :'i5_number'),
    'a failed payment on a cancelled invoice is refused');
SELECT throws_ok(format('INSERT INTO crm.payments (invoice_id, amount, succeeded) VALUES (%s, 100, true)', :i5),
    '55000', format('payment cannot be recorded on cancelled invoice "%s"', :'i5_number'),
    'a payment on a cancelled invoice is refused');
SELECT is((SELECT count(*) FROM crm.alerts WHERE invoice_id = :i5), 0::bigint, 'a refused failure alerts nobody');
SELECT is((SELECT count(*) FROM crm.invoice_events WHERE invoice_id IN (:i1, :i3, :i5) AND kind IN ('payment', 'payment_failed')),
    5::bigint, 'refused payments record no event');
SELECT ok((SELECT status = 'awaiting' AND paid_amount = 0 FROM crm.invoices WHERE id = :i1), 'nor move the invoice');

SELECT * FROM finish();
ROLLBACK;
