-- data/40_linking.sql: the account's phone and linking settings, and 100,000·s
-- orders (at least 1,000) with their counter row, as crm's triggers would
-- write them.
--
-- The account dials in region RU, links a new lead to the one client with its
-- phone (client_link_mode auto) and a new order to the one open, unlinked lead
-- with its phone (order_link_mode auto), moving that lead to "Won"
-- (order_won_status_id).  Every lead workload therefore also normalises its
-- phone and searches clients and orders, as in a real account.
--
-- The existing orders ORD-000001... have phones +7905NNNNNNN (N = order id),
-- a range no lead and no client uses, so they stay unlinked, as auto mode
-- leaves an order with no candidate lead; each has a client.
--
-- The order_insert workload's candidate leads: open leads with phones
-- +7917KKKKKKK, K = 1, 2, ... taken in turn by the workload
-- (public.order_pool_seq), each K once.  workloads/order_insert.prepare.sql
-- creates them before each point (not timed), at least poolmin = 5,000,000·s
-- (at least 5,000) ahead of the sequence and three times as many as the
-- previous point used, so every order finds its one lead unless a point
-- outruns the pool (the note says how many linked).  The pool leads have no
-- manager and no campaign, so they stay off the boards and badges; the
-- campaign report counts them under "no campaign".  Records nord, ordseq (the
-- orders' counter row), ordwon (the won status) and poolmin.
\set ON_ERROR_STOP 1
SET crm.account_id = 1;
SELECT setseed(0.4040);
SELECT value AS n_cli FROM public.bench_vars WHERE name = 'ncli' \gset
SELECT greatest(1000, (100000 * :scale)::int) AS n_ord \gset

UPDATE crm.accounts
   SET default_region = 'RU', client_link_mode = 'auto', order_link_mode = 'auto',
       order_won_status_id = (SELECT id FROM crm.statuses WHERE account_id = 1 AND name = 'Won')
 WHERE id = 1;
INSERT INTO crm.number_sequences (account_id, key)
  SELECT 1, order_number_template FROM crm.accounts WHERE id = 1
  RETURNING id AS ord_seq \gset

SET session_replication_role = replica;
INSERT INTO crm.orders (account_id, id, number, number_sequence_id, number_seq, client_id, phone, phone_e164,
                        lead_id, amount, created_at)
SELECT 1, g, 'ORD-' || lpad(g::text, greatest(6, length(g::text)), '0'), :ord_seq, g, 1 + (random() * (:n_cli - 1))::bigint,
       '8 (905) ' || lpad(g::text, 7, '0'), '+7905' || lpad(g::text, 7, '0'), NULL,
       (100 + random() * 9900)::numeric(14, 2), timestamptz '2026-01-01' + g * interval '30 seconds'
FROM generate_series(1, :n_ord) g;
RESET session_replication_role;
SELECT setval(pg_get_serial_sequence('crm.orders', 'id'), :n_ord + 1000);
-- The bare variant's order numbers come from a plain sequence.
CREATE SEQUENCE public.bare_order_seq START 1;
SELECT setval('public.bare_order_seq', :n_ord);
-- order_insert's pool of candidate leads: the last K handed out, the last K
-- with a lead, and the last order before the current point.
CREATE SEQUENCE public.order_pool_seq;
CREATE TABLE public.order_pool (top bigint NOT NULL, last_order bigint NOT NULL);
INSERT INTO public.order_pool VALUES (0, :n_ord);
INSERT INTO public.bench_vars VALUES ('nord', :n_ord), ('ordseq', :ord_seq),
  ('ordwon', (SELECT order_won_status_id FROM crm.accounts WHERE id = 1)),
  ('poolmin', greatest(5000, (5000000 * :scale)::int));
