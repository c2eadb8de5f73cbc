-- leads.sql: statuses, lead types, transitions, campaigns, locations, leads, lead events,
-- board views.

COMMENT ON TABLE crm.statuses IS
    E'@foreignKey (kind) references crm.status_kinds (value)\n'
    'The statuses of the account''s leads, open, won or lost; edited by crm_admin.';
COMMENT ON COLUMN crm.statuses.account_id IS 'The account the row belongs to (default crm.current_account()).';
COMMENT ON COLUMN crm.statuses.id IS 'The status''s id (an identity; the key is (account_id, id)).';
COMMENT ON COLUMN crm.statuses.name IS 'The status''s name, unique per account.';
COMMENT ON COLUMN crm.statuses.kind IS
    'The status''s kind: open (default), won or lost; moving a lead to a won or lost status closes it, back to an open one reopens it.';
COMMENT ON COLUMN crm.statuses.position IS 'Sort order of the statuses (default 0): crm.allowed_transitions lists them by it, crm.funnel shows it.';

COMMENT ON TABLE crm.lead_types IS
    'Kinds of lead, each with its initial status and number template; edited by crm_admin.';
COMMENT ON COLUMN crm.lead_types.account_id IS 'The account the row belongs to (default crm.current_account()).';
COMMENT ON COLUMN crm.lead_types.id IS 'The lead type''s id (an identity; the key is (account_id, id)).';
COMMENT ON COLUMN crm.lead_types.name IS 'The lead type''s name, unique per account.';
COMMENT ON COLUMN crm.lead_types.initial_status_id IS 'The status a new lead of this type starts in when it names none.';
COMMENT ON COLUMN crm.lead_types.number_template IS
    'Number template of the type''s leads (default L-{N:5}), checked by crm.number_template_ok; types with the same template share one counter.';
COMMENT ON COLUMN crm.lead_types.is_default IS
    'The type of a lead inserted without type_id (default false); at most one per account.';

COMMENT ON TABLE crm.status_transitions IS
    'The allowed status moves of leads: a status with no rule from it allows any move, with rules only the listed ones. Edited by crm_admin.';
COMMENT ON COLUMN crm.status_transitions.account_id IS 'The account the row belongs to (default crm.current_account()).';
COMMENT ON COLUMN crm.status_transitions.id IS 'The rule''s id (an identity; the key is (account_id, id)).';
COMMENT ON COLUMN crm.status_transitions.lead_type_id IS 'The lead type the rule is for; NULL: every type.';
COMMENT ON COLUMN crm.status_transitions.from_status_id IS 'The status the move starts from.';
COMMENT ON COLUMN crm.status_transitions.to_status_id IS 'The status the move leads to (not from_status_id).';

COMMENT ON TABLE crm.campaigns IS 'Advertising campaigns that leads come from; edited by crm_admin.';
COMMENT ON COLUMN crm.campaigns.account_id IS 'The account the row belongs to (default crm.current_account()).';
COMMENT ON COLUMN crm.campaigns.id IS 'The campaign''s id (an identity; the key is (account_id, id)).';
COMMENT ON COLUMN crm.campaigns.name IS 'The campaign''s name, unique per account.';

COMMENT ON TABLE crm.locations IS 'The locations leads can be assigned to (crm.leads.location_id); edited by crm_admin.';
COMMENT ON COLUMN crm.locations.account_id IS 'The account the row belongs to (default crm.current_account()).';
COMMENT ON COLUMN crm.locations.id IS 'The location''s id (an identity; the key is (account_id, id)).';
COMMENT ON COLUMN crm.locations.name IS 'The location''s name, unique per account.';

COMMENT ON TABLE crm.leads IS
    E'@foreignKey (account_id) references crm.accounts (id)|@fieldName account|@foreignFieldName leads\n'
    'Incoming requests, numbered per type and moved through statuses by the transition rules; never deleted (move one to a lost status). Customer data.';
