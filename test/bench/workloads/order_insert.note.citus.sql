-- order_insert.note.sql on Citus: the pool's last order read first (Citus joins no local
-- table with a distributed one).
SELECT last_order FROM public.order_pool \gset
SELECT format('orders inserted %s, linked to a lead %s (%s%%)', count(*), count(lead_id),
              coalesce(round(100.0 * count(lead_id) / nullif(count(*), 0)), 0))
FROM crm.orders WHERE account_id = 1 AND id > :last_order;
