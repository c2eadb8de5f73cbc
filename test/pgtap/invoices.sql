-- Invoices: numbering, state machine, actions, payments, auto-cancel, autopay, history, views.
BEGIN;
SELECT plan(128);

SELECT crm_test.company('Invoices A') AS a \gset
SELECT crm_test.id('employees', :a, 'Anna') AS anna, crm_test.id('employees', :a, 'Admin') AS admin \gset
SELECT crm_test.company('Invoices B') AS b \gset

SELECT crm_test.act('crm_test_admin', :a, 'Admin');
INSERT INTO crm.offers (name, price, notify_on_failed_payment) VALUES ('Course', 100, true) RETURNING id AS course \gset
INSERT INTO crm.offers (name, price) VALUES ('Book', 30) RETURNING id AS book \gset
RESET ROLE;

SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.clients (name, note, city, address) VALUES ('Ivan', 'Call after 18:00', 'Moscow', 'Tverskaya 1')
    RETURNING id AS ivan \gset

-- ---- creation, numbering, items ----
INSERT INTO crm.invoices (client_id) VALUES (:ivan) RETURNING id AS i1 \gset
SELECT is((SELECT number FROM crm.invoices WHERE id = :i1), 'INV-000001', 'numbers come from the account''s invoice template');
SELECT is((SELECT status FROM crm.invoices WHERE id = :i1), 'awaiting', 'a new invoice is awaiting');
SELECT is((SELECT manager_id FROM crm.invoices WHERE id = :i1), :'anna'::bigint, 'the manager defaults to the current employee');
INSERT INTO crm.invoice_items (invoice_id, offer_id, quantity) VALUES (:i1, :course, 2);
INSERT INTO crm.invoice_items (invoice_id, offer_id, quantity, price) VALUES (:i1, :book, 1, 25);
SELECT is((SELECT amount FROM crm.invoices WHERE id = :i1), 225.00::numeric, 'the amount is the sum of the items; an item without price takes the offer''s');
INSERT INTO crm.invoices (client_id) VALUES (:ivan) RETURNING id AS i2 \gset
UPDATE crm.invoices SET manager_id = NULL WHERE id = :i2;
SELECT is((SELECT number FROM crm.invoices WHERE id = :i2), 'INV-000002', 'numbers follow on');
SELECT throws_ok(format($$INSERT INTO crm.invoices (client_id, number) VALUES (%s, 'INV-000007')$$, :ivan), '22023',
    'invoice number "INV-000007" has the form of the numbers crm makes',
    'a number given must not be one the template makes (orders.sql: numbers from outside)');
SELECT throws_ok(format($$INSERT INTO crm.invoices (client_id, status) VALUES (%s, 'paid')$$, :ivan), '55000',
    'a new invoice cannot start as "paid"', 'a new invoice cannot start paid');
SELECT throws_ok(format($$INSERT INTO crm.invoices (client_id, paid_amount) VALUES (%s, 10)$$, :ivan), '428C9',
    'cannot write column "paid_amount" of crm.invoices', 'paid_amount is derived');
SELECT throws_ok(format($$UPDATE crm.invoices SET paid_amount = 10 WHERE id = %s$$, :i1), '428C9',
    'cannot write column "paid_amount" of crm.invoices', 'paid_amount cannot be updated');
SELECT throws_ok(format($$UPDATE crm.invoices SET number = 'X' WHERE id = %s$$, :i1), '55000',
    'column "number" of an invoice cannot be changed', 'number cannot be changed');
SELECT throws_ok(format($$DELETE FROM crm.invoices WHERE id = %s$$, :i1), '42501', NULL, 'invoices cannot be deleted by a manager');
RESET ROLE;
SELECT throws_ok(format($$DELETE FROM crm.invoices WHERE id = %s$$, :i1), '42501',
    'rows of "crm.invoices" cannot be deleted', 'invoices cannot be deleted even by the owner');
SELECT crm_test.act('crm_test_manager', :a, 'Anna');

-- ---- call-centre columns change freely ----
SELECT lives_ok(format($$UPDATE crm.invoices SET next_call_at = '2030-01-01', call_attempts = 2, calls_stopped = 'refused' WHERE id = %s$$, :i2),
    'next_call_at, call_attempts and calls_stopped change freely');
