-- Restore: an INSERT made as pg_dump's scripts and pg_restore make it (row_security and
-- check_function_bodies off, by a role past row-level security) brings the row as it was
-- dumped: no number, link, history, count or announcement of crm's; with either setting
-- on, or for an UPDATE, every rule applies; a role that policies apply to cannot write
-- that way at all.  The session then holds the restore lock (kit/restore.h).
BEGIN;
SELECT plan(19);

SELECT crm_test.company('Restore A') AS a \gset
\set fill_n 2
\set fill_account :a
\ir fill.psql
\ir fill_due.psql
\ir fill_done.psql
SELECT crm_test.id('lead_types', :a, 'Sales') AS t_sales, crm_test.id('statuses', :a, 'In work') AS s_work,
       crm_test.id('statuses', :a, 'Paid order') AS s_paid, crm_test.id('employees', :a, 'Anna') AS anna \gset
SELECT number_sequence_id AS seq FROM crm.leads WHERE account_id = :a AND type_id = :t_sales LIMIT 1 \gset
SELECT id AS inv, status AS inv_status, paid_amount AS inv_paid FROM crm.invoices
  WHERE account_id = :a AND status = 'awaiting' ORDER BY id LIMIT 1 \gset

CREATE TEMP TABLE before AS
SELECT (SELECT count(*) FROM crm.lead_events WHERE account_id = :a) AS lead_events,
       (SELECT count(*) FROM crm.invoice_events WHERE account_id = :a) AS invoice_events,
       (SELECT count(*) FROM crm.lead_count_changes WHERE account_id = :a) AS count_changes,
       (SELECT count(*) FROM crm.alerts WHERE account_id = :a) AS alerts,
       (SELECT count(*) FROM crm.outbox WHERE account_id = :a) AS outbox,
       (SELECT jsonb_agg(to_jsonb(n) ORDER BY n.id) FROM crm.number_sequences n WHERE account_id = :a) AS counters;

