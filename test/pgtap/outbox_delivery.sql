-- Outbox delivery: a crm_delivery login claims due rows of every account, oldest first,
-- leased; reports each result idempotently; failures back off and end dead after
-- crm.outbox_max_attempts; purge keeps what is recent; no other role may deliver, and
-- crm_delivery reads no table.
BEGIN;
SELECT plan(30);

SELECT crm_test.company('Deliver A') AS a \gset
SELECT crm_test.company('Deliver B') AS b \gset
SELECT '2026-03-02 12:00:00+00'::timestamptz AS t0 \gset
-- named per account and able to log in: on Citus a committed step keeps it, and the
-- coordinator connects to the workers as the session's role
CREATE ROLE crm_test_delivery_:a LOGIN IN ROLE crm_delivery;

-- Three rows queued a minute apart: B's first, then A's two (one a charge).
INSERT INTO crm.outbox (account_id, kind, recipient, subject, body, created_at) VALUES
  (:b, 'email', 'b@example.com', 'B1', 'body', :'t0'::timestamptz - interval '3 minutes'),
  (:a, 'email', 'a@example.com', 'A1', 'body', :'t0'::timestamptz - interval '2 minutes'),
  (:a, 'charge', NULL, NULL, NULL, :'t0'::timestamptz - interval '1 minute');
SELECT id AS b1 FROM crm.outbox WHERE account_id = :b AND subject = 'B1' \gset
SELECT id AS a1 FROM crm.outbox WHERE account_id = :a AND subject = 'A1' \gset
SELECT id AS a2 FROM crm.outbox WHERE account_id = :a AND kind = 'charge' \gset

SET ROLE crm_test_delivery_:a;
SELECT results_eq(
  format($$SELECT id, attempts, next_attempt_at FROM crm.claim_outbox(ARRAY['email'], 10, '5 minutes', %L)$$, :'t0'),
  format($$VALUES (%s::bigint, 1, %L::timestamptz), (%s, 1, %L)$$, :b1, :'t0'::timestamptz + interval '5 minutes',
         :a1, :'t0'::timestamptz + interval '5 minutes'),
  'claim_outbox takes the due emails of every account, oldest first, leased for 5 minutes');
SELECT is((SELECT count(*) FROM crm.claim_outbox(ARRAY['email'], 10, '5 minutes', :'t0'::timestamptz + interval '4 minutes')),
          0::bigint, 'a leased row is not claimed again while its lease holds');
SELECT results_eq(
  format($$SELECT id FROM crm.claim_outbox(NULL, 10, '5 minutes', %L)$$, :'t0'),
  format($$VALUES (%s::bigint)$$, :a2), 'kinds NULL claims every kind (here the charge left)');
SELECT results_eq(
  format($$SELECT id, attempts FROM crm.claim_outbox(ARRAY['email'], 1, '5 minutes', %L)$$, :'t0'::timestamptz + interval '6 minutes'),
  format($$VALUES (%s::bigint, 2)$$, :a1), 'after the lease ends the row is due again (a worker died mid-send); max limits the claim');

-- Sent: once; a second report changes nothing.
SELECT is((crm.outbox_sent(:b1, 'provider-1')).provider_ref, 'provider-1', 'outbox_sent records the provider reference');
SELECT is((crm.outbox_sent(:b1, 'provider-2')).provider_ref, 'provider-1', 'a second outbox_sent changes nothing');
SELECT is((SELECT count(*) FROM crm.claim_outbox(ARRAY['email'], 10, '5 minutes', :'t0'::timestamptz + interval '6 minutes')),
          0::bigint, 'a sent row is never claimed again');

-- Failed: backoff 1, 2, 4 minutes ...; retry_at when given; dead after max attempts.
RESET ROLE;
SET LOCAL crm.outbox_max_attempts = 3;
SET ROLE crm_test_delivery_:a;
SELECT is((crm.outbox_failed(:a1, 'smtp 451', NULL, :'t0')).next_attempt_at, :'t0'::timestamptz + interval '2 minutes',
          'the second failed attempt is retried after 2 minutes');
SELECT is((SELECT last_error FROM crm.outbox_failed(:a1, 'smtp 451', NULL, :'t0')), 'smtp 451',
          'the error is kept (reporting the same failure again counts nothing)');
