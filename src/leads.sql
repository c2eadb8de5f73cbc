-- leads.sql: statuses, lead types, transitions, campaigns, locations, leads, lead events,
-- board views.

-- Triggers: defaults and numbering, transition rules, history.
CREATE OR REPLACE FUNCTION crm._lead_before_insert() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_lead_before_insert';
REVOKE ALL ON FUNCTION crm._lead_before_insert() FROM PUBLIC;
CREATE OR REPLACE FUNCTION crm._lead_before_update() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_lead_before_update';
REVOKE ALL ON FUNCTION crm._lead_before_update() FROM PUBLIC;
CREATE OR REPLACE FUNCTION crm._lead_after_write() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_lead_after_write';
REVOKE ALL ON FUNCTION crm._lead_after_write() FROM PUBLIC;

CREATE OR REPLACE TRIGGER lead_10_before_insert BEFORE INSERT ON crm.leads
    FOR EACH ROW EXECUTE FUNCTION crm._lead_before_insert();
CREATE OR REPLACE TRIGGER lead_10_before_update BEFORE UPDATE ON crm.leads
    FOR EACH ROW EXECUTE FUNCTION crm._lead_before_update();
CREATE OR REPLACE TRIGGER lead_90_history AFTER INSERT OR UPDATE ON crm.leads
    FOR EACH ROW EXECUTE FUNCTION crm._lead_after_write();
CREATE OR REPLACE TRIGGER lead_no_delete BEFORE DELETE ON crm.leads
    FOR EACH ROW EXECUTE FUNCTION crm._forbid_delete('Move the lead to a lost status instead; its history stays.');
CREATE OR REPLACE TRIGGER lead_no_truncate BEFORE TRUNCATE ON crm.leads
    FOR EACH STATEMENT EXECUTE FUNCTION crm._forbid_delete('Move the lead to a lost status instead; its history stays.');
CREATE OR REPLACE TRIGGER lead_events_append_only BEFORE UPDATE OR DELETE ON crm.lead_events
    FOR EACH ROW EXECUTE FUNCTION crm._append_only();
CREATE OR REPLACE TRIGGER lead_events_no_truncate BEFORE TRUNCATE ON crm.lead_events
    FOR EACH STATEMENT EXECUTE FUNCTION crm._append_only();

-- The manager of a lead created without one (lead_managers.c): the first employee
-- to write to its client after it was created, or in client_responsible mode the
-- client's responsible manager.  lead_30_* run after lead_20_phone, which may link
-- the client; their WHEN clauses keep every other write from calling them.
CREATE OR REPLACE FUNCTION crm._lead_manager_before_write() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_lead_manager_before_write';
REVOKE ALL ON FUNCTION crm._lead_manager_before_write() FROM PUBLIC;
CREATE OR REPLACE FUNCTION crm._client_responsible_after_update() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_client_responsible_after_update';
REVOKE ALL ON FUNCTION crm._client_responsible_after_update() FROM PUBLIC;
CREATE OR REPLACE TRIGGER lead_30_manager BEFORE INSERT ON crm.leads
    FOR EACH ROW WHEN (NEW.manager_id IS NULL AND NEW.client_id IS NOT NULL)
    EXECUTE FUNCTION crm._lead_manager_before_write();
CREATE OR REPLACE TRIGGER lead_30_manager_link BEFORE UPDATE OF client_id ON crm.leads
    FOR EACH ROW WHEN (NEW.manager_id IS NULL AND NEW.client_id IS NOT NULL
                       AND OLD.client_id IS DISTINCT FROM NEW.client_id)
    EXECUTE FUNCTION crm._lead_manager_before_write();
CREATE OR REPLACE TRIGGER clients_60_lead_managers AFTER UPDATE OF responsible_id ON crm.clients
    FOR EACH ROW WHEN (NEW.responsible_id IS NOT NULL AND OLD.responsible_id IS DISTINCT FROM NEW.responsible_id)
    EXECUTE FUNCTION crm._client_responsible_after_update();
COMMENT ON COLUMN crm.accounts.lead_manager_mode IS
    'Who a lead created without a manager gets: first_writer (the first employee to write to its client after it was created) or client_responsible (the client''s responsible manager, else the first writer).';
GRANT UPDATE (lead_manager_mode) ON crm.accounts TO crm_admin;

CREATE OR REPLACE FUNCTION crm.transition_lead(lead_id bigint, to_status bigint, comment text DEFAULT NULL)
    RETURNS crm.leads
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_transition_lead';
REVOKE ALL ON FUNCTION crm.transition_lead(bigint,bigint,text) FROM PUBLIC;
COMMENT ON FUNCTION crm.transition_lead(bigint, bigint, text) IS
    'Moves a lead to another status if the transition rules allow it; returns the updated lead.';

