-- lead_reports.sql: kept-up lead counts and the reports that read them
-- (they need orders, defined in orders.sql).

-- How many leads each (type, status, campaign) group of an account has, and the
-- amount of their linked orders: a group's crm.lead_counts row plus its
-- crm.lead_count_changes rows (crm.lead_group_counts adds them up).  Lead
-- writes only append changes; they are folded into crm.lead_counts every so
-- often by a writing session, or by crm.fold_lead_counts().  Written only by
-- crm (as the owner); a group whose leads all moved away stays with leads = 0.
CREATE TABLE crm.lead_counts (
    account_id  bigint NOT NULL DEFAULT crm.current_account() REFERENCES crm.accounts (id),
    type_id     bigint NOT NULL,
    status_id   bigint NOT NULL,
    campaign_id bigint,
    leads       bigint NOT NULL DEFAULT 0,
    revenue     numeric(16, 2) NOT NULL DEFAULT 0,
    UNIQUE NULLS NOT DISTINCT (account_id, type_id, status_id, campaign_id)
);
COMMENT ON TABLE crm.lead_counts IS
    'Leads and linked-order revenue per lead type, status and campaign, as of the last fold of crm.lead_count_changes.';

CREATE TABLE crm.lead_count_changes (
    account_id  bigint NOT NULL DEFAULT crm.current_account() REFERENCES crm.accounts (id),
    type_id     bigint NOT NULL,
    status_id   bigint NOT NULL,
    campaign_id bigint,
    leads       bigint NOT NULL,
    revenue     numeric(16, 2) NOT NULL
);
COMMENT ON TABLE crm.lead_count_changes IS
    'Changes to crm.lead_counts appended by lead writes, not folded yet.';

CREATE VIEW crm.lead_group_counts WITH (security_invoker = true) AS
SELECT account_id, type_id, status_id, campaign_id, sum(leads)::bigint AS leads, sum(revenue) AS revenue
FROM (SELECT account_id, type_id, status_id, campaign_id, leads, revenue FROM crm.lead_counts
      UNION ALL
      SELECT account_id, type_id, status_id, campaign_id, leads, revenue FROM crm.lead_count_changes) c
GROUP BY account_id, type_id, status_id, campaign_id;

CREATE FUNCTION crm.fold_lead_counts() RETURNS bigint
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_fold_lead_counts';
COMMENT ON FUNCTION crm.fold_lead_counts() IS
    'Folds the committed crm.lead_count_changes into crm.lead_counts; the counter rows written, NULL when another session is folding.';

CREATE FUNCTION crm._lead_counts() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_lead_counts';
CREATE TRIGGER leads_95_counts_insert AFTER INSERT ON crm.leads
    REFERENCING NEW TABLE AS new_leads
    FOR EACH STATEMENT EXECUTE FUNCTION crm._lead_counts();
CREATE TRIGGER leads_95_counts_update AFTER UPDATE ON crm.leads
    REFERENCING OLD TABLE AS old_leads NEW TABLE AS new_leads
    FOR EACH STATEMENT EXECUTE FUNCTION crm._lead_counts();
CREATE FUNCTION crm._order_amount_counts() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_order_amount_counts';
CREATE TRIGGER orders_95_counts AFTER UPDATE OF amount ON crm.orders
    FOR EACH ROW EXECUTE FUNCTION crm._order_amount_counts();

CREATE VIEW crm.funnel WITH (security_invoker = true) AS
SELECT c.account_id,
       s.id,
       c.type_id,
       t.name AS type,
       s.id AS status_id,
       s.name AS status,
       s.kind,
       s.position,
       sum(c.leads)::bigint AS leads
FROM crm.lead_group_counts c
JOIN crm.lead_types t ON t.account_id = c.account_id AND t.id = c.type_id
JOIN crm.statuses s ON s.account_id = c.account_id AND s.id = c.status_id
GROUP BY c.account_id, c.type_id, t.name, s.id, s.name, s.kind, s.position
HAVING sum(c.leads) > 0;

CREATE VIEW crm.campaign_report WITH (security_invoker = true) AS
SELECT c.account_id,
       c.campaign_id AS id,
       coalesce(cp.name, 'no campaign') AS campaign,
       sum(c.leads)::bigint AS leads,
       coalesce(sum(c.leads) FILTER (WHERE s.kind = 'open'), 0)::bigint AS open,
       coalesce(sum(c.leads) FILTER (WHERE s.kind = 'won'), 0)::bigint AS won,
       coalesce(sum(c.leads) FILTER (WHERE s.kind = 'lost'), 0)::bigint AS lost,
       round(coalesce(sum(c.leads) FILTER (WHERE s.kind = 'won'), 0) / sum(c.leads), 4) AS conversion,
       coalesce(sum(c.revenue) FILTER (WHERE s.kind = 'won'), 0)::numeric AS revenue
FROM crm.lead_group_counts c
JOIN crm.statuses s ON s.account_id = c.account_id AND s.id = c.status_id
LEFT JOIN crm.campaigns cp ON cp.account_id = c.account_id AND cp.id = c.campaign_id
GROUP BY c.account_id, c.campaign_id, cp.name
HAVING sum(c.leads) > 0;

GRANT SELECT ON crm.lead_counts, crm.lead_count_changes, crm.lead_group_counts, crm.funnel, crm.campaign_report TO crm_reader;
GRANT EXECUTE ON FUNCTION crm.fold_lead_counts() TO crm_manager;