SELECT lives_ok(format($$UPDATE crm.invoices SET next_call_at = NULL, call_attempts = 0, calls_stopped = NULL WHERE id = %s$$, :i2),
    'and back');

-- ---- payments: partial, full, failed, overpayment ----
SELECT is((crm.record_payment(:i1, 100, true, 'prepayment')).kind, 'prepayment', 'record_payment returns the payment');
SELECT is((SELECT status FROM crm.invoices WHERE id = :i1), 'prepaid', 'awaiting -> prepaid: a payment below the amount');
SELECT is((SELECT paid_amount FROM crm.invoices WHERE id = :i1), 100.00::numeric, 'paid_amount follows the payments');
SELECT throws_ok(format('SELECT crm.record_payment(%s, 200, true)', :i1), '22023',
    'payment of 200.00 is more than the 125.00 still due on invoice "INV-000001"', 'an overpayment is refused');
SELECT throws_ok(format('SELECT crm.record_payment(%s, -5, true)', :i1), '22023',
    'payment amount must be positive', 'a negative amount is refused');
SELECT throws_ok(format('INSERT INTO crm.payments (invoice_id, amount, succeeded) VALUES (%s, 0, true)', :i1), '22023',
    'payment amount must be positive', 'a zero amount is refused on a plain insert too');
SELECT lives_ok(format($$SELECT crm.record_payment(%s, 125, false, failure_reason => 'card declined')$$, :i1),
    'a failed payment is recorded');
SELECT is((SELECT status || ' ' || paid_amount FROM crm.invoices WHERE id = :i1), 'prepaid 100.00', 'a failed payment changes no state');
SELECT is((SELECT failed FROM crm.client_orders WHERE kind = 'invoice' AND id = :i1), true, 'client_orders flags the failed invoice');
SELECT lives_ok(format($$INSERT INTO crm.payments (invoice_id, amount, succeeded, external_id) VALUES (%s, 125, true, 'ext-1')$$, :i1),
    'a plain INSERT into crm.payments is a payment too');
SELECT is((SELECT status FROM crm.invoices WHERE id = :i1), 'paid', 'prepaid -> paid: payments reach the amount');
SELECT is((SELECT failed FROM crm.client_orders WHERE kind = 'invoice' AND id = :i1), false, 'a later success clears the failed flag');
SELECT is((SELECT employee_id FROM crm.payments WHERE external_id = 'ext-1'), :'anna'::bigint, 'a payment records its employee');

-- external_id: the same payment reported twice
SELECT is((crm.record_payment(:i1, 125, true, external_id => 'ext-1')).id,
    (SELECT id FROM crm.payments WHERE external_id = 'ext-1'), 'the same external_id again returns the first row');
SELECT is((SELECT count(*) FROM crm.payments WHERE invoice_id = :i1), 3::bigint, 'and records nothing again');
SELECT is((SELECT paid_amount FROM crm.invoices WHERE id = :i1), 225.00::numeric, 'and moves nothing again');
SELECT throws_ok(format('SELECT crm.record_payment(%s, 1, true)', :i1), '22023', NULL, 'a payment on a paid invoice is an overpayment');
SELECT throws_ok(format($$UPDATE crm.payments SET amount = 1 WHERE invoice_id = %s$$, :i1), '42501', NULL, 'payments cannot be updated');
RESET ROLE;
SELECT throws_ok(format($$UPDATE crm.payments SET amount = 1 WHERE invoice_id = %s$$, :i1), '42501',
    'rows of "crm.payments" cannot be updated', 'payments are append-only even for the owner');
SELECT throws_ok(format($$DELETE FROM crm.invoice_events WHERE invoice_id = %s$$, :i1), '42501',
    'rows of "crm.invoice_events" cannot be deleted', 'invoice events are append-only');
SELECT crm_test.act('crm_test_manager', :a, 'Anna');

-- ---- refunds ----
SELECT throws_ok(format($$SELECT crm.record_payment(%s, 300, true, 'refund')$$, :i1), '22023',
    'refund of 300.00 is larger than the 225.00 paid on invoice "INV-000001"', 'a refund larger than paid is refused');