COMMENT ON COLUMN crm.leads.account_id IS 'The account the row belongs to (default crm.current_account()); fixed.';
COMMENT ON COLUMN crm.leads.id IS 'The lead''s id (an identity; the key is (account_id, id)); fixed.';
COMMENT ON COLUMN crm.leads.number IS E'@omit create,update\n'
    'Set by crm from the lead type''s number template (writing it raises 428C9): unique per account, gapless, fixed.';
COMMENT ON COLUMN crm.leads.number_sequence_id IS E'@omit create,update\n'
    'Set by crm: the crm.number_sequences counter the number was drawn from; fixed.';
COMMENT ON COLUMN crm.leads.number_seq IS E'@omit create,update\n'
    'Set by crm: the counter''s value in the number; fixed.';
COMMENT ON COLUMN crm.leads.type_id IS 'The lead type; NULL on insert: the account''s default type.';
COMMENT ON COLUMN crm.leads.status_id IS
    'The current status; NULL on insert: the type''s initial status. A change follows the transition rules (crm.transition_lead, or UPDATE).';
COMMENT ON COLUMN crm.leads.client_id IS
    'The client the lead is linked to (crm.link_lead_client, an order''s link, or at insert in auto mode); NULL: none.';
COMMENT ON COLUMN crm.leads.contact_name IS 'The contact''s name, as given.';
COMMENT ON COLUMN crm.leads.contact_phone IS 'The contact''s phone, as typed.';
COMMENT ON COLUMN crm.leads.phone IS E'@omit create,update\n'
    'Set by crm: the E.164 form of contact_phone in the account''s default_region; NULL when it is not a valid number.';
COMMENT ON COLUMN crm.leads.email IS 'The contact''s email, as given.';
COMMENT ON COLUMN crm.leads.campaign_id IS 'The advertising campaign the lead came from; NULL: none.';
COMMENT ON COLUMN crm.leads.location_id IS 'The location the lead belongs to; NULL: none.';
COMMENT ON COLUMN crm.leads.manager_id IS 'The employee who works the lead; NULL on insert: the acting employee, if any.';
COMMENT ON COLUMN crm.leads.comment IS 'Free text about the request.';
COMMENT ON COLUMN crm.leads.deadline IS
    'When the lead must be dealt with; once it has passed (now > deadline) on an open lead, crm.run_due marks the lead overdue. NULL: none.';
COMMENT ON COLUMN crm.leads.urgent IS 'Puts the open lead under the urgent badge (default false).';
COMMENT ON COLUMN crm.leads.budget IS 'The contact''s budget, a number of at least 0; NULL: unknown.';
COMMENT ON COLUMN crm.leads.tags IS 'Free labels (default empty).';
COMMENT ON COLUMN crm.leads.order_id IS E'@omit create,update\n'
    'Set by crm: the order linked to the lead (crm.link_order, or orders.lead_id); writing it raises 428C9.';
COMMENT ON COLUMN crm.leads.created_at IS
    'When the lead was created (default: the transaction time); the {YYYY} and {MM} of its number come from it; fixed.';
COMMENT ON COLUMN crm.leads.status_changed_at IS E'@omit create,update\n'
    'Set by crm: the transaction time of the last status move (created_at at first).';
COMMENT ON COLUMN crm.leads.closed_at IS E'@omit create,update\n'
    'Set by crm: when the lead moved to a won or lost status; NULL while it is open (reopening clears it).';
COMMENT ON COLUMN crm.leads.overdue_since IS E'@omit create,update\n'
    'Set by crm.run_due: the deadline, once it passed while the lead was open; NULL otherwise. A new deadline clears it.';

COMMENT ON TABLE crm.lead_events IS
    'The history of every lead, written by crm; append-only: UPDATE, DELETE and TRUNCATE raise 42501 for every role.';
