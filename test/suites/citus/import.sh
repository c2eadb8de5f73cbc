#!/usr/bin/env bash
# test/suites/citus/import.sh: an import from another CRM through the Citus coordinator,
# for an account on each worker, as on one server:
#   1. an admin login (crm_service and crm_admin) stages clients, leads, an order, an
#      invoice and its payment (Citus names account_id and staging_id in the INSERT it
#      sends a shard: crm.distribute() lets crm_admin write them, and trigger
#      import_01_account holds the row to the session's account), checks them
#      (crm.import_staged) and runs the import (crm.import_run, delegated to the account's
#      worker through crm._import_run) in transactions of their own (import.sql);
#   2. the same on one server gives the same counts, rejects, leads with their numbers and
#      dated history, paid invoice, phones and links;
#   3. staging a row of another account is refused (42501, crm).
#
# Sourced by run.sh (citus_import_run SINGLE_DB A SA B SB: the accounts on the cluster and
# their twins on one server), once its cluster holds both accounts; uses its helpers.

citus_import_run() {
  local single="$1" who acc sacc emp semp raw got want out
  q -c "SET client_min_messages = warning" -c "DROP ROLE IF EXISTS crm_citus_importer" \
    -c "CREATE ROLE crm_citus_importer LOGIN IN ROLE crm_service, crm_admin" >/dev/null
  rel_psql -d "$single" -c "SET client_min_messages = warning" -c "DROP ROLE IF EXISTS crm_citus_importer" \
    -c "CREATE ROLE crm_citus_importer LOGIN IN ROLE crm_service, crm_admin" >/dev/null
  for who in A B; do
    if [ $who = A ]; then acc=$2 sacc=$3 raw='8 (916) 555-11-22; +7 916 765-43-21'
    else acc=$4 sacc=$5 raw='030 1234567; +49 30 7654321'; fi
    emp="$(q -c "SELECT crm_test.id('employees', $acc, 'Anna')")"
    semp="$(rel_val -d "$single" -c "SELECT crm_test.id('employees', $sacc, 'Anna')")"
    got="$(citus_val 0 -U crm_citus_importer -v acc="$acc" -v emp="$emp" -v raw="$raw" -f "$REL_SUITE_DIR/import.sql" 2>&1 | tail -1)" ||
      rel_fail "account $who's import through the coordinator: $got"
    want="$(rel_val -d "$single" -U crm_citus_importer -v acc="$sacc" -v emp="$semp" -v raw="$raw" -f "$REL_SUITE_DIR/import.sql" | tail -1)" ||
      rel_fail "account $who's import on one server"
    [ "$got" = "$want" ] || { diff <(tr '|' '\n' <<<"$want") <(tr '|' '\n' <<<"$got") >&2; rel_fail "account $who: the import on the cluster differs from one server"; }
    echo "ok - account $who's import through the coordinator (on its worker :$(node_of "$acc")) as on one server:"
    tr '|' '\n' <<<"$got" | sed 's/^/#   /'
  done
  out="$(citus_val 0 -U crm_citus_importer -v VERBOSITY=verbose <<SQL 2>&1 || true
SET citus.propagate_set_commands = 'local';
BEGIN;
SET LOCAL crm.account_id = $2;
INSERT INTO crm.import_clients (account_id, name) VALUES ($4, 'Intruder');
COMMIT;
SQL
)"
  grep -q "ERROR:  42501: cannot stage a row of account $4" <<<"$out" || rel_fail "staging a row of another account: $out"
  echo "ok - staging a row of another account is refused (42501)"
}
