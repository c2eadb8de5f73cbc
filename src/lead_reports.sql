-- lead_reports.sql: kept-up lead counts and the reports that read them
-- (they need orders, defined in orders.sql).
COMMENT ON TABLE crm.lead_counts IS
    'Leads and linked-order revenue per lead type, status and campaign, as of the last fold of crm.lead_count_changes.';
COMMENT ON COLUMN crm.lead_counts.account_id IS 'The account the row belongs to (default crm.current_account()).';
COMMENT ON COLUMN crm.lead_counts.type_id IS 'The lead type of the group.';
COMMENT ON COLUMN crm.lead_counts.status_id IS 'The status of the group.';
COMMENT ON COLUMN crm.lead_counts.campaign_id IS 'The campaign of the group; NULL: leads without a campaign.';
COMMENT ON COLUMN crm.lead_counts.leads IS 'How many leads the group had at the last fold (0 once they all moved away).';
COMMENT ON COLUMN crm.lead_counts.revenue IS 'The amount of the group''s linked orders at the last fold.';
COMMENT ON TABLE crm.lead_count_changes IS
    E'@foreignKey (account_id) references crm.accounts (id)|@fieldName account|@foreignFieldName leadCountChanges\n'
    'Changes to crm.lead_counts appended by lead writes (one row per group a statement moved), not folded yet; written by crm.';
COMMENT ON COLUMN crm.lead_count_changes.account_id IS 'The account the row belongs to (default crm.current_account()).';
COMMENT ON COLUMN crm.lead_count_changes.type_id IS 'The lead type of the group.';
COMMENT ON COLUMN crm.lead_count_changes.status_id IS 'The status of the group.';
COMMENT ON COLUMN crm.lead_count_changes.campaign_id IS 'The campaign of the group; NULL: leads without a campaign.';
COMMENT ON COLUMN crm.lead_count_changes.leads IS 'The change of the group''s lead count (negative when leads left it).';
COMMENT ON COLUMN crm.lead_count_changes.revenue IS 'The change of the group''s linked-order amount.';

CREATE OR REPLACE VIEW crm.lead_group_counts WITH (security_invoker = true) AS
SELECT account_id, type_id, status_id, campaign_id, sum(leads)::bigint AS leads, sum(revenue) AS revenue
FROM (SELECT account_id, type_id, status_id, campaign_id, leads, revenue FROM crm.lead_counts
      UNION ALL
      SELECT account_id, type_id, status_id, campaign_id, leads, revenue FROM crm.lead_count_changes) c
GROUP BY account_id, type_id, status_id, campaign_id;
COMMENT ON VIEW crm.lead_group_counts IS
    E'@omit\n'
    'Leads and linked-order revenue per lead type, status and campaign, exact in every transaction: crm.lead_counts plus crm.lead_count_changes.';
COMMENT ON COLUMN crm.lead_group_counts.account_id IS 'The account of the leads.';
COMMENT ON COLUMN crm.lead_group_counts.type_id IS 'The lead type of the group.';
COMMENT ON COLUMN crm.lead_group_counts.status_id IS 'The status of the group.';
COMMENT ON COLUMN crm.lead_group_counts.campaign_id IS 'The campaign of the group; NULL: leads without a campaign.';
COMMENT ON COLUMN crm.lead_group_counts.leads IS 'How many leads the group has (0 once they all moved away).';
COMMENT ON COLUMN crm.lead_group_counts.revenue IS 'The amount of the group''s linked orders.';

CREATE OR REPLACE FUNCTION crm.fold_lead_counts() RETURNS bigint
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_fold_lead_counts';
REVOKE ALL ON FUNCTION crm.fold_lead_counts() FROM PUBLIC;
COMMENT ON FUNCTION crm.fold_lead_counts() IS
    'Folds the committed crm.lead_count_changes into crm.lead_counts: a tenant its own account''s, the owner of schema crm every account''s, one account at a time; the counter rows written, NULL when another session was folding an account''s changes (left to it).';