CREATE OR REPLACE FUNCTION crm.allowed_transitions(lead_id bigint)
    RETURNS TABLE (to_status_id bigint, name text, kind text)
    LANGUAGE c STABLE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_allowed_transitions';
REVOKE ALL ON FUNCTION crm.allowed_transitions(bigint) FROM PUBLIC;
COMMENT ON FUNCTION crm.allowed_transitions(bigint) IS
    'Exactly the statuses the lead may move to now, in status order.';

-- Views: computed at the time of the query, obeying the caller's policies.
CREATE OR REPLACE VIEW crm.lead_board WITH (security_invoker = true) AS
SELECT l.account_id,
       l.id,
       l.number,
       l.type_id,
       t.name AS type,
       l.status_id,
       s.name AS status,
       s.kind AS status_kind,
       l.manager_id,
       m.name AS manager,
       l.client_id,
       c.name AS client,
       l.contact_name,
       l.contact_phone,
       l.phone,
       l.campaign_id,
       cp.name AS campaign,
       l.deadline,
       (l.closed_at IS NULL AND l.deadline IS NOT NULL AND now() > l.deadline) AS overdue,
       CASE WHEN l.closed_at IS NULL AND l.deadline IS NOT NULL AND now() > l.deadline
            THEN date_trunc('second', now() - l.deadline) END AS overdue_for,
       l.urgent,
       l.budget,
       l.tags,
       l.created_at,
       l.status_changed_at,
       l.closed_at
FROM crm.leads l
JOIN crm.lead_types t ON t.account_id = l.account_id AND t.id = l.type_id
JOIN crm.statuses s ON s.account_id = l.account_id AND s.id = l.status_id
LEFT JOIN crm.employees m ON m.account_id = l.account_id AND m.id = l.manager_id
LEFT JOIN crm.clients c ON c.account_id = l.account_id AND c.id = l.client_id
LEFT JOIN crm.campaigns cp ON cp.account_id = l.account_id AND cp.id = l.campaign_id;

-- One row per manager with open overdue or urgent leads, and a total row (id NULL).
-- Overdue and urgent leads are counted apart, each from its own partial index
-- (index-only where the pages are all-visible), and a filter on id reaches
-- both: one manager's badges read that manager's index entries, not the
-- account's leads.  The total row is a branch of its own, skipped when
-- filtering by a manager.
CREATE OR REPLACE VIEW crm.lead_badges WITH (security_invoker = true) AS
SELECT b.account_id,
       b.manager_id AS id,
       coalesce(m.name, 'not assigned') AS manager,
       sum(b.overdue)::bigint AS overdue,
       sum(b.urgent)::bigint AS urgent
FROM (SELECT l.account_id, l.manager_id, count(*) AS overdue, 0 AS urgent
      FROM crm.leads l
      WHERE l.closed_at IS NULL AND l.deadline IS NOT NULL AND l.deadline < now()
      GROUP BY l.account_id, l.manager_id
      UNION ALL
      SELECT l.account_id, l.manager_id, 0, count(*)
      FROM crm.leads l
      WHERE l.closed_at IS NULL AND l.urgent
      GROUP BY l.account_id, l.manager_id) b
LEFT JOIN crm.employees m ON m.account_id = b.account_id AND m.id = b.manager_id
GROUP BY b.account_id, b.manager_id, m.name
UNION ALL
SELECT t.account_id, NULL::bigint, 'total', sum(t.overdue)::bigint, sum(t.urgent)::bigint
FROM (SELECT l.account_id, count(*) AS overdue, 0 AS urgent
      FROM crm.leads l
      WHERE l.closed_at IS NULL AND l.deadline IS NOT NULL AND l.deadline < now()
      GROUP BY l.account_id
      UNION ALL
      SELECT l.account_id, 0, count(*)
      FROM crm.leads l
      WHERE l.closed_at IS NULL AND l.urgent
      GROUP BY l.account_id) t
GROUP BY t.account_id;

GRANT SELECT ON crm.statuses, crm.lead_types, crm.status_transitions, crm.campaigns, crm.locations,
                crm.leads, crm.lead_events, crm.lead_board, crm.lead_badges TO crm_reader;
GRANT INSERT, UPDATE, DELETE ON crm.statuses, crm.lead_types, crm.status_transitions TO crm_admin;
GRANT INSERT, UPDATE, DELETE ON crm.campaigns, crm.locations TO crm_admin;
GRANT INSERT, UPDATE ON crm.leads TO crm_manager;
GRANT EXECUTE ON FUNCTION crm.transition_lead(bigint, bigint, text) TO crm_manager;
GRANT EXECUTE ON FUNCTION crm.allowed_transitions(bigint) TO crm_reader;
