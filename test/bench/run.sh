#!/usr/bin/env bash
# The crm benchmark: crm against a bare schema (same tables and indexes, no
# triggers), against the floor (the rows crm writes, written whole by the client in
# one statement with no triggers) and against the same rules in PL/pgSQL, side by
# side in one run.
#
#   test/bench/run.sh [--scale "0.01 0.1"] [--seconds 30] [--clients "1 8"] [--rounds 1] [--out DIR]
#   test/bench/run.sh --quick          scale 0.001, 1 s per point (what the test suite runs)
#   test/bench/run.sh --workloads "lead_insert lead_bulk"   only these
#   test/bench/run.sh --durable        fsync and synchronous_commit on (default: off, the CPU cost)
#   test/bench/run.sh --warmup 2       seconds of unrecorded run before each timed point (default 2)
#   test/bench/run.sh --as service     the workloads as a login of crm_service that sets account 1
#                                      and employee 2 per transaction (each script wrapped in BEGIN;
#                                      set_config(..., true); ...; COMMIT); --as bound: as a login
#                                      bound to them (crm.bind_login; where bindings do not exist yet,
#                                      ALTER ROLE ... IN DATABASE ... SET); default --as owner:
#                                      postgres, the settings from ALTER ROLE ... IN DATABASE ... SET.
#                                      Under --as service or bound every transaction acts as employee 2:
#                                      a script's own set_config('crm.employee_id', ...) is left out
#   test/bench/run.sh --cpu            also the CPU time of the server per transaction (perf stat
#                                      -e task-clock on the postmaster and every process it forks
#                                      during a point, so the backends; pgbench's own time is
#                                      not in it), reported beside throughput: on a shared machine it
#                                      moves much less than tps.  Needs perf; turns autovacuum off,
#                                      whose workers would be counted too.
#   test/bench/run.sh --instructions 200   also the instructions the server runs per transaction,
#                                      counted by valgrind's callgrind, which the machine's load
#                                      does not move: the data is made by a plain server, then the
#                                      points run on servers under callgrind (about 50 times
#                                      slower), each point as pgbench -t 10 and -t 210 per client,
#                                      the difference divided by 200 transactions per client (so
#                                      connection start and first plans cancel out; a
#                                      one-transaction workload is counted whole).  Needs valgrind;
#                                      not with --use-cluster; tps and latencies are then valgrind's.
#                                      INSTR_DEBUG=1 prints each point's raw counts;
#                                      INSTR_KEEP=DIR keeps callgrind's files there, one
#                                      directory per point (callgrind_annotate --inclusive=yes).
#   test/bench/run.sh --before REV     also crm as it was at commit REV: the variant `before`, built
#                                      from `git archive REV` and run by a copy of the same
#                                      PostgreSQL in a second throwaway cluster (one installation
#                                      holds one crm), on data made by this tree's generator; each
#                                      point of `before` is taken beside the same point of `crm`
#                                      (their order swapped every other round), and the report adds
#                                      crm/before per round.  Not with --use-cluster.
#   test/bench/run.sh --variants "before crm"   only these variants (default: bare crm plpgsql floor,
#                                      with before first under --before)
#   test/bench/run.sh --variants "crm citus"   crm on one server against crm on Citus: the variant
#                                      citus is a coordinator and two workers
#                                      (test/suites/lib/citus.sh, nodes under the run's folder),
#                                      crm distributed (crm.distribute(), BENCH_CITUS_SHARDS shards
#                                      per table, default 8) and b_crm's rows copied in through the
#                                      coordinator; the write workloads only, through the
#                                      coordinator, each transaction as a tenant session sends it
#                                      (BEGIN; SET LOCAL crm.account_id, crm.employee_id; ...;
#                                      COMMIT, citus.propagate_set_commands = 'local'), and the
#                                      variant crm runs the same text on one server; both as
#                                      postgres, or as bench_service under --as service.  Also
#                                      the routing points (workloads/citus_route*.sql) and each
#                                      node's CPU time per transaction; the report adds
#                                      citus/crm per round (test/bench/citus.sh).  Only with crm,
#                                      not with --as bound, --cpu, --instructions or --before;
#                                      BENCH_CITUS_STATEMENTS=1 adds the workers' costliest
#                                      statements per transaction (pg_stat_statements) to the notes
#   test/bench/run.sh --large          also the workloads of kind `large` (lead_bulk_1m: a million
#                                      leads by one INSERT ... SELECT), at the last scale of the run
#                                      only; left out by default
#   test/bench/run.sh --keep DIR       the cluster in DIR, kept between runs (stopped at the end),
#                                      and each scale's generated data in it as database bk_SCALE
#                                      (bk_0_01, bk_1), made once and used again while the data files
#                                      and the installed crm script are the same (their md5 in the
#                                      database's comment); the variants' databases are copies of it.
#                                      For large scales, whose data takes long to make (scale 1: 12 GB,
#                                      about 25 minutes on 2 cores).  Not with --use-cluster.
#
# Variants: bare (crm's tables with every trigger off, the rows of the main table written
# whole), crm, plpgsql (crm's rules in PL/pgSQL), floor (the bare database, and every row
# crm writes -- history, count changes, events, counters -- written whole by the client in
# one statement: workloads/NAME.floor.sql; a workload without one has no floor point).
# Before the points, the write check runs every workload with a floor file on copies of
# the crm and floor databases (the same transactions: pgbench -t 20 with one seed) and
# compares the rows each inserted, updated and deleted per table (crm.locks, crm's lock
# rows, left out): the report says pass or lists the tables that differ.
# Workloads NAME@50 spread the writes over 50 accounts (data/80_accounts.sql), the
# account picked per transaction; not under --as bound (a bound login acts in one).
#
# With PGHOST set and --use-cluster, uses that cluster; otherwise builds,
# installs and starts its own throwaway cluster.  Writes DIR/report.md and
# DIR/results.csv (default test/bench/results/).  Scale 1 = 10,000,000 leads.
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH=test/bench
BENCH_COMMAND="${BENCH_CITUS_STATEMENTS:+BENCH_CITUS_STATEMENTS=$BENCH_CITUS_STATEMENTS }${BENCH_CITUS_SHARDS:+BENCH_CITUS_SHARDS=$BENCH_CITUS_SHARDS }test/bench/run.sh$(for a in "$@"; do case "$a" in *[[:space:]]*) printf ' "%s"' "$a" ;; *) printf ' %s' "$a" ;; esac; done)"
SCALES="0.01 0.1"; SECS=30; CLIENTS="1 8"; ROUNDS=1; OUT="$BENCH/results"; USE_CLUSTER=0; DURABLE=0; ONLY=""; WARMUP=2; AS=owner; CPU=0; BEFORE=""; VARIANTS=""; INSTR=0; LARGE=0; KEEP=""
while [ $# -gt 0 ]; do
  case "$1" in
    --scale|--scales) SCALES="$2"; shift 2 ;;
    --seconds) SECS="$2"; shift 2 ;;
    --clients) CLIENTS="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --quick) SCALES=0.001; SECS=1; WARMUP=0; shift ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --use-cluster) USE_CLUSTER=1; shift ;;
    --durable) DURABLE=1; shift ;;
    --workloads) ONLY="$2"; shift 2 ;;
    --as) AS="$2"; shift 2 ;;
    --cpu) CPU=1; shift ;;
    --before) BEFORE="$2"; shift 2 ;;
    --instructions) INSTR="$2"; shift 2 ;;
    --variants) VARIANTS="$2"; shift 2 ;;
    --large) LARGE=1; shift ;;
    --keep) KEEP="$(realpath -m "$2")"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -n "$KEEP" ] && [ "$USE_CLUSTER" = 1 ]; then echo "--keep: the benchmark's own cluster, not --use-cluster" >&2; exit 2; fi
