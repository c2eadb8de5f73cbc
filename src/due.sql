-- due.sql: crm.run_due and crm.next_due, the time-based work of every
-- concept (lead deadlines, auto-cancel, autopay charges) run on demand.

CREATE FUNCTION crm.run_due(now timestamptz DEFAULT now(), max_items integer DEFAULT 10000)
    RETURNS TABLE (kind text, handled bigint)
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_run_due';
COMMENT ON FUNCTION crm.run_due(timestamptz, integer) IS
    'Does all time-based work due at now (overdue leads, auto-cancel, autopay charges), at most max_items of each kind, across every account; returns what it did per kind.';
GRANT EXECUTE ON FUNCTION crm.run_due(timestamptz, integer) TO crm_admin;

CREATE FUNCTION crm.next_due() RETURNS timestamptz
    LANGUAGE c STABLE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_next_due_sql';
COMMENT ON FUNCTION crm.next_due() IS
    'The earliest instant at which crm.run_due() will have something to do (any account); NULL when nothing is pending.';
GRANT EXECUTE ON FUNCTION crm.next_due() TO crm_admin;
