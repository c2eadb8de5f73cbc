-- The rows crm writes for an order in auto order-link mode, written whole by the client
-- in one statement with every trigger off: the order (its number from a plain sequence,
-- its counter row touched, phone_e164, its lead and the lead's client), the lead it
-- links (order_id, status "Won", its times), the lead's 'status_changed' and
-- 'order_linked' history rows, the count changes of the group it left and the one it
-- joined with the order's amount, and the three events.  The lead is found by the
-- phone, open and unlinked; no phone normalisation, no rule is checked.
\set a random(100, 10000)
WITH o AS (SELECT nextval('crm.orders_id_seq') AS id, nextval('public.bare_order_seq') AS n,
                  lpad(nextval('public.order_pool_seq')::text, 7, '0') AS k),
     s AS (UPDATE crm.number_sequences SET last_used_at = now() WHERE account_id = 1 AND id = :ordseq RETURNING id),
     was AS (SELECT l.id, l.type_id, l.status_id, l.campaign_id FROM crm.leads l, o
             WHERE l.account_id = 1 AND l.phone = '+7917' || o.k AND l.closed_at IS NULL AND l.order_id IS NULL
             ORDER BY l.id LIMIT 1),
     lead AS (UPDATE crm.leads l SET order_id = o.id, status_id = :ordwon, status_changed_at = now(), closed_at = now()
                FROM o, was
               WHERE l.account_id = 1 AND l.id = was.id
              RETURNING l.id, l.client_id, l.type_id, l.status_id, l.campaign_id),
     ord AS (INSERT INTO crm.orders (account_id, id, number, number_sequence_id, number_seq, client_id, phone, phone_e164,
                                     lead_id, amount, created_at)
             SELECT 1, o.id, 'ORD-' || lpad(o.n::text, greatest(6, length(o.n::text)), '0'), s.id, o.n, lead.client_id,
                    '8 (917) ' || overlay(overlay(o.k placing '-' from 4 for 0) placing '-' from 7 for 0),
                    '+7917' || o.k, lead.id, :a, now()
             FROM o CROSS JOIN s LEFT JOIN lead ON true
             RETURNING id, number, lead_id, client_id, amount),
     h AS (INSERT INTO crm.lead_events (account_id, lead_id, employee_id, kind, from_status_id, to_status_id, detail)
           SELECT 1, lead.id, 2, 'status_changed', was.status_id, lead.status_id,
                  jsonb_build_object('comment', NULL, 'by', 'system') FROM lead, was
           UNION ALL
           SELECT 1, lead.id, 2, 'order_linked', NULL, NULL, jsonb_build_object('from', NULL, 'to', o.id) FROM lead, o),
     k AS (INSERT INTO crm.lead_count_changes (account_id, type_id, status_id, campaign_id, leads, revenue)
           SELECT 1, was.type_id, was.status_id, was.campaign_id, -1, 0 FROM was, lead
           UNION ALL
           SELECT 1, lead.type_id, lead.status_id, lead.campaign_id, 1, :a FROM lead),
     e AS (UPDATE crm.event_counters SET last_id = last_id + 1 + 2 * (SELECT count(*) FROM lead) WHERE account_id = 1
           RETURNING last_id)
INSERT INTO crm.events (account_id, id, at, kind, employee_id, payload)
SELECT 1, e.last_id - 2 * (SELECT count(*) FROM lead), now(), 'order_created', 2,
       jsonb_build_object('order_id', ord.id, 'number', ord.number, 'lead_id', ord.lead_id, 'client_id', ord.client_id,
                          'amount', ord.amount)
FROM ord, e
UNION ALL
SELECT 1, e.last_id - 1, now(), 'lead_status_changed', 2, jsonb_build_object('lead_id', lead.id, 'from', was.status_id, 'to', lead.status_id)
FROM lead, was, e
UNION ALL
SELECT 1, e.last_id, now(), 'lead_order_linked', 2, jsonb_build_object('lead_id', lead.id, 'from', NULL, 'to', o.id)
FROM lead, o, e;
