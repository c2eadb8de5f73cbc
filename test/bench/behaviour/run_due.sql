-- behaviour/run_due.sql: the outcomes of the three due handlers of crm.run_due, run against
-- crm and against the PL/pgSQL variant, where pg_temp.run_due calls crm_pl.run_due (the twin
-- of plpgsql/70_run_due.sql) when it exists.  A fixed instant :t in the past stands for
-- "now"; rows are written through the normal triggers as a manager.
BEGIN;
SELECT plan(40);

CREATE FUNCTION pg_temp.run_due(now timestamptz, max_items integer) RETURNS TABLE (kind text, handled bigint)
LANGUAGE plpgsql AS $$
BEGIN
  IF to_regproc('crm_pl.run_due') IS NOT NULL THEN
    RETURN QUERY EXECUTE 'SELECT * FROM crm_pl.run_due($1, $2)' USING now, max_items;
  ELSE
    RETURN QUERY SELECT * FROM crm.run_due(now, max_items);
  END IF;
END $$;
-- The run's counts as one text, in a fixed order.
CREATE FUNCTION pg_temp.counts(now timestamptz, max_items integer) RETURNS text
LANGUAGE sql AS $$ SELECT string_agg(kind || '=' || handled, ' ' ORDER BY kind) FROM pg_temp.run_due(now, max_items) $$;

\set t '''2026-03-01 12:00:00+00'''
SELECT crm_test.company('Due A') AS a \gset
SELECT crm_test.id('statuses', :a, 'Lost') AS s_lost, crm_test.id('employees', :a, 'Anna') AS anna \gset
SELECT crm_test.act('crm_test_manager', :a, 'Anna');

-- Leads: two due (l_due the older), one due later, one due exactly at :t (not yet: strictly
-- after), one closed in time.
INSERT INTO crm.leads (contact_name, deadline) VALUES ('Due one', :t::timestamptz - interval '1 hour') RETURNING id AS l_due \gset
INSERT INTO crm.leads (contact_name, deadline) VALUES ('Due two', :t::timestamptz - interval '30 minutes') RETURNING id AS l_due2 \gset
INSERT INTO crm.leads (contact_name, deadline) VALUES ('Later', :t::timestamptz + interval '1 hour') RETURNING id AS l_later \gset
INSERT INTO crm.leads (contact_name, deadline) VALUES ('Exact', :t::timestamptz) RETURNING id AS l_exact \gset
INSERT INTO crm.leads (contact_name, deadline) VALUES ('Closed', :t::timestamptz - interval '2 hours') RETURNING id AS l_closed \gset
UPDATE crm.leads SET status_id = :s_lost WHERE id = :l_closed;

-- Invoices of one client.
INSERT INTO crm.clients (name) VALUES ('Client') RETURNING id AS c \gset
INSERT INTO crm.invoices (client_id, amount, auto_cancel_at) VALUES (:c, 100, :t::timestamptz - interval '1 hour')
  RETURNING id AS i_cancel \gset
-- Due to be cancelled and (earlier still) to be charged: the cancel comes first and stops autopay.
INSERT INTO crm.invoices (client_id, amount, auto_cancel_at, autopay, autopay_interval, next_charge_at)
  VALUES (:c, 100, :t::timestamptz - interval '2 hours', true, '1 month', :t::timestamptz - interval '3 hours')
  RETURNING id AS i_cancel_ap \gset
INSERT INTO crm.invoices (client_id, amount, auto_cancel_at) VALUES (:c, 100, :t::timestamptz - interval '1 hour')
  RETURNING id AS i_paid \gset
UPDATE crm.invoices SET status = 'paid' WHERE id = :i_paid;
INSERT INTO crm.invoices (client_id, amount, auto_cancel_at) VALUES (:c, 100, :t::timestamptz + interval '1 hour')
  RETURNING id AS i_cancel_later \gset
INSERT INTO crm.invoices (client_id, amount, autopay, autopay_interval, next_charge_at)
  VALUES (:c, 250, true, '1 month', :t::timestamptz - interval '1 hour') RETURNING id AS i_ap \gset
INSERT INTO crm.invoices (client_id, amount, autopay, autopay_interval, autopay_limit, next_charge_at)
  VALUES (:c, 300, true, '1 month', 1, :t::timestamptz - interval '2 hours') RETURNING id AS i_ap_lim \gset
INSERT INTO crm.invoices (client_id, amount, autopay, autopay_interval, next_charge_at)
  VALUES (:c, 100, true, '1 week', :t::timestamptz + interval '1 hour') RETURNING id AS i_ap_later \gset
SELECT number AS l_due_number FROM crm.leads WHERE id = :l_due \gset
RESET ROLE;

-- Refusals.
SELECT throws_ok('SELECT * FROM pg_temp.run_due(now(), 0)', '22023', 'max_items must be positive',
    'max_items must be positive');
SET LOCAL ROLE crm_test_admin;
SELECT throws_ok('SELECT * FROM pg_temp.run_due(now() + interval ''1 day'', 10)', '42501',
    'only the owner of schema crm may run due work ahead of time', 'only the owner may act ahead of the clock');
