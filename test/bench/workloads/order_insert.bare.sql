-- The same rows written whole by the client: the order with its number from a
-- plain sequence, phone_e164 and lead_id (and the lead's client), and the
-- lead's order_id and status move when that lead is open and unlinked (the
-- client checks the one lead it picked; crm also requires that no other open
-- unlinked lead has the phone).  No history.
\set l random(1, :nleads)
\set p :l % 10000000
\set a random(100, 10000)
WITH o AS (SELECT nextval('crm.orders_id_seq') AS id, nextval('public.bare_order_seq') AS n,
                  '+7916' || lpad(:p::text, 7, '0') AS e164),
     lead AS (UPDATE crm.leads l SET order_id = o.id, status_id = :ordwon, status_changed_at = now(), closed_at = now()
                FROM o
               WHERE l.account_id = 1 AND l.id = :l AND l.phone = o.e164 AND l.closed_at IS NULL AND l.order_id IS NULL
              RETURNING l.id, l.client_id)
INSERT INTO crm.orders (account_id, id, number, number_sequence_id, number_seq, client_id, phone, phone_e164,
                        lead_id, amount, created_at)
SELECT 1, o.id, 'ORD-' || lpad(o.n::text, 6, '0'), :ordseq, o.n, lead.client_id,
       '8 (916) ' || overlay(overlay(lpad(:p::text, 7, '0') placing '-' from 4 for 0) placing '-' from 7 for 0),
       o.e164, lead.id, :a, now()
FROM o LEFT JOIN lead ON true;
