#!/usr/bin/env bash
# citus: crm distributed over a real Citus cluster (test/suites/lib/citus.sh: Citus built
# from ../shared/citus/ when missing, a coordinator and two workers on 127.0.0.1), every
# statement through the coordinator:
#   1. crm.distribute(): every table distributed by account and colocated with
#      crm.accounts (crm.login_bindings a reference table), no foreign-key cycle, every
#      worker's ids in a range of its own; a second call does nothing and says so;
#   2. two accounts placed on different workers (get_shard_id_for_distribution_column);
#   3. as on one server: numbering, transitions and their errors, phone normalisation,
#      clients linked to leads and orders to leads, invoices, payments, failed-payment
#      alerts, calls, the chat list, each account's numbers its own (behaviour.sql);
#   4. tenant isolation: a login bound to one account reads and writes nothing of the other;
#   5. account A's shards moved to the other worker (citus_move_shard_placement), then
#      more writes: no id collides (trigger-written rows take the new node's range);
#      a third worker added, crm.distribute() again gives it its range, A moves there;
#   6. what Citus refuses is refused clearly (a SQLSTATE, never XX000 and never a
#      silent wrong answer): the limits the README's recipe names;
#   6b. an import from another CRM for an account on each worker, as on one server
#      (import.sh: staged, checked and run by an admin login through the coordinator);
#   7. a data-only dump through the coordinator, restored on one server and into a new
#      distributed cluster (restore.sh: every row as dumped; crm.distribute() again moves
#      every node's sequences past the restored ids of its range; both accounts write on);
#   7b. the outbox claimed across accounts through the coordinator, by one delivery
#      worker and by two at once (outbox.sh: disjoint claims, one server's order);
#   8. the pgTAP files named in pgtap.list, through the coordinator, a transaction per
#      step (pgtap.sh);
#   9. an update (crm's code replayed) on the distributed installation: refused as
#      Citus propagates it; node by node, with DDL propagation off, it works.
# Prints the time it took.
REL_SUITE=citus
. "$(dirname "$0")/../lib/common.sh"
. "$REL_LIB/citus.sh"
started=$SECONDS

citus_build || rel_fail "Citus is not available"
citus_cluster_start || rel_fail "the Citus cluster did not start"
: "${CITUS_SHARD_COUNT:=8}"

# q SQL...: the coordinator, as the owner (or $CITUS_USER); expect LABEL WANT GOT;
# in_account ACCOUNT SQL: one transaction in ACCOUNT (lib/citus.sh).
q() { citus_q "$@"; }
expect() { citus_expect "$@"; }
in_account() { citus_in_account "$@"; }
# refused LABEL SQLSTATE ACCOUNT SQL: the transaction fails with that SQLSTATE.
refused() {
  local out
  if out="$(in_account "$3" "\\set VERBOSITY verbose
$4" 2>&1)"; then rel_fail "$1: not refused (got: $out)"; fi
  grep -q "ERROR:  $2:" <<<"$out" || rel_fail "$1: wanted SQLSTATE $2, got: $(grep ERROR <<<"$out" | head -3)"
  echo "ok - $1 (refused, $2)"
}
# limit LABEL ACCOUNT SQL: works, or is refused clearly: a SQLSTATE other than XX000, or
# one of Citus's own refusals (XX000, with a message naming what Citus cannot do).
citus_refusals='cannot execute a distributed query from a query on a shard|could not run distributed query with FOR UPDATE/SHARE|modified by a different user|distributed deadlock|cannot perform distributed planning|is not supported'
limit() {
  local out state
  if out="$(in_account "$2" "\\set VERBOSITY verbose
$3" 2>&1)"; then echo "ok - $1 (works)"; return 0; fi
  state="$(sed -n 's/^ERROR:  \([0-9A-Z]\{5\}\): .*/\1/p' <<<"$out" | head -1)"
  if [ -z "$state" ] || { [ "$state" = XX000 ] && ! grep -m1 '^ERROR' <<<"$out" | grep -Eq "$citus_refusals"; }; then
    rel_fail "$1: refused unclearly: $(grep ERROR <<<"$out" | head -2)"
  fi
  echo "ok - $1 # a limit on Citus: $(grep -m1 '^ERROR' <<<"$out" | cut -c1-140)"
}
# known LABEL CONDITION-SQL: a wrong answer crm gives on Citus today (issue 18, point 2);
# printed as a TODO, not a failure, until it holds.
known() {
  if [ "$(q -c "$2")" = t ]; then echo "ok - $1"; else echo "not ok - $1 # TODO wrong on Citus: see the README's limits"; fi
}