case "$AS" in owner|service|bound) ;; *) echo "--as: owner, service or bound, not $AS" >&2; exit 2 ;; esac
if [ "$CPU" = 1 ] && ! perf stat -e task-clock true >/dev/null 2>&1; then echo "--cpu needs perf (perf stat -e task-clock)" >&2; exit 2; fi
if [ "$INSTR" != 0 ] && { [ "$USE_CLUSTER" = 1 ] || ! command -v valgrind >/dev/null; }; then
  echo "--instructions needs valgrind and the benchmark's own clusters" >&2; exit 2
fi
if [ -n "$BEFORE" ] && { [ "$USE_CLUSTER" = 1 ] || ! git rev-parse -q --verify "$BEFORE^{commit}" >/dev/null; }; then
  echo "--before: a commit of this repository, and the benchmark's own clusters" >&2; exit 2
fi
: "${VARIANTS:=${BEFORE:+before }bare crm plpgsql floor}"
for v in $VARIANTS; do
  case "$v" in bare|crm|plpgsql|floor|citus) ;; before) [ -n "$BEFORE" ] || { echo "variant before needs --before REV" >&2; exit 2; } ;;
    *) echo "--variants: bare, crm, plpgsql, floor, citus or before, not $v" >&2; exit 2 ;; esac
done
has_variant() { [[ " $VARIANTS " == *" $1 "* ]]; }
CITUS=0
if has_variant citus; then
  CITUS=1
  if [ "$(echo $VARIANTS | tr ' ' '\n' | sort | tr '\n' ' ')" != "citus crm " ] || [ "$AS" = bound ] || [ "$CPU" = 1 ] ||
     [ "$INSTR" != 0 ] || [ -n "$BEFORE" ]; then
    echo "the variant citus: with crm only (--variants \"crm citus\"), not with --as bound, --cpu, --instructions or --before" >&2; exit 2
  fi
fi
# The registry (test/bench/workloads.tsv): name kind items title.
WRITES=""; READS=""; ONCE=""; LARGE_ONCE=""
while IFS=$'\t' read -r name kind items title; do
  case "$name" in ''|'#'*) continue ;; esac
  [ "$items" = - ] || eval "ITEMS_${name//@/_}=$items"   # every workload's (size_vars reads another's)
  if [ -n "$ONLY" ] && [[ " $ONLY " != *" $name "* ]]; then continue; fi
  if [ "$AS" = bound ] && [[ "$name" == *@* ]]; then continue; fi
  if [ "$kind" = large ]; then
    [ "$LARGE" = 1 ] || [ -n "$ONLY" ] || continue
    LARGE_ONCE="$LARGE_ONCE $name"; kind=once
  fi
  case "$kind" in
    write) WRITES="$WRITES $name" ;;
    read) READS="$READS $name" ;;
    once) ONCE="$ONCE $name"; eval "ITEMS_${name//@/_}=$items" ;;
    *) echo "workloads.tsv: unknown kind $kind of $name" >&2; exit 2 ;;
  esac
done < "$BENCH/workloads.tsv"
# the variant citus: the write workloads only
[ "$CITUS" = 0 ] || { READS=""; ONCE=""; LARGE_ONCE=""; }

. scripts/lib.sh
if [ "$USE_CLUSTER" = 0 ]; then
  crm_install_packages
  crm_build_install
  # Default: the CPU cost of the rules (no flush per commit).  --durable: fsync
  # and synchronous commit on, as in production, where the commit dominates.
  if [ "$DURABLE" = 1 ]; then sync=("fsync = on" "synchronous_commit = on"); else sync=("synchronous_commit = off"); fi
  if [ "$CPU" = 1 ] || [ "$INSTR" != 0 ] || [ "$CITUS" = 1 ]; then sync+=("autovacuum = off"); fi
  CLUSTER_CONF=("shared_buffers = 512MB" "max_wal_size = 4GB" "checkpoint_timeout = 30min"
                "max_connections = 50" "${sync[@]}")
  CRM_CLUSTER_DIR="$KEEP"   # scripts/lib.sh: the kept cluster's directory (none: a throwaway one)
  crm_cluster_start "${CLUSTER_CONF[@]}"
