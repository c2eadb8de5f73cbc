#!/usr/bin/env bash
# test/suites/citus/restore.sh: a data-only dump of the distributed installation restored
# into a new distributed cluster, as the README's backup recipe says:
#   0. crm.distribute() refuses an installation that already holds rows (55000): crm's
#      tables are distributed empty, and the rows come after, through the coordinator;
#   1. a new database on every node of the running cluster (a cluster of its own in
#      Citus's metadata: its coordinator and every worker), CREATE EXTENSION crm and
#      crm.distribute() on its coordinator;
#   2. the dump through its coordinator in one transaction, with SET LOCAL
#      row_security = off and check_function_bodies = off propagated to the workers
#      (citus.propagate_set_commands = 'local'), so that crm's triggers there know a
#      restore and keep every row as dumped: every table equal to the source's;
#   3. the restored ids drawn on the old workers lie in the new workers' ranges, ahead of
#      their sequences (a dump holds the coordinator's sequences only); crm.distribute()
#      again moves every node's sequences past them, and says how many;
#   4. both accounts write on: numbers go on, history and events take ids of the
#      workers' ranges, and a third distribute() finds nothing to move.
#
# Sourced by run.sh (citus_restore_run DUMP SOURCE_SNAPSHOT A B), once its cluster
# holds the dumped installation; uses its helpers q, expect and rel_*.
CITUS_RESTORE_DB=crm_citus_restored

# restore_q SQL...: the new database's coordinator, as the owner; restore_node N: node N's.
restore_q() { citus_val 0 -d "$CITUS_RESTORE_DB" "$@"; }
restore_node() { local n="$1"; shift; citus_val "$n" -d "$CITUS_RESTORE_DB" "$@"; }

# citus_restore_cluster: the new database on every node, its workers added, crm distributed.
citus_restore_cluster() {
  local n
  for n in "${!CITUS_PORTS[@]}"; do
    citus_psql "$n" -d postgres -c "SET client_min_messages = warning" \
      -c "DROP DATABASE IF EXISTS $CITUS_RESTORE_DB" -c "CREATE DATABASE $CITUS_RESTORE_DB" >/dev/null
    citus_psql "$n" -d "$CITUS_RESTORE_DB" -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION citus' >/dev/null
  done
  citus_psql 0 -d "$CITUS_RESTORE_DB" -c "SELECT citus_set_coordinator_host('127.0.0.1', $(citus_port 0))" >/dev/null
  for n in "${!CITUS_PORTS[@]}"; do
    [ "$n" = 0 ] || citus_psql 0 -d "$CITUS_RESTORE_DB" -c "SELECT citus_add_node('127.0.0.1', $(citus_port "$n"))" >/dev/null
  done
  citus_psql 0 -d "$CITUS_RESTORE_DB" -c 'CREATE EXTENSION crm' >/dev/null
  PGOPTIONS="-c citus.shard_count=${CITUS_SHARD_COUNT:-8} -c client_min_messages=warning" restore_q -c 'SELECT crm.distribute()'
}

# restore_behind TABLE: the workers whose sequence of TABLE's id is behind the largest
# restored id in the worker's range ("" when none is).
restore_behind() {
  local n g last top behind=""
  for n in "${!CITUS_PORTS[@]}"; do
    [ "$n" = 0 ] && continue
    g="$(restore_node "$n" -c 'SELECT groupid FROM pg_dist_local_group')"
    last="$(restore_node "$n" -c "SELECT coalesce(last_value, 0) FROM pg_sequences WHERE schemaname = 'crm' AND sequencename = '${1}_id_seq'")"
    top="$(restore_q -c "SELECT coalesce(max(id), 0) FROM crm.$1 WHERE id > $g::bigint << 48 AND id < ($g::bigint + 1) << 48")"
    [ -n "$last" ] && [ -n "$top" ] || rel_fail "no sequence crm.${1}_id_seq on node $n"
    [ "$top" -gt "$last" ] && behind="$behind group $g ($last < $top)"
  done
  echo "$behind"
}

