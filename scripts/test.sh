#!/usr/bin/env bash
# Runs every crm test suite against a throwaway PostgreSQL 15 cluster:
# pg_regress (test/sql), isolation specs (test/isolation/specs), pgTAP through
# pg_prove (test/pgtap), and the scripted suites, each test/suites/NAME/run.sh
# (test/suites/lib holds what they share).  Installs what it needs first.  Logs
# each suite with its time in seconds; exits non-zero on any failure.
#
#   scripts/test.sh            everything
#   scripts/test.sh pgtap      only the named suites (regress, isolation, pgtap, or a test/suites name)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

# Freed memory is clobbered in the test servers, so a use after free shows at once.
export CRM_MALLOC_PERTURB="${CRM_MALLOC_PERTURB-165}"

crm_install_packages
crm_build_install
crm_cluster_start

wanted=("$@")
want() { [ ${#wanted[@]} -eq 0 ] && return 0; local w; for w in "${wanted[@]}"; do [ "$w" = "$1" ] && return 0; done; return 1; }

passed=0; failed=0; failed_names=()
# A suite fails when the shared server's log shows a backend killed by a signal
# while it ran, even if every assertion held (a crash ends other sessions too).
log_seen=0
server_crashed() {
  local log="$CRM_TMP/server.log" lines crashed=1
  lines=$(wc -l < "$log")
  if tail -n +"$((log_seen + 1))" "$log" | grep -E 'terminated by signal|was terminated by exception' >&2; then crashed=0; fi
  log_seen=$lines
  return $crashed
}
suite_started=$SECONDS
start_suite() { suite_started=$SECONDS; }
record() {  # record NAME STATUS: after start_suite, when the suite has ended
  local rc="$2" took=$((SECONDS - suite_started))
  if server_crashed; then log "suite $1: the server log shows a crash"; rc=1; fi
  if [ "$rc" = 0 ]; then passed=$((passed + 1)); log "suite $1: ok (${took} s)"
  else failed=$((failed + 1)); failed_names+=("$1"); log "suite $1: FAILED (${took} s)"; fi
}

if want regress; then
  start_suite; rc=0; make -s PG_CONFIG="$PG_CONFIG" installcheck-regress-only || rc=$?
  [ $rc = 0 ] || { [ -f test/output_regress/regression.diffs ] && head -c 20000 test/output_regress/regression.diffs; }
  record regress $rc
fi

if want isolation; then
  start_suite; rc=0; make -s PG_CONFIG="$PG_CONFIG" installcheck-isolation-only || rc=$?
  [ $rc = 0 ] || { [ -f test/output_isolation/regression.diffs ] && head -c 20000 test/output_isolation/regression.diffs; }
  record isolation $rc
fi

if want pgtap; then
  start_suite; rc=0
  psql -q -X -v ON_ERROR_STOP=1 -c 'CREATE DATABASE crm_tap' &&
  psql -q -X -v ON_ERROR_STOP=1 -d crm_tap -c 'CREATE EXTENSION pgtap' -c 'CREATE EXTENSION crm' \
       -f test/fixtures.sql || rc=$?
  [ $rc = 0 ] && { pg_prove -d crm_tap test/pgtap/*.sql || rc=$?; }
  record pgtap $rc
fi

for suite in test/suites/*/run.sh; do
  [ -e "$suite" ] || continue
  name="$(basename "$(dirname "$suite")")"
  want "$name" || continue
  start_suite; rc=0; CRM_TMP="$CRM_TMP" PGBIN="$PGBIN" bash "$suite" || rc=$?
  record "$name" $rc
done

echo
[ $failed = 0 ] || log "failed suites: ${failed_names[*]}"
echo "suites: $passed passed, $failed failed"
[ $failed = 0 ]