else
  PGBIN="${PGBIN:-$("$PG_CONFIG" --bindir)}"; export PATH="$PGBIN:$PATH"
fi
MAIN_HOST="$PGHOST"; MAIN_PORT="${PGPORT:-5432}"
mkdir -p "$OUT"
W="$(mktemp -d)"; chmod 777 "$W"
cleanup() { before_stop; [ "$CITUS" = 0 ] || citus_bench_stop; rm -rf "$W"; [ "$USE_CLUSTER" = 1 ] || crm_cluster_stop; }
trap cleanup EXIT
RAW="$W/raw.tsv"; : > "$RAW"; NOTES="$W/notes.tsv"; : > "$NOTES"
PSQL=(psql -X -q -v ON_ERROR_STOP=1)
[ "$CITUS" = 0 ] || . "$BENCH/citus.sh"

# --before REV: crm at REV built into a copy of the server's own directories (the
# programs the cluster needs, pkglibdir and sharedir, at the same paths under
# $W/before/pg, so the copy finds its files as the original does), then a second
# throwaway cluster of that copy.  host_of VARIANT: the socket directory of its cluster.
BEFORE_TMP=""; BEFORE_PGBIN=""
before_start() {
  local b="$W/before" d main_tmp="$CRM_TMP" main_bin="$PGBIN"
  local libdir sharedir bindir
  libdir="$("$PG_CONFIG" --pkglibdir)"; sharedir="$("$PG_CONFIG" --sharedir)"; bindir="$("$PG_CONFIG" --bindir)"
  mkdir -p "$b/src" "$b/dest" "$b/pg$bindir"
  git archive "$BEFORE" | tar -x -C "$b/src"
  log "building crm at $BEFORE ($(git rev-parse --short "$BEFORE")) for the variant before"
  make -s -C "$b/src" PG_CONFIG="$PG_CONFIG" COPT="-Wno-unused-parameter" >/dev/null
  make -s -C "$b/src" PG_CONFIG="$PG_CONFIG" DESTDIR="$b/dest" install >/dev/null
  cp -a "$bindir/postgres" "$bindir/initdb" "$bindir/pg_ctl" "$b/pg$bindir/"
  for d in "$libdir" "$sharedir"; do mkdir -p "$b/pg$(dirname "$d")"; cp -a "$d" "$b/pg$d"; done
  rm -rf "$b/pg$sharedir/extension/crm"[.-]* "$b/pg$libdir/crm.so" "$b/pg$libdir/bitcode/crm"*
  cp -a "$b/dest$sharedir/extension/crm"[.-]* "$b/pg$sharedir/extension/"
  cp -a "$b/dest$libdir/crm.so" "$b/pg$libdir/"
  [ ! -d "$b/dest$libdir/bitcode" ] || cp -a "$b/dest$libdir/bitcode/." "$b/pg$libdir/bitcode/"
  PGBIN="$b/pg$bindir"; CRM_CLUSTER_DIR="" crm_cluster_start "${CLUSTER_CONF[@]}"
  BEFORE_TMP="$CRM_TMP"; BEFORE_PGBIN="$PGBIN"
  CRM_TMP="$main_tmp"; PGBIN="$main_bin"; export PGHOST="$MAIN_HOST"
  trap cleanup EXIT   # crm_cluster_start set its own
}
before_stop() {
  [ -n "$BEFORE_TMP" ] || return 0
  run_as_pg "$BEFORE_PGBIN/pg_ctl" -D "$BEFORE_TMP/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$BEFORE_TMP"; BEFORE_TMP=""
}
host_of() { case "$1" in before) echo "$BEFORE_TMP" ;; citus) citus_host ;; *) echo "$MAIN_HOST" ;; esac; }
port_of() { if [ "$1" = citus ]; then citus_port 0; else echo "$MAIN_PORT"; fi; }
cluster_of() { if [ "$1" = before ]; then echo before; else echo main; fi; }

