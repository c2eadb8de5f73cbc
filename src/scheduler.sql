-- scheduler.sql: crm.run_due, the time-based work, and the triggers that wake
-- the background worker when a transaction commits an earlier due instant.

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

CREATE FUNCTION crm.scheduler_status()
    RETURNS TABLE (database text, next_run timestamptz, runs bigint, launcher_pid integer)
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_scheduler_status';
COMMENT ON FUNCTION crm.scheduler_status() IS
    'The background worker''s plan: per database in crm.database, its next run and runs so far; no rows without preloading.';
GRANT EXECUTE ON FUNCTION crm.scheduler_status() TO crm_admin;

-- Wake-up triggers: each remembers the earliest due instant its transaction
-- writes; at commit the worker is woken when that is earlier than its plan.
CREATE FUNCTION crm._due_changed() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_due_changed';

CREATE TRIGGER lead_95_wake_scheduler AFTER INSERT OR UPDATE OF deadline, status_id ON crm.leads
    FOR EACH ROW WHEN (NEW.deadline IS NOT NULL AND NEW.overdue_since IS NULL)
    EXECUTE FUNCTION crm._due_changed('deadline');
CREATE TRIGGER invoice_95_wake_scheduler AFTER INSERT OR UPDATE OF auto_cancel_at, next_charge_at, status ON crm.invoices
    FOR EACH ROW WHEN (NEW.auto_cancel_at IS NOT NULL OR NEW.next_charge_at IS NOT NULL)
    EXECUTE FUNCTION crm._due_changed('auto_cancel_at', 'next_charge_at');