COMMENT ON COLUMN crm.lead_events.account_id IS 'The account the row belongs to (default crm.current_account()).';
COMMENT ON COLUMN crm.lead_events.id IS 'The event''s id (an identity; the key is (account_id, id)), in the order of the events.';
COMMENT ON COLUMN crm.lead_events.lead_id IS 'The lead the event belongs to.';
COMMENT ON COLUMN crm.lead_events.at IS 'When: the transaction time of the change.';
COMMENT ON COLUMN crm.lead_events.employee_id IS 'The acting employee; NULL: none (the scheduler, or a session without one).';
COMMENT ON COLUMN crm.lead_events.kind IS
    'What happened: created, status_changed, deadline_changed, deadline_expired, manager_changed, client_linked or order_linked.';
COMMENT ON COLUMN crm.lead_events.from_status_id IS 'For status_changed: the status before the move; else NULL.';
COMMENT ON COLUMN crm.lead_events.to_status_id IS 'For status_changed: the status after the move; for created: the starting status; else NULL.';
COMMENT ON COLUMN crm.lead_events.detail IS
    'JSON: created has number; status_changed comment and by (employee or system); deadline_expired deadline and overdue_since; the others from and to.';

-- Triggers: defaults and numbering, transition rules, history.
CREATE OR REPLACE FUNCTION crm._lead_before_insert() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_lead_before_insert';
REVOKE ALL ON FUNCTION crm._lead_before_insert() FROM PUBLIC;
COMMENT ON FUNCTION crm._lead_before_insert() IS
    'Trigger lead_10_before_insert: type, initial status, number, times and manager of a new lead.';
CREATE OR REPLACE FUNCTION crm._lead_before_update() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_lead_before_update';
REVOKE ALL ON FUNCTION crm._lead_before_update() FROM PUBLIC;
COMMENT ON FUNCTION crm._lead_before_update() IS
    'Trigger lead_10_before_update: fixed columns, the transition rules, the status times, overdue_since.';
CREATE OR REPLACE FUNCTION crm._lead_after_write() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_lead_after_write';
REVOKE ALL ON FUNCTION crm._lead_after_write() FROM PUBLIC;
COMMENT ON FUNCTION crm._lead_after_write() IS
    'Triggers lead_90_history and lead_90_history_insert: one crm.lead_events row per change worth keeping (a multi-row INSERT writes its created events in one statement).';

CREATE OR REPLACE TRIGGER lead_10_before_insert BEFORE INSERT ON crm.leads
    FOR EACH ROW EXECUTE FUNCTION crm._lead_before_insert();
CREATE OR REPLACE TRIGGER lead_10_before_update BEFORE UPDATE ON crm.leads
    FOR EACH ROW EXECUTE FUNCTION crm._lead_before_update();
CREATE OR REPLACE TRIGGER lead_90_history AFTER UPDATE ON crm.leads
    FOR EACH ROW EXECUTE FUNCTION crm._lead_after_write();
-- The 'created' events; with the statement's new rows, so that a multi-row INSERT
-- writes all of them in one statement at its first row (history.c).
CREATE OR REPLACE TRIGGER lead_90_history_insert AFTER INSERT ON crm.leads
    REFERENCING NEW TABLE AS new_leads
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
COMMENT ON FUNCTION crm._lead_manager_before_write() IS
    'Trigger: a lead without a manager that has (or gets) a client takes its manager by accounts.lead_manager_mode.';
