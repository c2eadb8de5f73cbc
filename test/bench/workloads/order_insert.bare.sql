-- The same rows written whole by the client: the order with its number from a
-- plain sequence, phone_e164, lead_id and the lead's client; the lead's
-- order_id and status move (found by the phone, open and unlinked).  No history.
\set a random(100, 10000)
WITH o AS (SELECT nextval('crm.orders_id_seq') AS id, nextval('public.bare_order_seq') AS n,
                  lpad(nextval('public.order_pool_seq')::text, 7, '0') AS k),
     lead AS (UPDATE crm.leads l SET order_id = o.id, status_id = :ordwon, status_changed_at = now(), closed_at = now()
                FROM o
               WHERE l.account_id = 1 AND l.phone = '+7917' || o.k AND l.closed_at IS NULL AND l.order_id IS NULL
              RETURNING l.id, l.client_id)
INSERT INTO crm.orders (account_id, id, number, number_sequence_id, number_seq, client_id, phone, phone_e164,
                        lead_id, amount, created_at)
SELECT 1, o.id, 'ORD-' || lpad(o.n::text, greatest(6, length(o.n::text)), '0'), :ordseq, o.n, lead.client_id,
       '8 (917) ' || overlay(overlay(o.k placing '-' from 4 for 0) placing '-' from 7 for 0),
       '+7917' || o.k, lead.id, :a, now()
FROM o LEFT JOIN lead ON true;
