-- Autopay: when every charge falls (article 003: "8 autopay charges after the payment of
-- a product").  The client buys a course; the first charge falls one interval after the
-- payment that paid the invoice, never at once, and then one interval after the charge
-- before; a time the administrator gives is kept; a next charge written while autopay
-- is off is refused, not dropped.
BEGIN;
SELECT plan(40);

-- The charges queued for an invoice, as the payment provider sees them; a run of the due work.
-- (PL/pgSQL: Citus plans the statements of a SQL function with parameters once, without
-- their values, and cannot: "could not create distributed plan".)
CREATE FUNCTION pg_temp.charges(inv bigint) RETURNS bigint LANGUAGE plpgsql AS
$$ BEGIN RETURN (SELECT count(*) FROM crm.outbox WHERE kind = 'charge' AND payload ->> 'invoice_id' = inv::text); END $$;
CREATE FUNCTION pg_temp.run(at timestamptz) RETURNS void LANGUAGE plpgsql AS
$$ BEGIN PERFORM count(*) FROM crm.run_due(now => at); END $$;

SELECT crm_test.company('Autopay A') AS a \gset
SELECT crm_test.act('crm_test_admin', :a, 'Admin');
INSERT INTO crm.offers (name, price) VALUES ('Course, monthly', 50) RETURNING id AS course \gset
RESET ROLE;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.clients (name, email) VALUES ('Ivan', 'ivan@example.com') RETURNING id AS ivan \gset

-- ---- the article's example: the course is bought, then charged monthly, 8 times ----
INSERT INTO crm.invoices (client_id, autopay_interval, autopay_limit) VALUES (:ivan, '1 month', 8) RETURNING id AS inv \gset
INSERT INTO crm.invoice_items (invoice_id, offer_id) VALUES (:inv, :course);
SELECT is((crm.record_payment(:inv, 50, true, at => '2032-01-10 10:00:00+00')).amount, 50.00::numeric, 'the client pays the invoice');
SELECT ok((SELECT status = 'paid' AND paid_at = '2032-01-10 10:00:00+00' FROM crm.invoices WHERE id = :inv),
    'the invoice is paid, and paid_at is the time of the payment that paid it');
SELECT is((crm.set_autopay(:inv, true)).next_charge_at, '2032-02-10 10:00:00+00'::timestamptz,
    'autopay turned on for the paid invoice: the first charge falls one interval after the payment');
RESET ROLE;
SELECT pg_temp.run('2032-01-10 10:00:00+00');
SELECT is(pg_temp.charges(:inv), 0::bigint, 'nothing is charged at once');
SELECT pg_temp.run('2032-02-10 09:59:59.999999+00');
SELECT is(pg_temp.charges(:inv), 0::bigint, 'nor a microsecond before the first charge');
SELECT pg_temp.run('2032-02-10 10:00:00+00');
SELECT is(pg_temp.charges(:inv), 1::bigint, 'the first charge is queued when it falls');
SELECT is((SELECT next_charge_at FROM crm.invoices WHERE id = :inv), '2032-03-10 10:00:00+00'::timestamptz,
    'the next one falls one interval after it');
DO $$
DECLARE inv bigint := (SELECT max(id) FROM crm.invoices WHERE autopay_limit = 8);
BEGIN
  PERFORM crm.record_payment(inv, 50, true, 'autopay', at => '2032-02-10 10:01:00+00');
  FOR k IN 2..9 LOOP
    PERFORM count(*) FROM crm.run_due(now => '2032-01-10 10:00:00+00'::timestamptz + make_interval(months => k));
    IF (SELECT autopay_pending FROM crm.invoices WHERE id = inv) > 0 THEN
      PERFORM crm.record_payment(inv, 50, true, 'autopay', at => '2032-01-10 10:01:00+00'::timestamptz + make_interval(months => k));
    END IF;
  END LOOP;
END $$;
SELECT is(pg_temp.charges(:inv), 8::bigint, 'eight charges in all, no ninth');
SELECT results_eq(format($$SELECT (payload ->> 'due_at')::timestamptz FROM crm.outbox
                           WHERE kind = 'charge' AND payload ->> 'invoice_id' = '%s' ORDER BY id$$, :inv),
    $$SELECT '2032-01-10 10:00:00+00'::timestamptz + make_interval(months => k) FROM generate_series(1, 8) k$$,
    'each charge falls one month after the one before, on the day of the purchase');
SELECT is((SELECT autopay::text || ' ' || autopay_count || ' ' || coalesce(next_charge_at::text, 'none') || ' ' || income
           FROM crm.invoices WHERE id = :inv), 'false 8 none 450.00',
    'after the eighth success autopay is off, with no next charge; income is the purchase and the charges');

-- ---- autopay on from the start: the purchase starts the schedule ----
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.invoices (client_id, amount, autopay, autopay_interval) VALUES (:ivan, 50, true, '1 month') RETURNING id AS early \gset
SELECT is((SELECT autopay::text || ' ' || coalesce(next_charge_at::text, 'none') FROM crm.invoices WHERE id = :early), 'true none',
    'an unpaid invoice with autopay on has no charge before its purchase');
SELECT lives_ok(format($$SELECT crm.record_payment(%s, 20, true, 'prepayment', at => '2032-03-01 09:00:00+00')$$, :early), 'a prepayment');
SELECT is((SELECT next_charge_at FROM crm.invoices WHERE id = :early), NULL, 'a prepayment is not the purchase');
SELECT lives_ok(format($$SELECT crm.record_payment(%s, 30, true, at => '2032-03-05 12:00:00+00')$$, :early), 'the payment that pays it');
SELECT is((SELECT next_charge_at FROM crm.invoices WHERE id = :early), '2032-04-05 12:00:00+00'::timestamptz,
    'the first charge falls one interval after the payment that paid the invoice');
SELECT is((SELECT detail ->> 'reason' FROM crm.invoice_events WHERE invoice_id = :early AND kind = 'next_charge_changed'), 'payment',
    'the history says the payment scheduled it');

-- ---- the issue's example: paid in full today, autopay on: nothing today ----
INSERT INTO crm.invoices (client_id, amount, autopay_interval) VALUES (:ivan, 50, '1 week') RETURNING id AS today \gset
SELECT lives_ok(format('SELECT crm.record_payment(%s, 50, true)', :today), 'paid in full now');
SELECT is((crm.set_autopay(:today, true)).next_charge_at, now() + interval '1 week', 'autopay on: the first charge a week from the payment');
RESET ROLE;
SELECT pg_temp.run(now());
SELECT is(pg_temp.charges(:today), 0::bigint, 'and the next run charges nothing');

-- ---- confirmed by hand: the confirmation is the purchase ----
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.invoices (client_id, amount, autopay, autopay_interval) VALUES (:ivan, 50, true, '1 month') RETURNING id AS byhand \gset
-- now: the transaction's time (on Citus the worker's, which began after the coordinator's)
SELECT ok((crm.confirm_invoice(:byhand, 'cash')).paid_at BETWEEN now() AND clock_timestamp(), 'a confirmation by hand is paid now');
SELECT is((SELECT next_charge_at FROM crm.invoices WHERE id = :byhand), (SELECT paid_at + interval '1 month' FROM crm.invoices WHERE id = :byhand),
    'the first charge a month later');
SELECT is((SELECT income FROM crm.invoices WHERE id = :byhand), 0.00::numeric, 'with no money received, its income is nothing');

-- ---- never at once: a purchase reported late, autopay turned on late ----
INSERT INTO crm.invoices (client_id, amount, autopay_interval) VALUES (:ivan, 50, '1 month') RETURNING id AS old \gset
SELECT lives_ok(format($$SELECT crm.record_payment(%s, 50, true, at => '2020-01-10 10:00:00+00')$$, :old), 'a purchase of 2020');
SELECT ok((crm.set_autopay(:old, true)).next_charge_at BETWEEN now() + interval '1 month' AND clock_timestamp() + interval '1 month',
    'autopay on long after: the first charge one interval from now, not at once');
INSERT INTO crm.invoices (client_id, amount, autopay, autopay_interval) VALUES (:ivan, 50, true, '1 month') RETURNING id AS late \gset
SELECT lives_ok(format($$SELECT crm.record_payment(%s, 50, true, at => '2020-01-10 10:00:00+00')$$, :late), 'a purchase reported years late');
SELECT ok((SELECT next_charge_at BETWEEN now() + interval '1 month' AND clock_timestamp() + interval '1 month' FROM crm.invoices WHERE id = :late),
    'is not charged at once either');

-- ---- a time the administrator gives ----
INSERT INTO crm.invoices (client_id, amount, autopay_interval) VALUES (:ivan, 50, '1 month') RETURNING id AS given \gset
SELECT throws_ok(format($$UPDATE crm.invoices SET next_charge_at = '2033-01-01 00:00:00+00' WHERE id = %s$$, :given), '55000',
    format('invoice "%s" has autopay off and cannot get a next charge', (SELECT number FROM crm.invoices WHERE id = :given)),
    'a next charge written while autopay is off is refused, not dropped');
SELECT is((SELECT autopay::text || ' ' || coalesce(next_charge_at::text, 'none') FROM crm.invoices WHERE id = :given), 'false none',
    'and changes nothing');
UPDATE crm.invoices SET autopay = true, next_charge_at = '2033-01-01 00:00:00+00' WHERE id = :given;
SELECT is((SELECT next_charge_at FROM crm.invoices WHERE id = :given), '2033-01-01 00:00:00+00'::timestamptz,
    'given with autopay on in one statement, the time is kept');
SELECT lives_ok(format($$SELECT crm.record_payment(%s, 50, true, at => '2032-12-01 00:00:00+00')$$, :given), 'the purchase comes first');
SELECT is((SELECT next_charge_at FROM crm.invoices WHERE id = :given), '2033-01-01 00:00:00+00'::timestamptz,
    'the given time stands');
RESET ROLE;
SELECT pg_temp.run('2033-01-01 00:00:00+00');
SELECT is(pg_temp.charges(:given), 1::bigint, 'the charge falls at the given time');

-- ---- off and on again: the schedule goes on from the last charge ----
SELECT crm_test.act('crm_test_admin', :a, 'Admin');
SELECT is((crm.set_autopay(:given, false)).next_charge_at, NULL, 'an administrator turns autopay off: no next charge');
SELECT is((crm.set_autopay(:given, true)).next_charge_at, '2033-02-01 00:00:00+00'::timestamptz,
    'on again: one interval after the last charge');
UPDATE crm.invoices SET next_charge_at = '2033-01-15 00:00:00+00' WHERE id = :given;
SELECT is((SELECT next_charge_at FROM crm.invoices WHERE id = :given), '2033-01-15 00:00:00+00'::timestamptz,
    'an administrator moves the next charge of a running autopay');
RESET ROLE;

-- ---- a failed charge frees its place: one interval after it ----
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.invoices (client_id, amount, autopay_interval, autopay_limit) VALUES (:ivan, 50, '1 day', 1) RETURNING id AS one \gset
SELECT lives_ok(format($$SELECT crm.record_payment(%s, 50, true, at => '2034-01-01 00:00:00+00')$$, :one), 'bought');
SELECT is((crm.set_autopay(:one, true)).next_charge_at, '2034-01-02 00:00:00+00'::timestamptz, 'one charge a day after');
RESET ROLE;
SELECT pg_temp.run('2034-01-02 00:00:00+00');
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT is((SELECT next_charge_at FROM crm.invoices WHERE id = :one), NULL, 'the one charge allowed is pending: no next');
SELECT lives_ok(format($$SELECT crm.record_payment(%s, 50, false, 'autopay', at => '2034-01-02 00:05:00+00', failure_reason => 'no funds')$$, :one),
    'it fails');
SELECT is((SELECT next_charge_at FROM crm.invoices WHERE id = :one), '2034-01-03 00:00:00+00'::timestamptz,
    'the failed charge frees its place: one interval after it');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
