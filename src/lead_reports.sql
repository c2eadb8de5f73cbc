-- lead_reports.sql: kept-up lead counts and the reports that read them
-- (they need orders, defined in orders.sql).
COMMENT ON TABLE crm.lead_counts IS
    'Leads and linked-order revenue per lead type, status and campaign, as of the last fold of crm.lead_count_changes.';
COMMENT ON TABLE crm.lead_count_changes IS
    'Changes to crm.lead_counts appended by lead writes, not folded yet.';

CREATE OR REPLACE VIEW crm.lead_group_counts WITH (security_invoker = true) AS
SELECT account_id, type_id, status_id, campaign_id, sum(leads)::bigint AS leads, sum(revenue) AS revenue
FROM (SELECT account_id, type_id, status_id, campaign_id, leads, revenue FROM crm.lead_counts
      UNION ALL
      SELECT account_id, type_id, status_id, campaign_id, leads, revenue FROM crm.lead_count_changes) c
GROUP BY account_id, type_id, status_id, campaign_id;

CREATE OR REPLACE FUNCTION crm.fold_lead_counts() RETURNS bigint
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_fold_lead_counts';
REVOKE ALL ON FUNCTION crm.fold_lead_counts() FROM PUBLIC;
COMMENT ON FUNCTION crm.fold_lead_counts() IS
    'Folds the committed crm.lead_count_changes into crm.lead_counts; the counter rows written, NULL when another session is folding.';

CREATE OR REPLACE FUNCTION crm._lead_counts() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_lead_counts';
REVOKE ALL ON FUNCTION crm._lead_counts() FROM PUBLIC;
CREATE OR REPLACE TRIGGER leads_95_counts_insert AFTER INSERT ON crm.leads
    REFERENCING NEW TABLE AS new_leads
    FOR EACH STATEMENT EXECUTE FUNCTION crm._lead_counts();
CREATE OR REPLACE TRIGGER leads_95_counts_update AFTER UPDATE ON crm.leads
    REFERENCING OLD TABLE AS old_leads NEW TABLE AS new_leads
    FOR EACH STATEMENT EXECUTE FUNCTION crm._lead_counts();
CREATE OR REPLACE FUNCTION crm._order_amount_counts() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_order_amount_counts';
REVOKE ALL ON FUNCTION crm._order_amount_counts() FROM PUBLIC;
CREATE OR REPLACE TRIGGER orders_95_counts AFTER UPDATE OF amount ON crm.orders
    FOR EACH ROW EXECUTE FUNCTION crm._order_amount_counts();

CREATE OR REPLACE VIEW crm.funnel WITH (security_invoker = true) AS
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

CREATE OR REPLACE VIEW crm.campaign_report WITH (security_invoker = true) AS
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