SELECT lives_ok(format($$SELECT crm.record_payment(%s, 25, true, 'refund')$$, :i1), 'a partial refund is recorded');
SELECT is((SELECT status || ' ' || refunded_amount FROM crm.invoices WHERE id = :i1), 'paid 25.00', 'a partial refund leaves the invoice paid');
SELECT is((crm.refund_invoice(:i1, 'client asked')).status, 'refunded', 'paid -> refunded with crm.refund_invoice');
SELECT is((SELECT refunded_amount FROM crm.invoices WHERE id = :i1), 225.00::numeric, 'refund_invoice refunds all that was still paid');
SELECT throws_ok(format('SELECT crm.record_payment(%s, 10, true)', :i1), '55000',
    'payment cannot be recorded on refunded invoice "INV-000001"', 'no payment on a refunded invoice');
SELECT throws_ok(format('SELECT crm.confirm_invoice(%s)', :i1), '55000',
    'invoice "INV-000001" cannot move from "refunded" to "paid"', 'refunded -> paid is refused');
SELECT is((crm.delete_invoice(:i1)).status, 'deleted', 'refunded -> deleted');
SELECT throws_ok(format($$UPDATE crm.invoices SET status = 'awaiting' WHERE id = %s$$, :i1), '55000',
    'invoice "INV-000001" cannot move from "deleted" to "awaiting"', 'a deleted invoice stays deleted');

-- ---- every other transition, by action and by plain UPDATE ----
INSERT INTO crm.invoices (client_id, amount) VALUES (:ivan, 100) RETURNING id AS t1 \gset
SELECT is((crm.confirm_invoice(:t1, 'cash at the office')).status, 'paid', 'awaiting -> paid with crm.confirm_invoice');
SELECT throws_ok(format('SELECT crm.cancel_invoice(%s)', :t1), '55000',
    format('invoice "%s" cannot move from "paid" to "cancelled"', (SELECT number FROM crm.invoices WHERE id = :t1)),
    'paid -> cancelled is refused');
SELECT throws_ok(format($$UPDATE crm.invoices SET status = 'awaiting' WHERE id = %s$$, :t1), '55000', NULL,
    'paid -> awaiting is refused');
SELECT is((crm.refund_invoice(:t1)).status, 'refunded', 'a paid invoice with nothing paid in is refunded by status alone');
SELECT throws_ok(format('SELECT crm.cancel_invoice(%s)', :t1), '55000', NULL, 'refunded -> cancelled is refused');

INSERT INTO crm.invoices (client_id, amount) VALUES (:ivan, 100) RETURNING id AS t2 \gset
SELECT throws_ok(format($$UPDATE crm.invoices SET status = 'prepaid' WHERE id = %s$$, :t2), '55000', NULL,
    'awaiting -> prepaid by hand is refused: it follows from a payment');
SELECT throws_ok(format('SELECT crm.refund_invoice(%s)', :t2), '55000', NULL, 'awaiting -> refunded is refused');
SELECT lives_ok(format($$UPDATE crm.invoices SET status = 'cancelled' WHERE id = %s$$, :t2), 'awaiting -> cancelled by plain UPDATE');
SELECT throws_ok(format('SELECT crm.record_payment(%s, 10, true)', :t2), '55000', NULL, 'no payment on a cancelled invoice');
SELECT throws_ok(format('SELECT crm.confirm_invoice(%s)', :t2), '55000', NULL, 'cancelled -> paid is refused');
SELECT is((crm.delete_invoice(:t2)).status, 'deleted', 'cancelled -> deleted');
SELECT throws_ok(format('SELECT crm.record_payment(%s, 10, true)', :t2), '55000', NULL, 'no payment on a deleted invoice');

INSERT INTO crm.invoices (client_id, amount) VALUES (:ivan, 100) RETURNING id AS t3 \gset
SELECT lives_ok(format('SELECT crm.record_payment(%s, 40, true)', :t3), 'a prepayment');
SELECT lives_ok(format($$UPDATE crm.invoices SET status = 'paid' WHERE id = %s$$, :t3), 'prepaid -> paid by plain UPDATE');
INSERT INTO crm.invoices (client_id, amount) VALUES (:ivan, 100) RETURNING id AS t4 \gset
SELECT lives_ok(format('SELECT crm.record_payment(%s, 40, true)', :t4), 'another prepayment');
SELECT throws_ok(format($$UPDATE crm.invoices SET amount = 10 WHERE id = %s$$, :t4), '55000', NULL,
    'a prepaid invoice keeps its amount');
