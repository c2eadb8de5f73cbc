-- Values: business times, amounts and scheduling intervals are checked where they are
-- written; autopay queues one charge per step however late and whatever the row held; the
-- running autopay's schedule is the administrator's; due work at both ends of the time
-- range formats its notices in every timezone.
BEGIN;
SELECT plan(48);

SELECT crm_test.company('Values A') AS a \gset
UPDATE crm.accounts SET timezone = 'America/New_York' WHERE id = :a;
SELECT crm_test.company('Values B') AS b \gset
UPDATE crm.accounts SET timezone = 'Pacific/Kiritimati' WHERE id = :b;

SELECT crm_test.act('crm_test_admin', :a, 'Admin');
INSERT INTO crm.offers (name, price) VALUES ('Course', 100) RETURNING id AS course \gset
RESET ROLE;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.clients (name) VALUES ('Ivan') RETURNING id AS ivan \gset
INSERT INTO crm.invoices (client_id, amount) VALUES (:ivan, 100) RETURNING id AS inv \gset
INSERT INTO crm.call_tasks (client_id, title) VALUES (:ivan, 'Call') RETURNING id AS task \gset

-- ---- business times: 1900-01-01 00:00:00+00 to 9999-12-31 23:59:59.999999+00 ----
SELECT lives_ok($$INSERT INTO crm.leads (contact_name, deadline) VALUES ('First', '1900-01-01 00:00:00+00')$$,
    'the first business time is a deadline');
SELECT lives_ok($$INSERT INTO crm.leads (contact_name, deadline) VALUES ('Last', '9999-12-31 23:59:59.999999+00')$$,
    'so is the last');
SELECT throws_ok($$INSERT INTO crm.leads (contact_name, deadline) VALUES ('Before', '1899-12-31 23:59:59.999999+00')$$,
    '22008', 'deadline "1899-12-31 23:59:59.999999+00" is out of range', 'a microsecond before the range is refused');
SELECT throws_ok($$INSERT INTO crm.leads (contact_name, deadline) VALUES ('After', '10000-01-01 00:00:00+00')$$,
    '22008', NULL, 'and one after it');
SELECT throws_ok($$INSERT INTO crm.leads (contact_name, deadline) VALUES ('Ancient', '4714-11-24 00:00:00+00 BC')$$,
    '22008', NULL, 'the first timestamp PostgreSQL has is no deadline');
SELECT throws_ok($$INSERT INTO crm.leads (contact_name, created_at) VALUES ('Never', 'infinity')$$,
    '22008', 'created_at "infinity" is out of range', 'an infinite created_at is refused before it is numbered');
SELECT is((SELECT count(*) FROM crm.leads WHERE contact_name IN ('Before', 'After', 'Ancient', 'Never')), 0::bigint,
    'no refused lead is stored');
SELECT throws_ok(format($$INSERT INTO crm.payments (invoice_id, amount, succeeded, at) VALUES (%s, 10, true, 'infinity')$$, :inv),
    '22008', 'at "infinity" is out of range', 'payments.at is a business time');
SELECT throws_ok(format($$INSERT INTO crm.calls (task_id, outcome, called_at) VALUES (%s, 'talked', 'infinity')$$, :task),
    '22008', 'called_at "infinity" is out of range', 'so is calls.called_at');
SELECT throws_ok(format($$INSERT INTO crm.calls (task_id, outcome, called_at, callback_at)
                         VALUES (%s, 'call_back', '2026-01-10 10:00+00', 'infinity')$$, :task),
    '22008', 'callback_at "infinity" is out of range', 'and callback_at');
SELECT throws_ok(format($$SELECT crm.set_auto_cancel(%s, '-infinity')$$, :inv), '22008', NULL, 'and auto_cancel_at');
SELECT throws_ok($$SELECT * FROM crm.claim_next_call('infinity')$$, '22008', 'now "infinity" is out of range',
    'a claim at an infinite now is refused: it would hold an item for ever');