# --instructions: each cluster's server under callgrind for the points (each process writes
# its count when it exits); instr_total CLUSTER sums the counts written so far, instr_settle
# CLUSTER waits until every backend has exited, leaving the postmaster's auxiliary processes
# only (those it has once nothing else runs: the same set for 3 s in a row).
INSTR_BASE=10
declare -A INSTR_PM=() INSTR_AUX=() INSTR_DIR=()
instr_children() { pgrep -P "${INSTR_PM[$1]}" | sort | tr '\n' ' ' || true; }
# instr_restart CLUSTER [WRAPPER]: restarts the cluster, under WRAPPER when given
instr_restart() {
  local main_tmp="$CRM_TMP" main_bin="$PGBIN"
  if [ "$1" = before ]; then CRM_TMP="$BEFORE_TMP"; PGBIN="$BEFORE_PGBIN"; fi
  CRM_SERVER_WRAPPER="${2:-}" crm_cluster_restart
  INSTR_PM[$1]="$(head -1 "$CRM_TMP/data/postmaster.pid")"
  CRM_TMP="$main_tmp"; PGBIN="$main_bin"
}
instr_server() {   # on | off
  local cl w bin same now
  for cl in main ${BEFORE:+before}; do
    if [ "$1" = off ]; then instr_restart "$cl"; continue; fi
    INSTR_DIR[$cl]="$W/callgrind.$cl"; mkdir -p "${INSTR_DIR[$cl]}"; chmod 777 "${INSTR_DIR[$cl]}"
    if [ "$cl" = before ]; then bin="$BEFORE_PGBIN"; else bin="$PGBIN"; fi
    w="$W/postgres-under-callgrind.$cl"
    printf '#!/bin/sh\nexec valgrind --tool=callgrind --quiet --dump-instr=no --callgrind-out-file=%s/cg.%%p "%s/postgres" "$@"\n' \
      "${INSTR_DIR[$cl]}" "$bin" > "$w"
    chmod 755 "$w"
    instr_restart "$cl" "$w"
    same=0; INSTR_AUX[$cl]="$(instr_children "$cl")"
    while [ "$same" -lt 3 ]; do
      sleep 1; now="$(instr_children "$cl")"
      if [ "$now" = "${INSTR_AUX[$cl]}" ]; then same=$((same + 1)); else same=0; INSTR_AUX[$cl]="$now"; fi
    done
  done
}
instr_settle() {
  local i
  for i in $(seq 1200); do [ "$(instr_children "$1")" = "${INSTR_AUX[$1]}" ] && return 0; sleep 0.1; done
  echo "--instructions: backends did not exit" >&2; return 1
}
# (called once the backends have exited: their counts are moved aside first, since a later
# process may be given the same pid, whose count would replace theirs)
INSTR_SEQ=0; INSTR_TOTAL=0
instr_total() {   # sets INSTR_TOTAL
  local d="${INSTR_DIR[$1]}" f
  mkdir -p "$d/done"
  for f in "$d"/cg.*; do [ -e "$f" ] || continue; INSTR_SEQ=$((INSTR_SEQ + 1)); mv "$f" "$d/done/${f##*/}.$INSTR_SEQ"; done
  INSTR_TOTAL="$(sed -n 's/^totals: //p' "$d"/done/cg.* 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }')"
}

# instr_keep CLUSTER DIR: moves the counts of the point just run to DIR (INSTR_KEEP)
instr_keep() { mkdir -p "$2"; mv "${INSTR_DIR[$1]}"/done/cg.* "$2"/; }

# p50, p95, mean (ms) of the latencies (µs, column 3) in pgbench logs
latencies() { cat "$@" | awk '{print $3}' | sort -n | awk '{a[NR]=$1; s+=$1} END {
  if (NR == 0) { print "NA NA NA"; exit }
  i50 = int(NR * 0.50); if (i50 < 1) i50 = 1; i95 = int(NR * 0.95); if (i95 < 1) i95 = 1;
  printf "%.3f %.3f %.3f\n", a[i50] / 1000, a[i95] / 1000, s / NR / 1000 }'; }

# variant_file WORKLOAD VARIANT [SUFFIX]: workloads/NAME[.SUFFIX].VARIANT.sql if there is one,
# else workloads/NAME[.SUFFIX].sql; empty when neither exists (before runs crm's files).  The
# floor's own script has no fallback: a workload without NAME.floor.sql has no floor point.
variant_file() {
  local base="$BENCH/workloads/$(script_of "$1")${3:+.$3}"
  set -- "$1" "${2/#before/crm}" "${3:-}"
  if [ -f "$base.$2.sql" ]; then echo "$base.$2.sql"; elif [ -f "$base.sql" ] && { [ "$2" != floor ] || [ -n "$3" ]; }; then echo "$base.sql"; fi
}
# script_of WORKLOAD: the name of its scripts: its own, or for NAME_SIZE without scripts of
# its own those of NAME (lead_bulk_1m: lead_bulk's), run with NAME's items variable set to
# NAME_SIZE's (size_vars, below: bulk = bulk1m)
script_of() {
  if [ ! -f "$BENCH/workloads/$1.sql" ] && [[ "$1" == *_* ]] && [ -f "$BENCH/workloads/${1%_*}.sql" ]; then echo "${1%_*}"; else echo "$1"; fi
}
# size_vars WORKLOAD: sets SIZE_VARS to the pgbench -D (and SIZE_PSQL to the psql -v) giving
# the scripts of NAME their size under NAME_SIZE; empty for a workload with scripts of its own
size_vars() {
  local base own
  base="$(script_of "$1")"; SIZE_VARS=(); SIZE_PSQL=()
  [ "$base" != "$1" ] || return 0
  base="ITEMS_${base//@/_}"; own="ITEMS_${1//@/_}"; own="VAR_${!own}"
  SIZE_VARS=(-D "${!base}=${!own}"); SIZE_PSQL=(-v "${!base}=${!own}")
}
# has_point WORKLOAD VARIANT: whether the variant runs the workload
has_point() { [ -n "$(variant_file "$1" "$2")" ] && { [ "$2" != citus ] || [ -z "$(citus_limit "$1")" ]; }; }