CREATE OR REPLACE FUNCTION crm._fold_lead_counts(account bigint) RETURNS bigint
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_fold_lead_counts';
REVOKE ALL ON FUNCTION crm._fold_lead_counts(bigint) FROM PUBLIC;
COMMENT ON FUNCTION crm._fold_lead_counts(bigint) IS
    'The fold of crm.fold_lead_counts() by a tenant on Citus, run on the worker that holds the account (crm.distribute() delegates it); the account must be the session''s.';

CREATE OR REPLACE FUNCTION crm._lead_counts() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_lead_counts';
REVOKE ALL ON FUNCTION crm._lead_counts() FROM PUBLIC;
COMMENT ON FUNCTION crm._lead_counts() IS
    'Trigger leads_95_counts_insert and leads_95_counts_update: appends the statement''s changes per group to crm.lead_count_changes.';
CREATE OR REPLACE TRIGGER leads_95_counts_insert AFTER INSERT ON crm.leads
    REFERENCING NEW TABLE AS new_leads
    FOR EACH STATEMENT EXECUTE FUNCTION crm._lead_counts();
CREATE OR REPLACE TRIGGER leads_95_counts_update AFTER UPDATE ON crm.leads
    REFERENCING OLD TABLE AS old_leads NEW TABLE AS new_leads
    FOR EACH STATEMENT EXECUTE FUNCTION crm._lead_counts();
CREATE OR REPLACE FUNCTION crm._order_amount_counts() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_order_amount_counts';
REVOKE ALL ON FUNCTION crm._order_amount_counts() FROM PUBLIC;
COMMENT ON FUNCTION crm._order_amount_counts() IS
    'Trigger orders_95_counts: the new amount of a linked order moves its lead''s group revenue.';
CREATE OR REPLACE TRIGGER orders_95_counts AFTER UPDATE OF amount ON crm.orders
    FOR EACH ROW EXECUTE FUNCTION crm._order_amount_counts();

