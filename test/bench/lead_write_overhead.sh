#!/usr/bin/env bash
# Cost of crm's lead rules on single-row writes, in one pgbench run:
# a lead insert and a status transition on crm.leads, against the same
# statements on a plain twin table with the same columns, indexes and foreign
# keys and no triggers.  Variants are interleaved; prints latency per variant.
#
#   test/bench/lead_write_overhead.sh [seconds-per-point] [rounds]
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh
SECS="${1:-10}"; ROUNDS="${2:-3}"
crm_install_packages
crm_build_install
# SYNC=off measures the CPU cost of the rules alone (no WAL flush per commit).
crm_cluster_start "synchronous_commit = ${SYNC:-on}" "fsync = on"
W="$(mktemp -d)"; trap 'rm -rf "$W"; crm_cluster_stop' EXIT

psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE DATABASE bench;
\c bench
CREATE EXTENSION crm;
INSERT INTO crm.accounts (id, name) VALUES (1, 'bench');
SET crm.account_id = 1;
INSERT INTO crm.statuses (id, name, kind, position) VALUES (1,'New','open',1),(2,'Work','open',2),(3,'Won','won',3);
INSERT INTO crm.lead_types (id, name, initial_status_id, number_template, is_default) VALUES (1,'Sales',1,'L-{N:7}',true);
INSERT INTO crm.status_transitions (lead_type_id, from_status_id, to_status_id) VALUES (1,1,2),(1,2,1),(1,2,3);
INSERT INTO crm.employees (id, name) VALUES (1, 'E');
-- The plain twin: same columns, defaults, indexes and foreign keys; no triggers.
CREATE TABLE public.plain_leads (LIKE crm.leads INCLUDING DEFAULTS INCLUDING INDEXES INCLUDING CONSTRAINTS);
ALTER TABLE public.plain_leads ALTER COLUMN account_id SET DEFAULT 1;
ALTER TABLE public.plain_leads
  ADD FOREIGN KEY (account_id) REFERENCES crm.accounts (id),
  ADD FOREIGN KEY (account_id, type_id) REFERENCES crm.lead_types (account_id, id),
  ADD FOREIGN KEY (account_id, status_id) REFERENCES crm.statuses (account_id, id),
  ADD FOREIGN KEY (account_id, manager_id) REFERENCES crm.employees (account_id, id);
CREATE SEQUENCE plain_seq START 1000000;
ALTER ROLE postgres IN DATABASE bench SET crm.account_id = 1;
ALTER ROLE postgres IN DATABASE bench SET crm.employee_id = 1;
INSERT INTO crm.leads (contact_name) SELECT 'seed' FROM generate_series(1, 50000);
INSERT INTO public.plain_leads (id, contact_name, type_id, status_id, number, manager_id)
  SELECT g, 'seed', 1, 1, 'L-' || g, 1 FROM generate_series(1, 50000) g;
VACUUM ANALYZE;
SQL

cat > "$W/insert_crm.sql" <<'SQL'
INSERT INTO crm.leads (contact_name, contact_phone) VALUES ('Ivan', '+79161234567');
SQL
cat > "$W/insert_plain.sql" <<'SQL'
INSERT INTO public.plain_leads (id, contact_name, contact_phone, type_id, status_id, number, manager_id, status_changed_at)
VALUES (nextval('plain_seq'), 'Ivan', '+79161234567', 1, 1, 'L-' || currval('plain_seq'), 1, now());
SQL
cat > "$W/transition_crm.sql" <<'SQL'
\set id random(1, 50000)
UPDATE crm.leads SET status_id = CASE status_id WHEN 1 THEN 2 ELSE 1 END WHERE account_id = 1 AND id = :id;
SQL
cat > "$W/transition_plain.sql" <<'SQL'
\set id random(1, 50000)
UPDATE public.plain_leads SET status_id = CASE status_id WHEN 1 THEN 2 ELSE 1 END, status_changed_at = now()
WHERE account_id = 1 AND id = :id;
SQL

printf '%-18s %6s %10s %10s\n' workload round tps latency_ms
for r in $(seq 1 "$ROUNDS"); do
  for w in insert_plain insert_crm transition_plain transition_crm; do
    out="$(pgbench -n -M prepared -c 1 -T "$SECS" -f "$W/$w.sql" bench 2>&1)"
    tps="$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out")"
    lat="$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' <<<"$out")"
    printf '%-18s %6s %10s %10s\n' "$w" "$r" "$tps" "$lat"
  done
done
