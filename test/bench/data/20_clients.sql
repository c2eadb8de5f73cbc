-- data/20_clients.sql: clients' phones, 1.5 per client on average (every client
-- has +7903NNNNNNN, every other client also +7904NNNNNNN, N = client id), as
-- the phone trigger would store them (raw as typed, phone in E.164).
\set ON_ERROR_STOP 1
SET crm.account_id = 1;
SELECT value AS n_cli FROM public.bench_vars WHERE name = 'ncli' \gset
SET session_replication_role = replica;
INSERT INTO crm.client_phones (account_id, client_id, raw, phone)
SELECT 1, g, '8 (903) ' || lpad(g::text, 7, '0'), '+7903' || lpad(g::text, 7, '0') FROM generate_series(1, :n_cli) g
UNION ALL
SELECT 1, g, '+7 904 ' || lpad(g::text, 7, '0'), '+7904' || lpad(g::text, 7, '0') FROM generate_series(2, :n_cli, 2) g;
RESET session_replication_role;
