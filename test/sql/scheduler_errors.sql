-- Scheduler: the errors of crm.run_due with a max_items that is not positive, and
-- with a now later than the current time from a role that does not own schema crm.
-- Each failing statement is followed by its SQLSTATE.  Neither call does any work.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET intervalstyle = 'postgres';
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'crm_regress_admin') THEN
    CREATE ROLE crm_regress_admin NOLOGIN IN ROLE crm_admin, crm_service;
  END IF;
END $$;

SET ROLE crm_regress_admin;
SELECT * FROM crm.run_due('2020-01-01 00:00:00+00', 0); \echo SQLSTATE :SQLSTATE
SELECT * FROM crm.run_due('2020-01-01 00:00:00+00', -1); \echo SQLSTATE :SQLSTATE
-- Its detail names the current time, so it is shown here with that time masked.
DO $$
DECLARE
  message text; detail text; hint text; state text;
BEGIN
  PERFORM * FROM crm.run_due('2999-01-01 00:00:00+00', 10);
  RAISE WARNING 'run_due ahead of time worked';
EXCEPTION WHEN insufficient_privilege THEN
  GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL,
                          hint = PG_EXCEPTION_HINT, state = RETURNED_SQLSTATE;
  RAISE WARNING E'\nERROR:  %\nDETAIL:  %\nHINT:  %\nSQLSTATE %', message,
    regexp_replace(detail, 'the current time "[^"]*"', 'the current time "(now)"'), hint, state;
END $$;
RESET ROLE;
