-- Due work: a failing item never stops other items, kinds or accounts (it is set aside in
-- crm.due_failures, tried again with a backoff, forgotten once handled), and a tenant's
-- crm.run_due / crm.next_due act on and report its own account only.
BEGIN;
SELECT plan(28);

-- (the reads name the file's accounts: on Citus other runs' rows stay committed beside these)
SELECT crm_test.company('Due A') AS a \gset
SELECT crm_test.company('Due B') AS b \gset
SELECT '2026-03-02 12:00:00+00'::timestamptz AS t0 \gset
-- (on Citus other files' due items stay committed beside this file's: their due work is
-- done first, so that the counts below are this file's alone; on one server nothing is due)
SELECT count(*) FROM crm.run_due(:'t0'::timestamptz + interval '10 minutes');
SELECT count(*) FROM crm.run_due();

-- Account A: a poisoned overdue lead and a healthy one; account B: an overdue lead, an
-- invoice to auto-cancel and an autopay charge, all due at t0.
INSERT INTO crm.leads (account_id, contact_name, deadline) VALUES
  (:a, 'Poisoned', :'t0'::timestamptz - interval '1 hour'),
  (:a, 'Healthy A', :'t0'::timestamptz - interval '30 minutes'),
  (:b, 'Healthy B', :'t0'::timestamptz - interval '2 hours');
SELECT id AS poisoned FROM crm.leads WHERE account_id = :a AND contact_name = 'Poisoned' \gset
INSERT INTO crm.clients (account_id, name) VALUES (:b, 'Client B');
SELECT id AS client_b FROM crm.clients WHERE account_id = :b \gset
INSERT INTO crm.invoices (account_id, client_id, amount, auto_cancel_at)
  VALUES (:b, :client_b, 100, :'t0'::timestamptz - interval '1 minute');
SELECT max(id) AS cancel_b FROM crm.invoices WHERE account_id = :b \gset
INSERT INTO crm.invoices (account_id, client_id, amount, autopay, autopay_interval, next_charge_at)
  VALUES (:b, :client_b, 50, true, '1 month', :'t0'::timestamptz - interval '1 minute');
SELECT max(id) AS autopay_b FROM crm.invoices WHERE account_id = :b \gset

SELECT crm_test.poison();
SELECT is((SELECT array_agg(kind || '=' || handled ORDER BY kind) FROM crm.run_due(:'t0')),
          ARRAY['autopay_charge=1', 'invoice_auto_cancel=1', 'lead_overdue=2'],
          'run_due handles every other item, kind and account despite one failing lead');
SELECT is((SELECT overdue_since IS NULL FROM crm.leads WHERE id = :poisoned AND account_id = :a), true,
          'the failing lead is left as it was');
SELECT is((SELECT count(*) FROM crm.leads WHERE account_id IN (:a, :b) AND contact_name IN ('Healthy A', 'Healthy B') AND overdue_since IS NOT NULL),
          2::bigint, 'the healthy leads of both accounts are marked overdue');
SELECT is((SELECT status FROM crm.invoices WHERE account_id = :b AND id = :cancel_b), 'cancelled',
          'account B''s invoice is auto-cancelled');
SELECT is((SELECT count(*) FROM crm.outbox WHERE account_id = :b AND kind = 'charge'), 1::bigint,
          'account B''s autopay charge is queued');
SELECT results_eq(
  format('SELECT account_id, kind, item_id, sqlstate, attempts, first_seen, last_seen, next_attempt_at FROM crm.due_failures WHERE account_id IN (%s, %s)', :a, :b),
  format('VALUES (%s::bigint, %L::text, %s::bigint, %L::text, 1, %L::timestamptz, %L::timestamptz, %L::timestamptz)',
         :a, 'lead_overdue', :poisoned, '22P05', :'t0', :'t0', (:'t0'::timestamptz + interval '1 minute')),
  'the failing lead is set aside in crm.due_failures with its SQLSTATE, retried one minute later');
SELECT is((SELECT message FROM crm.due_failures WHERE account_id IN (:a, :b)), (SELECT format('lead %s is poisoned', number) FROM crm.leads WHERE id = :poisoned),
          'with its message');

SELECT is((SELECT sum(handled) FROM crm.run_due(:'t0'::timestamptz + interval '30 seconds')), 0::numeric,
          'before its backoff has passed the item is not tried again');
SELECT is((SELECT attempts FROM crm.due_failures WHERE account_id IN (:a, :b)), 1, 'and its attempts stay');
SELECT is((SELECT sum(handled) FROM crm.run_due(:'t0'::timestamptz + interval '2 minutes')), 0::numeric,
          'after the backoff it is tried again alone and fails again');
SELECT results_eq(format('SELECT attempts, last_seen, next_attempt_at FROM crm.due_failures WHERE account_id IN (%s, %s)', :a, :b),
  format('VALUES (2, %L::timestamptz, %L::timestamptz)', (:'t0'::timestamptz + interval '2 minutes'),
         (:'t0'::timestamptz + interval '4 minutes')),
  'the backoff doubles');

SELECT crm_test.unpoison();
SELECT is((SELECT array_agg(kind || '=' || handled ORDER BY kind) FROM crm.run_due(:'t0'::timestamptz + interval '5 minutes')),
          ARRAY['autopay_charge=0', 'invoice_auto_cancel=0', 'lead_overdue=1'],
          'once it can be handled, it is');
SELECT is((SELECT count(*) FROM crm.due_failures WHERE account_id IN (:a, :b)), 0::bigint, 'and forgotten');
SELECT is((SELECT overdue_since FROM crm.leads WHERE id = :poisoned AND account_id = :a),
          :'t0'::timestamptz - interval '1 hour', 'overdue since its deadline');

-- An item set aside that stops being due is forgotten at its next try.
SELECT crm_test.poison();
INSERT INTO crm.leads (account_id, contact_name, deadline) VALUES (:a, 'Poisoned', :'t0'::timestamptz);
SELECT max(id) AS poisoned2 FROM crm.leads WHERE account_id = :a AND contact_name = 'Poisoned' \gset
SELECT count(*) FROM crm.run_due(:'t0'::timestamptz + interval '1 minute');
SELECT is((SELECT count(*) FROM crm.due_failures WHERE account_id IN (:a, :b)), 1::bigint, 'a second poisoned lead is set aside');
UPDATE crm.leads SET deadline = NULL WHERE account_id = :a AND id = :poisoned2;
SELECT count(*) FROM crm.run_due(:'t0'::timestamptz + interval '10 minutes');
SELECT is((SELECT count(*) FROM crm.due_failures WHERE account_id IN (:a, :b)), 0::bigint, 'and forgotten once it is no longer due');
SELECT crm_test.unpoison();

-- ---- a tenant's run is its account's ----
INSERT INTO crm.leads (account_id, contact_name, deadline) VALUES
  (:a, 'Tenant A', now() - interval '1 hour'), (:b, 'Tenant B', now() - interval '2 hours');
-- the roles named per account and able to log in: on Citus a committed step keeps them,
-- and the coordinator connects to the workers as the session's role
CREATE ROLE crm_due_admin_:a LOGIN IN ROLE crm_admin;
SELECT crm.bind_login(('crm_due_admin_' || :a)::regrole, :a);
CREATE ROLE crm_due_stranger_:a LOGIN IN ROLE crm_admin;
SELECT set_config('crm.account_id', '', true), set_config('crm.employee_id', '', true);

SET LOCAL ROLE crm_due_admin_:a;
SELECT is(crm.next_due(), (SELECT min(deadline) + interval '1 microsecond' FROM crm.leads
                            WHERE account_id = :a AND closed_at IS NULL AND overdue_since IS NULL AND deadline IS NOT NULL),
          'a tenant''s next_due is its own account''s');
SELECT is((SELECT handled FROM crm.run_due() WHERE kind = 'lead_overdue'), 1::bigint,
          'a tenant''s run_due handles its own account''s items only');
SELECT throws_ok(format('SELECT crm._run_due(%s, now(), 10)', :b), '42501',
                 format('crm._run_due() cannot act in account %s', :b),
                 'crm._run_due (the run of one account, on its Citus worker) is the caller''s account''s only');
RESET ROLE;
SELECT is((SELECT overdue_since IS NULL FROM crm.leads WHERE account_id = :b AND contact_name = 'Tenant B'), true,
          'another account''s due lead is left to its own run');
SELECT is((SELECT overdue_since IS NOT NULL FROM crm.leads WHERE account_id = :a AND contact_name = 'Tenant A'), true,
          'the tenant''s own due lead is marked');

SET LOCAL ROLE crm_due_stranger_:a;
SELECT throws_ok('SELECT * FROM crm.run_due()', '42501', NULL, 'a role with no account cannot run due work');
SELECT throws_ok('SELECT crm.next_due()', '42501', NULL, 'nor see when it falls');
RESET ROLE;

-- crm_service: with an account, that account; without one, every account.
SELECT crm_test.act('crm_test_admin', :a);
SELECT is((SELECT sum(handled) FROM crm.run_due()), 0::numeric, 'crm_service naming account A runs A''s work only');
RESET ROLE;
SELECT is((SELECT overdue_since IS NULL FROM crm.leads WHERE account_id = :b AND contact_name = 'Tenant B'), true,
          'B''s lead is still waiting');
-- (as a login of the role: a session-level SET ROLE; on Citus a SET LOCAL ROLE reaches the
-- workers and overrides crm's switch to the owner for a run over every account)
SELECT set_config('crm.account_id', '', true), set_config('crm.employee_id', '', true);
SET ROLE crm_test_admin;
SELECT is((SELECT handled FROM crm.run_due() WHERE kind = 'lead_overdue'), 1::bigint,
          'crm_service without an account runs every account''s work');
RESET ROLE;
SELECT is((SELECT overdue_since IS NOT NULL FROM crm.leads WHERE account_id = :b AND contact_name = 'Tenant B'), true,
          'B''s lead is marked');

-- What an admin sees of crm.due_failures: its account's rows only (row-level security).
SELECT crm_test.poison();
INSERT INTO crm.leads (account_id, contact_name, deadline) VALUES
  (:a, 'Poisoned', now() - interval '1 hour'), (:b, 'Poisoned', now() - interval '1 hour');
SELECT count(*) FROM crm.run_due();
SELECT crm_test.unpoison();
SET LOCAL ROLE crm_due_admin_:a;
SELECT is((SELECT array_agg(DISTINCT account_id) FROM crm.due_failures), ARRAY[:'a'::bigint],
          'an admin reads its own account''s failures only');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