# point SCALE WORKLOAD VARIANT CLIENTS ITEMS [pgbench args...]
point() {
  local scale="$1" wl="$2" v="$3" c="$4" items="$5"; shift 5
  local dir="$W/log.$wl.$v.$c.$RANDOM"; mkdir -p "$dir"; chmod 777 "$dir"
  local out rc=0 f scripts; local -x PGHOST PGPORT
  PGHOST="$(host_of "$v")"; PGPORT="$(port_of "$v")"
  [ "$CITUS" = 0 ] || citus_mark
  size_vars "$wl"
  local -a PGBENCH_VARS=("${PGBENCH_VARS[@]}" "${SIZE_VARS[@]}") PSQL_VARS=("${PSQL_VARS[@]}" "${SIZE_PSQL[@]}")
  f="$(variant_file "$wl" "$v" prepare)"
  [ -z "$f" ] || "${PSQL[@]}" -d "b_$v" "${PSQL_VARS[@]}" -f "$f" >/dev/null
  f="$PWD/$(variant_file "$wl" "$v")"
  if [ "$CITUS" = 1 ]; then
    mapfile -t scripts < <(tenant_scripts "$f")   # crm and citus: the same tenant session
  else
    [ "$AS" = owner ] || f="$(as_employee_2 "$f")"
    [ "$AS" != service ] || f="$(per_transaction "$f")"
    scripts=(-f "$f@1")
  fi
  # Timed points (-T) first run unrecorded for WARMUP seconds: caches filled,
  # plans made, the same for every variant.
  if [ "$1" = -T ] && [ "$WARMUP" -gt 0 ] && [ "$INSTR" = 0 ]; then
    pgbench -n -M prepared -c "$c" -j "$c" "${AS_USER[@]}" "${PGBENCH_VARS[@]}" -T "$WARMUP" "${scripts[@]}" "b_$v" >/dev/null 2>&1 || true
  fi
  local instr="" ir0 ir1="" cl
  cl="$(cluster_of "$v")"
  if [ "$INSTR" != 0 ]; then
    # unrecorded: the first connection to a database after the restart writes its relcache
    # init file, which would count against the base run only
    [ "$1" != -T ] || pgbench -n -M prepared -c "$c" -j "$c" "${AS_USER[@]}" "${PGBENCH_VARS[@]}" -t 1 "${scripts[@]}" "b_$v" >/dev/null 2>&1 || true
    instr_settle "$cl"; instr_total "$cl"; ir0="$INSTR_TOTAL"
    if [ "$1" = -T ]; then   # the base run: connection start and first plans, subtracted below
      pgbench -n -M prepared -c "$c" -j "$c" "${AS_USER[@]}" "${PGBENCH_VARS[@]}" -t "$INSTR_BASE" "${scripts[@]}" "b_$v" >/dev/null 2>&1 || true
      instr_settle "$cl"; instr_total "$cl"; ir1="$INSTR_TOTAL"
      set -- -t "$((INSTR_BASE + INSTR))"
    fi
  fi
  [ "$CPU" = 0 ] || cpu_start
  [ "$CITUS" = 0 ] || citus_cpu_begin "$v"
  out="$(cd "$dir" && pgbench -n -M prepared -c "$c" -j "$c" --log --log-prefix="$dir/l" \
         "${AS_USER[@]}" "${PGBENCH_VARS[@]}" "$@" "${scripts[@]}" "b_$v" 2>&1)" || rc=$?
  if [ "$INSTR" != 0 ]; then
    instr_settle "$cl"; instr_total "$cl"
    if [ -n "$ir1" ]; then instr="$(( (INSTR_TOTAL - ir1 - (ir1 - ir0)) / (INSTR * c) ))"
    else instr="$(( INSTR_TOTAL - ir0 ))"; fi
    [ -z "${INSTR_DEBUG:-}" ] || echo "  instructions of $wl $v: $ir0 ${ir1:-} $INSTR_TOTAL" >&2
    [ -z "${INSTR_KEEP:-}" ] || instr_keep "$cl" "$INSTR_KEEP/$scale.$wl.$v.$c"
  fi
  CPU_MS=""
  [ "$CPU" = 0 ] || cpu_stop
  if [ $rc != 0 ] || grep -q 'aborted in command' <<<"$out"; then
    echo "$out" >&2; echo "pgbench failed: $wl $v c=$c" >&2
    [ "$v" = citus ] || return 1
    # on Citus: reported as not run, with Citus's error
    printf 'note\t%s\t%s\tcitus\tc=%s not run: %s\n' "$scale" "$wl" "$c" \
      "$(grep -m1 -o 'ERROR: .*' <<<"$out" | cut -c1-200 | tr '\t|' '  ')" >> "$NOTES"
    rm -rf "$dir"; return 0
  fi
  local tps n lat cpu=""
  tps="$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out")"
  n="$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")"
  lat="$(latencies "$dir"/l.*)"
  [ "$CITUS" = 0 ] || citus_cpu_end "$scale" "$wl" "$v" "$c" "${r:-1}" "$tps" "$n" $lat
  [ -z "$CPU_MS" ] || cpu="$(awk -v ms="$CPU_MS" -v n="$n" 'BEGIN { if (n > 0) printf "%.1f", ms * 1000 / n }')"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scale" "$wl" "$v" "$c" "$tps" "$n" "${lat// /	}" "$items" "$cpu" "$instr" \
    "$(cut -d' ' -f1 /proc/loadavg)" >> "$RAW"
  printf '  %-16s %-8s c=%-2s tps=%-10s p50/p95/mean ms=%s%s%s\n' "$wl" "$v" "$c" "$tps" "$lat" "${cpu:+ cpu µs/tx=$cpu}" "${instr:+ instructions/tx=$instr}" >&2
  f="$(variant_file "$wl" "$v" note)"
  if [ -n "$f" ]; then
    "${PSQL[@]}" -At -d "b_$v" "${PSQL_VARS[@]}" -f "$f" | while IFS= read -r line; do
      printf 'note\t%s\t%s\t%s\t%s\n' "$scale" "$wl" "$v" "$line" >> "$NOTES"
    done
  fi
  rm -rf "$dir"
}

