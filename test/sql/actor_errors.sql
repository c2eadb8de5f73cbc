-- The actor: the errors of a row that records another employee than the acting one (a
-- message, a call, a payment), and of a message time out of range (infinite, in the
-- future beyond the tolerance, before crm's floor, or a bound login's not now).
-- Each failing statement is followed by its SQLSTATE; account 9951 and its fixed ids
-- keep every message the same whatever ran before.  A time-range error names the
-- transaction's time, so those go through pg_temp.try, which shows it as NOW+5min.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET intervalstyle = 'postgres';
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'crm_regress_manager') THEN
    CREATE ROLE crm_regress_manager NOLOGIN IN ROLE crm_manager, crm_service;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'crm_regress_login') THEN
    CREATE ROLE crm_regress_login NOLOGIN IN ROLE crm_manager;
  END IF;
END $$;
INSERT INTO crm.accounts (id, name) VALUES (9951, 'Actor A');
INSERT INTO crm.employees (account_id, id, name) VALUES (9951, 9951, 'Anna'), (9951, 9952, 'Boris');
INSERT INTO crm.clients (account_id, id, name) VALUES (9951, 9951, 'Ivan');
INSERT INTO crm.conversations (account_id, id, client_id) VALUES (9951, 9951, 9951);
INSERT INTO crm.invoices (account_id, id, client_id, amount) VALUES (9951, 9951, 9951, 100);
SELECT crm.bind_login('crm_regress_login', 9951, 9951);
-- The SQLSTATE, message, detail and hint of a statement, the transaction's time plus
-- 5 minutes (or 1 hour), and 5 minutes before it, shown as NOW+5min (NOW+1h) and NOW-5min.
CREATE FUNCTION pg_temp.try(sql text) RETURNS TABLE (sqlstate text, message text, detail text, hint text)
LANGUAGE plpgsql AS $$
DECLARE s text; m text; d text; h text;
BEGIN
  EXECUTE sql;
  RETURN QUERY SELECT 'ok', NULL::text, NULL::text, NULL::text;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
  d := replace(d, (now() + interval '5 minutes')::text, 'NOW+5min');
  d := replace(d, (now() - interval '5 minutes')::text, 'NOW-5min');
  m := replace(m, (now() + interval '1 hour')::text, 'NOW+1h');
  RETURN QUERY SELECT s, m, d, h;
END $$;

SET crm.account_id = 9951;
SET crm.employee_id = 9951;
SET ROLE crm_regress_manager;
-- A row that records who acted names the acting employee.
INSERT INTO crm.messages (conversation_id, direction, employee_id, body) VALUES (9951, 'out', 9952, 'hi'); \echo SQLSTATE :SQLSTATE
INSERT INTO crm.calls (invoice_id, employee_id, outcome) VALUES (9951, 9952, 'talked'); \echo SQLSTATE :SQLSTATE
INSERT INTO crm.payments (invoice_id, amount, succeeded, employee_id) VALUES (9951, 10, true, 9952); \echo SQLSTATE :SQLSTATE
RESET ROLE;
RESET crm.account_id;
RESET crm.employee_id;
SET ROLE crm_regress_login;
INSERT INTO crm.calls (invoice_id, employee_id, outcome) VALUES (9951, 9952, 'talked'); \echo SQLSTATE :SQLSTATE
RESET ROLE;

-- sent_at: finite, not before 2000-01-01, at most 5 minutes after the transaction's time.
SET crm.account_id = 9951;
SET ROLE crm_regress_manager;
\x on
SELECT * FROM pg_temp.try($$INSERT INTO crm.messages (conversation_id, direction, sent_at) VALUES (9951, 'in', '-infinity')$$);
SELECT * FROM pg_temp.try($$INSERT INTO crm.messages (conversation_id, direction, sent_at) VALUES (9951, 'in', 'infinity')$$);
SELECT * FROM pg_temp.try($$INSERT INTO crm.messages (conversation_id, direction, sent_at) VALUES (9951, 'in', '1999-12-31 23:59:59+00')$$);
SELECT * FROM pg_temp.try($$INSERT INTO crm.messages (conversation_id, direction, sent_at) VALUES (9951, 'in', now() + interval '1 hour')$$);
RESET ROLE;
RESET crm.account_id;
-- A bound login records what it sends now: 5 minutes either side.
SET ROLE crm_regress_login;
SELECT * FROM pg_temp.try($$INSERT INTO crm.messages (conversation_id, direction, sent_at) VALUES (9951, 'out', '2026-01-01 10:00:00+00')$$);
RESET ROLE;
\x off

-- Nothing was written.
SELECT (SELECT count(*) FROM crm.messages WHERE account_id = 9951) AS messages,
       (SELECT count(*) FROM crm.calls WHERE account_id = 9951) AS calls,
       (SELECT count(*) FROM crm.payments WHERE account_id = 9951) AS payments;
SELECT crm.unbind_login('crm_regress_login');
