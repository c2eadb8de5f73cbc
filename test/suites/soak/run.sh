#!/usr/bin/env bash
# soak: mixed work over many accounts for as long as asked, with faults, every outcome
# counted.  A private cluster with crm preloaded (its scheduler serves the database);
# 50 accounts (setup.sql); 16 pgbench clients of a crm_service login, each transaction
# in a random account as a random employee: new leads, moves along allowed transitions,
# deadline moves, chat messages, clients, categories, invoices (auto-cancel, autopay,
# call queue), payments (a third failing: alerts), charge results, refunds, calls
# claimed from the queue, call tasks, orders linked by phone (pgbench/*.sql); two more
# sessions run crm.run_due beside the worker.  Every transaction is one call of
# crm_soak.attempt, which records a documented refusal (crm_soak.allowed) as an
# outcome; any other error stops the client and fails the suite.
# The run is cut into segments; each has its faults, at random moments:
#   every segment  pg_terminate_backend of the scheduler (launcher or database worker)
#   even segments  SIGKILL of the postmaster and every backend, restart, invariants
#   every 4th (3, 7, ...)  a statement_timeout storm (ALTER SYSTEM, reload, and back)
#   one segment    a pg_dump, restored at the end into a fresh database and checked
# A client ends only with a fault, and each such end is counted: its connection lost in
# a crash (after the restart every client comes back for the rest of the segment), or,
# in a storm, a timeout that came due before the call entered crm_soak.attempt's block
# (the backend waiting for a CPU while it parsed the call), which pgbench cannot retry
# (it retries deadlocks and serialization failures only); the storm ends a second or
# two before its segment, and the next segment starts every client again.
# At the end: run_due to a day ahead, the invariants (test/suites/lib/invariants.sql and
# invariants.sql here), transactions per kind, outcomes per SQLSTATE, faults survived,
# rows per table, throughput per 10-second window.
#   CRM_SOAK_SECONDS (60)  seconds of load;  CRM_SOAK_SEED  the random choices (printed)
#   CRM_SOAK_CLIENTS (16), CRM_SOAK_ACCOUNTS (50), CRM_SOAK_STORM_MS (20)
REL_SUITE=soak
. "$(dirname "$0")/../lib/common.sh"
C="$CRM_TMP/soak"; P="$REL_SUITE_DIR/pgbench"
seconds="${CRM_SOAK_SECONDS:-60}" clients="${CRM_SOAK_CLIENTS:-16}" accounts="${CRM_SOAK_ACCOUNTS:-50}"
storm_ms="${CRM_SOAK_STORM_MS:-20}" storm_s=4
seed="${CRM_SOAK_SEED:-$(( $(date +%s) % 32768 ))}"; RANDOM=$seed
# Segments of 15 s up to a 2-minute run, else a 20th of it (90 s for half an hour).
seg=$(( seconds <= 120 ? 15 : seconds / 20 ))
nseg=$(( (seconds + seg - 1) / seg ))
dump_seg=$(( nseg / 2 < 1 ? 1 : nseg / 2 )); [ $(( dump_seg % 4 )) = 3 ] && dump_seg=$(( dump_seg + 1 ))
DB=rel_soak
rel_cluster_init "$C" "fsync = off" "max_connections = 60" "shared_preload_libraries = 'crm'" \
  "crm.database = '$DB'" "log_line_prefix = '%m [%p] %e %b '"
rel_cluster_start "$C"
trap 'rel_cluster_stop "$C"' EXIT
# The suite's own sessions are out of reach of the storm; pgbench's clients are not.
export PGHOST="$C" PGPORT=5432 PGOPTIONS="-c statement_timeout=0"
EV="$C/events"; : > "$EV"
event() { echo "$(date +%s.%N) $*" >> "$EV"; }
now_s() { date +%s.%N; }
rnd() { printf -v "$1" '%d' $(( $2 + RANDOM % ($3 - $2 + 1) )); }   # rnd VAR LO HI (no subshell: the seed decides)
since() { awk -v a="$(now_s)" -v b="$1" 'BEGIN { printf "%.1f", a - b }'; }   # seconds since $1

t0=$(now_s)
rel_new_db $DB
rel_psql -d $DB -v accounts="$accounts" -f "$REL_SUITE_DIR/setup.sql" >/dev/null
rel_log "seed $seed: $accounts accounts filled in $(since "$t0") s; $nseg segments of ${seg} s, $clients clients + 2 run_due sessions + the worker"

MAIN=(-f "$P/lead_new.sql@6" -f "$P/lead_move.sql@6" -f "$P/lead_deadline.sql@2" -f "$P/chat.sql@5"
      -f "$P/client_new.sql@1" -f "$P/client_category.sql@1" -f "$P/invoice_new.sql@3" -f "$P/pay.sql@4"
      -f "$P/charge_result.sql@1" -f "$P/refund.sql@1" -f "$P/call.sql@3" -f "$P/call_task.sql@1" -f "$P/order.sql@2")
