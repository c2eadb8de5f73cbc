#!/usr/bin/env bash
# Cost of phone normalisation and linking on a single-row lead insert, in one
# pgbench run: a lead insert into crm.leads whose phone matches exactly one of
# 10,000 clients (client_link_mode and order_link_mode auto: normalised,
# linked to the client by an UPDATE, the phone locked and searched for an
# order), the same insert with both modes off (normalised only), and a bare
# insert into a plain twin table with the same columns, indexes and foreign
# keys and no triggers.  Also the normalisation throughput of one backend.
#
#   test/bench/lead_link_overhead.sh [seconds-per-point] [rounds]
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh
SECS="${1:-10}"; ROUNDS="${2:-1}"
crm_install_packages
crm_build_install
crm_cluster_start "synchronous_commit = ${SYNC:-on}" "fsync = on"
W="$(mktemp -d)"; trap 'rm -rf "$W"; crm_cluster_stop' EXIT

psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE DATABASE bench;
\c bench
CREATE EXTENSION crm;
INSERT INTO crm.accounts (id, name, client_link_mode, order_link_mode) VALUES (1, 'linked', 'auto', 'auto'), (2, 'off', 'off', 'off');
INSERT INTO crm.statuses (account_id, id, name, kind, position) VALUES (1,1,'New','open',1),(2,2,'New','open',1);
INSERT INTO crm.lead_types (account_id, id, name, initial_status_id, number_template, is_default)
  VALUES (1,1,'Sales',1,'L-{N:7}',true), (2,2,'Sales',2,'L-{N:7}',true);
INSERT INTO crm.employees (account_id, id, name) VALUES (1, 1, 'E'), (2, 2, 'E');
INSERT INTO crm.clients (account_id, id, name) SELECT 1, g, 'c' || g FROM generate_series(1, 10000) g;
INSERT INTO crm.client_phones (account_id, client_id, raw) SELECT 1, g, '+7916' || lpad(g::text, 7, '0') FROM generate_series(1, 10000) g;
CREATE TABLE public.plain_leads (LIKE crm.leads INCLUDING DEFAULTS INCLUDING INDEXES INCLUDING CONSTRAINTS);
ALTER TABLE public.plain_leads ALTER COLUMN account_id SET DEFAULT 1;
ALTER TABLE public.plain_leads
  ADD FOREIGN KEY (account_id) REFERENCES crm.accounts (id),
  ADD FOREIGN KEY (account_id, type_id) REFERENCES crm.lead_types (account_id, id),
  ADD FOREIGN KEY (account_id, status_id) REFERENCES crm.statuses (account_id, id),
  ADD FOREIGN KEY (account_id, client_id) REFERENCES crm.clients (account_id, id),
  ADD FOREIGN KEY (account_id, manager_id) REFERENCES crm.employees (account_id, id);
CREATE SEQUENCE plain_seq START 1000000;
ALTER ROLE postgres IN DATABASE bench SET crm.employee_id = 1;
-- Seed rows, so that the statistics (and the plans kept by the triggers) are those of a used table.
SET crm.account_id = 1;
INSERT INTO crm.leads (contact_name, contact_phone) SELECT 'seed', '8 916 ' || lpad(g::text, 7, '0') FROM generate_series(1, 20000) g;
INSERT INTO crm.orders (phone) SELECT '8 917 ' || lpad(g::text, 7, '0') FROM generate_series(1, 5000) g;
SET crm.account_id = 2; SET crm.employee_id = 2;
INSERT INTO crm.leads (contact_name, contact_phone) SELECT 'seed', '8 916 ' || lpad(g::text, 7, '0') FROM generate_series(1, 20000) g;
INSERT INTO public.plain_leads (id, contact_name, type_id, status_id, number, manager_id)
  SELECT g, 'seed', 1, 1, 'L-' || g, 1 FROM generate_series(1, 40000) g;
VACUUM ANALYZE;
SQL

cat > "$W/insert_plain.sql" <<'SQL'
\set p random(1, 10000)
INSERT INTO public.plain_leads (id, contact_name, contact_phone, phone, client_id, type_id, status_id, number, manager_id, status_changed_at)
VALUES (nextval('plain_seq'), 'Ivan', '8 916 ' || lpad(:p::text, 7, '0'), '+7916' || lpad(:p::text, 7, '0'), :p, 1, 1, 'L-' || currval('plain_seq'), 1, now());
SQL
cat > "$W/insert_linked.sql" <<'SQL'
\set p random(1, 10000)
SET crm.account_id = 1;
INSERT INTO crm.leads (contact_name, contact_phone) VALUES ('Ivan', '8 916 ' || lpad(:p::text, 7, '0'));
SQL
cat > "$W/insert_off.sql" <<'SQL'
\set p random(1, 10000)
SET crm.account_id = 2;
SET crm.employee_id = 2;
INSERT INTO crm.leads (contact_name, contact_phone) VALUES ('Ivan', '8 916 ' || lpad(:p::text, 7, '0'));
SQL
cat > "$W/set_only.sql" <<'SQL'
SET crm.account_id = 1;
SQL

printf '%-16s %6s %10s %10s\n' workload round tps latency_ms
for r in $(seq 1 "$ROUNDS"); do
  for w in set_only insert_plain insert_off insert_linked; do
    out="$(pgbench -n -M prepared -c 1 -T "$SECS" -f "$W/$w.sql" bench 2>&1)"
    tps="$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out")"
    lat="$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' <<<"$out")"
    printf '%-16s %6s %10s %10s\n' "$w" "$r" "$tps" "$lat"
  done
done
psql -X -q -d bench -At -c "SELECT 'linked leads: ' || count(*) FILTER (WHERE client_id IS NOT NULL) || ' of ' || count(*) FROM crm.leads WHERE account_id = 1"

echo "normalisation throughput (one backend, 200,000 RU numbers):"
psql -X -q -d bench -At <<'SQL'
SELECT clock_timestamp() AS t0 \gset
SELECT count(crm.normalize_phone('8 (916) ' || lpad((g % 1000)::text, 3, '0') || '-45-67', 'RU')) FROM generate_series(1, 200000) g \gset
SELECT round(200000 / extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)) || ' phones/s (' || :count || ' valid)';
SQL
