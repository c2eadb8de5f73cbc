-- caches.sql: the tables crm keeps in per-backend caches (kit/backend_cache.c)
-- and the statement trigger on each that makes every session read them again
-- once a change commits: the account settings (crm.accounts, tenancy.c), the
-- lead types, statuses and transition rules of an account (leads.c), its
-- notification rules (notifications.c), its message templates (template_cache.c).  Each trigger names its table, as the
-- caches know it (on a Citus worker the trigger fires on a shard), and fires
-- whatever session_replication_role says (ENABLE ALWAYS): a change applied by
-- logical replication, or written with the other triggers off, is seen too.
CREATE OR REPLACE FUNCTION crm._cache_changed() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_cache_changed';
REVOKE ALL ON FUNCTION crm._cache_changed() FROM PUBLIC;
COMMENT ON FUNCTION crm._cache_changed() IS
    'Trigger <table>_99_cache (its argument names the table): every session reads what it keeps of the table again once the change commits, this session at its next statement.';

CREATE OR REPLACE TRIGGER accounts_99_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON crm.accounts FOR EACH STATEMENT EXECUTE FUNCTION crm._cache_changed('accounts');
CREATE OR REPLACE TRIGGER lead_types_99_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON crm.lead_types FOR EACH STATEMENT EXECUTE FUNCTION crm._cache_changed('lead_types');
CREATE OR REPLACE TRIGGER statuses_99_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON crm.statuses FOR EACH STATEMENT EXECUTE FUNCTION crm._cache_changed('statuses');
CREATE OR REPLACE TRIGGER status_transitions_99_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON crm.status_transitions FOR EACH STATEMENT EXECUTE FUNCTION crm._cache_changed('status_transitions');
CREATE OR REPLACE TRIGGER notification_rules_99_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON crm.notification_rules FOR EACH STATEMENT EXECUTE FUNCTION crm._cache_changed('notification_rules');
CREATE OR REPLACE TRIGGER message_templates_99_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON crm.message_templates FOR EACH STATEMENT EXECUTE FUNCTION crm._cache_changed('message_templates');
ALTER TABLE crm.accounts ENABLE ALWAYS TRIGGER accounts_99_cache;
ALTER TABLE crm.lead_types ENABLE ALWAYS TRIGGER lead_types_99_cache;
ALTER TABLE crm.statuses ENABLE ALWAYS TRIGGER statuses_99_cache;
ALTER TABLE crm.status_transitions ENABLE ALWAYS TRIGGER status_transitions_99_cache;
ALTER TABLE crm.notification_rules ENABLE ALWAYS TRIGGER notification_rules_99_cache;
ALTER TABLE crm.message_templates ENABLE ALWAYS TRIGGER message_templates_99_cache;