SELECT is((SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory' AND objsubid = 3),
          0::bigint, 'before any restored row the session holds no restore lock');

-- ---- rows as dumped ----
SET LOCAL row_security = off;
SET LOCAL check_function_bodies = off;
INSERT INTO crm.leads (account_id, id, number, number_sequence_id, number_seq, type_id, status_id,
                       contact_name, contact_phone, phone, manager_id, created_at, status_changed_at)
VALUES (:a, 990001, 'L-90001', :seq, 90001, :t_sales, :s_work, 'Restored', '8 916 000-00-01', '+79160000001',
        NULL, '2020-01-01 10:00+00', '2020-02-01 10:00+00');
INSERT INTO crm.orders (account_id, id, number, lead_id, phone, phone_e164, amount, created_at)
VALUES (:a, 990001, 'ORD-990001', 990001, '8 916 000-00-01', '+79160000001', 10, '2020-03-01 10:00+00');
INSERT INTO crm.payments (account_id, id, invoice_id, kind, amount, succeeded, failure_reason, at, created_at)
VALUES (:a, 990001, :inv, 'payment', 1, false, 'card declined', '2020-04-01 10:00+00', '2020-04-01 10:00+00');

SELECT results_eq(
  format($$SELECT number, number_seq, status_id, manager_id, created_at, status_changed_at, order_id
    FROM crm.leads WHERE account_id = %s AND id = 990001$$, :a),
  format($$VALUES ('L-90001'::text, 90001::bigint, %s::bigint, NULL::bigint, '2020-01-01 10:00+00'::timestamptz,
                   '2020-02-01 10:00+00'::timestamptz, NULL::bigint)$$, :s_work),
  'a restored lead keeps its number, status, manager (none), times, and is not linked again');
SELECT is((SELECT count(*) FROM crm.lead_events WHERE account_id = :a), (SELECT lead_events FROM before),
          'a restored lead gets no history of crm''s: its events come with the dump');
SELECT is((SELECT jsonb_agg(to_jsonb(n) ORDER BY n.id) FROM crm.number_sequences n WHERE account_id = :a),
          (SELECT counters FROM before), 'the counters do not move: their rows come with the dump');
SELECT is((SELECT count(*) FROM crm.lead_count_changes WHERE account_id = :a), (SELECT count_changes FROM before),
          'the kept lead counts do not move: they come with the dump');
SELECT results_eq(format($$SELECT number, lead_id FROM crm.orders WHERE account_id = %s AND id = 990001$$, :a),
                  $$VALUES ('ORD-990001'::text, 990001::bigint)$$,
                  'a restored order keeps its number and its lead');
SELECT is((SELECT status_id FROM crm.leads WHERE account_id = :a AND id = 990001), :s_work::bigint,
          'the order''s lead is not moved to the order status');
SELECT results_eq(format('SELECT status, paid_amount FROM crm.invoices WHERE account_id = %s AND id = %s', :a, :inv),
                  format($$VALUES (%L::text, %L::numeric)$$, :'inv_status', :'inv_paid'),
                  'a restored payment changes nothing on its invoice');
SELECT results_eq($$SELECT count(*) FROM crm.alerts WHERE account_id = $$ || :a
                  || $$ UNION ALL SELECT count(*) FROM crm.invoice_events WHERE account_id = $$ || :a
                  || $$ UNION ALL SELECT count(*) FROM crm.outbox WHERE account_id = $$ || :a,
                  $$SELECT alerts FROM before UNION ALL SELECT invoice_events FROM before UNION ALL SELECT outbox FROM before$$,
                  'a restored failed payment raises no alert, no invoice event, no email');
SELECT is((SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory' AND objsubid = 3
             AND mode = 'ShareLock' AND granted),
          1::bigint, 'the session holds the restore lock once it has restored a row');

-- ---- an UPDATE is never a restore ----
-- (each statement names the account: through a Citus coordinator the file's steps commit,
-- and another run's lead 990001 is in another account)
SELECT throws_ok(format($$UPDATE crm.leads SET created_at = '2019-01-01' WHERE account_id = %s AND id = 990001$$, :a), '55000', NULL,
                 'an UPDATE in a restoring session still meets the rules (a fixed column)');
UPDATE crm.leads SET contact_phone = '8 916 000-00-09' WHERE account_id = :a AND id = 990001;
SELECT is((SELECT phone FROM crm.leads WHERE account_id = :a AND id = 990001), '+79160000009',
          'an UPDATE in a restoring session still meets the rules (the phone is derived again)');
SELECT throws_ok(format($$DELETE FROM crm.leads WHERE account_id = %s AND id = 990001$$, :a), '42501', NULL,
                 'a DELETE in a restoring session still meets the rules');

-- ---- one setting alone is no restore ----
SET LOCAL check_function_bodies = on;
SELECT throws_ok(format($$INSERT INTO crm.leads (account_id, number, type_id, contact_name) VALUES (%s, 'L-90002', %s, 'x')$$,
                        :a, :t_sales),
                 '428C9', NULL, 'row_security off alone: a lead''s number is crm''s');
SET LOCAL check_function_bodies = off;
SET LOCAL row_security = on;
SELECT throws_ok(format($$INSERT INTO crm.leads (account_id, number, type_id, contact_name) VALUES (%s, 'L-90002', %s, 'x')$$,
                        :a, :t_sales),
                 '428C9', NULL, 'check_function_bodies off alone: a lead''s number is crm''s');
SELECT lives_ok(format($$INSERT INTO crm.leads (account_id, id, type_id, contact_name) VALUES (%s, 990002, %s, 'Typed')$$,
                       :a, :t_sales),
                'with row_security on, a lead is written as usual');
SELECT is((SELECT count(*) FROM crm.lead_events WHERE account_id = :a AND lead_id = 990002 AND kind = 'created'),
          1::bigint, '... and gets its creation event');
SET LOCAL check_function_bodies = on;

-- ---- a role that policies apply to cannot write that way ----
SELECT crm_test.act('crm_test_admin', :a, 'Anna');
SET LOCAL row_security = off;
SET LOCAL check_function_bodies = off;
SELECT throws_ok(format($$INSERT INTO crm.campaigns (account_id, name) VALUES (%s, 'Restored')$$, :a),
                 '42501', NULL, 'a crm role with row_security off is refused by PostgreSQL (row-level security)');
SELECT throws_ok(format($$INSERT INTO crm.leads (account_id, number, type_id, contact_name) VALUES (%s, 'L-90003', %s, 'x')$$,
                        :a, :t_sales),
                 '42501', NULL, '... for every table: no tenant writes rows as dumped');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
-- The restore lock is the session's: let it go before the next file runs due work.
SELECT pg_advisory_unlock_all();
