-- The rows crm writes for a lead typed with a local phone, written whole by the client
-- in one statement with every trigger off: the lead (phone in E.164, its client filled
-- in, its number from a plain sequence, its counter row touched), its 'created' and
-- 'client_linked' history rows, its count change, its event.  No normalisation, no
-- client or order search.
\set c random(1, :ncli)
\set cp random(1, 20)
WITH s AS (UPDATE crm.number_sequences SET last_used_at = now() WHERE account_id = 1 AND id = 1 RETURNING id),
     l AS (INSERT INTO crm.leads (account_id, number, number_sequence_id, number_seq, type_id, status_id, manager_id,
                                  client_id, contact_name, contact_phone, phone, campaign_id, status_changed_at)
           SELECT 1, 'B-' || n, s.id, n, 1, 1, 2, :c, 'Bench lead',
                  '8 (903) ' || overlay(overlay(lpad(:c::text, 7, '0') placing '-' from 4 for 0) placing '-' from 7 for 0),
                  '+7903' || lpad(:c::text, 7, '0'), :cp, now()
           FROM s, nextval('public.bare_number_seq') n
           RETURNING *),
     h AS (INSERT INTO crm.lead_events (account_id, lead_id, employee_id, kind, to_status_id, detail)
           SELECT 1, l.id, 2, 'created', l.status_id, jsonb_build_object('number', l.number) FROM l
           UNION ALL
           SELECT 1, l.id, 2, 'client_linked', NULL, jsonb_build_object('from', NULL, 'to', l.client_id) FROM l),
     k AS (INSERT INTO crm.lead_count_changes (account_id, type_id, status_id, campaign_id, leads, revenue)
           SELECT 1, l.type_id, l.status_id, l.campaign_id, 1, 0 FROM l),
     e AS (UPDATE crm.event_counters SET last_id = last_id + 1 WHERE account_id = 1 RETURNING last_id)
INSERT INTO crm.events (account_id, id, at, kind, employee_id, payload)
SELECT 1, e.last_id, now(), 'lead_created', 2,
       jsonb_build_object('lead_id', l.id, 'number', l.number, 'type_id', l.type_id, 'status_id', l.status_id,
                          'manager_id', l.manager_id, 'client_id', l.client_id, 'campaign_id', l.campaign_id,
                          'order_id', l.order_id, 'deadline', l.deadline, 'urgent', l.urgent,
                          'overdue_since', l.overdue_since)
FROM l, e;