# --cpu: perf stat counts the task clock of the postmaster and of every process it forks
# from now on (the point's backends); cpu_stop waits for the backends to exit and sets
# CPU_MS (not in a subshell: perf is this shell's child).
CPU_PID=""; CPU_PM=""; CPU_MS=""
cpu_start() {
  CPU_PM="$(head -1 "$(psql -X -At -c "SHOW data_directory")/postmaster.pid")"
  sleep 0.2   # that psql's backend has gone before counting starts
  perf stat -x, -e task-clock -o "$W/cpu.out" -p "$CPU_PM" 2>/dev/null & CPU_PID=$!
  sleep 0.2
}
cpu_stop() {
  local i
  for i in $(seq 100); do pgrep -P "$CPU_PM" -f ' b_(bare|crm|plpgsql|floor|before) ' >/dev/null || break; sleep 0.05; done
  kill -INT "$CPU_PID"; wait "$CPU_PID" 2>/dev/null || true
  CPU_MS="$(sed -n 's/^\([0-9.]*\),msec,task-clock.*/\1/p' "$W/cpu.out")"
}

# generate DATABASE SCALE: a database with crm and the bench's data (test/bench/data/*.sql)
generate() {
  local t0=$SECONDS f
  "${PSQL[@]}" -c "CREATE DATABASE $1"
  "${PSQL[@]}" -d "$1" -c 'CREATE EXTENSION crm'
  for f in "$BENCH"/data/*.sql; do "${PSQL[@]}" -d "$1" -v scale="$2" -f "$f" >/dev/null; done
  "${PSQL[@]}" -d "$1" -c 'VACUUM ANALYZE'
  log "scale $2: data of $1 generated in $((SECONDS - t0)) s, $(psql -X -At -c "SELECT pg_size_pretty(pg_database_size('$1'))")"
  printf 'note\t%s\tdata\tcrm\tgenerated in %s s\n' "$2" "$((SECONDS - t0))" >> "$NOTES"
}
# data_note SCALE DATABASE: the size of the data and the rows of its largest tables, to the notes
data_note() {
  printf 'note\t%s\tdata\tcrm\t%s\n' "$1" "$(psql -X -At -d "$2" -c "SELECT pg_size_pretty(pg_database_size(current_database())) || ': '
    || string_agg(format('%s %s rows (%s)', name, to_char(rows, 'FM999,999,999,999'), pg_size_pretty(bytes)), ', ' ORDER BY bytes DESC)
    FROM (SELECT * FROM public.bench_tables ORDER BY bytes DESC LIMIT 8) t")" >> "$NOTES"
}

# kept_data SCALE (--keep): the database bk_SCALE holding the scale's data, generated unless
# it is there from an earlier run of the same data files and installed crm script
kept_data() {
  local db="bk_${1//./_}" key
  key="$(cat "$BENCH"/data/*.sql "$("$PG_CONFIG" --sharedir)/extension/crm--$(sed -n "s/^default_version = '\(.*\)'/\1/p" crm.control).sql" | md5sum | cut -c1-32)"
  if [ "$(psql -X -At -c "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$db'")" = "$key" ]; then
    log "scale $1: the data kept in $db"
    printf 'note\t%s\tdata\tcrm\tkept from an earlier run (--keep)\n' "$1" >> "$NOTES"
  else
    "${PSQL[@]}" -c "DROP DATABASE IF EXISTS $db"
    generate "$db" "$1"
    "${PSQL[@]}" -c "COMMENT ON DATABASE $db IS '$key'"
  fi
  KEPT_DB="$db"
}

# settings_of VARIANT: the owner's account and employee in its database; under --as, the login
settings_of() {
  "${PSQL[@]}" -c "ALTER ROLE postgres IN DATABASE b_$1 SET crm.account_id = 1" \
               -c "ALTER ROLE postgres IN DATABASE b_$1 SET crm.employee_id = 2"
}

# triggers_off DATABASE: every user trigger of the crm schema off (foreign keys stay).
triggers_off() {
  "${PSQL[@]}" -d "$1" -c "DO \$\$ DECLARE r record; BEGIN
    FOR r IN SELECT DISTINCT c.oid::regclass AS t FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'crm' AND NOT g.tgisinternal LOOP
      EXECUTE format('ALTER TABLE %s DISABLE TRIGGER USER', r.t);
    END LOOP; END \$\$"
}

# builds b_crm, then those of b_bare, b_plpgsql and b_floor the run has variants for as copies
# of it (under --keep: each a copy of the kept data, and b_crm only with the variant crm, so a
# large scale takes one copy per variant run); under --before, b_before with the same
# generator in the cluster of before
setup_scale() {
  local scale="$1" v dbs="" src=b_crm
  for v in bare crm plpgsql floor; do "${PSQL[@]}" -c "DROP DATABASE IF EXISTS b_$v"; done
  if [ -n "$KEEP" ]; then
    kept_data "$scale"; src="$KEPT_DB"
  else
    generate b_crm "$scale"; dbs=crm
  fi
  data_note "$scale" "$src"
  # FILE_COPY: the copies do not pass through shared buffers, so they leave no
  # dirty pages behind to be written during the first points.
  for v in crm bare plpgsql floor; do
    has_variant "$v" || continue
    [ "$v" != "${src#b_}" ] || continue
    "${PSQL[@]}" -c "CREATE DATABASE b_$v TEMPLATE $src STRATEGY FILE_COPY"; dbs="$dbs $v"
  done
  ! has_variant bare || triggers_off b_bare
  ! has_variant floor || triggers_off b_floor
  ! has_variant plpgsql || plpgsql_variant b_plpgsql
  for v in $dbs; do settings_of "$v"; done
  [ "$AS" = owner ] || as_role $dbs
  "${PSQL[@]}" -c CHECKPOINT
  if has_variant before; then
    ( export PGHOST="$BEFORE_TMP"
      "${PSQL[@]}" -c "DROP DATABASE IF EXISTS b_before"
      generate b_before "$scale"
      settings_of before
      [ "$AS" = owner ] || as_role before
      "${PSQL[@]}" -c CHECKPOINT )
  fi
  [ "$AS" = owner ] || AS_USER=(-U "bench_$AS")
  # The variables every workload script gets: pgbench -D name=value, psql -v name=value.
  PGBENCH_VARS=(); PSQL_VARS=()
  local name value
  while read -r name value; do
    PGBENCH_VARS+=(-D "$name=$value"); PSQL_VARS+=(-v "$name=$value"); eval "VAR_$name=$value"
  done < <(psql -X -At -F ' ' -d "$src" -c "SELECT name, value FROM public.bench_vars ORDER BY name")
}

# --as service|bound: the login bench_service or bench_bound (a crm_admin) the
# workloads run as, with read access to the bench's own objects in schema public
# (as_role VARIANT...: in the cluster of PGHOST, for the databases of those variants).
AS_USER=()
as_role() {
  local role="bench_$AS" v
  "${PSQL[@]}" -c "SET client_min_messages = warning" -c "DROP ROLE IF EXISTS $role" \
               -c "CREATE ROLE $role LOGIN IN ROLE crm_admin"
  if [ "$AS" = service ] && [ -n "$(psql -X -At -c "SELECT 1 FROM pg_roles WHERE rolname = 'crm_service'")" ]; then
    "${PSQL[@]}" -c "GRANT crm_service TO $role"
  fi
  for v in "$@"; do
    # the bare and floor variants write whole rows, numbers from crm's sequences, history
    # and alerts included, which crm writes as the owner
    [ "$v" != bare ] && [ "$v" != floor ] || "${PSQL[@]}" -d "b_$v" -c "GRANT USAGE ON ALL SEQUENCES IN SCHEMA crm TO $role" \
                                    -c "GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA crm TO $role"
    "${PSQL[@]}" -d "b_$v" -c "GRANT USAGE ON SCHEMA public TO $role" \
                 -c "GRANT SELECT ON ALL TABLES IN SCHEMA public TO $role" \
                 -c "GRANT SELECT, USAGE, UPDATE ON ALL SEQUENCES IN SCHEMA public TO $role"
    [ "$AS" = bound ] || continue
    if [ -n "$(psql -X -At -d "b_$v" -c "SELECT 1 FROM pg_proc WHERE proname = 'bind_login'")" ]; then
      "${PSQL[@]}" -d "b_$v" -c "SELECT crm.bind_login('$role', 1, 2)" >/dev/null
      # the PL/pgSQL rules read the settings themselves: the binding's values, which a
      # bound login may set
      [ "$v" != plpgsql ] || "${PSQL[@]}" -c "ALTER ROLE $role IN DATABASE b_$v SET crm.account_id = 1" \
                                         -c "ALTER ROLE $role IN DATABASE b_$v SET crm.employee_id = 2"
    else
      "${PSQL[@]}" -c "ALTER ROLE $role IN DATABASE b_$v SET crm.account_id = 1" \
                   -c "ALTER ROLE $role IN DATABASE b_$v SET crm.employee_id = 2"
    fi
  done
  AS_USER=(-U "$role")
}

# as_employee_2 FILE: a copy without the script's own set_config('crm.employee_id', ...): a
# bound login acts as its employee, and a crm_service login sets it per transaction.
as_employee_2() {
  local out="$W/as.$(basename "$1")"
  grep -v "set_config('crm.employee_id'" "$1" > "$out"
  echo "$out"
}

# per_transaction FILE: a copy of the script that sets the account and employee for its
# transaction, as an application behind a pooler does (after the script's own BEGIN, or
# in a BEGIN ... COMMIT of its own).
per_transaction() {
  local out="$W/tx.$(basename "$1")" set="SELECT set_config('crm.account_id', '1', true), set_config('crm.employee_id', '2', true);"
  if grep -qi '^BEGIN' "$1"; then
    awk -v set="$set" '{ print } toupper($0) ~ /^BEGIN/ { print set }' "$1" > "$out"
  else
    { echo "BEGIN;"; echo "$set"; cat "$1"; echo; echo "COMMIT;"; } > "$out"
  fi
  echo "$out"
}

# The PL/pgSQL variant: test/bench/plpgsql/*.sql in name order, on a database with crm.
plpgsql_variant() {
  local f
  for f in "$BENCH"/plpgsql/*.sql; do "${PSQL[@]}" -d "$1" -f "$f" >/dev/null; done
}

# The PL/pgSQL variant must behave like crm: the shared behaviour tests
# (test/bench/behaviour/*.sql, pgTAP) on both.
behaviour() {
  local v rc=0
  for v in crm plpgsql; do
    "${PSQL[@]}" -c "DROP DATABASE IF EXISTS tap_$v" -c "CREATE DATABASE tap_$v"
    "${PSQL[@]}" -d "tap_$v" -c 'CREATE EXTENSION pgtap' -c 'CREATE EXTENSION crm' -f test/fixtures.sql >/dev/null
    [ "$v" = crm ] || plpgsql_variant "tap_$v"
    if pg_prove -d "tap_$v" "$BENCH"/behaviour/*.sql >"$W/tap_$v.out" 2>&1; then
      printf 'behaviour\t%s\tpass\n' "$v" >> "$NOTES"; log "behaviour tests on $v: pass"
    else
      cat "$W/tap_$v.out" >&2; printf 'behaviour\t%s\tFAIL\n' "$v" >> "$NOTES"; rc=1
    fi
    "${PSQL[@]}" -c "DROP DATABASE tap_$v"
  done
  return $rc
}

# round_order ROUND: the variants, reversed in even rounds (so neither of two compared
# variants always runs first)
round_order() {
  if [ $(($1 % 2)) = 1 ]; then echo "$VARIANTS"; else echo "$VARIANTS" | tr ' ' '\n' | tac | tr '\n' ' '; fi
}

# The floor must write the rows crm writes: every workload with a floor script, run as the
# same transactions (one client, one seed) on throwaway copies of b_crm and b_floor; the rows
# inserted, updated and deleted per table of schema crm compared (crm.locks left out: crm's
# lock rows, not data).  write_counts DATABASE: those counts so far, one table a line.
write_counts() {
  psql -X -At -d "$1" -c "SELECT pg_stat_clear_snapshot()" \
       -c "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables
           WHERE schemaname = 'crm' AND relname <> 'locks' ORDER BY relname" | sed 1d
}
write_check() {
  local v wl f n rc=0 diff
  for v in crm floor; do
    "${PSQL[@]}" -c "DROP DATABASE IF EXISTS chk_$v" -c "CREATE DATABASE chk_$v TEMPLATE b_$v STRATEGY FILE_COPY" \
                 -c "ALTER ROLE postgres IN DATABASE chk_$v SET crm.account_id = 1" \
                 -c "ALTER ROLE postgres IN DATABASE chk_$v SET crm.employee_id = 2"
  done
  for v in crm floor; do
    write_counts "chk_$v" > "$W/chk0.$v"
    for wl in $WRITES $ONCE; do
      [ -f "$BENCH/workloads/$wl.floor.sql" ] || continue
      [[ " $LARGE_ONCE " != *" $wl "* ]] || continue
      n=20; [[ " $ONCE " != *" $wl "* ]] || n=1
      f="$(variant_file "$wl" "$v" prepare)"
      [ -z "$f" ] || "${PSQL[@]}" -d "chk_$v" "${PSQL_VARS[@]}" -f "$f" >/dev/null
      pgbench -n -M prepared -c 1 -t "$n" --random-seed=4242 "${PGBENCH_VARS[@]}" -f "$(variant_file "$wl" "$v")@1" "chk_$v" \
        > "$W/chk.out" 2>&1 || { cat "$W/chk.out" >&2; rc=1; }
    done
    sleep 1   # the backends' counts reach the statistics as they exit
    write_counts "chk_$v" > "$W/chk1.$v"
    join -t'|' "$W/chk0.$v" "$W/chk1.$v" | awk -F'|' '{ printf "%s inserted %d updated %d deleted %d\n", $1, $5 - $2, $6 - $3, $7 - $4 }' \
      | grep -v 'inserted 0 updated 0 deleted 0$' > "$W/chk.$v" || true
  done
  "${PSQL[@]}" -c "DROP DATABASE chk_crm" -c "DROP DATABASE chk_floor"
  diff="$(diff "$W/chk.crm" "$W/chk.floor" | sed -n 's/^\([<>]\) /\1 /p' | sed 's/^</crm:/; s/^>/floor:/' | tr '\n' ';')"
  if [ $rc = 0 ] && [ -z "$diff" ]; then
    printf 'behaviour\tfloor (rows written, per table: %s)\tpass\n' "$(tr '\n' ';' < "$W/chk.crm" | sed 's/;$//; s/;/; /g')" >> "$NOTES"
    log "write check, floor against crm: pass"
  else
    printf 'behaviour\tfloor (rows written)\tFAIL: %s\n' "$diff" >> "$NOTES"; log "write check, floor against crm: FAIL: $diff"
  fi
}

! has_variant plpgsql || behaviour
[ -z "$BEFORE" ] || before_start
[ "$CITUS" = 0 ] || citus_bench_start

for scale in $SCALES; do
  [ "$INSTR" = 0 ] || [ "${#INSTR_DIR[@]}" = 0 ] || instr_server off
  setup_scale "$scale"
  [ "$CITUS" = 0 ] || citus_bench_setup "$scale"
  if has_variant floor && has_variant crm && [ "$scale" = "${SCALES%% *}" ]; then write_check; fi
  [ "$INSTR" = 0 ] || instr_server on
  log "scale $scale: $VAR_nleads leads, $VAR_nemp employees; $SECS s per point, clients $CLIENTS, $ROUNDS round(s)"
  for r in $(seq 1 "$ROUNDS"); do
    for wl in $WRITES $READS; do
      for c in $CLIENTS; do
        for v in $(round_order "$r"); do
          has_point "$wl" "$v" || continue
          point "$scale" "$wl" "$v" "$c" "" -T "$SECS"
        done
      done
    done
    # One transaction per variant per round (bulk loads, backlogs): fresh rows each time.
    for wl in $ONCE; do
      [[ " $LARGE_ONCE " != *" $wl "* ]] || [ "$scale" = "${SCALES##* }" ] || continue
      items_var="ITEMS_${wl//@/_}"; items_var="VAR_${!items_var}"
      for v in $(round_order "$r"); do
        has_point "$wl" "$v" || continue
        point "$scale" "$wl" "$v" 1 "${!items_var}" -t 1
      done
    done
    [ "$CITUS" = 0 ] || citus_routing "$scale" "$r"
  done
done

commit_mode="$(psql -X -At -c "SELECT 'fsync ' || current_setting('fsync') || ', synchronous_commit ' || current_setting('synchronous_commit') || ', shared_buffers ' || current_setting('shared_buffers')")"
BENCH_COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src test/bench 2>/dev/null || echo '+changes')" \
BENCH_VARIANTS="$VARIANTS" BENCH_CLUSTER="$(if [ -n "$KEEP" ]; then echo "kept in $KEEP (--keep)"; elif [ "$USE_CLUSTER" = 1 ]; then echo "given (--use-cluster)"; else echo throwaway; fi)" BENCH_COMMAND="$BENCH_COMMAND" BENCH_CITUS="${CITUS_TSV:-}" python3 "$BENCH/report.py" "$BENCH/workloads.tsv" "$RAW" "$NOTES" "$OUT" "$SECS" "$CLIENTS" "$ROUNDS" "$("$PG_CONFIG" --version)" "$commit_mode"
log "report: $OUT/report.md, $OUT/results.csv"