# ---- 1. the layout ----
out="$(PGOPTIONS="-c citus.shard_count=$CITUS_SHARD_COUNT -c client_min_messages=warning" q -c 'SELECT crm.distribute()')"
case "$out" in "distributed "*" tables by account"*) ;; *) rel_fail "crm.distribute() said: $out" ;; esac
echo "ok - crm.distribute(): $out"
again="$(PGOPTIONS='-c client_min_messages=warning' q -c 'SELECT crm.distribute()')"
case "$again" in "crm is already distributed"*", 0 sequences moved, 0 past ids already there") ;; *) rel_fail "a second crm.distribute() said: $again" ;; esac
echo "ok - a second call does nothing: $again"
# A coordinator that is to hold shards itself is refused (crm's rules run in a worker's tasks).
out="$(q -v VERBOSITY=verbose -c "SELECT citus_set_node_property('127.0.0.1', $(citus_port 0), 'shouldhaveshards', true)" \
  -c 'SELECT crm.distribute()' 2>&1 || true)"
q -c "SELECT citus_set_node_property('127.0.0.1', $(citus_port 0), 'shouldhaveshards', false)" >/dev/null
grep -q 'ERROR:  0A000: crm.distribute() needs a Citus coordinator that holds no shards' <<<"$out" ||
  rel_fail "crm.distribute() with shouldhaveshards on the coordinator: $out"
echo "ok - a coordinator with shouldhaveshards = true: crm.distribute() refuses (0A000)"
expect "every crm table is distributed" \
  "$(q -c "SELECT count(*) FROM pg_class WHERE relnamespace = 'crm'::regnamespace AND relkind = 'r'")" \
  "$(q -c "SELECT count(*) FROM pg_dist_partition WHERE logicalrelid::regclass::text LIKE 'crm.%'")"
expect "distributed by account, one colocation group; crm.login_bindings a reference table" \
  "crm.login_bindings n|1" \
  "$(q -F ' ' -c "SELECT string_agg(logicalrelid::regclass::text || ' ' || partmethod::text, ',') FILTER (WHERE partmethod <> 'h')
                   || '|' || count(DISTINCT colocationid) FILTER (WHERE partmethod = 'h')
                 FROM pg_dist_partition WHERE logicalrelid::regclass::text LIKE 'crm.%'")"
expect "crm.accounts by id, the others by account_id" "id|account_id" \
  "$(q -c "SELECT string_agg(DISTINCT column_to_column_name(logicalrelid, partkey), '|' ORDER BY column_to_column_name(logicalrelid, partkey) DESC)
           FROM pg_dist_partition WHERE partmethod = 'h' AND logicalrelid::regclass::text LIKE 'crm.%'")"
expect "no two crm tables refer to each other" "" \
  "$(q -c "SELECT string_agg(a.conrelid::regclass || ' <-> ' || a.confrelid::regclass, ', ')
           FROM pg_constraint a JOIN pg_constraint b ON b.conrelid = a.confrelid AND b.confrelid = a.conrelid
           WHERE a.contype = 'f' AND b.contype = 'f' AND a.conrelid <> a.confrelid AND a.connamespace = 'crm'::regnamespace")"
for n in 1 2; do
  g="$(citus_val $n -c 'SELECT groupid FROM pg_dist_local_group')"
  expect "worker $n (group $g): every crm sequence in its range" "t" \
    "$(citus_val $n -c "SELECT bool_and(last_value >= $g::bigint << 48) FROM pg_sequences WHERE schemaname = 'crm'")"
done

# ---- 2. two accounts on different workers ----
q -f "$REL_ROOT/test/fixtures.sql" >/dev/null
node_of() { q -c "SELECT nodeport FROM pg_dist_shard_placement WHERE shardid = get_shard_id_for_distribution_column('crm.accounts', $1)"; }
A="$(q -c "SELECT crm_test.company('Citus A')")"
B=""; for i in 1 2 3 4 5 6 7 8; do
  b="$(q -c "SELECT crm_test.company('Citus B$i', 'DE')")"
  [ "$(node_of "$b")" != "$(node_of "$A")" ] && { B=$b; break; }
