#!/usr/bin/env bash
# The crm benchmark: crm against a bare schema (same tables and indexes, no
# triggers) and against the same rules in PL/pgSQL, side by side in one run.
#
#   test/bench/run.sh [--scale "0.01 0.1"] [--seconds 30] [--clients "1 8"] [--rounds 1] [--out DIR]
#   test/bench/run.sh --quick          scale 0.001, 1 s per point (what the test suite runs)
#   test/bench/run.sh --workloads "lead_insert lead_bulk"   only these
#   test/bench/run.sh --durable        fsync and synchronous_commit on (default: off, the CPU cost)
#
# With PGHOST set and --use-cluster, uses that cluster; otherwise builds,
# installs and starts its own throwaway cluster.  Writes DIR/report.md and
# DIR/results.csv (default test/bench/results/).  Scale 1 = 10,000,000 leads.
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH=test/bench
SCALES="0.01 0.1"; SECS=30; CLIENTS="1 8"; ROUNDS=1; OUT="$BENCH/results"; USE_CLUSTER=0; DURABLE=0; ONLY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --scale|--scales) SCALES="$2"; shift 2 ;;
    --seconds) SECS="$2"; shift 2 ;;
    --clients) CLIENTS="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --quick) SCALES=0.001; SECS=1; shift ;;
    --use-cluster) USE_CLUSTER=1; shift ;;
    --durable) DURABLE=1; shift ;;
    --workloads) ONLY="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
VARIANTS="bare crm plpgsql"
WRITES="lead_insert lead_transition"
READS="read_board read_badges read_campaign"
BULK_LOAD=lead_bulk
if [ -n "$ONLY" ]; then  # --workloads "lead_insert lead_bulk": only these
  pick() { local w r=""; for w in "$@"; do [[ " $ONLY " == *" $w "* ]] && r="$r $w"; done; echo "$r"; }
  WRITES="$(pick $WRITES)"; READS="$(pick $READS)"; BULK_LOAD="$(pick lead_bulk)"
fi
# Workloads of concepts not built here yet: name|what must exist|description.
PENDING=(
  "lead_insert_phone|to_regproc('crm.normalize_phone') IS NOT NULL|single-row lead insert with phone normalisation and client matching"
  "order_insert|to_regproc('crm.order_candidates') IS NOT NULL|order insert with auto-linking"
  "call_log|to_regproc('crm.log_call') IS NOT NULL|call logging with retry scheduling"
  "payment_failed|to_regproc('crm.record_payment') IS NOT NULL|failed payment with alert routing"
  "run_due|EXISTS (SELECT 1 FROM crm.run_due(now(), 0))|run_due over a backlog"
  "read_call_queue|to_regclass('crm.call_queue') IS NOT NULL|the call-queue claim"
  "read_inbox|to_regclass('crm.important_inbox') IS NOT NULL|the important inbox"
)

. scripts/lib.sh
if [ "$USE_CLUSTER" = 0 ]; then
  crm_install_packages
  crm_build_install
  # Default: the CPU cost of the rules (no flush per commit).  --durable: fsync
  # and synchronous commit on, as in production, where the commit dominates.
  if [ "$DURABLE" = 1 ]; then sync=("fsync = on" "synchronous_commit = on"); else sync=("synchronous_commit = off"); fi
  crm_cluster_start "shared_buffers = 512MB" "max_wal_size = 4GB" "checkpoint_timeout = 30min" \
                    "max_connections = 50" "${sync[@]}"
else
  PGBIN="${PGBIN:-$("$PG_CONFIG" --bindir)}"; export PATH="$PGBIN:$PATH"
fi
mkdir -p "$OUT"
W="$(mktemp -d)"; chmod 777 "$W"
trap 'rm -rf "$W"; [ "$USE_CLUSTER" = 1 ] || crm_cluster_stop' EXIT
RAW="$W/raw.tsv"; : > "$RAW"; NOTES="$W/notes.tsv"; : > "$NOTES"
PSQL=(psql -X -q -v ON_ERROR_STOP=1)

# p50, p95, mean (ms) of the latencies (µs, column 3) in pgbench logs
latencies() { cat "$@" | awk '{print $3}' | sort -n | awk '{a[NR]=$1; s+=$1} END {
  if (NR == 0) { print "NA NA NA"; exit }
  i50 = int(NR * 0.50); if (i50 < 1) i50 = 1; i95 = int(NR * 0.95); if (i95 < 1) i95 = 1;
  printf "%.3f %.3f %.3f\n", a[i50] / 1000, a[i95] / 1000, s / NR / 1000 }'; }

script_for() {  # script_for WORKLOAD VARIANT
  if [ -f "$BENCH/workloads/$1.$2.sql" ]; then echo "$BENCH/workloads/$1.$2.sql"; else echo "$BENCH/workloads/$1.sql"; fi
}

# point SCALE WORKLOAD VARIANT CLIENTS [pgbench args...]
point() {
  local scale="$1" wl="$2" v="$3" c="$4"; shift 4
  local dir="$W/log.$wl.$v.$c.$RANDOM"; mkdir -p "$dir"; chmod 777 "$dir"
  local out rc=0
  out="$(cd "$dir" && pgbench -n -M prepared -c "$c" -j "$c" --log --log-prefix="$dir/l" \
         -D nleads="$NLEADS" -D nemp="$NEMP" -D bulk="$BULK" "$@" -f "$OLDPWD/$(script_for "$wl" "$v")" "b_$v" 2>&1)" || rc=$?
  if [ $rc != 0 ] || grep -q 'aborted in command' <<<"$out"; then
    echo "$out" >&2; echo "pgbench failed: $wl $v c=$c" >&2; return 1
  fi
  local tps n lat
  tps="$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out")"
  n="$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")"
  lat="$(latencies "$dir"/l.*)"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scale" "$wl" "$v" "$c" "$tps" "$n" "${lat// /	}" >> "$RAW"
  printf '  %-16s %-8s c=%-2s tps=%-10s p50/p95/mean ms=%s\n' "$wl" "$v" "$c" "$tps" "$lat" >&2
  rm -rf "$dir"
}