# citus_restore_not_empty: crm.distribute() refuses an installation that holds rows (55000),
# in a database of the coordinator alone, and changes nothing.
citus_restore_not_empty() {
  local db=crm_citus_not_empty out
  citus_psql 0 -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
  citus_psql 0 -d "$db" -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION citus' -c 'CREATE EXTENSION crm' \
    -c "INSERT INTO crm.accounts (name) VALUES ('Loaded before')" >/dev/null
  out="$(citus_val 0 -d "$db" -v VERBOSITY=verbose -c 'SELECT crm.distribute()' 2>&1 || true)"
  grep -q "ERROR:  55000: crm.distribute() needs crm's tables empty" <<<"$out" || rel_fail "crm.distribute() over rows: $out"
  expect "crm.distribute() over rows is refused (55000) and distributes nothing" "0" \
    "$(citus_val 0 -d "$db" -c "SELECT count(*) FROM pg_dist_partition")"
  citus_psql 0 -d postgres -c "DROP DATABASE $db WITH (FORCE)" >/dev/null
}

citus_restore_run() {
  local dump="$1" source_snapshot="$2" a="$3" b="$4" out got t acc s_work before
  citus_restore_not_empty
  out="$(citus_restore_cluster)" || rel_fail "a new distributed cluster for the restore"
  case "$out" in "distributed "*) ;; *) rel_fail "crm.distribute() on the new cluster said: $out" ;; esac
  echo "ok - a new distributed cluster: $out"

  citus_psql 0 -d "$CITUS_RESTORE_DB" -1 -c "SET LOCAL citus.propagate_set_commands = 'local'" \
    -c "SET LOCAL row_security = off" -c "SET LOCAL check_function_bodies = off" \
    -f "$dump" > "$CITUS_DIR/restore-distributed.log" 2>&1 ||
    { tail -5 "$CITUS_DIR/restore-distributed.log" >&2; rel_fail "the dump restored into the new distributed cluster"; }
  got="$(restore_q -f "$REL_LIB/snapshot.sql" | grep '^table ')"
  [ "$got" = "$source_snapshot" ] ||
    { diff <(echo "$source_snapshot") <(echo "$got") >&2; rel_fail "the restored tables differ from the dumped ones"; }
  echo "ok - restored through the new coordinator: every crm table as dumped ($(wc -l <<<"$got") tables, rows and md5)"

  before=""
  for t in lead_events invoice_events; do got="$(restore_behind "$t")"; before="$before$got"; done
  [ -n "$before" ] || rel_fail "no restored id lies ahead of a new worker's sequence: the check below would prove nothing"
  echo "ok - restored ids drawn on the old workers are ahead of the new workers' sequences:$before"
  out="$(PGOPTIONS='-c client_min_messages=warning' restore_q -c 'SELECT crm.distribute()')"
  case "$out" in "crm is already distributed"*", 0 sequences moved, "*" past ids already there")
    [ "$(sed 's/.*, \([0-9]*\) past ids already there/\1/' <<<"$out")" -gt 0 ] || rel_fail "crm.distribute() moved nothing: $out" ;;
  *) rel_fail "crm.distribute() after the restore said: $out" ;; esac
  echo "ok - crm.distribute() again: $out"
  for t in lead_events invoice_events alerts outbox; do
    got="$(restore_behind "$t")"
    expect "every worker's sequence of crm.$t is past the restored ids of its range" "" "$got"
  done

  for acc in "$a" "$b"; do
    s_work="$(restore_q -c "SELECT id FROM crm.statuses WHERE account_id = $acc AND name = 'In work'")"
    want="$(printf 'L-%05d' $(( $(restore_q -c "SELECT max(number_seq) FROM crm.leads WHERE account_id = $acc AND number LIKE 'L-%'") + 1 )))"
    got="$(restore_q <<SQL
SET citus.propagate_set_commands = 'local';
BEGIN;
SET LOCAL crm.account_id = $acc;
INSERT INTO crm.leads (contact_name) VALUES ('After the restore') RETURNING id AS l, number AS n \gset
SELECT (crm.transition_lead(:l, $s_work)).status_id = $s_work AS moved \gset
COMMIT;
SELECT :'n' || ' ' || :'moved' || ' ' || count(*) FROM crm.lead_events WHERE account_id = $acc AND lead_id = :l;
SQL
)" || rel_fail "account $acc writing after the restore"
    expect "account $acc after the restore: its next number, a transition, its history" "$want t 2" "$got"
  done
  out="$(PGOPTIONS='-c client_min_messages=warning' restore_q -c 'SELECT crm.distribute()')"
  case "$out" in *", 0 sequences moved, 0 past ids already there") ;; *) rel_fail "a third crm.distribute() said: $out" ;; esac
  echo "ok - a third crm.distribute() finds nothing to move"
}