SELECT throws_ok($$SELECT * FROM crm.claim_next_call(now(), '1000 years')$$, '22023', 'hold "1000 years" is too long',
    'so is a claim held longer than a day');
-- Anna again, before the claim and after it: claim_next_call claims as the schema owner,
-- and on Citus it is a step of its own (a user may not touch the shards another one
-- modified in the transaction, 25001)
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT lives_ok($$SELECT * FROM crm.claim_next_call(now(), '1 day')$$, 'a claim held for a day is taken');
SELECT crm_test.act('crm_test_manager', :a, 'Anna');

-- ---- amounts, prices, quantities, budgets ----
SELECT throws_ok($$INSERT INTO crm.orders (amount) VALUES ('NaN')$$, '22023', 'amount "NaN" is not a number',
    'an order of NaN is refused (it would make the campaign revenue NaN)');
SELECT throws_ok($$INSERT INTO crm.orders (amount) VALUES ('Infinity')$$, '22003', NULL,
    'an infinite amount does not fit the column');
SELECT throws_ok(format($$INSERT INTO crm.invoice_items (invoice_id, offer_id, price) VALUES (%s, %s, 'NaN')$$, :inv, :course),
    '22023', 'price "NaN" is not a number',
    'an item priced NaN is refused');
SELECT is((SELECT amount FROM crm.invoices WHERE id = :inv), 100.00::numeric, 'and the invoice amount stays a number');
SELECT throws_ok(format($$SELECT crm.record_payment(%s, 'NaN', true)$$, :inv), '22023', 'amount "NaN" is not a number',
    'a payment of NaN is refused before it is judged');
SELECT throws_ok(format($$UPDATE crm.clients SET budget = -1 WHERE id = %s$$, :ivan), '22023', 'budget -1.00 is negative',
    'a negative budget is refused');

-- ---- scheduling intervals: no negative part, one positive part, at most 100 years ----
SELECT throws_ok(format($$UPDATE crm.invoices SET autopay_interval = '1 mon -29 days' WHERE id = %s$$, :inv), '22023',
    'autopay_interval "1 mon -29 days" does not move time forward',
    '1 mon -29 days is refused: it takes February 1 back to January 31');
SELECT is('2026-02-01 00:00:00+00'::timestamptz + '1 mon -29 days'::interval < '2026-02-01 00:00:00+00'::timestamptz, true,
    '(as PostgreSQL computes it)');
SELECT lives_ok(format($$UPDATE crm.invoices SET autopay_interval = '100 years' WHERE id = %s$$, :inv), '100 years is accepted');
SELECT throws_ok(format($$UPDATE crm.invoices SET autopay_interval = '100 years 1 day' WHERE id = %s$$, :inv), '22023',
    'autopay_interval "100 years 1 day" is too long', 'a day more is not');
SELECT throws_ok(format($$SELECT crm.log_call(task_id => %s, outcome => 'talked', called_at => '2026-01-10 10:00+00',
                                              callback_after => '-1 day')$$, :task), '22023', NULL,
    'a call-back a day before the call is refused');
SELECT throws_ok(format($$SELECT crm.log_call(task_id => %s, outcome => 'talked', called_at => '2026-01-10 10:00+00',
                                              callback_after => '1 day -1 hour')$$, :task), '22023', NULL,
    'so is 1 day -1 hour, checked as a whole');
SELECT (crm.log_call(task_id => :task, outcome => 'talked', called_at => '2026-01-10 10:00+00',
                    callback_after => '23 hours')).id AS call \gset
SELECT is((SELECT next_call_at FROM crm.calls WHERE id = :call), '2026-01-11 09:00:00+00'::timestamptz,
    '23 hours is a call-back interval');
RESET ROLE;

-- ---- autopay: a charge missed is queued once, the next one is after now ----
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.invoices (client_id, amount, autopay, autopay_interval, next_charge_at)
    VALUES (:ivan, 50, true, '1 month', '1900-01-01 00:00:00+00') RETURNING id AS old \gset
