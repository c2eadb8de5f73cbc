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
#      alerts, calls, each account's numbers its own (behaviour.sql);
#   4. tenant isolation: a login bound to one account reads and writes nothing of the other;
#   5. account A's shards moved to the other worker (citus_move_shard_placement), then
#      more writes: no id collides (trigger-written rows take the new node's range);
#   6. what Citus refuses is refused clearly (a SQLSTATE, never XX000 and never a
#      silent wrong answer): the limits the README's recipe names;
#   7. a data-only dump through the coordinator restored into a fresh distributed crm;
#   8. the pgTAP files named in pgtap.list, through the coordinator (none yet).
# Prints the time it took.
REL_SUITE=citus
. "$(dirname "$0")/../lib/common.sh"
. "$REL_LIB/citus.sh"
started=$SECONDS

citus_build || rel_fail "Citus is not available"
citus_cluster_start || rel_fail "the Citus cluster did not start"
: "${CITUS_SHARD_COUNT:=8}"

# q SQL...: the coordinator, as the owner; v: one value.
q() { citus_val 0 "$@"; }
expect() {  # expect LABEL WANT GOT
  [ "$2" = "$3" ] || rel_fail "$1: wanted [$2], got [$3]"
  echo "ok - $1"
}
# in_account ACCOUNT SQL: one transaction through the coordinator in ACCOUNT, as a
# tenant session sets it (SET LOCAL, propagated to the workers); prints the results.
in_account() {
  q <<SQL
SET citus.propagate_set_commands = 'local';
BEGIN;
SET LOCAL crm.account_id = $1;
$2
COMMIT;
SQL
}
# refused LABEL SQLSTATE ACCOUNT SQL: the transaction fails with that SQLSTATE.
refused() {
  local out
  if out="$(in_account "$3" "\\set VERBOSITY verbose
$4" 2>&1)"; then rel_fail "$1: not refused (got: $out)"; fi
  grep -q "ERROR:  $2:" <<<"$out" || rel_fail "$1: wanted SQLSTATE $2, got: $(grep ERROR <<<"$out" | head -3)"
  echo "ok - $1 (refused, $2)"
}
# clear LABEL ACCOUNT SQL: works, or is refused with a SQLSTATE other than XX000 (a limit).
clear() {
  local out state
  if out="$(in_account "$2" "\\set VERBOSITY verbose
$3" 2>&1)"; then echo "ok - $1 (works)"; return 0; fi
  state="$(sed -n 's/^ERROR:  \([0-9A-Z]\{5\}\): .*/\1/p' <<<"$out" | head -1)"
  [ -n "$state" ] && [ "$state" != XX000 ] || rel_fail "$1: refused unclearly: $(grep ERROR <<<"$out" | head -2)"
  echo "ok - $1 (a limit: refused with $state: $(grep -m1 '^ERROR' <<<"$out" | cut -c1-120))"
}

# ---- 1. the layout ----
out="$(PGOPTIONS="-c citus.shard_count=$CITUS_SHARD_COUNT -c client_min_messages=warning" q -c 'SELECT crm.distribute()')"
case "$out" in "distributed "*" tables by account"*) ;; *) rel_fail "crm.distribute() said: $out" ;; esac
echo "ok - crm.distribute(): $out"
again="$(PGOPTIONS='-c client_min_messages=warning' q -c 'SELECT crm.distribute()')"
case "$again" in "crm is already distributed"*", 0 sequences moved") ;; *) rel_fail "a second crm.distribute() said: $again" ;; esac
echo "ok - a second call does nothing: $again"
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

# ---- rules where the data lives (rules.sh), the pgTAP files (pgtap.sh) ----
. "$REL_SUITE_DIR/rules.sh"
. "$REL_SUITE_DIR/pgtap.sh"
citus_rules_setup "$A"
citus_rules_setup "$B"
citus_rules_run "$A" "$B"
citus_pgtap_run || rel_fail "a pgTAP file of pgtap.list failed through the coordinator"
rel_log "took $((SECONDS - started)) s"