RESET ROLE;
SELECT is((SELECT count(*) FROM crm.outbox WHERE account_id = :a), 0::bigint, 'a refused run does nothing');

-- Run 1: one item of each kind, the oldest.
CREATE TEMP TABLE run1 AS SELECT * FROM pg_temp.run_due(:t, 1);
SELECT is((SELECT string_agg(kind || '=' || handled, ' ' ORDER BY kind) FROM run1 WHERE kind <> 'invoice_auto_cancel'),
    'autopay_charge=1 lead_overdue=1', 'max_items caps each kind: one lead, one charge');
SELECT is((SELECT handled FROM run1 WHERE kind = 'invoice_auto_cancel'), 1::bigint, 'max_items caps each kind: one cancel');
SELECT ok((SELECT overdue_since IS NOT NULL FROM crm.leads WHERE id = :l_due)
          AND (SELECT overdue_since IS NULL FROM crm.leads WHERE id = :l_due2), 'the oldest deadline goes first');
SELECT is((SELECT status FROM crm.invoices WHERE id = :i_cancel_ap), 'cancelled', 'the oldest auto-cancel goes first');
SELECT is((SELECT autopay_queued FROM crm.invoices WHERE id = :i_ap_lim), 1, 'the oldest live charge goes first');
SELECT is((SELECT count(*) FROM crm.outbox WHERE kind = 'charge' AND (payload ->> 'invoice_id')::bigint = :i_cancel_ap),
    0::bigint, 'an invoice cancelled in the same run is not charged');
SELECT ok((SELECT NOT autopay AND next_charge_at IS NULL AND autopay_queued = 0 FROM crm.invoices WHERE id = :i_cancel_ap),
    'cancelling turns autopay off');
SELECT is((SELECT detail FROM crm.invoice_events WHERE invoice_id = :i_cancel_ap AND kind = 'autopay_off'),
    '{"reason": "auto_cancel", "charges": 0, "why": "cancelled"}'::jsonb, 'autopay_off event with the reason');

-- Run 2: the rest.
CREATE TEMP TABLE run2 AS SELECT * FROM pg_temp.run_due(:t, 1000);
SELECT is((SELECT string_agg(kind || '=' || handled, ' ' ORDER BY kind) FROM run2 WHERE kind <> 'invoice_auto_cancel'),
    'autopay_charge=1 lead_overdue=1', 'the second run handles the rest');
SELECT is((SELECT sum(handled) FROM (SELECT * FROM run1 UNION ALL SELECT * FROM run2) r WHERE kind = 'invoice_auto_cancel'),
    2::numeric, 'the two runs cancel the two due invoices');

-- Leads.
SELECT is((SELECT overdue_since FROM crm.leads WHERE id = :l_due), :t::timestamptz - interval '1 hour',
    'an overdue lead is overdue since its deadline');
SELECT results_eq(format($$SELECT employee_id, detail FROM crm.lead_events WHERE lead_id = %s AND kind = 'deadline_expired'$$, :l_due),
    format($$VALUES (%s::bigint, '{"deadline": "2026-03-01T11:00:00+00:00", "overdue_since": "2026-03-01T11:00:00+00:00"}'::jsonb)$$, :anna),
    'one deadline_expired event with the deadline');
SELECT results_eq(format($$SELECT recipient, subject, split_part(dedup_key, ':', 1) || ':' || split_part(dedup_key, ':', 2)
                                   || ':' || split_part(dedup_key, ':', 3), payload ->> 'event', (payload ->> 'lead_id')::bigint
                            FROM crm.outbox WHERE kind = 'notification' AND (payload ->> 'lead_id')::bigint = %s$$, :l_due),
    format($$VALUES ('anna@example.com', 'Lead %s is overdue', 'lead_overdue:%s:%s', 'lead_overdue', %s::bigint)$$,
           :'l_due_number', :l_due, date_part('epoch', :t::timestamptz - interval '1 hour'), :l_due),
    'one notification to the manager');
SELECT is((SELECT body FROM crm.outbox WHERE kind = 'notification' AND (payload ->> 'lead_id')::bigint = :l_due),
    format('The deadline of lead %s (Due one) passed at 2026-03-01 14:00:00 Europe/Moscow.', :'l_due_number'),
    'the notification names the deadline in the account''s timezone');
SELECT is((SELECT count(*) FROM crm.lead_events WHERE lead_id = :l_due2 AND kind = 'deadline_expired'), 1::bigint,
    'the second lead is marked by the second run');
SELECT ok((SELECT bool_and(overdue_since IS NULL) FROM crm.leads WHERE id IN (:l_later, :l_exact, :l_closed)),
    'leads due later, due exactly now or closed are not marked');
SELECT is((SELECT count(*) FROM crm.lead_events WHERE lead_id IN (:l_later, :l_exact, :l_closed) AND kind = 'deadline_expired'),
    0::bigint, '... and get no event');

-- Auto-cancel.
SELECT ok((SELECT status = 'cancelled' AND status_changed_at = now() FROM crm.invoices WHERE id = :i_cancel),
    'a due awaiting invoice is cancelled now');