INSERT INTO crm.invoices (client_id, amount, autopay, autopay_interval, next_charge_at)
    VALUES (:ivan, 50, true, '1 month', '2032-01-10 09:00:00+00') RETURNING id AS late \gset
RESET ROLE;
-- The owner's run_due does every account's due work (other files' too, where they left
-- rows committed): what a run queued is counted in this file's invoices' charges.
CREATE TEMP TABLE charges_run (n int, queued bigint);
-- (Each run a statement of its own: through a Citus coordinator a run for every account
-- makes a statement per account and kind, and a shared cluster holds many accounts.)
SELECT count(*) AS run_1 FROM crm.run_due(now => '2032-01-25 12:00:00+00') \gset
INSERT INTO charges_run SELECT 1, count(*) FROM crm.outbox
  WHERE kind = 'charge' AND payload ->> 'invoice_id' IN (:'old', :'late');
SELECT count(*) AS run_2 FROM crm.run_due(now => '2032-01-25 12:00:00+00') \gset
INSERT INTO charges_run SELECT 2, count(*) FROM crm.outbox
  WHERE kind = 'charge' AND payload ->> 'invoice_id' IN (:'old', :'late');
SELECT count(*) AS run_3 FROM crm.run_due(now => '2032-01-25 12:00:00+00') \gset
INSERT INTO charges_run SELECT 3, count(*) FROM crm.outbox
  WHERE kind = 'charge' AND payload ->> 'invoice_id' IN (:'old', :'late');
SELECT results_eq('SELECT queued FROM charges_run ORDER BY n', $$VALUES (2::bigint), (2), (2)$$,
    'three runs at the same time queue one charge per invoice, once');
SELECT is((SELECT count(*) FROM crm.outbox WHERE kind = 'charge' AND payload ->> 'invoice_id' = :'old'), 1::bigint,
    'an invoice whose next charge was due in 1900 gets one charge, not one per month since');
SELECT is((SELECT next_charge_at FROM crm.invoices WHERE id = :old), '2032-02-25 12:00:00+00'::timestamptz,
    'its next charge is one interval after the run');
SELECT is((SELECT payload ->> 'due_at' FROM crm.outbox WHERE kind = 'charge' AND payload ->> 'invoice_id' = :'old'),
    '1900-01-01T00:00:00+00:00', 'the charge says when it fell due');
SELECT is((SELECT next_charge_at FROM crm.invoices WHERE id = :late), '2032-02-10 09:00:00+00'::timestamptz,
    'a charge run late by less than a step keeps the step');
DO $$ BEGIN PERFORM crm.run_due(now => '2032-02-10 09:00:00+00'); END $$;
SELECT is((SELECT count(*) FROM crm.outbox WHERE kind = 'charge' AND payload ->> 'invoice_id' = :'late'), 2::bigint,
    'and the next step is charged on time');

-- ---- the schedule of a running autopay is the administrator's ----
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT throws_ok(format($$UPDATE crm.invoices SET next_charge_at = '9999-12-31 00:00:00+00' WHERE id = %s$$, :late), '42501',
    NULL, 'a manager cannot put the next charge off');
SELECT throws_ok(format($$UPDATE crm.invoices SET autopay_interval = '99 years' WHERE id = %s$$, :late), '42501',
    NULL, 'nor lengthen the interval');
SELECT throws_ok(format($$UPDATE crm.invoices SET autopay_limit = 1 WHERE id = %s$$, :late), '42501',
    NULL, 'nor set a limit already reached');
INSERT INTO crm.invoices (client_id, amount) VALUES (:ivan, 50) RETURNING id AS off \gset
SELECT lives_ok(format($$UPDATE crm.invoices SET autopay_interval = '1 week', autopay_limit = 3 WHERE id = %s$$, :off),
    'a manager sets the schedule while autopay is off');
SELECT lives_ok(format($$UPDATE crm.invoices SET autopay = true, next_charge_at = '2033-01-01 00:00:00+00' WHERE id = %s$$, :off),
    'and turns it on with the first charge of her choice');
