-- lead_bulk_1m (floor): lead_bulk.floor.sql of a million rows. The rows crm writes for a bulk load, written whole by the client in one statement
-- with every trigger off: the leads (numbers from a plain sequence, the counter row
-- touched once), a 'created' history row and an event per lead, the count changes one
-- per group.
WITH s AS (UPDATE crm.number_sequences SET last_used_at = now() WHERE account_id = 1 AND id = 1 RETURNING id),
     l AS (INSERT INTO crm.leads (account_id, number, number_sequence_id, number_seq, type_id, status_id, manager_id,
                                  contact_name, contact_phone, phone, campaign_id, status_changed_at)
           SELECT 1, 'B-' || n, s.id, n, 1, 1, 2, 'Bulk ' || g, '+7926' || lpad(g::text, 7, '0'),
                  '+7926' || lpad(g::text, 7, '0'), 1 + g % 20, now()
           FROM s, (SELECT g, nextval('public.bare_number_seq') AS n FROM generate_series(1, :bulk1m) g) q
           RETURNING *),
     h AS (INSERT INTO crm.lead_events (account_id, lead_id, employee_id, kind, to_status_id, detail)
           SELECT 1, l.id, 2, 'created', l.status_id, jsonb_build_object('number', l.number) FROM l),
     k AS (INSERT INTO crm.lead_count_changes (account_id, type_id, status_id, campaign_id, leads, revenue)
           SELECT 1, l.type_id, l.status_id, l.campaign_id, count(*), 0 FROM l GROUP BY 2, 3, 4),
     e AS (UPDATE crm.event_counters SET last_id = last_id + (SELECT count(*) FROM l) WHERE account_id = 1
           RETURNING last_id)
INSERT INTO crm.events (account_id, id, at, kind, employee_id, payload)
SELECT 1, e.last_id - count(*) OVER () + row_number() OVER (ORDER BY l.id), now(), 'lead_created', 2,
       jsonb_build_object('lead_id', l.id, 'number', l.number, 'type_id', l.type_id, 'status_id', l.status_id,
                          'manager_id', l.manager_id, 'client_id', l.client_id, 'campaign_id', l.campaign_id,
                          'order_id', l.order_id, 'deadline', l.deadline, 'urgent', l.urgent,
                          'overdue_since', l.overdue_since)
FROM l, e;
