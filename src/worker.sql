-- worker.sql: the background worker's status, and the triggers that wake it
-- when a transaction commits an earlier due instant.

CREATE OR REPLACE FUNCTION crm.scheduler_status()
    RETURNS TABLE (database text, next_run timestamptz, runs bigint, launcher_pid integer, failing_items bigint)
    LANGUAGE c STABLE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_scheduler_status';
REVOKE ALL ON FUNCTION crm.scheduler_status() FROM PUBLIC;
COMMENT ON FUNCTION crm.scheduler_status() IS
    'The background worker''s plan: per database in crm.database, its next run, runs so far, and (for this database) the due items set aside in crm.due_failures; no rows without preloading.';
GRANT EXECUTE ON FUNCTION crm.scheduler_status() TO crm_admin;

-- Wake-up triggers: each remembers the earliest due instant its transaction
-- writes; at commit the worker is woken when that is earlier than its plan.
-- The arguments name the columns that hold due instants.
CREATE OR REPLACE FUNCTION crm._due_changed() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_due_changed';
REVOKE ALL ON FUNCTION crm._due_changed() FROM PUBLIC;
COMMENT ON FUNCTION crm._due_changed() IS
    'Trigger lead_95_wake_scheduler and invoice_95_wake_scheduler: remembers the earliest due instant a transaction writes and, at commit, wakes the scheduler when it is earlier than its plan; the arguments name the columns.';

CREATE OR REPLACE TRIGGER lead_95_wake_scheduler AFTER INSERT OR UPDATE OF deadline, status_id ON crm.leads
    FOR EACH ROW WHEN (NEW.deadline IS NOT NULL AND NEW.overdue_since IS NULL)
    EXECUTE FUNCTION crm._due_changed('deadline');
CREATE OR REPLACE TRIGGER invoice_95_wake_scheduler AFTER INSERT OR UPDATE OF auto_cancel_at, next_charge_at, status ON crm.invoices
    FOR EACH ROW WHEN (NEW.auto_cancel_at IS NOT NULL OR NEW.next_charge_at IS NOT NULL)
    EXECUTE FUNCTION crm._due_changed('auto_cancel_at', 'next_charge_at');
