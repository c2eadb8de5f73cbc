-- Outbox delivery: the errors of crm.claim_outbox, crm.outbox_sent, crm.outbox_failed and
-- crm.purge_outbox, and the refusal of a role that is not a delivery worker.  Each
-- failing statement is followed by its SQLSTATE.  Nothing is claimed or changed.
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
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'crm_regress_delivery') THEN
    CREATE ROLE crm_regress_delivery NOLOGIN IN ROLE crm_delivery;
  END IF;
END $$;

SET ROLE crm_regress_delivery;
SELECT * FROM crm.claim_outbox(NULL, 0); \echo SQLSTATE :SQLSTATE
SELECT * FROM crm.claim_outbox(NULL, 10, '0 minutes'); \echo SQLSTATE :SQLSTATE
SELECT * FROM crm.claim_outbox(NULL, 10, '2 days'); \echo SQLSTATE :SQLSTATE
SELECT * FROM crm.claim_outbox(NULL, NULL); \echo SQLSTATE :SQLSTATE
SELECT * FROM crm.claim_outbox(NULL, 10, '5 minutes', '-infinity'); \echo SQLSTATE :SQLSTATE
SELECT crm.outbox_sent(NULL); \echo SQLSTATE :SQLSTATE
SELECT crm.outbox_sent(-7); \echo SQLSTATE :SQLSTATE
SELECT crm.outbox_failed(-7, 'timeout'); \echo SQLSTATE :SQLSTATE
SELECT crm.outbox_failed(-7, 'timeout', '2026-01-01 00:00+00', '2026-03-01 00:00+00'); \echo SQLSTATE :SQLSTATE
SELECT crm.purge_outbox('-1 day'); \echo SQLSTATE :SQLSTATE
SET crm.outbox_max_attempts = 100; \echo SQLSTATE :SQLSTATE
RESET ROLE;

-- Granted EXECUTE by mistake, an account's admin is still not a delivery worker.
GRANT EXECUTE ON FUNCTION crm.outbox_sent(bigint, text) TO crm_regress_admin;
SET ROLE crm_regress_admin;
SELECT crm.outbox_sent(1); \echo SQLSTATE :SQLSTATE
SELECT * FROM crm.claim_outbox(); \echo SQLSTATE :SQLSTATE
RESET ROLE;
REVOKE EXECUTE ON FUNCTION crm.outbox_sent(bigint, text) FROM crm_regress_admin;
