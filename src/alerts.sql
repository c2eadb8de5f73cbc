-- alerts.sql: failed-payment alerts and the Important inbox.

GRANT SELECT ON crm.alerts TO crm_reader;
GRANT UPDATE (seen_at, resolved_at) ON crm.alerts TO crm_manager;

CREATE OR REPLACE FUNCTION crm._payment_alerts() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_payment_alerts';
REVOKE ALL ON FUNCTION crm._payment_alerts() FROM PUBLIC;
CREATE OR REPLACE TRIGGER payments_50_alerts AFTER INSERT ON crm.payments
    FOR EACH ROW WHEN (NOT NEW.succeeded) EXECUTE FUNCTION crm._payment_alerts();

-- Only the employee an alert was sent to marks it, through the functions below or a plain UPDATE.
CREATE OR REPLACE FUNCTION crm._alert_before_update() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_alert_before_update';
REVOKE ALL ON FUNCTION crm._alert_before_update() FROM PUBLIC;
CREATE OR REPLACE TRIGGER alerts_10_marked BEFORE UPDATE ON crm.alerts
    FOR EACH ROW EXECUTE FUNCTION crm._alert_before_update();

CREATE OR REPLACE FUNCTION crm.mark_alert_seen(alert_id bigint, at timestamptz DEFAULT now()) RETURNS timestamptz
    LANGUAGE c VOLATILE STRICT SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_mark_alert_seen';
REVOKE ALL ON FUNCTION crm.mark_alert_seen(bigint,timestamp with time zone) FROM PUBLIC;
COMMENT ON FUNCTION crm.mark_alert_seen(bigint, timestamptz) IS
    'Marks one of the current employee''s alerts seen; returns when it was first seen.';
CREATE OR REPLACE FUNCTION crm.resolve_alert(alert_id bigint, at timestamptz DEFAULT now()) RETURNS timestamptz
    LANGUAGE c VOLATILE STRICT SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_resolve_alert';
REVOKE ALL ON FUNCTION crm.resolve_alert(bigint,timestamp with time zone) FROM PUBLIC;
COMMENT ON FUNCTION crm.resolve_alert(bigint, timestamptz) IS
    'Resolves one of the current employee''s alerts (it leaves crm.important); returns when.';

-- The Important inbox: the current employee's unresolved alerts, newest first by index.
CREATE OR REPLACE VIEW crm.important WITH (security_invoker = true) AS
SELECT a.id,
       a.account_id,
       a.kind,
       a.client_id,
       c.name AS client,
       a.happened_at,
       a.conversation_id,
       a.offer_id,
       a.invoice_id,
       a.payment_id,
       a.seen_at
FROM crm.alerts a
LEFT JOIN crm.clients c ON c.account_id = a.account_id AND c.id = a.client_id
WHERE a.account_id = crm.session_account()
  AND a.employee_id = crm.current_employee()
  AND a.resolved_at IS NULL;
GRANT SELECT ON crm.important TO crm_reader;
GRANT EXECUTE ON FUNCTION crm.mark_alert_seen(bigint, timestamptz), crm.resolve_alert(bigint, timestamptz) TO crm_manager;
