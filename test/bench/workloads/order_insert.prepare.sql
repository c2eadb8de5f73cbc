-- Before each point (not timed): open candidate leads for the next phones of
-- the pool (data/40_linking.sql), up to poolmin ahead of the sequence and at
-- least three times the orders of the previous point, written as crm writes a
-- new lead from a web form (no manager, no campaign, "created" event).
\set ON_ERROR_STOP 1
SELECT p.top,
       greatest(:poolmin, 3 * (SELECT count(*) FROM crm.orders WHERE account_id = 1 AND id > p.last_order))
         + coalesce((SELECT last_value FROM public.order_pool_seq WHERE is_called), 0) AS want,
       (SELECT coalesce(max(number_seq), 0) FROM crm.leads WHERE account_id = 1 AND number_sequence_id = 1) AS nmax
FROM public.order_pool p \gset
SET session_replication_role = replica;
WITH new AS (
  INSERT INTO crm.leads (account_id, number, number_sequence_id, number_seq, type_id, status_id, contact_name,
                         contact_phone, phone, created_at, status_changed_at)
  SELECT 1, 'L-' || lpad((:nmax + k - :top)::text, greatest(7, length((:nmax + k - :top)::text)), '0'), 1, :nmax + k - :top, 1, 1, 'Order lead ' || k,
         '8 (917) ' || lpad(k::text, 7, '0'), '+7917' || lpad(k::text, 7, '0'), now(), now()
  FROM generate_series(:top + 1, :want) k
  RETURNING id, number, created_at)
INSERT INTO crm.lead_events (account_id, lead_id, at, kind, to_status_id, detail)
SELECT 1, id, created_at, 'created', 1, jsonb_build_object('number', number) FROM new;
RESET session_replication_role;
UPDATE public.order_pool SET top = greatest(top, :want),
       last_order = (SELECT coalesce(max(id), 0) FROM crm.orders WHERE account_id = 1);
ANALYZE crm.leads;