done
[ -n "$B" ] || rel_fail "no account on the other worker"
rel_log "account $A on :$(node_of "$A"), account $B on :$(node_of "$B")"
echo "ok - accounts $A and $B live on different workers"

# ---- 3. as on one server: the same day's work on the cluster (both accounts) and on one server ----
day() {  # day PSQL-COMMAND... : behaviour.sql for account $acc with phones of its region
  "$@" -v raw="$raw" -v raw2="$raw2" -v raw3="$raw3" -f "$REL_SUITE_DIR/behaviour.sql"
}
single=crm_citus_single
rel_psql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $single" -c "CREATE DATABASE $single"
rel_psql -d $single -c 'CREATE EXTENSION crm' -f "$REL_ROOT/test/fixtures.sql" >/dev/null
SA="$(rel_val -d $single -c "SELECT crm_test.company('Citus A')")"
SB="$(rel_val -d $single -c "SELECT crm_test.company('Citus B', 'DE')")"
for who in A B; do
  if [ $who = A ]; then raw='8 (916) 555-11-22' raw2='+7 916 555 11 22' raw3='89165551122' acc=$A sacc=$SA
  else raw='030 1234567' raw2='+49 30 1234567' raw3='0049301234567' acc=$B sacc=$SB; fi
  got="$(day citus_val 0 -v acc="$acc")" || rel_fail "account $who's day failed on the cluster: $got"
  want="$(day rel_val -d $single -v acc="$sacc")" || rel_fail "account $who's day failed on one server"
  [ "$got" = "$want" ] || { diff <(tr '|' '\n' <<<"$want") <(tr '|' '\n' <<<"$got") >&2; rel_fail "account $who: the cluster differs from one server"; }
  echo "ok - account $who's day on the cluster as on one server:"
  tr '|' '\n' <<<"$got" | sed 's/^/#   /'
done
expect "account A's numbers go on, B's are its own" "L-00004 L-00004" \
  "$(in_account "$A" "INSERT INTO crm.leads (contact_name) VALUES ('Next') RETURNING number;") $(in_account "$B" "INSERT INTO crm.leads (contact_name) VALUES ('Next') RETURNING number;")"

# ---- errors, with their SQLSTATEs, through the coordinator ----
S_NEW_A="$(q -c "SELECT crm_test.id('statuses', $A, 'New')")"
S_WON_A="$(q -c "SELECT crm_test.id('statuses', $A, 'Won')")"
S_NEW_B="$(q -c "SELECT crm_test.id('statuses', $B, 'New')")"
L_A="$(in_account "$A" "INSERT INTO crm.leads (contact_name) VALUES ('Errors') RETURNING id;")"
refused "a move the rules do not allow" 55000 "$A" "SELECT crm.transition_lead($L_A, $S_WON_A);"
out="$(in_account "$A" "SELECT crm.transition_lead($L_A, $S_WON_A);" 2>&1 || true)"
grep -q 'HINT:  Allowed from "New": "In work", "Lost".' <<<"$out" || rel_fail "the refused move's hint: $out"
echo "ok - its hint names the allowed moves"
refused "a lead in a status of the other account" 23503 "$A" "UPDATE crm.leads SET status_id = $S_NEW_B WHERE account_id = $A AND id = $L_A;"

# ---- 4. tenant isolation: a login bound to account A ----
q -c "SET client_min_messages = warning" -c "DROP ROLE IF EXISTS crm_citus_a" -c "CREATE ROLE crm_citus_a LOGIN IN ROLE crm_manager" \
  -c "SELECT crm.bind_login('crm_citus_a', $A)" >/dev/null
as_a() { citus_val 0 -U crm_citus_a "$@"; }
expect "the bound login reads its account's leads only" \
  "$(q -c "SELECT count(*) FROM crm.leads WHERE account_id = $A") 0" \
  "$(as_a -c "SELECT count(*) FROM crm.leads") $(as_a -c "SELECT count(*) FROM crm.leads WHERE account_id = $B")"
expect "and nothing of the other account anywhere (clients, invoices, events, employees)" "0 0 0 0" \
  "$(as_a -F ' ' -c "SELECT (SELECT count(*) FROM crm.clients WHERE account_id = $B), (SELECT count(*) FROM crm.invoices WHERE account_id = $B),
                         (SELECT count(*) FROM crm.events WHERE account_id = $B), (SELECT count(*) FROM crm.employees WHERE account_id = $B)")"
