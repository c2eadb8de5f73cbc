#!/usr/bin/env bash
# citus/outbox.sh: the outbox delivered through the coordinator, across accounts (Citus
# refuses FOR UPDATE over several shards; crm.claim_outbox claims each account's share
# with a statement of that account's shard):
#   1. two accounts of their own, on different workers, with outbox rows queued a minute
#      apart and interleaved (A1, B1, A2, B2, ...), dated in 2001 so that no other rows of
#      the cluster are due at the claims' now;
#   2. a login of crm_delivery claims for every account: the oldest rows first across both
#      accounts and both workers, in the order of one server, leased; after SET LOCAL ROLE
#      the claim is refused (42501, crm's);
#   3. two delivery workers at once: the first holds its claim in an open transaction
#      while the second claims; the second does not wait (SKIP LOCKED on each shard: a
#      statement timeout of 5 s would fail it), skips the first's rows and takes the next
#      ones; a claim of two meanwhile takes the two oldest rows no claim holds (B2 A3), as
#      on one server; the two claims are disjoint and together every due row; after both
#      commit, nothing of theirs is claimed again while the leases hold;
#   4. the results by id through the coordinator: outbox_sent and outbox_failed find the
#      row's account, then lock it by its key; a second report changes nothing.
# Sourced by run.sh once crm is distributed (it uses citus_val and citus_expect from
# test/suites/lib/citus.sh and rel_fail from common.sh); run alone, it starts a cluster
# of its own (citus_crm_alone).
if [ "${#CITUS_PORTS[@]}" -eq 0 ] 2>/dev/null || [ -z "${CITUS_PORTS+x}" ]; then
  REL_SUITE=citus_outbox
  . "$(dirname "$0")/../lib/common.sh"
  . "$REL_LIB/citus.sh"
  citus_crm_alone
fi

ob_q() { citus_q "$@"; }
ob_expect() { citus_expect "outbox: $1" "$2" "$3"; }
ob_port_of() {
  ob_q -c "SELECT nodeport FROM pg_dist_shard_placement WHERE shardid = get_shard_id_for_distribution_column('crm.accounts', $1)"
}
# ob_claim MAX: one claim as a delivery login, in a transaction of its own (5 s at most): the
# subjects of the two accounts' rows it took, in the order returned.
ob_claim() {
  citus_val 0 -U crm_citus_delivery -c "SET statement_timeout = '5s'" -c "$(ob_claim_sql "$1")"
}
# ob_claim_sql MAX: the claim's SELECT, its rows of the two accounts as subjects in its order.
ob_claim_sql() {
  echo "SELECT coalesce(string_agg(subject, ' ' ORDER BY ordinality), '')
        FROM crm.claim_outbox(NULL, $1, '5 minutes', '2001-01-02') WITH ORDINALITY
        WHERE account_id IN ($OB_A, $OB_B)"
}

# ---- 1. two accounts on different workers, rows interleaved ----
ob_q -c "SET client_min_messages = warning" -c "DROP ROLE IF EXISTS crm_citus_delivery" \
  -c "CREATE ROLE crm_citus_delivery LOGIN IN ROLE crm_delivery" >/dev/null
OB_A="$(ob_q -c "SELECT crm_test.company('Outbox A')")"; OB_B=""
for i in $(seq 1 16); do
  b="$(ob_q -c "SELECT crm_test.company('Outbox B$i')")"
  [ "$(ob_port_of "$b")" != "$(ob_port_of "$OB_A")" ] && { OB_B=$b; break; }
done
[ -n "$OB_B" ] || rel_fail "outbox: no second account landed on the other worker"
ob_q -c "INSERT INTO crm.outbox (account_id, kind, recipient, subject, body, created_at)
         SELECT CASE WHEN i % 2 = 1 THEN $OB_A ELSE $OB_B END, 'email', 'r@example.com',
                CASE WHEN i % 2 = 1 THEN 'A' ELSE 'B' END || ((i + 1) / 2), 'body',
                '2001-01-01 00:00+00'::timestamptz + i * interval '1 minute'
         FROM generate_series(1, 8) AS i" >/dev/null || rel_fail "outbox: rows could not be queued"
echo "ok - outbox: accounts $OB_A and $OB_B on workers :$(ob_port_of "$OB_A") and :$(ob_port_of "$OB_B"), 8 rows interleaved"

# ---- 2. one claim for every account: the oldest first, as on one server ----
ob_expect "a delivery login claims the oldest rows of both accounts, in one server's order" \
  "A1 B1 A2" "$(citus_val 0 -U crm_citus_delivery -c "BEGIN" -c "$(ob_claim_sql 3)" -c "ROLLBACK")"

# After SET LOCAL ROLE (which Citus passes to the workers, replacing there the owner the claim
# runs as) crm refuses the claim with its own 42501, and claims nothing.
out="$(ob_q -v VERBOSITY=verbose -c "BEGIN" -c "SET LOCAL ROLE crm_citus_delivery" \
        -c "SELECT count(*) FROM crm.claim_outbox(NULL, 3, '5 minutes', '2001-01-02')" -c "ROLLBACK" 2>&1 || true)"
