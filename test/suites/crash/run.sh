#!/usr/bin/env bash
# crash: a private cluster is killed with SIGKILL (postmaster and every backend) in the
# middle of run_due over a backlog and a mixed pgbench write load, restarted (crash
# recovery), and checked: numbers unique and gapless, every status change in the
# history, no due item handled twice, no alert or payment duplicated; then run_due
# finishes the backlog and nothing due is left.  CRM_CRASH_ROUNDS (default 2).
REL_SUITE=crash
. "$(dirname "$0")/../lib/common.sh"
C="$CRM_TMP/crash"
rounds="${CRM_CRASH_ROUNDS:-2}"
rel_cluster_init "$C" "fsync = off"
rel_cluster_start "$C"
trap 'rel_cluster_stop "$C"' EXIT
export PGHOST="$C" PGPORT=5432
DB=rel_crash
rel_load_setup $DB 3000
rel_log "backlog of 3000 overdue leads"

for r in $(seq 1 "$rounds"); do
  # run_due in small batches, in two sessions, and the write load, all at once.
  for s in 1 2; do
    ( while psql -X -q -At -d $DB -c "SELECT * FROM crm.run_due(now(), 20)" >/dev/null 2>&1; do :; done ) &
  done
  rel_pgbench $DB 8 30 "$C/pgbench.$r.log" &
  sleep "${CRM_CRASH_AFTER:-3}"
  # Every process of the cluster, even one forked as the kill began (one that escaped
  # would wait forever on a lock of a killed one, and hold the shared memory).
  killed=$(rel_kill_cluster "$C")
  wait || true
  rel_cluster_start "$C" || { tail -5 "$C/server.log" >&2; rel_fail "restart after crash $r failed"; }
  n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$C/pgbench.$r.log")
  rel_log "round $r: killed $killed during load; restarted"
  REL_CHECK_OVERDUE=false rel_invariants $DB || rel_fail "invariants broken after crash $r"
done
grep -q 'database system was interrupted\|not properly shut down' "$C/server.log" ||
  rel_fail "the server log shows no crash recovery: the kill missed"
T="$(rel_val -d $DB -c "SELECT now()")"
rel_val -d $DB -c "SELECT * FROM crm.run_due('$T', 1000000)" >/dev/null
REL_CHECK_OVERDUE=true rel_invariants $DB "'$T'::timestamptz" || rel_fail "invariants broken after finishing run_due"
if rel_crashed "$C/server.log" | grep -v 'signal 9' | grep -q .; then rel_crashed "$C/server.log" >&2; rel_fail "a crash other than ours"; fi
rel_log "$rounds SIGKILL crashes survived; invariants hold; run_due finished the backlog"