out="$(as_a -v VERBOSITY=verbose -c "INSERT INTO crm.leads (account_id, contact_name) VALUES ($B, 'Intruder')" 2>&1 || true)"
grep -q 'ERROR:  42501:' <<<"$out" || rel_fail "a write into the other account: $out"
echo "ok - a write into the other account is refused (42501)"
out="$(as_a -v VERBOSITY=verbose -c "BEGIN" -c "SET LOCAL crm.account_id = $B" -c "SELECT count(*) FROM crm.leads" 2>&1 || true)"
grep -q 'ERROR:  42501:' <<<"$out" || rel_fail "the bound login choosing the other account: $out"
echo "ok - choosing the other account is refused (42501)"
expect "the bound login writes in its account (numbering on its worker)" "L-00006" \
  "$(as_a -c "INSERT INTO crm.leads (contact_name) VALUES ('Bound') RETURNING number")"
# INSERT ... SELECT by the bound login (row-level security applies to it): Citus cannot
# push it down (each row's id is an identity), and would COPY the rows into the shards,
# which PostgreSQL refuses under row-level security; crm has them sent as INSERTs.  crm
# loaded at the session's start, as shared_preload_libraries does on a deployed node.
q -c "ALTER ROLE crm_citus_a SET session_preload_libraries = 'crm'" >/dev/null
expect "INSERT ... SELECT by a crm role: its rows, numbered on its worker, each with its history, nothing returned" \
  "rows 3|3 L-00007 L-00009|3" \
  "$(as_a -F ' ' -c "INSERT INTO crm.leads (contact_name) SELECT 'Bulk ' || g FROM generate_series(1, 3) g" -c '\echo rows :ROW_COUNT' \
       -c "SELECT count(*), min(number), max(number) FROM crm.leads WHERE contact_name LIKE 'Bulk %'" \
       -c "SELECT count(*) FROM crm.lead_events e JOIN crm.leads l ON l.account_id = e.account_id AND l.id = e.lead_id
           WHERE l.contact_name LIKE 'Bulk %' AND e.kind = 'created'" | paste -sd '|')"
expect "INSERT ... SELECT from a distributed table (a CTE), and the row count a function gets" \
  "rows $(q -c "SELECT least(count(*), 2) FROM crm.clients WHERE account_id = $A")|NOTICE:  rows 2" \
  "$(as_a -c "WITH c AS (SELECT id FROM crm.clients ORDER BY id LIMIT 2) INSERT INTO crm.conversations (client_id) SELECT id FROM c" \
       -c '\echo rows :ROW_COUNT' -c "DO \$\$DECLARE n bigint; BEGIN
         INSERT INTO crm.leads (contact_name) SELECT 'Counted ' || g FROM generate_series(1, 2) g;
         GET DIAGNOSTICS n = ROW_COUNT; RAISE NOTICE 'rows %', n; END\$\$" 2>&1 | paste -sd '|')"
out="$(as_a -v VERBOSITY=verbose -c "INSERT INTO crm.leads (account_id, contact_name) SELECT $B, 'Intruder ' || g FROM generate_series(1, 2) g" 2>&1 || true)"
grep -q 'ERROR:  42501:' <<<"$out" || rel_fail "an INSERT ... SELECT into the other account: $out"
expect "an INSERT ... SELECT into the other account is refused (42501) and writes nothing" "0" \
  "$(q -c "SELECT count(*) FROM crm.leads WHERE contact_name LIKE 'Intruder %'")"
# Without crm loaded when the statement is planned (not preloaded, the session's first
# statement), Citus's COPY comes back, and PostgreSQL refuses it (the README's limit).
q -c "ALTER ROLE crm_citus_a RESET session_preload_libraries" >/dev/null
if grep -qw crm <<<"$(q -c 'SHOW shared_preload_libraries')"; then
  echo "ok - an INSERT ... SELECT in a session without crm loaded # crm is preloaded on these nodes"