grep -q 'ERROR:  42501:  *crm.claim_outbox cannot follow SET LOCAL ROLE on Citus' <<<"$out" ||
  rel_fail "outbox: a claim after SET LOCAL ROLE: $out"
echo "ok - outbox: a claim after SET LOCAL ROLE is refused by crm (42501)"

# ---- 3. two delivery workers at once ----
coproc OB_FIRST { citus_val 0 -U crm_citus_delivery 2>"$CITUS_DIR/outbox-first.log"; }
ob_first_pid=$OB_FIRST_PID
# ob_first SQL: runs SQL in the first worker's session; prints its last result line.
ob_first() {
  local line out=""
  printf '%s\nSELECT %s;\n' "$1" "'ob end'" >&"${OB_FIRST[1]}"
  while IFS= read -r -t 30 line <&"${OB_FIRST[0]}"; do
    [ "$line" = "ob end" ] && { printf '%s\n' "$out"; return 0; }
    out="$line"
  done
  rel_fail "outbox: the first delivery worker did not answer: $(cat "$CITUS_DIR/outbox-first.log")"
}
ob_first "BEGIN;" >/dev/null
first="$(ob_first "$(ob_claim_sql 3);")"
ob_expect "the first worker claims the three oldest, and holds them (its transaction open)" "A1 B1 A2" "$first"
ob_expect "meanwhile a claim of two takes the two oldest rows no claim holds, of either account (rounds past the held rows)" \
  "B2 A3" "$(citus_val 0 -U crm_citus_delivery -c "SET statement_timeout = '5s'" -c "BEGIN" -c "$(ob_claim_sql 2)" -c "ROLLBACK")"
second="$(ob_claim 100)" || rel_fail "outbox: the second worker's claim failed (did it wait for the first?): $second"
ob_expect "the second worker, at once, skips the first's rows on both shards and takes the rest, in order" \
  "B2 A3 B3 A4 B4" "$second"
ob_first "COMMIT;" >/dev/null
printf '\\q\n' >&"${OB_FIRST[1]}" 2>/dev/null || true
wait "$ob_first_pid" 2>/dev/null || true
ob_expect "the two claims are disjoint and together every due row" "A1 A2 A3 A4 B1 B2 B3 B4" \
  "$(tr ' ' '\n' <<<"$first $second" | sort | tr '\n' ' ' | sed 's/ $//')"
ob_expect "each row claimed once: attempts 1, leased until the claim's now + 5 minutes" "8 0" \
  "$(ob_q -F ' ' -c "SELECT count(*) FILTER (WHERE attempts = 1 AND next_attempt_at = '2001-01-02 00:05+00'),
                            count(*) FILTER (WHERE attempts <> 1)
                     FROM crm.outbox WHERE account_id IN ($OB_A, $OB_B)")"
ob_expect "while the leases hold nothing of theirs is claimed again" "" "$(ob_claim 100)"

# ---- 4. results by id, through the coordinator ----
a1="$(ob_q -c "SELECT id FROM crm.outbox WHERE account_id = $OB_A AND subject = 'A1'")"
b1="$(ob_q -c "SELECT id FROM crm.outbox WHERE account_id = $OB_B AND subject = 'B1'")"
ob_expect "outbox_sent of a row of A (its account found, the row locked by its key)" "p-1" \
  "$(citus_val 0 -U crm_citus_delivery -c "SELECT provider_ref FROM crm.outbox_sent($a1, 'p-1')")"
ob_expect "a second report changes nothing" "p-1" \
  "$(citus_val 0 -U crm_citus_delivery -c "SELECT provider_ref FROM crm.outbox_sent($a1, 'p-2')")"
ob_expect "outbox_failed of a row of B, on the other worker: retried after the backoff" "smtp 451|2001-01-02 00:01:00+00" \
  "$(citus_val 0 -U crm_citus_delivery -c "SET TimeZone = 'UTC'" -c "SELECT last_error || '|' || next_attempt_at FROM crm.outbox_failed($b1, 'smtp 451', NULL, '2001-01-02')")"
# Nothing left behind for the parts after this one (the pgTAP files count sent rows and
# claim due ones of every account): the two accounts' rows reported sent, then purged.
ids="$(ob_q -c "SELECT string_agg(id::text, ',') FROM crm.outbox WHERE account_id IN ($OB_A, $OB_B)")"
citus_val 0 -U crm_citus_delivery -c "SELECT count(crm.outbox_sent(id)) FROM unnest(ARRAY[$ids]::bigint[]) AS u(id)" \
  -c "SELECT crm.purge_outbox('1 second', '2100-01-01')" >/dev/null
ob_expect "the two accounts' rows sent and purged" "0" \
  "$(ob_q -c "SELECT count(*) FROM crm.outbox WHERE account_id IN ($OB_A, $OB_B)")"
