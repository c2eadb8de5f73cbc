-- data/90_lead_counts.sql: the kept-up lead counts (crm.lead_counts) of the
-- leads and orders written above with triggers off, as the lead triggers
-- would have kept them.
\set ON_ERROR_STOP 1
SET crm.account_id = 1;
DELETE FROM crm.lead_counts;
DELETE FROM crm.lead_count_changes;
INSERT INTO crm.lead_counts (account_id, type_id, status_id, campaign_id, leads, revenue)
SELECT l.account_id, l.type_id, l.status_id, l.campaign_id, count(*), coalesce(sum(o.amount), 0)
FROM crm.leads l
LEFT JOIN crm.orders o ON o.account_id = l.account_id AND o.id = l.order_id
GROUP BY l.account_id, l.type_id, l.status_id, l.campaign_id;
