-- due.sql: crm.run_due and crm.next_due, the time-based work of every
-- concept (lead deadlines, auto-cancel, autopay charges) run on demand, and
-- crm.due_failures, the due items whose handling failed and that are set aside.
COMMENT ON TABLE crm.due_failures IS
    'Due items whose handling failed: skipped by crm.run_due and the worker, tried again alone from next_attempt_at (backoff doubling from one minute to one day), removed once handled or no longer due.';
GRANT SELECT ON crm.due_failures TO crm_admin;

CREATE OR REPLACE FUNCTION crm.run_due(now timestamptz DEFAULT now(), max_items integer DEFAULT 10000)
    RETURNS TABLE (kind text, handled bigint)
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_run_due';
REVOKE ALL ON FUNCTION crm.run_due(timestamp with time zone,integer) FROM PUBLIC;
COMMENT ON FUNCTION crm.run_due(timestamptz, integer) IS
    'Does all time-based work due at now (overdue leads, auto-cancel, autopay charges), at most max_items of each kind, of the caller''s account (every account for the owner, and for crm_service without an account); returns what it did per kind.';
GRANT EXECUTE ON FUNCTION crm.run_due(timestamptz, integer) TO crm_admin;

CREATE OR REPLACE FUNCTION crm.next_due() RETURNS timestamptz
    LANGUAGE c STABLE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_next_due_sql';
REVOKE ALL ON FUNCTION crm.next_due() FROM PUBLIC;
COMMENT ON FUNCTION crm.next_due() IS
    'The earliest instant at which crm.run_due() will have something to do for the caller (its account; every account for the owner); NULL when nothing is pending.';
GRANT EXECUTE ON FUNCTION crm.next_due() TO crm_admin;
