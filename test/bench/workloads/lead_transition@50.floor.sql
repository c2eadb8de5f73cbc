-- lead_transition.floor.sql over 50 accounts, in the transaction of lead_transition@50.sql.
\set acct random(1, :naccounts)
\set id random(1, :nacclead)
BEGIN;
SELECT set_config('crm.account_id', :acct::text, true);
WITH o AS (SELECT id, type_id, status_id, campaign_id FROM crm.leads WHERE account_id = :acct AND id = :id),
     l AS (UPDATE crm.leads SET status_id = CASE WHEN status_id = 1 THEN 2 ELSE 1 END, status_changed_at = now(),
                  closed_at = NULL
           WHERE account_id = :acct AND id = :id RETURNING id, type_id, status_id, campaign_id),
     h AS (INSERT INTO crm.lead_events (account_id, lead_id, employee_id, kind, from_status_id, to_status_id, detail)
           SELECT :acct::bigint, l.id, 2, 'status_changed', o.status_id, l.status_id,
                  jsonb_build_object('comment', NULL, 'by', 'employee') FROM l, o),
     k AS (INSERT INTO crm.lead_count_changes (account_id, type_id, status_id, campaign_id, leads, revenue)
           SELECT :acct::bigint, o.type_id, o.status_id, o.campaign_id, -1, 0 FROM o, l
           UNION ALL
           SELECT :acct::bigint, l.type_id, l.status_id, l.campaign_id, 1, 0 FROM l),
     e AS (UPDATE crm.event_counters SET last_id = last_id + 1 WHERE account_id = :acct AND EXISTS (SELECT FROM l)
           RETURNING last_id)
INSERT INTO crm.events (account_id, id, at, kind, employee_id, payload)
SELECT :acct::bigint, e.last_id, now(), 'lead_status_changed', 2, jsonb_build_object('lead_id', l.id, 'from', o.status_id, 'to', l.status_id)
FROM l, o, e;
COMMIT;
