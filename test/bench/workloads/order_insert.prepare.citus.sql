-- order_insert.prepare.sql on Citus (the variant citus, through the coordinator): the
-- same candidate leads, written the same way, in statements Citus runs: the pool's
-- state read from the local table public.order_pool first (Citus joins no local table
-- with a distributed one), the leads written with every trigger off on the workers
-- (SET LOCAL session_replication_role, propagated), then their "created" events from the
-- new leads (both tables of account 1: one shard group, pushed down).
\set ON_ERROR_STOP 1
SELECT top, last_order, coalesce((SELECT last_value FROM public.order_pool_seq WHERE is_called), 0) AS used
FROM public.order_pool \gset
SELECT greatest(:poolmin, 3 * (SELECT count(*) FROM crm.orders WHERE account_id = 1 AND id > :last_order)) + :used AS want,
       (SELECT coalesce(max(number_seq), 0) FROM crm.leads WHERE account_id = 1 AND number_sequence_id = 1) AS nmax,
       (SELECT coalesce(max(id), 0) FROM crm.leads WHERE account_id = 1) AS lastlead \gset
BEGIN;
SET LOCAL session_replication_role = replica;
INSERT INTO crm.leads (account_id, number, number_sequence_id, number_seq, type_id, status_id, contact_name,
                       contact_phone, phone, created_at, status_changed_at)
SELECT 1, 'L-' || lpad((:nmax + k - :top)::text, greatest(7, length((:nmax + k - :top)::text)), '0'), 1, :nmax + k - :top, 1, 1, 'Order lead ' || k,
       '8 (917) ' || lpad(k::text, 7, '0'), '+7917' || lpad(k::text, 7, '0'), now(), now()
FROM generate_series(:top + 1, :want) k;
INSERT INTO crm.lead_events (account_id, lead_id, at, kind, to_status_id, detail)
SELECT 1, id, created_at, 'created', 1, jsonb_build_object('number', number)
FROM crm.leads WHERE account_id = 1 AND id > :lastlead;
COMMIT;
SELECT coalesce(max(id), 0) AS last FROM crm.orders WHERE account_id = 1 \gset
UPDATE public.order_pool SET top = greatest(top, :want), last_order = :last;
ANALYZE crm.leads;