SELECT is((SELECT next_charge_at FROM crm.invoices WHERE id = :off), '2033-01-01 00:00:00+00'::timestamptz,
    'which is kept');
RESET ROLE;
SELECT crm_test.act('crm_test_admin', :a, 'Admin');
SELECT lives_ok(format($$UPDATE crm.invoices SET next_charge_at = '2033-03-01 00:00:00+00', autopay_limit = 5 WHERE id = %s$$, :late),
    'an administrator changes the schedule of a running autopay');
RESET ROLE;

-- ---- due work at both ends of the range, in timezones far from UTC ----
SELECT crm_test.act('crm_test_manager', :b, 'Anna');
INSERT INTO crm.leads (contact_name, deadline) VALUES ('Edge', '9999-12-31 23:59:59+00') RETURNING number AS edge \gset
INSERT INTO crm.clients (name) VALUES ('Petr') RETURNING id AS petr \gset
INSERT INTO crm.invoices (client_id, amount, autopay, autopay_interval, next_charge_at)
    VALUES (:petr, 70, true, '100 years', '9999-12-31 00:00:00+00') RETURNING id AS edge_inv \gset
RESET ROLE;
SELECT lives_ok($$SELECT * FROM crm.run_due(now => '9999-12-31 23:59:59.5+00')$$,
    'run_due at the end of the range does all its work');
SELECT is((SELECT body FROM crm.outbox WHERE account_id = :b AND kind = 'notification' AND subject = 'Lead ' || :'edge' || ' is overdue'),
    'The deadline of lead ' || :'edge' || ' (Edge) passed at 10000-01-01 13:59:59 Pacific/Kiritimati.',
    'the last deadline is told in an account 14 hours ahead of UTC');
SELECT is((SELECT body FROM crm.outbox WHERE account_id = :a AND kind = 'notification'
            AND payload ->> 'lead_id' = (SELECT id::text FROM crm.leads WHERE account_id = :a AND contact_name = 'First')),
    'The deadline of lead ' || (SELECT number FROM crm.leads WHERE account_id = :a AND contact_name = 'First') ||
    ' (First) passed at 1899-12-31 19:00:00 America/New_York.', 'the first one in an account behind it');
SELECT is((SELECT next_charge_at FROM crm.invoices WHERE id = :edge_inv), '10099-12-31 00:00:00+00'::timestamptz,
    'a charge at the end of the range schedules the next one past it (crm''s own step)');
SELECT lives_ok($$SELECT crm.next_due()$$, 'and the next due instant is still computed');

-- ---- a missing account ----
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SET LOCAL crm.account_id = 987654321;
SELECT throws_ok(format('INSERT INTO crm.invoices (client_id) VALUES (%s)', :ivan), '23503',
    'account 987654321 does not exist', 'an invoice in an account that does not exist is a missing reference, not an internal error');
RESET ROLE;

-- The value triggers see the row as it will be stored: each fires after every other BEFORE
-- ROW trigger of its table (triggers fire in name order), and they check what the CHECK
-- constraints they replace checked, on a row crm changed before storing it too.
SELECT is(ARRAY(SELECT v.tgname || ' before ' || o.tgname FROM pg_trigger v
                JOIN pg_trigger o ON o.tgrelid = v.tgrelid AND NOT o.tgisinternal AND o.tgname > v.tgname
                                 AND (o.tgtype & 3) = 3
                WHERE v.tgfoid = 'crm._check_values()'::regprocedure ORDER BY 1),
          '{}'::text[], 'every <table>_values trigger fires after the other BEFORE ROW triggers of its table');
SELECT throws_ok($$UPDATE crm.leads SET budget = 'NaN' WHERE contact_name = 'First'$$,
                 '22023', 'budget "NaN" is not a number', 'an UPDATE is checked as an INSERT is');

SELECT * FROM finish();
ROLLBACK;