CREATE OR REPLACE FUNCTION crm._client_responsible_after_update() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_client_responsible_after_update';
REVOKE ALL ON FUNCTION crm._client_responsible_after_update() FROM PUBLIC;
COMMENT ON FUNCTION crm._client_responsible_after_update() IS
    'Trigger: a client''s new responsible manager takes its open leads without a manager (client_responsible mode).';
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
-- The manager, the client, the campaign and the location are subqueries in the select
-- list (run only for the rows and columns a query reads: a page's, after its LIMIT). No
-- outer join: on Citus, one is refused beside the policies' account conditions (their
-- equalities become pseudoconstant quals); this shape runs there on the account's shards.
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
       (SELECT m.name FROM crm.employees m WHERE m.account_id = l.account_id AND m.id = l.manager_id) AS manager,
       l.client_id,
       (SELECT c.name FROM crm.clients c WHERE c.account_id = l.account_id AND c.id = l.client_id) AS client,
       l.contact_name,
       l.contact_phone,
       l.phone,
       l.campaign_id,
       (SELECT cp.name FROM crm.campaigns cp WHERE cp.account_id = l.account_id AND cp.id = l.campaign_id) AS campaign,
       l.deadline,
       (l.closed_at IS NULL AND l.deadline IS NOT NULL AND now() > l.deadline) AS overdue,
       CASE WHEN l.closed_at IS NULL AND l.deadline IS NOT NULL AND now() > l.deadline
            THEN date_trunc('second', now() - l.deadline) END AS overdue_for,
       l.urgent,
       l.budget,
       l.tags,
       l.created_at,
       l.status_changed_at,
       l.closed_at,
       l.location_id,
       coalesce((SELECT lo.name FROM crm.locations lo WHERE lo.account_id = l.account_id AND lo.id = l.location_id),
                'not set') AS location
FROM crm.leads l
JOIN crm.lead_types t ON t.account_id = l.account_id AND t.id = l.type_id
JOIN crm.statuses s ON s.account_id = l.account_id AND s.id = l.status_id;
COMMENT ON VIEW crm.lead_board IS
    E'@primaryKey account_id,id\n'
    '@foreignKey (account_id,id) references crm.leads (account_id,id)|@fieldName lead|@foreignSingleFieldName boardRow|@foreignFieldName boardRows\n'
    '@foreignKey (status_kind) references crm.status_kinds (value)\n'
    'Leads with the names of their type, status, manager, client, campaign and location, and whether they are overdue at the time of the query.';
COMMENT ON COLUMN crm.lead_board.account_id IS 'The account of the lead.';
COMMENT ON COLUMN crm.lead_board.id IS 'The lead''s id (crm.leads.id).';
COMMENT ON COLUMN crm.lead_board.number IS 'The lead''s number.';
COMMENT ON COLUMN crm.lead_board.type_id IS 'The lead type''s id.';
COMMENT ON COLUMN crm.lead_board.type IS 'The lead type''s name.';
COMMENT ON COLUMN crm.lead_board.status_id IS 'The current status''s id.';
COMMENT ON COLUMN crm.lead_board.status IS 'The current status''s name.';
COMMENT ON COLUMN crm.lead_board.status_kind IS 'The current status''s kind: open, won or lost.';
COMMENT ON COLUMN crm.lead_board.manager_id IS 'The manager''s id; NULL: none.';
COMMENT ON COLUMN crm.lead_board.manager IS 'The manager''s name; NULL: none.';
COMMENT ON COLUMN crm.lead_board.client_id IS 'The linked client''s id; NULL: none.';
COMMENT ON COLUMN crm.lead_board.client IS 'The linked client''s name; NULL: none.';
COMMENT ON COLUMN crm.lead_board.contact_name IS 'The contact''s name, as given.';
COMMENT ON COLUMN crm.lead_board.contact_phone IS 'The contact''s phone, as typed.';
COMMENT ON COLUMN crm.lead_board.phone IS 'The contact''s phone in E.164; NULL when not valid.';
COMMENT ON COLUMN crm.lead_board.campaign_id IS 'The campaign''s id; NULL: none.';
COMMENT ON COLUMN crm.lead_board.campaign IS 'The campaign''s name; NULL: none.';
COMMENT ON COLUMN crm.lead_board.deadline IS 'The lead''s deadline; NULL: none.';
COMMENT ON COLUMN crm.lead_board.overdue IS 'Whether the lead is open and now() is past its deadline.';
COMMENT ON COLUMN crm.lead_board.overdue_for IS 'How long the lead has been overdue, to the second; NULL when it is not.';
COMMENT ON COLUMN crm.lead_board.urgent IS 'Whether the lead is marked urgent.';
COMMENT ON COLUMN crm.lead_board.budget IS 'The contact''s budget; NULL: unknown.';
COMMENT ON COLUMN crm.lead_board.tags IS 'The lead''s labels.';
COMMENT ON COLUMN crm.lead_board.created_at IS 'When the lead was created.';
COMMENT ON COLUMN crm.lead_board.status_changed_at IS 'When the lead last changed status.';
COMMENT ON COLUMN crm.lead_board.closed_at IS 'When the lead was closed (won or lost); NULL while it is open.';
COMMENT ON COLUMN crm.lead_board.location_id IS 'The location''s id (crm.locations); NULL: not set.';
COMMENT ON COLUMN crm.lead_board.location IS 'The location''s name, or not set when the lead has none.';

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
       sum(b.urgent)::bigint AS urgent,
       coalesce(b.manager_id::text, 'none') AS key
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
SELECT t.account_id, NULL::bigint, 'total', sum(t.overdue)::bigint, sum(t.urgent)::bigint, 'total'
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
COMMENT ON VIEW crm.lead_badges IS
    E'@primaryKey account_id,key\n'
    '@foreignKey (account_id,id) references crm.employees (account_id,id)|@fieldName employee|@foreignFieldName leadBadges\n'
    'Open overdue and urgent leads: one row per manager who has some, and a total row (id NULL).';
