-- data/10_leads.sql: the benchmark's base data at :scale (1 = 10,000,000 leads,
-- 1,000,000 clients, 10,000 employees), with a fixed seed.  The files of
-- test/bench/data/ run in name order, each in its own session, as the owner in
-- a database with CREATE EXTENSION crm; each records the pgbench variables its
-- workloads need in public.bench_vars.  Rows are written with triggers off
-- (session_replication_role = replica) and are consistent by construction:
-- numbers, history 'created' events and counters as the rules would make them.
-- Deadlines (30% of leads) fall from 2 days before the run to 12 days after it,
-- so about one in seven of them is overdue.
\set ON_ERROR_STOP 1
SELECT setseed(0.4242);
SELECT greatest(10, (10000 * :scale)::int) AS n_emp,
       greatest(1000, (1000000 * :scale)::int) AS n_cli,
       greatest(1000, (10000000 * :scale)::int) AS n_leads \gset

INSERT INTO crm.accounts (id, name, timezone) VALUES (1, 'Bench', 'Europe/Moscow');
SET crm.account_id = 1;
INSERT INTO crm.statuses (id, name, kind, position) VALUES
  (1, 'New', 'open', 1), (2, 'In work', 'open', 2), (3, 'Won', 'won', 3), (4, 'Lost', 'lost', 4);
INSERT INTO crm.lead_types (id, name, initial_status_id, number_template, is_default) VALUES
  (1, 'Sales', 1, 'L-{N:7}', true), (2, 'Repair', 1, 'R-{YYYY}-{N}', false);
-- New <-> In work, either -> Won | Lost; Won and Lost have no rules (any move).
INSERT INTO crm.status_transitions (lead_type_id, from_status_id, to_status_id) VALUES
  (1, 1, 2), (1, 1, 4), (1, 2, 1), (1, 2, 3), (1, 2, 4);
INSERT INTO crm.campaigns (id, name) SELECT g, 'Campaign ' || g FROM generate_series(1, 20) g;
INSERT INTO crm.number_sequences (id, key) VALUES (1, 'L-{N:7}');
SELECT setval(pg_get_serial_sequence('crm.statuses', 'id'), 100), setval(pg_get_serial_sequence('crm.lead_types', 'id'), 100),
       setval(pg_get_serial_sequence('crm.campaigns', 'id'), 100), setval(pg_get_serial_sequence('crm.number_sequences', 'id'), 100),
       setval(pg_get_serial_sequence('crm.accounts', 'id'), 100);

SET session_replication_role = replica;
INSERT INTO crm.employees (id, name, email, role)
  SELECT g, 'Employee ' || g, 'e' || g || '@example.com', CASE WHEN g = 1 THEN 'admin' ELSE 'manager' END
  FROM generate_series(1, :n_emp) g;
INSERT INTO crm.clients (id, name, email, city)
  SELECT g, 'Client ' || g, 'c' || g || '@example.com', (ARRAY['Moscow', 'Kazan', 'Perm'])[1 + g % 3]
  FROM generate_series(1, :n_cli) g;
INSERT INTO crm.leads (account_id, id, number, number_sequence_id, number_seq, type_id, status_id, client_id,
                       contact_name, contact_phone, phone, campaign_id, manager_id, deadline, urgent,
                       created_at, status_changed_at, closed_at)
SELECT 1, g, 'L-' || lpad(g::text, greatest(7, length(g::text)), '0'), 1, g, 1, st,
       CASE WHEN random() < 0.5 THEN 1 + (random() * (:n_cli - 1))::bigint END,
       'Contact ' || g, '+7916' || lpad((g % 10000000)::text, 7, '0'), '+7916' || lpad((g % 10000000)::text, 7, '0'),
       1 + (random() * 19)::int, 1 + (random() * (:n_emp - 1))::int,
       CASE WHEN random() < 0.3 THEN now() + (random() * 14 - 2) * interval '1 day' END, random() < 0.05,
       at, at, CASE WHEN st IN (3, 4) THEN at END
FROM (SELECT g, timestamptz '2026-01-01' + g * interval '1 second' AS at,
             (ARRAY[1, 1, 2, 2, 3, 4])[1 + (random() * 5)::int] AS st
      FROM generate_series(1, :n_leads) g) s;
INSERT INTO crm.lead_events (account_id, lead_id, at, kind, to_status_id, detail)
  SELECT 1, id, created_at, 'created', 1, jsonb_build_object('number', number) FROM crm.leads;
RESET session_replication_role;
SELECT setval(pg_get_serial_sequence('crm.employees', 'id'), :n_emp + 1000),
       setval(pg_get_serial_sequence('crm.clients', 'id'), :n_cli + 1000),
       setval(pg_get_serial_sequence('crm.leads', 'id'), :n_leads + 1000);
-- The bare variant's numbers come from a plain sequence.
CREATE SEQUENCE public.bare_number_seq START 1;
SELECT setval('public.bare_number_seq', :n_leads);
-- Variables handed to every workload script (pgbench -D name=value, psql -v).
CREATE TABLE public.bench_vars (name text PRIMARY KEY, value bigint NOT NULL);
INSERT INTO public.bench_vars VALUES
  ('nleads', :n_leads), ('nemp', :n_emp), ('ncli', :n_cli), ('bulk', greatest(1000, (1000000 * :scale)::int)),
  ('bulk1m', 1000000);   -- lead_bulk_1m, run with --large