else
  out="$(as_a -v VERBOSITY=verbose -c "INSERT INTO crm.leads (contact_name) SELECT 'Unloaded ' || g FROM generate_series(1, 2) g" 2>&1 || true)"
  grep -q 'ERROR:  0A000: COPY FROM not supported with row-level security' <<<"$out" ||
    rel_fail "an INSERT ... SELECT in a session without crm loaded: $out"
  expect "an INSERT ... SELECT in a session without crm loaded (not preloaded) is refused (0A000, PostgreSQL) and writes nothing" "0" \
    "$(q -c "SELECT count(*) FROM crm.leads WHERE contact_name LIKE 'Unloaded %'")"
fi

# ---- 5. account A's shards moved to the other worker; writes go on ----
from="$(node_of "$A")"; to="$(node_of "$B")"
shard="$(q -c "SELECT get_shard_id_for_distribution_column('crm.accounts', $A)")"
q -c "SELECT citus_move_shard_placement($shard, '127.0.0.1', $from, '127.0.0.1', $to, shard_transfer_mode => 'block_writes')" >/dev/null ||
  rel_fail "citus_move_shard_placement"
expect "account A now lives beside B" "$to" "$(node_of "$A")"
S_WORK_A="$(q -c "SELECT crm_test.id('statuses', $A, 'In work')")"
for i in $(seq 1 20); do
  in_account "$A" "INSERT INTO crm.leads (contact_name) VALUES ('Moved $i') RETURNING id AS l \\gset
SELECT (crm.transition_lead(:l, $S_WORK_A)).status_id IS NOT NULL AS moved \\gset" >/dev/null ||
    rel_fail "write $i after the move"
done
echo "ok - 20 leads and transitions after the move (their events written on the new worker)"
expect "the events after the move take ids of the new worker's range (none there before)" "40" \
  "$(q -c "SELECT count(*) FROM crm.lead_events, (SELECT groupid::bigint << 48 AS lo FROM pg_dist_node WHERE nodeport = $to) g
           WHERE account_id = $A AND id >= g.lo AND id < g.lo + (1::bigint << 48)")"
expect "account A's numbers go on after the move" "L-00032" \
  "$(in_account "$A" "INSERT INTO crm.leads (contact_name) VALUES ('After') RETURNING number;")"

# ---- 5b. a new worker: crm.distribute() again gives it its range; A moves there, writes go on ----
citus_worker_add 3 || rel_fail "a third worker"
out="$(PGOPTIONS='-c client_min_messages=warning' q -c 'SELECT crm.distribute()')"
case "$out" in "crm is already distributed"*"id ranges of 3 workers checked, "*" sequences moved, "*" past ids already there") ;; *) rel_fail "crm.distribute() after a new worker said: $out" ;; esac
g3="$(citus_val 3 -c 'SELECT groupid FROM pg_dist_local_group')"
expect "the new worker (group $g3) has its range: $out" "t" \
  "$(citus_val 3 -c "SELECT bool_and(last_value >= $g3::bigint << 48) FROM pg_sequences WHERE schemaname = 'crm'")"
q -c "SELECT citus_move_shard_placement($shard, '127.0.0.1', $to, '127.0.0.1', $(citus_port 3), shard_transfer_mode => 'block_writes')" >/dev/null ||
  rel_fail "citus_move_shard_placement to the new worker"
for i in $(seq 1 5); do
  in_account "$A" "INSERT INTO crm.leads (contact_name) VALUES ('New worker $i') RETURNING id AS l \\gset
SELECT (crm.transition_lead(:l, $S_WORK_A)).status_id IS NOT NULL AS moved \\gset" >/dev/null ||
    rel_fail "write $i on the new worker"
done
expect "account A on the new worker: its events there take the new worker's ids" "10" \
  "$(q -c "SELECT count(*) FROM crm.lead_events WHERE account_id = $A AND id >= $g3::bigint << 48 AND id < ($g3::bigint + 1) << 48")"

# ---- 6. what Citus does not do (yet), refused clearly; what it gets wrong, flagged ----
ANNA_A="$(q -c "SELECT crm_test.id('employees', $A, 'Anna')")"
HIDDEN_A="$(q -c "SELECT crm_test.id('employees', $A, 'Hidden')")"
INV_A="$(q -c "SELECT max(id) FROM crm.invoices WHERE account_id = $A")"
limit "crm.record_payment (RETURNING the whole row)" "$A" "SELECT crm.record_payment($INV_A, 1, true);"
limit "a crm function called per row of a distributed table" "$A" \
  "SELECT count(crm.transition_lead(id, $S_WORK_A)) FROM crm.leads WHERE account_id = $A AND status_id = $S_NEW_A;"