-- funnel and campaign_report group the counts first and look the names up after, in
-- select-list subqueries: Citus plans a grouping over the counts joined to names (and
-- an outer join beside the policies' account conditions) only with the account named.
CREATE OR REPLACE VIEW crm.funnel WITH (security_invoker = true) AS
SELECT c.account_id,
       c.status_id AS id,
       c.type_id,
       (SELECT t.name FROM crm.lead_types t WHERE t.account_id = c.account_id AND t.id = c.type_id) AS type,
       c.status_id,
       (SELECT s.name FROM crm.statuses s WHERE s.account_id = c.account_id AND s.id = c.status_id) AS status,
       (SELECT s.kind FROM crm.statuses s WHERE s.account_id = c.account_id AND s.id = c.status_id) AS kind,
       (SELECT s.position FROM crm.statuses s WHERE s.account_id = c.account_id AND s.id = c.status_id) AS position,
       c.leads
FROM (SELECT account_id, type_id, status_id, sum(leads)::bigint AS leads
      FROM crm.lead_group_counts
      GROUP BY account_id, type_id, status_id
      HAVING sum(leads) > 0) c;
COMMENT ON VIEW crm.funnel IS
    E'@primaryKey account_id,type_id,status_id\n'
    '@foreignKey (account_id,type_id) references crm.lead_types (account_id,id)|@fieldName leadType|@foreignFieldName funnel\n'
    '@foreignKey (account_id,status_id) references crm.statuses (account_id,id)|@fieldName statusRow|@foreignFieldName funnel\n'
    '@foreignKey (kind) references crm.status_kinds (value)\n'
    'How many leads each lead type has in each status (groups with leads only), from the kept counts.';
COMMENT ON COLUMN crm.funnel.account_id IS 'The account of the leads.';
COMMENT ON COLUMN crm.funnel.id IS 'The status''s id (as status_id).';
COMMENT ON COLUMN crm.funnel.type_id IS 'The lead type''s id.';
COMMENT ON COLUMN crm.funnel.type IS 'The lead type''s name.';
COMMENT ON COLUMN crm.funnel.status_id IS 'The status''s id.';
COMMENT ON COLUMN crm.funnel.status IS 'The status''s name.';
COMMENT ON COLUMN crm.funnel.kind IS 'The status''s kind: open, won or lost.';
COMMENT ON COLUMN crm.funnel.position IS 'The status''s sort order.';
COMMENT ON COLUMN crm.funnel.leads IS 'How many leads of the type are in the status.';

CREATE OR REPLACE VIEW crm.campaign_report WITH (security_invoker = true) AS
SELECT g.account_id,
       g.campaign_id AS id,
       coalesce((SELECT cp.name FROM crm.campaigns cp WHERE cp.account_id = g.account_id AND cp.id = g.campaign_id),
                'no campaign') AS campaign,
       g.leads,
       g.open,
       g.won,
       g.lost,
       round(g.won / g.leads::numeric, 4) AS conversion,
       g.revenue,
       coalesce(g.campaign_id::text, 'none') AS key
FROM (SELECT c.account_id,
             c.campaign_id,
             sum(c.leads)::bigint AS leads,
             coalesce(sum(c.leads) FILTER (WHERE c.kind = 'open'), 0)::bigint AS open,
             coalesce(sum(c.leads) FILTER (WHERE c.kind = 'won'), 0)::bigint AS won,
             coalesce(sum(c.leads) FILTER (WHERE c.kind = 'lost'), 0)::bigint AS lost,
             coalesce(sum(c.revenue) FILTER (WHERE c.kind = 'won'), 0)::numeric AS revenue
      FROM (SELECT l.account_id, l.campaign_id, l.leads, l.revenue, s.kind
            FROM crm.lead_group_counts l
            JOIN crm.statuses s ON s.account_id = l.account_id AND s.id = l.status_id) c
      GROUP BY c.account_id, c.campaign_id
      HAVING sum(c.leads) > 0) g;
COMMENT ON VIEW crm.campaign_report IS
    E'@primaryKey account_id,key\n'
    '@foreignKey (account_id,id) references crm.campaigns (account_id,id)|@fieldName campaignRow|@foreignSingleFieldName report|@foreignFieldName reports\n'
    'Per campaign: its leads, how many are open, won and lost, the conversion and the revenue of the won ones; from the kept counts.';
COMMENT ON COLUMN crm.campaign_report.account_id IS 'The account of the leads.';
COMMENT ON COLUMN crm.campaign_report.id IS 'The campaign''s id; NULL: leads without a campaign.';
COMMENT ON COLUMN crm.campaign_report.campaign IS 'The campaign''s name, or no campaign.';
COMMENT ON COLUMN crm.campaign_report.leads IS 'How many leads came from the campaign.';
COMMENT ON COLUMN crm.campaign_report.open IS 'How many of them are in an open status.';
COMMENT ON COLUMN crm.campaign_report.won IS 'How many of them are in a won status.';
COMMENT ON COLUMN crm.campaign_report.lost IS 'How many of them are in a lost status.';
COMMENT ON COLUMN crm.campaign_report.conversion IS 'The share of won leads, won / leads, rounded to 4 decimal places (0.2500 is 25%).';
COMMENT ON COLUMN crm.campaign_report.revenue IS 'The amount of the orders linked to the won leads.';
COMMENT ON COLUMN crm.campaign_report.key IS
    'The row''s key within the account: the campaign''s id, or none for leads without a campaign.';

GRANT SELECT ON crm.lead_counts, crm.lead_count_changes, crm.lead_group_counts, crm.funnel, crm.campaign_report TO crm_reader;
GRANT EXECUTE ON FUNCTION crm.fold_lead_counts(), crm._fold_lead_counts(bigint) TO crm_manager;