COMMENT ON COLUMN crm.lead_badges.account_id IS 'The account of the leads.';
COMMENT ON COLUMN crm.lead_badges.id IS 'The manager''s id; NULL in the total row and for leads without a manager.';
COMMENT ON COLUMN crm.lead_badges.manager IS 'The manager''s name, not assigned for leads without one, or total.';
COMMENT ON COLUMN crm.lead_badges.overdue IS 'Open leads whose deadline has passed (at the time of the query).';
COMMENT ON COLUMN crm.lead_badges.urgent IS 'Open leads marked urgent.';
COMMENT ON COLUMN crm.lead_badges.key IS
    'The row''s key within the account: the manager''s id, none for leads without a manager, or total.';

GRANT SELECT ON crm.statuses, crm.lead_types, crm.status_transitions, crm.campaigns, crm.locations,
                crm.leads, crm.lead_events, crm.lead_board, crm.lead_badges TO crm_reader;
GRANT INSERT, UPDATE, DELETE ON crm.statuses, crm.lead_types, crm.status_transitions TO crm_admin;
GRANT INSERT, UPDATE, DELETE ON crm.campaigns, crm.locations TO crm_admin;
-- crm_manager writes the columns of crm.leads but those crm fills (@omit create,update):
-- those are refused (42501), but for the ones a trigger refuses with an explanation (428C9).
REVOKE INSERT, UPDATE ON crm.leads FROM crm_manager;
GRANT INSERT (account_id, id, number, type_id, status_id, client_id, contact_name,
    contact_phone, phone, email, campaign_id, location_id, manager_id, comment, deadline,
    urgent, budget, tags, order_id, created_at), UPDATE (account_id, id, number, type_id,
    status_id, client_id, contact_name, contact_phone, phone, email, campaign_id, location_id,
    manager_id, comment, deadline, urgent, budget, tags, order_id, created_at) ON crm.leads TO
    crm_manager;
-- crm.import_run (crm_admin) writes the kept columns of the leads it makes whole.
GRANT INSERT (number_sequence_id, number_seq, status_changed_at, closed_at, overdue_since) ON crm.leads TO crm_admin;
GRANT EXECUTE ON FUNCTION crm.transition_lead(bigint, bigint, text) TO crm_manager;
GRANT EXECUTE ON FUNCTION crm.allowed_transitions(bigint) TO crm_reader;
