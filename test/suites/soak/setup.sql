-- soak/setup.sql: the soak's accounts and its test schema crm_soak (not part of crm).
-- Run as the owner after test/fixtures.sql, with -v accounts=N.
--   :accounts accounts (ids 1..N) made by crm_test.company and crm_test.fill, with
--   link modes and call retries that vary by account (every third orders auto-linked,
--   every fourth clients auto-linked; no_answer retried after 20 s, then 1 min);
--   crm_soak.ids: the ids the pgbench scripts need per account;
--   crm_soak.allowed: the documented refusals each kind of work may meet;
--   crm_soak.outcomes: one row per attempt that did not do its work (refused, or
--   nothing to do), in the attempt's own transaction;
--   crm_soak.attempt(kind, account, employee, VARIADIC statements): the one entry of
--   every soak transaction (below);
--   crm_soak.terminate(backend_type): for the suite itself (a superuser), terminates the
--   first process of that type to appear within 3 s;
--   the login soak_app, a member of crm_service (through crm_test_admin).
SET client_min_messages = warning;

SELECT crm_test.company('Soak ' || g, CASE WHEN g % 10 = 0 THEN 'DE' ELSE 'RU' END) FROM generate_series(1, :accounts) g;
DO $$
BEGIN
  IF (SELECT array_agg(id ORDER BY id) FROM crm.accounts) <> (SELECT array_agg(g::bigint) FROM generate_series(1, (SELECT count(*)::int FROM crm.accounts)) g) THEN
    RAISE EXCEPTION 'soak: the accounts must be numbered 1..n (a fresh database)';
  END IF;
END $$;
SELECT crm_test.fill(id, 4) FROM crm.accounts ORDER BY id;
-- The fill's client who wrote first through a channel has no email: give it one, so that
-- a template email of a call to it is queued like every other (no refusal to count).
UPDATE crm.clients SET email = 'channel' || id || '@example.com' WHERE email IS NULL;
UPDATE crm.accounts SET order_link_mode = CASE WHEN id % 3 = 0 THEN 'auto' ELSE 'suggest' END,
                        client_link_mode = CASE WHEN id % 4 = 0 THEN 'auto' ELSE 'suggest' END,
                        no_answer_first_retry = '20 seconds', no_answer_next_retry = '1 minute';

CREATE SCHEMA crm_soak;
CREATE TABLE crm_soak.ids (
    account_id bigint PRIMARY KEY,
    t_sales bigint, t_repair bigint, course bigint, book bigint, tpl bigint, campaign bigint,
    emp bigint[]                -- 1 Admin, 2 Anna, 3 Boris
);
INSERT INTO crm_soak.ids
SELECT a.id, crm_test.id('lead_types', a.id, 'Sales'), crm_test.id('lead_types', a.id, 'Repair'),
       crm_test.id('offers', a.id, 'Course'), crm_test.id('offers', a.id, 'Book'),
       crm_test.id('message_templates', a.id, 'Reminder'), crm_test.id('campaigns', a.id, 'Search'),
       ARRAY[crm_test.id('employees', a.id, 'Admin'), crm_test.id('employees', a.id, 'Anna'),
             crm_test.id('employees', a.id, 'Boris')]
FROM crm.accounts a;

CREATE TABLE crm_soak.allowed (
    kind     text NOT NULL,
    sqlstate text NOT NULL,
    why      text NOT NULL,
    PRIMARY KEY (kind, sqlstate)
);
INSERT INTO crm_soak.allowed VALUES
  ('lead_move', '55000', 'another session moved the lead first: the move is no longer allowed'),
  ('pay', '22023', 'another payment came first: more than is still due'),
  ('pay', '55000', 'the invoice was cancelled (auto-cancel, a refused call) or paid first'),
  ('charge_result', '55000', 'the charge''s invoice was cancelled, or autopay is off and no charge waits'),
  ('call', '55000', 'the claimed invoice was cancelled or paid before the outcome'),
  ('call_task', '55000', 'the client is not_client or spam'),
  ('order', '55000', 'another order took the lead first, or it was closed'),
  ('refund', '55000', 'the invoice is no longer paid');

CREATE TABLE crm_soak.outcomes (
    kind     text NOT NULL,
    outcome  text NOT NULL,     -- 'idle' (nothing to do) or the SQLSTATE of the refusal
    message  text,
    at       timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- attempt(kind, account, employee, VARIADIC statements): acts in the account as the
-- employee (1 Admin, 2 Anna, 3 Boris; NULL: none) for this transaction (set_config(...,
-- true), as SET LOCAL), then runs the statements in order, each given the previous one's
-- single value as $1; a statement that returns no row means there is nothing to do
-- ('idle'). A refusal listed in crm_soak.allowed for the kind, or a statement timeout,
-- rolls the work back and is recorded as the outcome; any other error is raised, so the
-- pgbench client stops and the soak fails (deadlocks are raised for pgbench to retry).
-- The outer block catches a statement timeout wherever it strikes in the function,
-- recording a refusal included.
CREATE FUNCTION crm_soak.attempt(kind text, account bigint, employee integer, VARIADIC stmts text[])
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  v text; s text; st text; msg text;
BEGIN
  BEGIN
    PERFORM set_config('crm.account_id', coalesce(account::text, ''), true);
    PERFORM set_config('crm.employee_id',
      coalesce((SELECT i.emp[employee] FROM crm_soak.ids i WHERE i.account_id = account)::text, ''), true);
    FOREACH s IN ARRAY stmts LOOP
      EXECUTE s INTO v USING v;
      IF v IS NULL THEN
        INSERT INTO crm_soak.outcomes (kind, outcome) VALUES (attempt.kind, 'idle');
        RETURN 'idle';
      END IF;
    END LOOP;
    RETURN 'ok';
  EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    IF NOT EXISTS (SELECT 1 FROM crm_soak.allowed a WHERE a.kind = attempt.kind AND a.sqlstate = st) THEN
      RAISE;
    END IF;
    INSERT INTO crm_soak.outcomes (kind, outcome, message) VALUES (attempt.kind, st, left(msg, 300));
    RETURN st;
  END;
EXCEPTION WHEN query_canceled THEN
  INSERT INTO crm_soak.outcomes (kind, outcome, message) VALUES (attempt.kind, '57014', SQLERRM);
  RETURN '57014';
END $$;

DROP ROLE IF EXISTS soak_app;
CREATE ROLE soak_app LOGIN IN ROLE crm_test_admin;
GRANT USAGE ON SCHEMA crm_soak TO soak_app;
GRANT SELECT ON crm_soak.ids, crm_soak.allowed TO soak_app;
GRANT INSERT ON crm_soak.outcomes TO soak_app;
GRANT EXECUTE ON FUNCTION crm_soak.attempt(text, bigint, integer, text[]) TO soak_app;

CREATE FUNCTION crm_soak.terminate(backend_type text) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE n integer := 0;
BEGIN
  FOR i IN 1..300 LOOP
    PERFORM pg_stat_clear_snapshot();
    SELECT count(pg_terminate_backend(a.pid)) INTO n FROM pg_stat_activity a WHERE a.backend_type = terminate.backend_type;
    EXIT WHEN n > 0;
    PERFORM pg_sleep(0.01);
  END LOOP;
  RETURN n;
END $$;
REVOKE EXECUTE ON FUNCTION crm_soak.terminate(text) FROM PUBLIC;