SELECT is((SELECT attempts FROM crm.claim_outbox(ARRAY['email'], 10, '5 minutes', :'t0'::timestamptz + interval '2 minutes')),
          3, 'the row is claimed again once its backoff ends');
SELECT is((crm.outbox_failed(:a1, 'smtp 550 no such user', NULL, :'t0')).dead_at, :'t0'::timestamptz,
          'the third failed attempt of 3 gives the row up: dead_at is set');
SELECT is((SELECT count(*) FROM crm.claim_outbox(NULL, 10, '5 minutes', '2030-01-01') WHERE id = :a1), 0::bigint,
          'a dead row is never claimed');
SELECT is((crm.outbox_failed(:a1, 'again', NULL, :'t0')).last_error, 'smtp 550 no such user',
          'a failure reported for a dead row changes nothing');
SELECT is((crm.outbox_failed(:a2, 'busy', '2026-03-02 13:00+00', :'t0')).next_attempt_at, '2026-03-02 13:00+00'::timestamptz,
          'retry_at sets the next attempt');
SELECT is((crm.outbox_sent(:a1)).dead_at, NULL, 'a dead row reported sent after all is sent');

-- Purge: rows sent or dead before now - older_than.
SELECT is(crm.purge_outbox('1 day', '2026-03-02 12:00+00'), 0::bigint, 'purge keeps what was sent within the period');
SELECT is(crm.purge_outbox('1 day', now() + interval '2 days'), 2::bigint, 'purge removes the sent rows older than the period');

-- Errors.
SELECT throws_ok($$SELECT * FROM crm.claim_outbox(NULL, 0)$$, '22023', 'max must be between 1 and 10000, not 0',
                 'max below 1 is refused');
SELECT throws_ok($$SELECT * FROM crm.claim_outbox(NULL, 10, '-1 minute')$$, '22023', NULL, 'a lease that does not move forward is refused');
SELECT throws_ok($$SELECT * FROM crm.claim_outbox(NULL, 10, '2 days')$$, '22023', NULL, 'a lease longer than a day is refused');
SELECT throws_ok($$SELECT * FROM crm.claim_outbox(NULL, 10, '5 minutes', 'infinity')$$, '22008', NULL, 'an infinite now is refused');
SELECT throws_ok($$SELECT crm.outbox_sent(-1)$$, 'P0002', 'outbox row -1 does not exist', 'an unknown id is refused');
SELECT throws_ok(format($$SELECT crm.outbox_failed(%s, 'x', '2026-01-01', '2026-03-02')$$, :a2), '22023', NULL,
                 'a retry_at before now is refused');
SELECT throws_ok($$SELECT crm.outbox_failed(NULL, 'x')$$, '22004', NULL, 'a NULL id is refused');
SELECT throws_ok($$SELECT crm.purge_outbox('0 days')$$, '22023', NULL, 'a purge period that is not forward is refused');

-- crm_delivery reads and writes no table.
SELECT throws_ok($$SELECT count(*) FROM crm.outbox$$, '42501', NULL, 'crm_delivery cannot read crm.outbox');
SELECT throws_ok($$SELECT count(*) FROM crm.leads$$, '42501', NULL, 'crm_delivery cannot read crm.leads');
RESET ROLE;

-- No one else delivers: an admin of an account has no EXECUTE, and a grant by mistake is
-- still refused by the function.
SELECT crm_test.act('crm_test_admin', :a, 'Admin');
SELECT throws_ok($$SELECT * FROM crm.claim_outbox()$$, '42501', NULL, 'crm_admin cannot claim');
RESET ROLE;
GRANT EXECUTE ON FUNCTION crm.outbox_sent(bigint, text) TO crm_admin;
SELECT crm_test.act('crm_test_admin', :a, 'Admin');
SELECT throws_ok(format($$SELECT crm.outbox_sent(%s)$$, :a2), '42501', 'crm.outbox_sent is for delivery workers',
                 'a crm_admin granted EXECUTE by mistake is still refused');
RESET ROLE;
SET ROLE crm_test_delivery_:a;
SELECT throws_ok($$SET crm.outbox_max_attempts = 1000$$, '42501', NULL,
                 'only a superuser sets crm.outbox_max_attempts (a worker cannot keep a row alive for ever)');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