SELECT results_eq(format($$SELECT employee_id, from_status, to_status, detail FROM crm.invoice_events
                            WHERE invoice_id = %s AND kind = 'status_changed'$$, :i_cancel),
    $$VALUES (NULL::bigint, 'awaiting', 'cancelled', '{"reason": "auto_cancel", "comment": null}'::jsonb)$$,
    'one status_changed event, by no employee, with reason auto_cancel');
SELECT is((SELECT status FROM crm.invoices WHERE id = :i_paid), 'paid', 'a paid invoice is never cancelled');
SELECT is((SELECT count(*) FROM crm.invoice_events WHERE invoice_id = :i_paid AND to_status = 'cancelled'), 0::bigint,
    '... and gets no cancel event');
SELECT is((SELECT status FROM crm.invoices WHERE id = :i_cancel_later), 'awaiting', 'an invoice due later stays awaiting');

-- Autopay.
SELECT results_eq(format($$SELECT autopay, autopay_pending, autopay_queued, autopay_last_charge_at, next_charge_at
                            FROM crm.invoices WHERE id = %s$$, :i_ap),
    format($$VALUES (true, 1, 1, %L::timestamptz, %L::timestamptz)$$,
           :t::timestamptz - interval '1 hour', :t::timestamptz - interval '1 hour' + interval '1 month'),
    'a charge is pending and next_charge_at moves one interval on');
SELECT results_eq(format($$SELECT employee_id, detail FROM crm.invoice_events WHERE invoice_id = %s AND kind = 'charge_queued'$$, :i_ap),
    format($$VALUES (NULL::bigint, jsonb_build_object('reason', 'autopay', 'charge', 1, 'due_at', %L, 'amount', 250.00,
                                                     'next_charge_at', %L))$$,
           to_char((:t::timestamptz - interval '1 hour') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
           to_char((:t::timestamptz - interval '1 hour' + interval '1 month') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"')),
    'one charge_queued event, by no employee, with reason autopay');
SELECT results_eq(format($$SELECT dedup_key, payload FROM crm.outbox WHERE kind = 'charge' AND (payload ->> 'invoice_id')::bigint = %s$$, :i_ap),
    format($$SELECT 'charge:%s:1', jsonb_build_object('invoice_id', id, 'number', number, 'client_id', client_id,
                    'amount', amount, 'charge', 1, 'due_at', %L::timestamptz) FROM crm.invoices WHERE id = %s$$,
           :i_ap, :t::timestamptz - interval '1 hour', :i_ap),
    'one outbox charge for it');
SELECT ok((SELECT autopay AND next_charge_at IS NULL AND autopay_pending = 1 FROM crm.invoices WHERE id = :i_ap_lim),
    'a charge that reaches the limit leaves no next charge');
SELECT is((SELECT count(*) FROM crm.outbox WHERE kind = 'charge' AND (payload ->> 'invoice_id')::bigint = :i_ap_lim), 1::bigint,
    '... and is queued once');
SELECT ok((SELECT autopay_queued = 0 AND next_charge_at = :t::timestamptz + interval '1 hour' FROM crm.invoices WHERE id = :i_ap_later),
    'a charge due later is untouched');
SELECT is((SELECT count(*) FROM crm.invoice_events WHERE invoice_id = :i_ap_later AND kind = 'charge_queued'), 0::bigint,
    '... and has no event');

-- Run 3: nothing left.
SELECT is(pg_temp.counts(:t, 1000), 'autopay_charge=0 invoice_auto_cancel=0 lead_overdue=0', 'a third run handles nothing');
SELECT is((SELECT count(*) FROM crm.outbox WHERE account_id = :a), 4::bigint, 'four outbox rows in all: two notifications, two charges');
SELECT is((SELECT count(*) FROM crm.invoice_events WHERE invoice_id IN (:i_cancel, :i_cancel_ap, :i_ap, :i_ap_lim)
           AND kind IN ('status_changed', 'autopay_off', 'charge_queued')), 5::bigint,
    'five invoice events in all: two cancels, one autopay_off, two charges');
SELECT is((SELECT count(*) FROM crm.lead_events WHERE kind = 'deadline_expired'), 2::bigint, 'two deadline_expired events in all');

-- At a later now, what was not due becomes due, once.
SELECT is(pg_temp.counts(:t::timestamptz + interval '2 hours', 1000), 'autopay_charge=1 invoice_auto_cancel=1 lead_overdue=2',
    'later, the later items are due (the lead due exactly at :t too)');
SELECT is((SELECT overdue_since FROM crm.leads WHERE id = :l_exact), :t::timestamptz, 'the lead due exactly at :t is overdue since :t');
SELECT is((SELECT overdue_since FROM crm.leads WHERE id = :l_closed), NULL, 'a closed lead is never marked');
SELECT is(pg_temp.counts(:t::timestamptz + interval '2 hours', 1000), 'autopay_charge=0 invoice_auto_cancel=0 lead_overdue=0',
    'and a second run at that time handles nothing');

SELECT * FROM finish();
ROLLBACK;
