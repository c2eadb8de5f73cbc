-- The rows crm writes for a status move, written by the client in one statement with
-- every trigger off: the lead (status, its time, closed_at), its 'status_changed'
-- history row, the count changes of the group it left and the one it joined, its
-- event.  No transition rule is checked.
\set id random(1, :nleads)
WITH o AS (SELECT id, type_id, status_id, campaign_id FROM crm.leads WHERE account_id = 1 AND id = :id),
     l AS (UPDATE crm.leads SET status_id = CASE WHEN status_id = 1 THEN 2 ELSE 1 END, status_changed_at = now(),
                  closed_at = NULL
           WHERE account_id = 1 AND id = :id RETURNING id, type_id, status_id, campaign_id),
     h AS (INSERT INTO crm.lead_events (account_id, lead_id, employee_id, kind, from_status_id, to_status_id, detail)
           SELECT 1, l.id, 2, 'status_changed', o.status_id, l.status_id,
                  jsonb_build_object('comment', NULL, 'by', 'employee') FROM l, o),
     k AS (INSERT INTO crm.lead_count_changes (account_id, type_id, status_id, campaign_id, leads, revenue)
           SELECT 1, o.type_id, o.status_id, o.campaign_id, -1, 0 FROM o, l
           UNION ALL
           SELECT 1, l.type_id, l.status_id, l.campaign_id, 1, 0 FROM l),
     e AS (UPDATE crm.event_counters SET last_id = last_id + 1 WHERE account_id = 1 AND EXISTS (SELECT FROM l) RETURNING last_id)
INSERT INTO crm.events (account_id, id, at, kind, employee_id, payload)
SELECT 1, e.last_id, now(), 'lead_status_changed', 2, jsonb_build_object('lead_id', l.id, 'from', o.status_id, 'to', l.status_id)
FROM l, o, e;