SELECT throws_ok(format('INSERT INTO crm.invoice_items (invoice_id, offer_id) VALUES (%s, %s)', :t4, :book), '55000', NULL,
    'a prepaid invoice keeps its items');
SELECT is((crm.cancel_invoice(:t4)).status, 'cancelled', 'prepaid -> cancelled');
INSERT INTO crm.invoices (client_id, amount) VALUES (:ivan, 100) RETURNING id AS t5 \gset
SELECT is((crm.delete_invoice(:t5)).status, 'deleted', 'awaiting -> deleted');
SELECT throws_ok('SELECT crm.confirm_invoice(999999)', 'P0002', 'invoice 999999 does not exist', 'an unknown invoice');

-- the hint lists what is allowed
CREATE TEMP TABLE caught (hint text);
GRANT ALL ON caught TO PUBLIC;
DO $$
BEGIN
  UPDATE crm.invoices SET status = 'refunded' WHERE number = 'INV-000002';
EXCEPTION WHEN object_not_in_prerequisite_state THEN
  DECLARE h text; BEGIN GET STACKED DIAGNOSTICS h = PG_EXCEPTION_HINT; INSERT INTO caught VALUES (h); END;
END $$;
SELECT is((SELECT hint FROM caught), 'Allowed from "awaiting": "paid", "cancelled", "deleted" ("prepaid" follows from a payment).',
    'a refused move names the allowed ones');

-- ---- reissue ----
INSERT INTO crm.invoices (client_id) VALUES (:ivan) RETURNING id AS r1, number AS r1_number \gset
INSERT INTO crm.invoice_items (invoice_id, offer_id) VALUES (:r1, :course), (:r1, :book);
SELECT (crm.reissue_invoice(:r1, true)).id AS r2 \gset
SELECT is((SELECT status FROM crm.invoices WHERE id = :r1), 'cancelled', 'reissue with cancel_old cancels the old invoice');
SELECT is((SELECT status || ' ' || amount || ' ' || client_id FROM crm.invoices WHERE id = :r2), 'awaiting 130.00 ' || :ivan,
    'the new invoice has the same client and amount');
SELECT is((SELECT count(*) FROM crm.invoice_items WHERE invoice_id = :r2), 2::bigint, 'and the same items');
SELECT is((SELECT detail ->> 'new_invoice_id' FROM crm.invoice_events WHERE invoice_id = :r1 AND kind = 'reissued'), :'r2'::text,
    'the old invoice''s history points to the new one');
SELECT (crm.reissue_invoice(:r2, false)).id AS r3 \gset
SELECT is((SELECT status FROM crm.invoices WHERE id = :r3), 'awaiting', 'reissue without cancel_old');
SELECT is((SELECT status FROM crm.invoices WHERE id = :r2), 'awaiting', 'leaves the old invoice as it was');

-- ---- history ----
SELECT results_eq(format($$SELECT kind, from_status, to_status, employee FROM crm.invoice_history WHERE invoice_id = %s ORDER BY id$$, :t3),
    $$VALUES ('created'::text, NULL::text, 'awaiting'::text, 'Anna'::text),
             ('payment', NULL, NULL, 'Anna'), ('status_changed', 'awaiting', 'prepaid', 'Anna'),
             ('status_changed', 'prepaid', 'paid', 'Anna')$$,
    'the history holds creation, payment and each status change with the employee');
SELECT is((SELECT reason FROM crm.invoice_history WHERE invoice_id = :t3 AND to_status = 'prepaid'), 'payment',
    'a move made by a payment says so');
SELECT is((SELECT detail ->> 'comment' FROM crm.invoice_events WHERE invoice_id = :t1 AND to_status = 'paid'), 'cash at the office',
    'an action''s comment is kept');
SELECT is((SELECT detail ->> 'failure_reason' FROM crm.invoice_events WHERE invoice_id = :i1 AND kind = 'payment_failed'), 'card declined',
    'a failed payment is in the history');
