#!/usr/bin/env bash
# Throughput of crm.run_due on a backlog of overdue leads, and the worker's
# idle cost.  Loads N open leads whose deadlines have all passed (through the
# lead triggers, as an application would), then handles them in batches of
# BATCH items, one transaction per batch, and prints items per second; then
# the same backlog handled by the background worker (crm.scheduler_batch_size).
#
#   test/bench/run_due_backlog.sh [N] [BATCH]       (defaults 1000000 10000)
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh
N="${1:-1000000}"; BATCH="${2:-10000}"
crm_install_packages
crm_build_install
crm_cluster_start "shared_preload_libraries = 'crm'" "crm.database = 'bench'" "crm.scheduler = off" \
  "max_wal_size = '4GB'" "checkpoint_timeout = '30min'"
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d bench "$@"; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }

psql -X -q -c 'CREATE DATABASE bench'
q <<'SQL'
CREATE EXTENSION crm;
INSERT INTO crm.accounts (id, name) VALUES (1, 'bench');
SET crm.account_id = 1;
INSERT INTO crm.statuses (id, name, kind, position) VALUES (1, 'New', 'open', 1);
INSERT INTO crm.lead_types (id, name, initial_status_id, number_template, is_default) VALUES (1, 'Sales', 1, 'L-{N:7}', true);
INSERT INTO crm.employees (id, name, email) SELECT g, 'E' || g, 'e' || g || '@example.com' FROM generate_series(1, 20) g;
SQL

T0=$(ms)
q -c "SET crm.account_id = 1" -c "INSERT INTO crm.leads (contact_name, manager_id, deadline)
      SELECT 'lead ' || g, 1 + g % 20, now() - interval '1 day' + g * interval '1 ms' FROM generate_series(1, $N) g"
T1=$(ms)
echo "loaded $N leads in $(( T1 - T0 )) ms"
q -c "VACUUM ANALYZE crm.leads"

# Half the backlog through crm.run_due, one transaction per batch.
HALF=$(( N / 2 ))
STEPS=$(( (HALF + BATCH - 1) / BATCH ))
T0=$(ms)
for _ in $(seq 1 "$STEPS"); do
  echo "SELECT handled FROM crm.run_due(now(), $BATCH) WHERE kind = 'lead_overdue';"
done | q >/dev/null
T1=$(ms)
DONE=$(q -c "SELECT count(*) FROM crm.leads WHERE overdue_since IS NOT NULL")
echo "crm.run_due, batches of $BATCH: $DONE items in $(( T1 - T0 )) ms = $(( DONE * 1000 / (T1 - T0 + 1) )) items/s"

# The rest through the worker.
BS=$(q -c "SHOW crm.scheduler_batch_size")
q -c "ALTER SYSTEM SET crm.scheduler = on" -c "SELECT pg_reload_conf()" >/dev/null
T0=$(ms)
while [ "$(q -c "SELECT count(*) FROM crm.leads WHERE overdue_since IS NULL")" != 0 ]; do sleep 0.2; done
T1=$(ms)
REST=$(( N - DONE ))
echo "worker, batches of $BS: $REST items in $(( T1 - T0 )) ms = $(( REST * 1000 / (T1 - T0 + 1) )) items/s"
q -c "SELECT count(*) = $N AND count(DISTINCT lead_id) = $N FROM crm.lead_events WHERE kind = 'deadline_expired'" |
  grep -qx t || { echo "not every lead handled exactly once"; exit 1; }
q -c "SELECT count(*) FROM crm.outbox" | grep -qx "$N" || { echo "not one notification per lead"; exit 1; }
echo "every lead handled exactly once"

# Idle cost: nothing due, default crm.scheduler_max_sleep.
R0=$(q -c "SELECT runs FROM crm.scheduler_status()")
sleep 60
R1=$(q -c "SELECT runs FROM crm.scheduler_status()")
echo "idle: $(( R1 - R0 )) worker runs in 60 s (crm.scheduler_max_sleep = $(q -c 'SHOW crm.scheduler_max_sleep'))"