bench() {  # bench NAME SECONDS CLIENTS SCRIPTS...: one pgbench of a segment, in the background
  local name="$1" len="$2" n="$3" rs=$RANDOM; shift 3
  PGOPTIONS='' pgbench -n -U soak_app -c "$n" -j "$(( n > 1 ? 2 : 1 ))" -T "$len" --max-tries=20 -D accounts="$accounts" \
    --random-seed="$rs" --progress=1 --progress-timestamp "$@" $DB > "$C/$name.out" 2>&1 &
}
crash() { event crash "$(rel_kill_cluster "$C")"; }
terminate() {  # the launcher in odd segments, a database worker (short-lived: the next one) in even ones
  local type="crm scheduler launcher"; [ $(( $1 % 2 )) = 0 ] && type="crm scheduler"
  event terminate "$type: $(rel_val -d $DB -c "SELECT crm_soak.terminate('$type')" 2>&1 | head -1)"
}
storm() {
  rel_val -d postgres -c "ALTER SYSTEM SET statement_timeout = '${storm_ms}ms'" -c "SELECT pg_reload_conf()" >/dev/null
  event storm_on "statement_timeout ${storm_ms}ms"
  sleep "$storm_s"
  rel_val -d postgres -c "ALTER SYSTEM RESET statement_timeout" -c "SELECT pg_reload_conf()" >/dev/null
  event storm_off ""
}
middump() {
  if pg_dump -Fc -d $DB -f "$C/mid.dump" 2> "$C/pg_dump.log"; then event dump "$(stat -c %s "$C/mid.dump") bytes"
  else event dump_failed "$(head -c 200 "$C/pg_dump.log")"; fi
  touch "$C/dump.done"
}

# Aborted clients of a part: each must be explained by the part's fault.
check_aborts() {  # check_aborts OUTFILE CRASHED STORMED
  local out="$1" crashed="$2" stormed="$3" line bad=0
  while IFS= read -r line; do
    case "$line" in
      *"server closed the connection"*|*"terminating connection"*|*"no connection to the server"*|*"could not receive data"*|*"perhaps the backend died"*|*"connection to server"*)
        [ "$crashed" = 1 ] && { echo crash >> "$C/aborts"; continue; } ;;
      # A statement timeout whose timer the storm's end (a reload) disarmed between firing
      # and the backend's check is reported as a cancel "due to user request".
      *"canceling statement due to statement timeout"*|*"canceling statement due to user request"*)
        [ "$stormed" = 1 ] && { echo storm >> "$C/aborts"; continue; } ;;
    esac
    rel_log "a client stopped on an error no fault explains: $line"; bad=1
  done < <(grep -E 'client [0-9]+ .*aborted|aborted in command' "$out" | cut -c1-400)
  return $bad
}

