-- Marks the last order before the point, for order_insert.note.sql (not timed).
CREATE TABLE IF NOT EXISTS public.bench_order_mark (id bigint NOT NULL);
TRUNCATE public.bench_order_mark;
INSERT INTO public.bench_order_mark SELECT coalesce(max(id), 0) FROM crm.orders WHERE account_id = 1;
