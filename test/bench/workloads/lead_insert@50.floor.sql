-- lead_insert.floor.sql over 50 accounts: the same transaction as lead_insert@50.sql (the
-- account set for it), the rows crm writes written whole by the client in one statement.
\set acct random(1, :naccounts)
\set c random(1, 20)
BEGIN;
SELECT set_config('crm.account_id', :acct::text, true);
WITH s AS (UPDATE crm.number_sequences SET last_used_at = now() WHERE account_id = :acct AND id = 1 RETURNING id),
     l AS (INSERT INTO crm.leads (account_id, number, number_sequence_id, number_seq, type_id, status_id, manager_id,
                                  contact_name, contact_phone, phone, campaign_id, status_changed_at)
           SELECT :acct::bigint, 'B-' || n, s.id, n, 1, 1, 2, 'Bench lead', '+79161234567', '+79161234567', :c, now()
           FROM s, nextval('public.bare_number_seq') n
           RETURNING *),
     h AS (INSERT INTO crm.lead_events (account_id, lead_id, employee_id, kind, to_status_id, detail)
           SELECT :acct::bigint, l.id, 2, 'created', l.status_id, jsonb_build_object('number', l.number) FROM l),
     k AS (INSERT INTO crm.lead_count_changes (account_id, type_id, status_id, campaign_id, leads, revenue)
           SELECT :acct::bigint, l.type_id, l.status_id, l.campaign_id, 1, 0 FROM l),
     e AS (UPDATE crm.event_counters SET last_id = last_id + 1 WHERE account_id = :acct RETURNING last_id)
INSERT INTO crm.events (account_id, id, at, kind, employee_id, payload)
SELECT :acct::bigint, e.last_id, now(), 'lead_created', 2,
       jsonb_build_object('lead_id', l.id, 'number', l.number, 'type_id', l.type_id, 'status_id', l.status_id,
                          'manager_id', l.manager_id, 'client_id', l.client_id, 'campaign_id', l.campaign_id,
                          'order_id', l.order_id, 'deadline', l.deadline, 'urgent', l.urgent,
                          'overdue_since', l.overdue_since)
FROM l, e;
COMMIT;
