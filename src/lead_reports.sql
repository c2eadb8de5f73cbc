-- lead_reports.sql: lead reports that need orders (defined in linking.sql).

CREATE VIEW crm.campaign_report WITH (security_invoker = true) AS
SELECT l.account_id,
       l.campaign_id AS id,
       coalesce(cp.name, 'no campaign') AS campaign,
       count(*) AS leads,
       count(*) FILTER (WHERE s.kind = 'open') AS open,
       count(*) FILTER (WHERE s.kind = 'won') AS won,
       count(*) FILTER (WHERE s.kind = 'lost') AS lost,
       round(count(*) FILTER (WHERE s.kind = 'won')::numeric / count(*), 4) AS conversion,
       coalesce(sum(o.amount) FILTER (WHERE s.kind = 'won'), 0) AS revenue
FROM crm.leads l
JOIN crm.statuses s ON s.account_id = l.account_id AND s.id = l.status_id
LEFT JOIN crm.campaigns cp ON cp.account_id = l.account_id AND cp.id = l.campaign_id
LEFT JOIN crm.orders o ON o.account_id = l.account_id AND o.id = l.order_id
GROUP BY l.account_id, l.campaign_id, cp.name;

GRANT SELECT ON crm.campaign_report TO crm_reader;