UPDATE crm.invoices SET note = 'prefers email' WHERE id = :r2;
SELECT is((SELECT detail ->> 'note' FROM crm.invoice_events WHERE invoice_id = :r2 AND kind = 'note'), 'prefers email', 'a note is in the history');

-- ---- views ----
SELECT is((SELECT note FROM crm.invoice_card WHERE id = :r2), 'Call after 18:00', 'the client''s note is on the invoice card');
SELECT is((SELECT count(DISTINCT note) FROM crm.invoice_card WHERE client_id = :ivan), 1::bigint, 'on every invoice of the client');
SELECT is((SELECT manager FROM crm.invoice_card WHERE id = :i2), 'not assigned', 'no manager shows as "not assigned"');
SELECT is((SELECT city || ', ' || address FROM crm.invoice_card WHERE id = :r2), 'Moscow, Tverskaya 1', 'the card shows address and city');
SELECT is((SELECT jsonb_array_length(items) FROM crm.invoice_card WHERE id = :r2), 2, 'the card lists the items');
SELECT is((SELECT prepaid FROM crm.invoice_card WHERE id = :t4), 40.00::numeric, 'the card shows the prepaid sum');
SELECT is((SELECT count(*) FROM crm.client_orders WHERE client_id = :ivan AND kind = 'invoice'),
    (SELECT count(*) FROM crm.invoices WHERE client_id = :ivan), 'client_orders lists the client''s invoices');

-- ---- auto-cancel: one microsecond before, at, after ----
INSERT INTO crm.invoices (client_id, amount) VALUES (:ivan, 100) RETURNING id AS ac1 \gset
INSERT INTO crm.invoices (client_id, amount) VALUES (:ivan, 100) RETURNING id AS ac2 \gset
INSERT INTO crm.invoices (client_id, amount) VALUES (:ivan, 100) RETURNING id AS ac3 \gset
SELECT is((crm.set_auto_cancel(:ac1, '2031-01-01 12:00:00+00')).auto_cancel_at, '2031-01-01 12:00:00+00'::timestamptz, 'set_auto_cancel sets the time');
SELECT lives_ok(format($$SELECT crm.set_auto_cancel(%s, '2031-01-01 12:00:00+00')$$, :ac2), 'a second one at the same time');
SELECT lives_ok(format($$SELECT crm.set_auto_cancel(%s, '2031-01-01 12:00:00+00')$$, :ac3), 'a third');
SELECT is((crm.set_auto_cancel(:ac3, NULL)).auto_cancel_at, NULL, 'NULL removes it');
SELECT lives_ok(format('SELECT crm.record_payment(%s, 100, true)', :ac2), 'the second is paid');
RESET ROLE;
SELECT is((SELECT handled FROM crm.run_due(now => '2031-01-01 11:59:59.999999+00') WHERE kind = 'invoice_auto_cancel'), 0::bigint,
    'one microsecond before: nothing is cancelled');
SELECT is((SELECT handled FROM crm.run_due(now => '2031-01-01 12:00:00+00') WHERE kind = 'invoice_auto_cancel'), 1::bigint,
    'at the time: the unpaid invoice is cancelled');
SELECT is((SELECT handled FROM crm.run_due(now => '2031-01-01 12:00:00.000001+00') WHERE kind = 'invoice_auto_cancel'), 0::bigint,
    'after: nothing more to do');
