-- data/50_calls.sql: the call centre's data at :scale, with a fixed seed, as crm's call
-- triggers would have written it, around a fixed "now" T0 = 2026-06-01 09:00 UTC
-- (after every invoice's creation at every scale).
--   * Every awaiting/prepaid invoice of data/30_invoices.sql gets 0..4 calls (uniform, so
--     about 1,000,000·s calls), one day apart, the last one up to 72 h before T0.  Outcomes:
--     70% no_answer, 15% talked (half with a call-back interval), 15% call_back (with an
--     interval); next_call_at by the retry rules (first no_answer of a chain + 1 h, each
--     following one + 24 h, call-back + its interval), computed from called_at.  Each call
--     has its 'call' invoice event (detail {call_id, outcome, employee_id, next_call_at},
--     all strings, next_call_at as crm prints it in a UTC session).  The invoice carries the
--     last call's next_call_at, call_attempts = its calls, no_answer_streak = the trailing
--     no_answers, updated_at = the last call's time.  An invoice without calls has a
--     next_call_at set by hand within 3 days either side of T0.  No call stops calls.
--   * 100,000·s open call tasks (at least 300), without calls, created within 72 h before T0
--     and due at once (next_call_at = created_at).
-- So about three quarters of the open invoices and every task are due at T0.  Records
-- calls_now (T0 as a Unix time), calls_step (0: the seed of the per-client step counter of
-- workloads/read_call_queue.sql), ncalls and ntasks.
\set ON_ERROR_STOP 1
SET crm.account_id = 1;
SET timezone = 'UTC';
SET datestyle = 'ISO, MDY';
SELECT setseed(0.5050);
SELECT value AS n_cli FROM public.bench_vars WHERE name = 'ncli' \gset
SELECT value AS n_emp FROM public.bench_vars WHERE name = 'nemp' \gset
SELECT greatest(300, (100000 * :scale)::int) AS n_tasks \gset
\set t0 '''2026-06-01 09:00:00+00'''

-- The open invoices and their number of calls.
CREATE TEMP TABLE open_inv AS
SELECT id, client_id, floor(random() * 5)::int AS k,
       timestamptz :t0 - random() * interval '72 hours' AS last_at
FROM crm.invoices WHERE account_id = 1 AND status IN ('awaiting', 'prepaid') ORDER BY id;

-- One row per call, in time order per invoice.
CREATE TEMP TABLE call_gen AS
SELECT invoice_id, client_id, j, called_at, employee_id,
       CASE WHEN x < 0.70 THEN 'no_answer' WHEN x < 0.85 THEN 'talked' ELSE 'call_back' END AS outcome,
       CASE WHEN x >= 0.85 THEN (1 + floor(x * 1000)::int % 4) * interval '1 day'
            WHEN x >= 0.70 AND x < 0.775 THEN interval '2 days' END AS after
FROM (SELECT o.id AS invoice_id, o.client_id, j,
             CASE WHEN j = o.k THEN o.last_at
                  ELSE o.last_at - (o.k - j) * interval '1 day' - random() * interval '6 hours' END AS called_at,
             2 + (random() * (:n_emp - 2))::bigint AS employee_id, random() AS x
      FROM open_inv o, generate_series(1, o.k) j OFFSET 0) g;

-- The streak before each call: the no_answers since the last other outcome.
CREATE TEMP TABLE calls_out AS
SELECT row_number() OVER (ORDER BY invoice_id, j) AS id, s.*,
       CASE WHEN outcome = 'no_answer'
            THEN called_at + CASE WHEN streak_before > 0 THEN interval '24 hours' ELSE interval '1 hour' END
            ELSE called_at + after END AS next_call_at
FROM (SELECT g.*, count(*) OVER (PARTITION BY invoice_id, grp ORDER BY j) - 1 AS streak_before
      FROM (SELECT c.*, coalesce(sum((outcome <> 'no_answer')::int)
                                 OVER (PARTITION BY invoice_id ORDER BY j ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS grp
            FROM call_gen c) g) s;

SET session_replication_role = replica;
INSERT INTO crm.calls (account_id, id, invoice_id, client_id, employee_id, outcome, called_at, callback_after,
                       next_call_at, created_at)
SELECT 1, id, invoice_id, client_id, employee_id, outcome, called_at, after, next_call_at, called_at
FROM calls_out ORDER BY id;
INSERT INTO crm.invoice_events (account_id, invoice_id, at, employee_id, kind, detail)
SELECT 1, invoice_id, called_at, employee_id, 'call',
       jsonb_build_object('call_id', id::text, 'outcome', outcome, 'employee_id', employee_id::text,
                          'next_call_at', next_call_at::text)
FROM calls_out ORDER BY id;
UPDATE crm.invoices i
SET next_call_at = l.next_call_at, call_attempts = o.k, updated_at = greatest(i.updated_at, l.called_at),
    no_answer_streak = CASE WHEN l.outcome = 'no_answer' THEN l.streak_before + 1 ELSE 0 END
FROM open_inv o JOIN calls_out l ON l.invoice_id = o.id AND l.j = o.k
WHERE i.account_id = 1 AND i.id = o.id;
UPDATE crm.invoices i
SET next_call_at = timestamptz :t0 + (random() * 6 - 3) * interval '1 day'
FROM open_inv o WHERE o.k = 0 AND i.account_id = 1 AND i.id = o.id;

INSERT INTO crm.call_tasks (account_id, id, client_id, title, employee_id, next_call_at, created_at)
SELECT 1, g, c, 'Call task ' || g, e, at, at
FROM (SELECT g, 1 + (random() * (:n_cli - 1))::bigint AS c, 2 + (random() * (:n_emp - 2))::bigint AS e,
             timestamptz :t0 - random() * interval '72 hours' AS at
      FROM generate_series(1, :n_tasks) g) s;
RESET session_replication_role;

SELECT setval(pg_get_serial_sequence('crm.calls', 'id'), (SELECT count(*) FROM calls_out) + 1000),
       setval(pg_get_serial_sequence('crm.call_tasks', 'id'), :n_tasks + 1000);
INSERT INTO public.bench_vars
SELECT 'calls_now', extract(epoch FROM timestamptz :t0)::bigint
UNION ALL SELECT 'calls_step', 0
UNION ALL SELECT 'ncalls', count(*) FROM calls_out
UNION ALL SELECT 'ntasks', :n_tasks;
