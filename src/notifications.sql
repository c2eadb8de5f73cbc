-- notifications.sql: notification rules for lead events (C: src/notifications.c).
-- Each lead event the account has rules for queues, in the transaction of the
-- change, one crm.outbox row per recipient and channel (kind = the channel).

COMMENT ON TABLE crm.notification_rules IS
    'Who hears of which lead event, and how ("Settings > Notifications > Leads"): each event queues one crm.outbox row per recipient and channel; edited by crm_admin. A new account starts with lead_overdue / manager / notification.';
COMMENT ON COLUMN crm.notification_rules.account_id IS 'The account the row belongs to (default crm.current_account()).';
COMMENT ON COLUMN crm.notification_rules.id IS 'The rule''s id (an identity; the key is (account_id, id)).';
COMMENT ON COLUMN crm.notification_rules.event IS
    'The lead event: lead_created, lead_status_changed, lead_manager_changed, lead_overdue (run_due marks the deadline passed), lead_urgent (a new lead marked urgent, or urgent turned on) or lead_order_linked.';
COMMENT ON COLUMN crm.notification_rules.notify IS
    'Who is told: manager (the lead''s manager after the event), creator (the employee who created the lead), employee (employee_id) or admins (the active employees of role admin). Inactive employees are never told.';
COMMENT ON COLUMN crm.notification_rules.employee_id IS 'The employee told, for notify = employee; NULL for every other notify.';
COMMENT ON COLUMN crm.notification_rules.channel IS
    'How: email (default; an outbox row of kind email to the employee''s email, none without one) or notification (an in-app notice: an outbox row of kind notification for outbox.employee_id).';

GRANT SELECT ON crm.notification_rules TO crm_reader;
GRANT INSERT, UPDATE, DELETE ON crm.notification_rules TO crm_admin;

CREATE OR REPLACE FUNCTION crm._notification_rule_check() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_notification_rule_check';
REVOKE ALL ON FUNCTION crm._notification_rule_check() FROM PUBLIC;
COMMENT ON FUNCTION crm._notification_rule_check() IS
    'Trigger notification_rules_10_check: a rule with notify = employee names employee_id (23502), any other has none (22023).';
CREATE OR REPLACE TRIGGER notification_rules_10_check BEFORE INSERT OR UPDATE ON crm.notification_rules
    FOR EACH ROW EXECUTE FUNCTION crm._notification_rule_check();

-- After the lead's history (90) and its event of crm.events (96): the stream has the
-- change before the notices it queues.
CREATE OR REPLACE FUNCTION crm._lead_notify() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_lead_notify';
REVOKE ALL ON FUNCTION crm._lead_notify() FROM PUBLIC;
COMMENT ON FUNCTION crm._lead_notify() IS
    'Trigger leads_97_notify: the lead events of the change (created, status or manager changed, overdue, urgent, order linked) queue the notices of the account''s notification rules in crm.outbox.';
CREATE OR REPLACE TRIGGER leads_97_notify AFTER INSERT OR UPDATE ON crm.leads
    FOR EACH ROW EXECUTE FUNCTION crm._lead_notify();

CREATE OR REPLACE FUNCTION crm._account_default_rules() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_account_default_rules';
REVOKE ALL ON FUNCTION crm._account_default_rules() FROM PUBLIC;
COMMENT ON FUNCTION crm._account_default_rules() IS
    'Trigger accounts_30_notification_rules: a new account (not a restored one) gets the rule lead_overdue / manager / notification.';
CREATE OR REPLACE TRIGGER accounts_30_notification_rules AFTER INSERT ON crm.accounts
    FOR EACH ROW EXECUTE FUNCTION crm._account_default_rules();