setup_scale() {  # builds b_crm, then b_bare and b_plpgsql as copies of it
  local scale="$1" v
  for v in $VARIANTS; do "${PSQL[@]}" -c "DROP DATABASE IF EXISTS b_$v"; done
  "${PSQL[@]}" -c "CREATE DATABASE b_crm"
  "${PSQL[@]}" -d b_crm -c 'CREATE EXTENSION crm'
  local t0=$SECONDS
  "${PSQL[@]}" -d b_crm -v scale="$scale" -f "$BENCH/data.sql" >/dev/null
  log "scale $scale: data generated in $((SECONDS - t0)) s"
  "${PSQL[@]}" -c "CREATE DATABASE b_bare TEMPLATE b_crm" -c "CREATE DATABASE b_plpgsql TEMPLATE b_crm"
  # bare: every user trigger of the crm schema off (foreign keys stay).
  "${PSQL[@]}" -d b_bare -c "DO \$\$ DECLARE r record; BEGIN
    FOR r IN SELECT DISTINCT c.oid::regclass AS t FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'crm' AND NOT g.tgisinternal LOOP
      EXECUTE format('ALTER TABLE %s DISABLE TRIGGER USER', r.t);
    END LOOP; END \$\$"
  "${PSQL[@]}" -d b_plpgsql -f "$BENCH/plpgsql_variant.sql" >/dev/null
  for v in $VARIANTS; do
    "${PSQL[@]}" -c "ALTER ROLE postgres IN DATABASE b_$v SET crm.account_id = 1" \
                 -c "ALTER ROLE postgres IN DATABASE b_$v SET crm.employee_id = 2"
  done
  read -r NLEADS NEMP < <(psql -X -At -F ' ' -d b_crm -c "SELECT max(id), (SELECT max(id) FROM crm.employees) FROM crm.leads")
  BULK="$(awk -v s="$scale" 'BEGIN { n = int(1000000 * s); if (n < 1000) n = 1000; print n }')"
}

# The PL/pgSQL variant must behave like crm: the shared behaviour tests on both.
behaviour() {
  local v rc=0
  for v in crm plpgsql; do
    "${PSQL[@]}" -c "DROP DATABASE IF EXISTS tap_$v" -c "CREATE DATABASE tap_$v"
    "${PSQL[@]}" -d "tap_$v" -c 'CREATE EXTENSION pgtap' -c 'CREATE EXTENSION crm' -f test/fixtures.sql >/dev/null
    [ "$v" = crm ] || "${PSQL[@]}" -d "tap_$v" -f "$BENCH/plpgsql_variant.sql" >/dev/null
    if pg_prove -d "tap_$v" "$BENCH/behaviour.sql" >"$W/tap_$v.out" 2>&1; then
      printf 'behaviour\t%s\tpass\n' "$v" >> "$NOTES"; log "behaviour tests on $v: pass"
    else
      cat "$W/tap_$v.out" >&2; printf 'behaviour\t%s\tFAIL\n' "$v" >> "$NOTES"; rc=1
    fi
    "${PSQL[@]}" -c "DROP DATABASE tap_$v"
  done
  return $rc
}

behaviour

for scale in $SCALES; do
  setup_scale "$scale"
  log "scale $scale: $NLEADS leads, $NEMP employees; $SECS s per point, clients $CLIENTS, $ROUNDS round(s)"
  for r in $(seq 1 "$ROUNDS"); do
    for wl in $WRITES $READS; do
      for c in $CLIENTS; do
        for v in $VARIANTS; do point "$scale" "$wl" "$v" "$c" -T "$SECS"; done
      done
    done
    # Bulk load: the same statement once per variant per round (fresh rows each time).
    for wl in $BULK_LOAD; do
      for v in $VARIANTS; do point "$scale" "$wl" "$v" 1 -t 1; done
    done
  done
done

# Workloads whose concept is not here yet are reported as not available.
for p in "${PENDING[@]}"; do
  IFS='|' read -r name req desc <<<"$p"
  landed="$(psql -X -At -d b_crm -c "BEGIN" -c "SELECT $req" -c "ROLLBACK" 2>/dev/null | grep -x '[tf]' || echo f)"
  printf 'pending\t%s\t%s\t%s\n' "$name" "$desc" \
    "$([ "$landed" = t ] && echo 'concept landed; workload not written yet' || echo 'concept not landed yet')" >> "$NOTES"
done

commit_mode="$(psql -X -At -c "SELECT 'fsync ' || current_setting('fsync') || ', synchronous_commit ' || current_setting('synchronous_commit') || ', shared_buffers ' || current_setting('shared_buffers')")"
BENCH_COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src test/bench 2>/dev/null || echo '+changes')" \
python3 "$BENCH/report.py" "$RAW" "$NOTES" "$OUT" "$SECS" "$CLIENTS" "$ROUNDS" "$("$PG_CONFIG" --version)" "$commit_mode"
log "report: $OUT/report.md, $OUT/results.csv"