# run_part NAME SECONDS CRASH_AT TERM_AT STORM_AT DUMP_AT (0: none): the load with its
# faults, each at its second; a crash waits for a dump in flight.  Fails on an abort
# that no fault explains; sets part_n to the transactions done.
run_part() {
  local name="$1" len="$2" crash_at="$3" term_at="$4" storm_at="$5" dump_at="$6" pids faults=() s0 bad=0
  s0=$(now_s)
  bench "$name.main" "$len" "$clients" "${MAIN[@]}"; pids="$!"
  bench "$name.due" "$len" 2 -f "$P/run_due.sql"; pids="$pids $!"
  [ "$term_at" != 0 ] && { ( sleep "$term_at"; terminate "$k" ) & faults+=($!); }
  [ "$storm_at" != 0 ] && { ( sleep "$storm_at"; storm ) & faults+=($!); }
  [ "$dump_at" != 0 ] && { ( sleep "$dump_at"; middump ) & faults+=($!); }
  [ "$crash_at" != 0 ] && { ( sleep "$crash_at"; while [ "$dump_at" != 0 ] && [ ! -e "$C/dump.done" ]; do sleep 0.1; done; crash ) & faults+=($!); }
  wait $pids || true
  [ ${#faults[@]} = 0 ] || wait "${faults[@]}" || true
  load_s=$(awk -v a="$load_s" -v b="$(since "$s0")" 'BEGIN { print a + b }')
  check_aborts "$C/$name.main.out" "$([ "$crash_at" != 0 ] && echo 1)" "$([ "$storm_at" != 0 ] && echo 1)" || bad=1
  check_aborts "$C/$name.due.out" "$([ "$crash_at" != 0 ] && echo 1)" "$([ "$storm_at" != 0 ] && echo 1)" || bad=1
  [ "$bad" = 0 ] || rel_fail "$name: a client stopped on an error no fault explains"
  part_n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$C/$name.main.out")
}

: > "$C/aborts"
soak_start=$(now_s) load_s=0 crashes=0 storms=0 terms=0
for k in $(seq 1 "$nseg"); do
  len=$(( k < nseg ? seg : seconds - seg * (nseg - 1) ))
  crash_at=0 storm_at=0 dump_at=0 note=""
  [ $(( k % 2 )) = 0 ] && rnd crash_at $(( len * 3 / 10 )) $(( len * 9 / 10 ))
  # The storm ends a second or two before its segment does: a client it cuts is missed briefly.
  [ $(( k % 4 )) = 3 ] && [ "$len" -ge $(( storm_s + 4 )) ] && rnd storm_at $(( len - storm_s - 2 )) $(( len - storm_s - 1 ))
  [ "$k" = "$dump_seg" ] && dump_at=2
  rnd term_at 1 $(( (crash_at > 0 ? crash_at : len) - 1 ))
  s0=$(now_s)
  run_part "seg$k" "$len" "$crash_at" "$term_at" "$storm_at" "$dump_at"; n=${part_n:-0}
  terms=$((terms + 1)); [ "$storm_at" != 0 ] && storms=$((storms + 1)) && note+=", storm"
  [ "$dump_at" != 0 ] && note+=", pg_dump"
  if [ "$crash_at" != 0 ]; then
    r0=$(now_s)
    rel_cluster_start "$C" || { tail -5 "$C/server.log" >&2; rel_fail "restart after the crash in segment $k failed"; }
    crashes=$((crashes + 1))
    REL_CHECK_OVERDUE=false rel_invariants $DB || rel_fail "invariants broken after the crash in segment $k"
    took=$(since "$r0"); event restarted "$took s to restart and check"
    # Every client comes back and the segment's load goes on, without faults.
    rest=$(awk -v l="$len" -v d="$(since "$s0")" -v r="$(since "$r0")" 'BEGIN { printf "%d", l - (d - r) }')
    [ "$rest" -ge 2 ] && { run_part "seg${k}b" "$rest" 0 0 0 0; n=$(( n + ${part_n:-0} )); }
    note+=", crashed at ${crash_at} s, restarted and checked in $took s, resumed"
  fi
  rel_log "segment $k/$nseg (${len} s): ${n:-0} transactions$note"
done
grep -q 'database system was interrupted\|not properly shut down' "$C/server.log" || [ "$crashes" = 0 ] ||
  rel_fail "the server log shows no crash recovery: the kills missed"
grep -q ' dump ' "$EV" || rel_fail "the mid-run pg_dump failed: $(grep dump_failed "$EV" || true)"

# The end: the worker is back; all due work up to a day ahead is done, set-aside
# items retried; then the invariants.
rel_val -d $DB -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'crm scheduler launcher'" | grep -qx 1 ||
  rel_fail "the scheduler launcher is not running after the soak"
# The worker is stopped first (crm.scheduler = off): an item it holds is skipped by
# another run (SKIP LOCKED), and it acts on the real time, not on a day ahead.
rel_val -d postgres -c "ALTER SYSTEM SET crm.scheduler = off" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5   # the launcher rereads its settings
for i in $(seq 1 100); do
  [ "$(rel_val -d $DB -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'crm scheduler'")" = 0 ] && break
  sleep 0.1
done
T="$(rel_val -d $DB -c "SELECT now() + interval '1 day'")"
rel_val -d $DB -c "UPDATE crm.due_failures SET next_attempt_at = now()" -c "SELECT * FROM crm.run_due('$T', 100000000)" >/dev/null
REL_CHECK_OVERDUE=true rel_invariants $DB "'$T'::timestamptz" || rel_fail "invariants broken after the soak"
out="$(rel_val -d $DB -v now="'$T'::timestamptz" -v check_overdue=true -f "$REL_SUITE_DIR/invariants.sql")"
[ -z "$out" ] || { printf '%s\n' "$out" | head -20 >&2; rel_fail "soak invariants broken"; }

# The mid-run dump, restored into a fresh database (README, "Dump and restore").
rel_psql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS ${DB}_restored" -c "CREATE DATABASE ${DB}_restored"
PGOPTIONS='-c session_replication_role=replica' pg_restore --exit-on-error -d ${DB}_restored "$C/mid.dump"
rel_invariants ${DB}_restored || rel_fail "invariants broken in the restored mid-run dump"
out="$(rel_val -d ${DB}_restored -v now="now()" -v check_overdue=false -f "$REL_SUITE_DIR/invariants.sql")"
[ -z "$out" ] || { printf '%s\n' "$out" | head -20 >&2; rel_fail "soak invariants broken in the restored dump"; }
restored_rows=$(rel_val -d ${DB}_restored -c "SELECT count(*) FROM crm.leads")

# No error but the expected ones in the server log: no crash but ours, no internal error.
if rel_crashed "$C/server.log" | grep -v 'signal 9' | grep -q .; then rel_crashed "$C/server.log" >&2; rel_fail "a crash other than ours"; fi
if grep -E ' XX000 |PANIC|TRAP:' "$C/server.log" | grep -q .; then grep -E ' XX000 |PANIC|TRAP:' "$C/server.log" | head -5 >&2; rel_fail "an internal error in the server log"; fi

REL_C="$C" REL_DB="$DB" REL_EV="$EV" REL_START="$soak_start" \
  bash "$REL_SUITE_DIR/report.sh"
rel_log "$(printf '%.0f' "$load_s") s of load in $nseg segments: $crashes SIGKILL crashes, $storms statement_timeout storms, $terms scheduler terminations, a mid-run dump of $restored_rows leads restored; clients cut by faults: $(grep -c crash "$C/aborts" || true) by crashes, $(grep -c storm "$C/aborts" || true) by storms; invariants hold"
