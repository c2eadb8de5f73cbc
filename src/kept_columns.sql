-- kept_columns.sql: the columns crm keeps that no role may write in an INSERT have no
-- DEFAULT (Citus names every defaulted column in the INSERT it sends a worker, which
-- then refuses the role's write); the trigger _kept_columns gives them their first
-- value (kept_columns.c).
CREATE OR REPLACE FUNCTION crm._kept_columns() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_kept_columns';
REVOKE ALL ON FUNCTION crm._kept_columns() FROM PUBLIC;
COMMENT ON FUNCTION crm._kept_columns() IS
    'Trigger _kept_columns: fills the named columns an INSERT leaves NULL with their first value (false, 0, or the transaction''s start time).';

CREATE OR REPLACE TRIGGER _kept_columns BEFORE INSERT ON crm.clients
    FOR EACH ROW EXECUTE FUNCTION crm._kept_columns('contact_flagged');
CREATE OR REPLACE TRIGGER _kept_columns BEFORE INSERT ON crm.invoices
    FOR EACH ROW EXECUTE FUNCTION crm._kept_columns('updated_at', 'status_changed_at', 'no_answer_streak');
CREATE OR REPLACE TRIGGER _kept_columns BEFORE INSERT ON crm.call_tasks
    FOR EACH ROW EXECUTE FUNCTION crm._kept_columns('no_answer_streak');
-- Always, as a DEFAULT would be: rows written with session_replication_role = replica
-- (a data load, a replication apply) that leave the columns out get them too.
ALTER TABLE crm.clients ENABLE ALWAYS TRIGGER _kept_columns;
ALTER TABLE crm.invoices ENABLE ALWAYS TRIGGER _kept_columns;
ALTER TABLE crm.call_tasks ENABLE ALWAYS TRIGGER _kept_columns;
