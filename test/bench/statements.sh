#!/usr/bin/env bash
# The SQL statements the server runs per transaction of each write workload,
# nested ones included (crm's own SPI statements and the foreign-key checks):
# pg_stat_statements with track = all on a throwaway cluster with the bench's
# data, each workload run N times by pgbench (crm's text, as the owner), the
# calls of every statement divided by N.  Columns: all statements, the nested
# ones (crm's and the foreign-key checks), the foreign-key checks among them.
#
#   test/bench/statements.sh [--transactions 50] [--scale 0.001] [--workloads "lead_insert ..."]
#                            [--no-install] [--detail]
#
# --no-install uses the crm already installed; --detail lists each statement
# with its calls per transaction.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh
BENCH=test/bench
N=50; SCALE=0.001; INSTALL=1; DETAIL=0
ONLY="lead_insert lead_insert_phone lead_transition order_insert call_log payment_failed"
while [ $# -gt 0 ]; do
  case "$1" in
    --transactions) N="$2"; shift 2 ;;
    --scale) SCALE="$2"; shift 2 ;;
    --workloads) ONLY="$2"; shift 2 ;;
    --no-install) INSTALL=0; shift ;;
    --detail) DETAIL=1; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ "$INSTALL" = 1 ]; then crm_build_install; else PGBIN="$("$PG_CONFIG" --bindir)"; export PATH="$PGBIN:$PATH"; fi
crm_cluster_start "shared_preload_libraries = 'pg_stat_statements'" \
  "pg_stat_statements.track = all" "pg_stat_statements.max = 5000"
PSQL=(psql -X -q -v ON_ERROR_STOP=1)
"${PSQL[@]}" -c "CREATE DATABASE b_crm"
"${PSQL[@]}" -d b_crm -c 'CREATE EXTENSION crm' -c 'CREATE EXTENSION pg_stat_statements'
for f in "$BENCH"/data/*.sql; do "${PSQL[@]}" -d b_crm -v scale="$SCALE" -f "$f" >/dev/null; done
"${PSQL[@]}" -d b_crm -c 'VACUUM ANALYZE'
"${PSQL[@]}" -c "ALTER ROLE postgres IN DATABASE b_crm SET crm.account_id = 1" \
             -c "ALTER ROLE postgres IN DATABASE b_crm SET crm.employee_id = 2"
VARS=(); PVARS=()
while read -r name value; do VARS+=(-D "$name=$value"); PVARS+=(-v "$name=$value"); done \
  < <(psql -X -At -F ' ' -d b_crm -c "SELECT name, value FROM public.bench_vars ORDER BY name")

printf '%-20s %12s %12s %12s\n' workload "all" "nested" "FK checks"
for wl in $ONLY; do
  f="$BENCH/workloads/$wl.sql"
  [ ! -f "$BENCH/workloads/$wl.prepare.sql" ] || "${PSQL[@]}" -d b_crm "${PVARS[@]}" -f "$BENCH/workloads/$wl.prepare.sql" >/dev/null
  # a first run plans and warms what a long run has warm
  pgbench -n -M prepared "${VARS[@]}" -t 5 -f "$f" b_crm >/dev/null 2>&1
  "${PSQL[@]}" -d b_crm -c 'SELECT pg_stat_statements_reset()' >/dev/null
  pgbench -n -M prepared "${VARS[@]}" -t "$N" -f "$f" b_crm >/dev/null
  # toplevel statements of the script are pgbench's; nested ones are crm's and the RI checks
  psql -X -At -d b_crm -v n="$N" -v wl="$wl" <<'SQL'
SELECT format('%-20s %12s %12s %12s', :'wl',
              round(sum(calls)::numeric / :n, 2),
              round(sum(calls) FILTER (WHERE NOT toplevel)::numeric / :n, 2),
              round(sum(calls) FILTER (WHERE query ~ '^SELECT \$\d+ FROM ONLY ')::numeric / :n, 2))
FROM pg_stat_statements
WHERE query NOT LIKE '%pg_stat_statements%' AND dbid = (SELECT oid FROM pg_database WHERE datname = 'b_crm');
SQL
  if [ "$DETAIL" = 1 ]; then
    psql -X -At -d b_crm -v n="$N" <<'SQL'
SELECT format('    %6s  %s', round(calls::numeric / :n, 2), left(regexp_replace(query, '\s+', ' ', 'g'), 150))
FROM pg_stat_statements
WHERE NOT toplevel AND dbid = (SELECT oid FROM pg_database WHERE datname = 'b_crm')
ORDER BY calls DESC, query;
SQL
  fi
done