# Citus opens its connections to the workers as the session's role: tenant roles log in.
q -c "SET client_min_messages = warning" -c "DROP ROLE IF EXISTS crm_citus_app" \
  -c "CREATE ROLE crm_citus_app LOGIN IN ROLE crm_service, crm_manager" >/dev/null
CITUS_USER=crm_citus_app limit "client reads as an employee (crm_service, crm.employee_id set)" "$A" \
  "SET LOCAL crm.employee_id = $ANNA_A; SELECT count(*) FROM crm.clients;"
# A session-level SET crm.account_id, or a set_config() of it, does not reach the workers:
# crm refuses the statement on the coordinator (crm preloaded there), not answered with no
# rows; a crm_service member with no account at all reads nothing, as on one server.
out="$(citus_val 0 -U crm_citus_app -v VERBOSITY=verbose -c "SET citus.propagate_set_commands = 'local'" \
  -c "SET crm.account_id = $A" -c "SELECT count(*) FROM crm.leads WHERE account_id = $A" 2>&1 || true)"
grep -q "ERROR:  42501: crm.account_id = $A does not reach the Citus worker nodes" <<<"$out" ||
  rel_fail "a read after a session-level SET crm.account_id: $out"
echo "ok - a session-level SET crm.account_id: the read is refused on the coordinator (42501, crm), not answered with no rows"
out="$(citus_val 0 -U crm_citus_app -v VERBOSITY=verbose -c "SET citus.propagate_set_commands = 'local'" -c 'BEGIN' \
  -c "SELECT set_config('crm.account_id', '$A', true)" -c "SELECT count(*) FROM crm.leads" 2>&1 || true)"
grep -q "ERROR:  42501: crm.account_id = $A does not reach the Citus worker nodes" <<<"$out" ||
  rel_fail "a read after set_config('crm.account_id', ..., true): $out"
echo "ok - set_config('crm.account_id', ..., true): refused on the coordinator (42501, crm)"
# A propagated search_path with a schema before pg_catalog would make the workers' queries call
# that schema's functions and operators for pg_catalog's: crm refuses it on the coordinator.
out="$(citus_val 0 -U crm_citus_app -v VERBOSITY=verbose -c "SET citus.propagate_set_commands = 'local'" -c 'BEGIN' \
  -c "SET LOCAL search_path = public, pg_catalog" 2>&1 || true)"
grep -q 'ERROR:  42501: search_path = public, pg_catalog would reach the Citus worker nodes with schema "public" before pg_catalog' <<<"$out" ||
  rel_fail "SET LOCAL search_path = public, pg_catalog: $out"
echo "ok - SET LOCAL search_path with a schema before pg_catalog: refused on the coordinator (42501, crm)"
expect "a crm_service member with no account reads nothing (as on one server)" "0|0" \
  "$(citus_val 0 -U crm_citus_app -c "SELECT (SELECT count(*) FROM crm.leads), (SELECT count(*) FROM crm.accounts)")"
limit "crm.run_due() for every account" "$A" "SELECT count(*) FROM crm.run_due();"
limit "INSERT ... SELECT between distributed tables" "$A" \
  "INSERT INTO crm.leads (contact_name) SELECT name FROM crm.clients WHERE account_id = $A LIMIT 1;"
# Wrong answers to flag: a comment given to a function reaches its trigger only on one
# server; an employee without can_see_customers sees customer data (Citus 13 turns a
# shard's RESTRICTIVE policies into PERMISSIVE ones; the account policy still holds).
L_C="$(in_account "$A" "INSERT INTO crm.leads (contact_name) VALUES ('Commented') RETURNING id;")"
in_account "$A" "SELECT (crm.transition_lead($L_C, $S_WORK_A, 'qualified by phone')).status_id;" >/dev/null
known "a transition's comment reaches the history" \
  "SELECT detail->>'comment' = 'qualified by phone' FROM crm.lead_events WHERE account_id = $A AND lead_id = $L_C AND kind = 'status_changed'"
