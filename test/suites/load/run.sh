#!/usr/bin/env bash
# load: a mixed pgbench write load (16 clients: new leads of both types, status moves,
# deadline moves, clients and orders, invoices and payments, chat messages, and
# run_due) for a few seconds, then the invariants.  The scripts attempt only what
# the rules allow, so no client may stop on an error: any that does fails the suite.
# Full mode:
#   CRM_LOAD_SECONDS=300 scripts/test.sh load
REL_SUITE=load
. "$(dirname "$0")/../lib/common.sh"
W="$CRM_TMP/load"; mkdir -p "$W"
DB=rel_load
seconds="${CRM_LOAD_SECONDS:-8}" clients="${CRM_LOAD_CLIENTS:-16}"
rel_load_setup $DB 500
rc=0
rel_pgbench $DB "$clients" "$seconds" "$W/pgbench.log" -f "$REL_SUITE_DIR/run_due.sql@1" || rc=$?
grep -E '^(number of (transactions actually processed|failed|retried)|tps|.*aborted)' "$W/pgbench.log" | sed 's/^/    /' >&2 || true
# A client that stops on an error (a business refusal the scripts should never
# provoke) ends the run for that client: pgbench exits 2 and logs "aborted".
if [ $rc != 0 ] || grep -q 'aborted' "$W/pgbench.log"; then
  grep -m 5 'aborted\|error' "$W/pgbench.log" | cut -c1-300 >&2 || true
  rel_fail "pgbench exited $rc: $(grep -c 'client [0-9]* .*aborted' "$W/pgbench.log" || true) of $clients clients aborted"
fi
n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$W/pgbench.log")
[ "${n:-0}" -gt 0 ] || rel_fail "no transaction completed"
T="$(rel_val -d $DB -c "SELECT now() + interval '1 day'")"
rel_val -d $DB -c "SELECT * FROM crm.run_due('$T', 1000000)" >/dev/null
REL_CHECK_OVERDUE=true rel_invariants $DB "'$T'::timestamptz" ||
  rel_fail "invariants broken after the load"
rel_log "$clients clients, ${seconds}s: $n transactions; invariants hold"
rel_psql -d postgres -c "DROP DATABASE $DB" -c "DROP ROLE rel_load"
