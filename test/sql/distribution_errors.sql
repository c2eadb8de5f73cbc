-- crm.distribute() on a server without Citus, and as a role that does not own crm:
-- both refused, nothing changed.  (The distributed layout itself: test/suites/citus.)
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'crm_regress_admin') THEN
    CREATE ROLE crm_regress_admin NOLOGIN IN ROLE crm_admin, crm_service;
  END IF;
END $$;

-- No Citus here.
SELECT crm.distribute(); \echo SQLSTATE :SQLSTATE
-- Only the owner of schema crm (or a superuser) lays crm out.
SET ROLE crm_regress_admin;
SELECT crm.distribute(); \echo SQLSTATE :SQLSTATE
SELECT crm._node_id_ranges(); \echo SQLSTATE :SQLSTATE
SELECT crm._node_ids_past(ARRAY[]::text[], ARRAY[]::bigint[]); \echo SQLSTATE :SQLSTATE
RESET ROLE;
-- The floors crm.distribute() hands every node: both arrays are needed.
SELECT crm._node_ids_past(NULL, ARRAY[]::bigint[]); \echo SQLSTATE :SQLSTATE
SELECT crm._node_ids_past(ARRAY[]::text[], ARRAY[]::bigint[]);
-- On a node without Citus there is no range to set.
SELECT crm._node_id_ranges();
-- crm.write_note is crm's own (kit/system_write.c): a session's SET is refused, and so
-- is a call of crm._write_note by hand.
SET crm.write_note = '3f:-:-'; \echo SQLSTATE :SQLSTATE
SELECT crm._write_note('3f:-:-'); \echo SQLSTATE :SQLSTATE
-- crm.relay_events() relays nothing on one server, where the committing transaction notifies.
SELECT count(*) FROM crm.relay_events();