hidden_sees="$(CITUS_USER=crm_citus_app in_account "$A" "SET LOCAL crm.employee_id = $HIDDEN_A; SELECT count(*) FROM crm.clients;" 2>/dev/null || echo refused)"
case "$hidden_sees" in
  0) echo "ok - an employee without can_see_customers reads no client" ;;
  refused) echo "ok - an employee without can_see_customers reads no client (refused: see the limit above)" ;;
  *) echo "not ok - an employee without can_see_customers reads no client: reads $hidden_sees # TODO wrong on Citus: see the README's limits" ;;
esac
expect "a bound login of account A still reads nothing of B's invoices (the account policy holds on every shard)" "0" \
  "$(as_a -c "SELECT count(*) FROM crm.invoices WHERE account_id = $B")"

# ---- 6b. an import for an account on each worker, as on one server (import.sh) ----
. "$REL_SUITE_DIR/import.sh"
citus_import_run "$single" "$A" "$SA" "$B" "$SB"

# ---- 7. a data-only dump through the coordinator ----
W="$CITUS_DIR/dump"; mkdir -p "$W"
env $(citus_env 0) pg_dump --data-only -f "$W/data.sql" 2> "$W/pg_dump.log" || { cat "$W/pg_dump.log" >&2; rel_fail "pg_dump through the coordinator"; }
dumped="$(q -f "$REL_LIB/snapshot.sql" | grep '^table ')"
for t in leads lead_events invoices payments events login_bindings; do
  expect "the dump holds every row of crm.$t (both accounts, both workers)" \
    "$(q -c "SELECT count(*) FROM crm.$t")" \
    "$(awk -v t="COPY crm.$t " 'index($0, t) == 1 {on = 1; next} on && $0 == "\\." {on = 0} on {n++} END {print n + 0}' "$W/data.sql")"
done
# Restored on one server: every row back, the rules go on.
restored=crm_citus_restored
rel_psql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $restored" -c "CREATE DATABASE $restored"
rel_psql -d $restored -c 'CREATE EXTENSION crm' >/dev/null
rel_psql -d $restored -f "$W/data.sql" > "$W/restore.log" 2>&1 || { tail -5 "$W/restore.log" >&2; rel_fail "the dump restored on one server"; }
for t in leads lead_events invoices events; do
  expect "restored on one server: crm.$t" "$(q -c "SELECT count(*) FROM crm.$t")" "$(rel_val -d $restored -c "SELECT count(*) FROM crm.$t")"
done
expect "and numbering goes on there" "$(printf 'L-%05d' $(( $(q -c "SELECT max(number_seq) FROM crm.leads WHERE account_id = $A AND number LIKE 'L-%'") + 1 )))" \
  "$(rel_val -d $restored -c "SET crm.account_id = $A" -c "INSERT INTO crm.leads (contact_name) VALUES ('Restored') RETURNING number")"

# Restored into a new distributed cluster (restore.sh): every row as dumped, ids go on.
. "$REL_SUITE_DIR/restore.sh"
citus_restore_run "$W/data.sql" "$dumped" "$A" "$B"

# ---- 8. rules where the data lives (rules.sh), due work (due.sh), the outbox (outbox.sh), crm's pgTAP (pgtap.sh) ----
. "$REL_SUITE_DIR/rules.sh"
. "$REL_SUITE_DIR/pgtap.sh"
# two fresh accounts of their own, on different workers (A's and B's rows are the day's)
C="$(q -c "SELECT crm_test.company('Citus C')")"
D=""; for i in 1 2 3 4 5 6 7 8; do
  d="$(q -c "SELECT crm_test.company('Citus D$i', 'DE')")"
  [ "$(node_of "$d")" != "$(node_of "$C")" ] && { D=$d; break; }
done
[ -n "$D" ] || rel_fail "no second account on another worker for the rules"
citus_rules_setup "$C"
citus_rules_setup "$D"
citus_rules_run "$C" "$D"
. "$REL_SUITE_DIR/due.sh"
. "$REL_SUITE_DIR/outbox.sh"
# after the due work: the pgTAP files leave their committed rows (autopay and due_sets their
# due invoices), which due.sh's run_due for every account would count
citus_pgtap_run || rel_fail "a pgTAP file of pgtap.list failed through the coordinator"

