-- alerts.sql: failed-payment alerts and the Important inbox.
COMMENT ON TABLE crm.alerts IS
    E'@foreignKey (account_id) references crm.accounts (id)|@fieldName account|@foreignFieldName alerts\n'
    'The Important inbox of each employee, written by crm: one alert per failed payment, flagged offer and employee who wrote to the client before the failure.';
COMMENT ON COLUMN crm.alerts.account_id IS 'The account the row belongs to (default crm.current_account()).';
COMMENT ON COLUMN crm.alerts.id IS 'The alert''s id (an identity; the key is (account_id, id)).';
COMMENT ON COLUMN crm.alerts.employee_id IS 'The employee alerted: an active one whose first message to the client came before the failure.';
COMMENT ON COLUMN crm.alerts.kind IS 'What happened: failed_payment (default).';
COMMENT ON COLUMN crm.alerts.client_id IS 'The client whose payment failed.';
COMMENT ON COLUMN crm.alerts.conversation_id IS 'The conversation in which the employee first wrote to the client.';
COMMENT ON COLUMN crm.alerts.offer_id IS 'The offer of the invoice marked notify_on_failed_payment.';
COMMENT ON COLUMN crm.alerts.invoice_id IS 'The invoice whose payment failed.';
COMMENT ON COLUMN crm.alerts.payment_id IS 'The failed payment.';
COMMENT ON COLUMN crm.alerts.happened_at IS 'When the payment failed (crm.payments.at).';
COMMENT ON COLUMN crm.alerts.created_at IS 'When the alert was made (the transaction time).';
COMMENT ON COLUMN crm.alerts.seen_at IS
    'When the employee first saw the alert (crm.mark_alert_seen, or UPDATE by that employee only); NULL: not yet.';
COMMENT ON COLUMN crm.alerts.resolved_at IS
    'When the employee resolved the alert, which leaves crm.important (crm.resolve_alert, or UPDATE by that employee only); NULL: open.';

GRANT SELECT ON crm.alerts TO crm_reader;
GRANT UPDATE (seen_at, resolved_at) ON crm.alerts TO crm_manager;

CREATE OR REPLACE FUNCTION crm._payment_alerts() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_payment_alerts';
REVOKE ALL ON FUNCTION crm._payment_alerts() FROM PUBLIC;
COMMENT ON FUNCTION crm._payment_alerts() IS
    'Trigger payments_50_alerts: a failed payment alerts, once per flagged offer, the active employees who wrote to the client before it.';
CREATE OR REPLACE TRIGGER payments_50_alerts AFTER INSERT ON crm.payments
    FOR EACH ROW WHEN (NOT NEW.succeeded) EXECUTE FUNCTION crm._payment_alerts();

-- Only the employee an alert was sent to marks it, through the functions below or a plain UPDATE.
CREATE OR REPLACE FUNCTION crm._alert_before_update() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_alert_before_update';
REVOKE ALL ON FUNCTION crm._alert_before_update() FROM PUBLIC;
COMMENT ON FUNCTION crm._alert_before_update() IS
    'Trigger alerts_10_marked: only the employee an alert was sent to marks it seen or resolved.';
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

-- The Important inbox: the current employee's unresolved alerts, one row per
-- failed payment (one chat per failure, as the inbox shows it), newest first by
-- index; crm.alerts keeps one row per (failure, offer, employee).
CREATE OR REPLACE VIEW crm.important WITH (security_invoker = true) AS
SELECT min(a.id) AS id,
       a.account_id,
       a.kind,
       a.client_id,
       c.name AS client,
       a.happened_at,
       a.conversation_id,
       min(a.offer_id) AS offer_id,
       array_agg(a.offer_id ORDER BY a.offer_id) AS offer_ids,
       a.invoice_id,
       a.payment_id,
       CASE WHEN bool_and(a.seen_at IS NOT NULL) THEN max(a.seen_at) END AS seen_at
FROM crm.alerts a
LEFT JOIN crm.clients c ON c.account_id = a.account_id AND c.id = a.client_id
WHERE a.account_id = crm.session_account()
  AND a.employee_id = crm.current_employee()
  AND a.resolved_at IS NULL
GROUP BY a.account_id, a.employee_id, a.kind, a.payment_id, a.client_id, c.name, a.happened_at,
         a.conversation_id, a.invoice_id;
COMMENT ON VIEW crm.important IS
    E'@primaryKey account_id,id\n'
    '@foreignKey (account_id,id) references crm.alerts (account_id,id)|@fieldName alert|@foreignSingleFieldName importantRow|@foreignFieldName importantRows\n'
    'The acting employee''s unresolved alerts (crm.employee_id): the Important inbox, one row per failed payment with the flagged offers in offer_ids.';
COMMENT ON COLUMN crm.important.id IS
    'The failure''s first alert (crm.alerts.id): crm.mark_alert_seen and crm.resolve_alert on it mark every alert of the row.';
COMMENT ON COLUMN crm.important.account_id IS 'The account of the alert.';
COMMENT ON COLUMN crm.important.kind IS 'What happened: failed_payment.';
COMMENT ON COLUMN crm.important.client_id IS 'The client whose payment failed.';
COMMENT ON COLUMN crm.important.client IS 'The client''s name; NULL for an employee without can_see_customers.';
COMMENT ON COLUMN crm.important.happened_at IS 'When the payment failed.';
COMMENT ON COLUMN crm.important.conversation_id IS 'The conversation in which the employee first wrote to the client.';
COMMENT ON COLUMN crm.important.offer_id IS 'The first (lowest id) of the offers marked notify_on_failed_payment.';
COMMENT ON COLUMN crm.important.offer_ids IS
    'Every offer of the invoice marked notify_on_failed_payment that still has an open alert, in id order.';
COMMENT ON COLUMN crm.important.invoice_id IS 'The invoice whose payment failed.';
COMMENT ON COLUMN crm.important.payment_id IS 'The failed payment.';
COMMENT ON COLUMN crm.important.seen_at IS 'When the employee saw the failure''s alerts; NULL while one is unseen.';
GRANT SELECT ON crm.important TO crm_reader;
GRANT EXECUTE ON FUNCTION crm.mark_alert_seen(bigint, timestamptz), crm.resolve_alert(bigint, timestamptz) TO crm_manager;
