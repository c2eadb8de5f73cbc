#!/usr/bin/env bash
# Runs every crm test suite against a throwaway PostgreSQL 15 cluster:
# pg_regress, pgTAP through pg_prove, isolation specs, and the scripted suites
# in test/suites/.  Installs what it needs first.  Exits non-zero on any failure.
#
#   scripts/test.sh            everything
#   scripts/test.sh pgtap      only the named suites (regress, isolation, pgtap, or a test/suites name)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

crm_install_packages
crm_build_install
crm_cluster_start

wanted=("$@")
want() { [ ${#wanted[@]} -eq 0 ] && return 0; local w; for w in "${wanted[@]}"; do [ "$w" = "$1" ] && return 0; done; return 1; }

passed=0; failed=0; failed_names=()
record() {  # record NAME STATUS
  if [ "$2" = 0 ]; then passed=$((passed + 1)); log "suite $1: ok"
  else failed=$((failed + 1)); failed_names+=("$1"); log "suite $1: FAILED"; fi
}

if want regress; then
  rc=0; make -s PG_CONFIG="$PG_CONFIG" installcheck-regress-only || rc=$?
  [ $rc = 0 ] || { [ -f regression.diffs ] && head -c 20000 regression.diffs; }
  record regress $rc
fi

if want isolation; then
  rc=0; make -s PG_CONFIG="$PG_CONFIG" installcheck-isolation-only || rc=$?
  [ $rc = 0 ] || { [ -f test/output_iso/regression.diffs ] && head -c 20000 test/output_iso/regression.diffs; }
  record isolation $rc
fi

if want pgtap; then
  rc=0
  psql -q -X -v ON_ERROR_STOP=1 -c 'CREATE DATABASE crm_tap' &&
  psql -q -X -v ON_ERROR_STOP=1 -d crm_tap -c 'CREATE EXTENSION pgtap' -c 'CREATE EXTENSION crm' \
       -f test/fixtures.sql || rc=$?
  [ $rc = 0 ] && { pg_prove -d crm_tap test/pgtap/*.sql || rc=$?; }
  record pgtap $rc
fi

for suite in test/suites/*.sh; do
  [ -e "$suite" ] || continue
  name="$(basename "$suite" .sh)"
  want "$name" || continue
  rc=0; CRM_TMP="$CRM_TMP" PGBIN="$PGBIN" bash "$suite" || rc=$?
  record "$name" $rc
done

echo
[ $failed = 0 ] || log "failed suites: ${failed_names[*]}"
echo "suites: $passed passed, $failed failed"
[ $failed = 0 ]