-- max_items caps the cancels of one call (the worker's batch size), oldest first.
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.invoices (client_id, amount) VALUES (:ivan, 10), (:ivan, 10), (:ivan, 10), (:ivan, 10);
-- one call per invoice, its arguments as values (as an application calls it)
SELECT format('SELECT 1 FROM crm.set_auto_cancel(%s, %L)', id, '2031-01-02 12:00:00+00'::timestamptz + id * interval '1 second')
FROM crm.invoices WHERE client_id = :ivan AND amount = 10 AND status = 'awaiting' ORDER BY id \gexec
RESET ROLE;
SELECT is((SELECT handled FROM crm.run_due(now => '2031-01-03', max_items => 1) WHERE kind = 'invoice_auto_cancel'), 1::bigint,
    'max_items 1: one invoice cancelled of four due');
SELECT is((SELECT handled FROM crm.run_due(now => '2031-01-03', max_items => 2) WHERE kind = 'invoice_auto_cancel'), 2::bigint,
    'max_items 2: two more');
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT is((SELECT array_agg(status ORDER BY id) FROM crm.invoices WHERE client_id = :ivan AND amount = 10),
    ARRAY['cancelled', 'cancelled', 'cancelled', 'awaiting'], '... the oldest auto-cancel times first');
SELECT is((SELECT status FROM crm.invoices WHERE id = :ac1), 'cancelled', 'the awaiting invoice is cancelled');
SELECT is((SELECT status FROM crm.invoices WHERE id = :ac2), 'paid', 'a paid invoice is never cancelled');
SELECT is((SELECT status FROM crm.invoices WHERE id = :ac3), 'awaiting', 'a removed auto-cancel time cancels nothing');
SELECT is((SELECT reason || ' ' || coalesce(employee, '-') FROM crm.invoice_history WHERE invoice_id = :ac1 AND kind = 'status_changed'),
    'auto_cancel system', 'the history says the cancel was automatic');
SELECT throws_ok(format($$SELECT crm.set_auto_cancel(%s, '2031-02-01')$$, :ac2), '55000', NULL, 'a paid invoice gets no auto-cancel time');

-- ---- autopay across its whole life: 8 charges, then none ----
INSERT INTO crm.invoices (client_id, amount, autopay, autopay_interval, autopay_limit, next_charge_at)
    VALUES (:ivan, 50, true, '1 month', 8, '2032-01-10 09:00:00+00') RETURNING id AS ap \gset
SELECT is((SELECT kind FROM crm.invoice_events WHERE invoice_id = :ap ORDER BY id DESC LIMIT 1), 'autopay_on', 'turning autopay on is in the history');
RESET ROLE;
CREATE TEMP TABLE autopay_log (n int, queued bigint, next_at timestamptz, status text, autopay boolean);
-- ten months, each its own statement (a statement's due work for every account is one
-- run_due: on Citus about 0.1 s an account)
SELECT format($f$DO $$
DECLARE inv bigint := %s; q bigint; k int := %s;
BEGIN
  SELECT handled INTO q FROM crm.run_due(now => '2032-01-10 09:00:00+00'::timestamptz + make_interval(months => k))
    WHERE kind = 'autopay_charge';
  IF q > 0 THEN PERFORM crm.record_payment(inv, 50, true, 'autopay', external_id => 'ap-' || k); END IF;
  INSERT INTO autopay_log SELECT k, q, next_charge_at, status, autopay FROM crm.invoices WHERE id = inv;
END $$$f$, :ap, k) FROM generate_series(0, 9) AS k ORDER BY k \gexec
SELECT results_eq('SELECT n, queued FROM autopay_log ORDER BY n',
    $$VALUES (0, 1::bigint), (1, 1), (2, 1), (3, 1), (4, 1), (5, 1), (6, 1), (7, 1), (8, 0), (9, 0)$$,
    'one charge per interval, eight in all, no ninth');
SELECT is((SELECT next_at FROM autopay_log WHERE n = 6), '2032-08-10 09:00:00+00'::timestamptz, 'next_charge_at moves one interval each time');
SELECT is((SELECT next_at FROM autopay_log WHERE n = 7), NULL, 'after the eighth charge there is no next one');
SELECT is((SELECT status || ' ' || autopay FROM autopay_log WHERE n = 7), 'paid false', 'after the last success autopay is off');
SELECT is((SELECT count(*) FROM crm.outbox WHERE kind = 'charge' AND payload ->> 'invoice_id' = :'ap'), 8::bigint, 'eight charges are queued');
SELECT is((SELECT autopay_count FROM crm.invoices WHERE id = :ap), 8, 'eight charges succeeded');
SELECT is((SELECT count(*) FROM crm.invoice_events WHERE invoice_id = :ap AND kind = 'charge_queued' AND detail ->> 'next_charge_at' IS NOT NULL), 7::bigint,
    'the history shows a next charge seven times');
SELECT is((SELECT detail ->> 'next_charge_at' FROM crm.invoice_events WHERE invoice_id = :ap AND kind = 'charge_queued' ORDER BY id DESC LIMIT 1), NULL,
    'the eighth charge shows no next one');
SELECT is((SELECT detail ->> 'why' FROM crm.invoice_events WHERE invoice_id = :ap AND kind = 'autopay_off'), 'limit_reached', 'autopay off is in the history');
SELECT is((SELECT count(*) FROM crm.invoice_events WHERE invoice_id = :ap AND kind = 'status_changed'), 1::bigint, 'the first charge paid the invoice; later ones do not move it');

-- a failed last charge frees its place
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.invoices (client_id, amount, autopay, autopay_interval, autopay_limit, next_charge_at)
    VALUES (:ivan, 50, true, '1 day', 2, '2033-01-01 00:00:00+00') RETURNING id AS ap2 \gset
RESET ROLE;
SELECT is((SELECT handled FROM crm.run_due(now => '2033-01-01') WHERE kind = 'autopay_charge'), 1::bigint, 'charge 1 queued');
SELECT is((SELECT handled FROM crm.run_due(now => '2033-01-02') WHERE kind = 'autopay_charge'), 1::bigint, 'charge 2 queued before 1 reports');
SELECT is((SELECT next_charge_at FROM crm.invoices WHERE id = :ap2), NULL, 'successful plus pending reach the limit: no next charge');
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT lives_ok(format($$SELECT crm.record_payment(%s, 50, true, 'autopay')$$, :ap2), 'charge 1 succeeds');
SELECT lives_ok(format($$SELECT crm.record_payment(%s, 50, false, 'autopay', failure_reason => 'no funds')$$, :ap2), 'charge 2 fails');
SELECT is((SELECT next_charge_at FROM crm.invoices WHERE id = :ap2), '2033-01-03 00:00:00+00'::timestamptz, 'a failed charge frees its place');
RESET ROLE;
SELECT is((SELECT handled FROM crm.run_due(now => '2033-01-03') WHERE kind = 'autopay_charge'), 1::bigint, 'the freed place is charged');
SELECT is((SELECT handled FROM crm.run_due(now => '2033-01-03') WHERE kind = 'autopay_charge'), 0::bigint, 'exactly once');
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT lives_ok(format($$SELECT crm.record_payment(%s, 50, true, 'autopay')$$, :ap2), 'and succeeds');
SELECT is((SELECT autopay::text || ' ' || autopay_count || ' ' || coalesce(next_charge_at::text, 'none') FROM crm.invoices WHERE id = :ap2),
    'false 2 none', 'two successes: autopay off, no next charge');
SELECT throws_ok(format($$SELECT crm.record_payment(%s, 50, true, 'autopay')$$, :ap2), '55000', NULL, 'no autopay payment once autopay is off');

-- turning autopay on and off
INSERT INTO crm.invoices (client_id, amount) VALUES (:ivan, 50) RETURNING id AS ap3 \gset
SELECT throws_ok(format('SELECT crm.set_autopay(%s, true)', :ap3), '22023', NULL, 'autopay needs an interval');
UPDATE crm.invoices SET autopay_interval = '1 week' WHERE id = :ap3;
SELECT is((crm.set_autopay(:ap3, true)).next_charge_at, NULL,
    'turning autopay on for an unpaid invoice schedules nothing yet: the first charge follows the purchase (autopay.sql)');
SELECT throws_ok(format('SELECT crm.set_autopay(%s, false)', :ap3), '42501', NULL, 'a manager cannot turn autopay off');
SELECT throws_ok(format('UPDATE crm.invoices SET autopay = false WHERE id = %s', :ap3), '42501', NULL, 'not by a plain UPDATE either');
RESET ROLE;
SELECT crm_test.act('crm_test_admin', :a, 'Admin');
SELECT is((crm.set_autopay(:ap3, false)).next_charge_at, NULL, 'an admin turns autopay off; no next charge');
SELECT is((SELECT employee FROM crm.invoice_history WHERE invoice_id = :ap3 AND kind = 'autopay_off'), 'Admin', 'with the admin in the history');
RESET ROLE;

-- ---- tenancy ----
SELECT crm_test.act('crm_test_manager', :b, NULL);
SELECT is((SELECT count(*) FROM crm.invoices), 0::bigint, 'another account sees no invoices');
SELECT throws_ok(format('SELECT crm.cancel_invoice(%s)', :ac3), 'P0002', NULL, 'nor can act on them');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