# ---- 9. an update on the distributed installation: crm's code replayed ----
# An update with crm's code and no schema change (the code part of the update script
# the Makefile built), as the next release's update would replay it.
ext="$("$PG_CONFIG" --sharedir)/extension"; replay="$ext/crm--0.2.0--0.2.0-replay.sql"
if [ -w "$ext" ] && [ -f "$REL_ROOT/crm--0.1.0--0.2.0.sql" ]; then
  awk '/^-- ==== src\/upgrades\//{skip = 1; next} skip && /^-- ==== /{skip = 0} !skip' "$REL_ROOT/crm--0.1.0--0.2.0.sql" > "$replay"
  out="$(q -v VERBOSITY=verbose -c "ALTER EXTENSION crm UPDATE TO '0.2.0-replay'" 2>&1 || true)"
  grep -q 'triggers are not supported on distributed tables' <<<"$out" || { rm -f "$replay"; rel_fail "a plain ALTER EXTENSION UPDATE: $out"; }
  echo "ok - a plain ALTER EXTENSION crm UPDATE on the coordinator is refused (Citus: triggers are not supported on distributed tables)"
  out="$(q -v VERBOSITY=verbose -c "SET citus.enable_unsafe_triggers = on" -c "ALTER EXTENSION crm UPDATE TO '0.2.0-replay'" 2>&1 || true)"
  grep -q 'ERROR' <<<"$out" || { rm -f "$replay"; rel_fail "ALTER EXTENSION UPDATE propagated by Citus: $out"; }
  echo "ok - propagated by Citus it fails on a worker, nothing changed: $(grep -m1 '^ERROR' <<<"$out" | cut -c1-100)"
  expect "every node still has 0.2.0" "$(printf '0.2.0 %.0s' "${CITUS_PORTS[@]}" | sed 's/ $//')" \
    "$(for n in "${!CITUS_PORTS[@]}"; do citus_val $n -c "SELECT extversion FROM pg_extension WHERE extname = 'crm'"; done | tr '\n' ' ' | sed 's/ $//')"
  for n in "${!CITUS_PORTS[@]}"; do
    citus_psql $n -c "SET citus.enable_ddl_propagation = off" -c "SET citus.enable_unsafe_triggers = on" \
      -c "ALTER EXTENSION crm UPDATE TO '0.2.0-replay'" >/dev/null || { rm -f "$replay"; rel_fail "the update on node $n"; }
  done
  rm -f "$replay"
  expect "node by node (DDL propagation off), every node is updated" "$(printf '0.2.0-replay %.0s' "${CITUS_PORTS[@]}" | sed 's/ $//')" \
    "$(for n in "${!CITUS_PORTS[@]}"; do citus_val $n -c "SELECT extversion FROM pg_extension WHERE extname = 'crm'"; done | tr '\n' ' ' | sed 's/ $//')"
  expect "and crm works after it (a lead, its number, a transition, its events)" "t" \
    "$(in_account "$A" "INSERT INTO crm.leads (contact_name) VALUES ('Updated') RETURNING id AS l \\gset
SELECT (crm.transition_lead(:l, $S_WORK_A)).status_id = $S_WORK_A AS moved \\gset
SELECT :'moved'::boolean AND count(*) = 2 FROM crm.lead_events WHERE account_id = $A AND lead_id = :l;")"
  # the twins of the functions run on the account's worker (kit/delegate.h) stay delegated
  # (CREATE OR REPLACE keeps a function); a twin an update adds is delegated by
  # crm.distribute() called again, which names how many it delegated
  twins="SELECT count(*) FROM pg_proc p WHERE p.pronamespace = 'crm'::regnamespace AND p.proname LIKE '\\_%'
           AND p.proargnames[1] = 'account' AND p.proargtypes[0] = 'int8'::regtype"
  expect "after the update every twin is still delegated to its account's worker" "$(q -c "$twins")" \
    "$(q -c "$twins AND EXISTS (SELECT 1 FROM pg_dist_object o WHERE o.classid = 'pg_proc'::regclass AND o.objid = p.oid
                                  AND o.distribution_argument_index = 0 AND o.force_delegation)")"
  out="$(PGOPTIONS='-c client_min_messages=warning' q -c 'SELECT crm.distribute()')"
  case "$out" in *"0 functions newly delegated"*) echo "ok - crm.distribute() after the update: $out" ;;
    *) rel_fail "crm.distribute() after the update said: $out" ;; esac
else
  rel_log "skipped the update check: $ext is not writable here"
fi

rel_log "the citus suite took $((SECONDS - started)) s"
