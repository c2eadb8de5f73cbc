-- scheduler.sql: crm.run_due, the time-based work.

CREATE FUNCTION crm.run_due(now timestamptz DEFAULT now(), max_items integer DEFAULT 10000)
    RETURNS TABLE (kind text, handled bigint)
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_run_due';
COMMENT ON FUNCTION crm.run_due(timestamptz, integer) IS
    'Does all time-based work due at now (overdue leads, auto-cancel, autopay charges); returns what it did per kind.';
GRANT EXECUTE ON FUNCTION crm.run_due(timestamptz, integer) TO crm_admin;
