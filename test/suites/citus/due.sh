#!/usr/bin/env bash
# citus/due.sh: due work and the lead counts on a distributed crm, through the coordinator:
#   1. two accounts of their own, placed on different workers;
#   2. crm.run_due() as the owner (what the worker and pg_cron do): every account's overdue
#      leads marked, auto-cancel invoices cancelled and autopay charges queued, with their
#      history and notices, each claim a statement of one account (Citus refuses a
#      multi-shard FOR UPDATE and a ctid join); a second run does nothing;
#   2b. crm's own write carries what it allows to the worker as the owner's only: a
#      tenant session cannot set crm.write_note itself, nor through crm._write_note (42501); on
#      the worker node itself, posing as Citus, the tenant's write with the note still
#      cannot write a column only crm writes (428C9), the owner's can (rolled back);
#   3. crm.run_due() in one account (a tenant session: a login of crm_service and
#      crm_admin): that account's items only, on the account's worker (delegated); also
#      after SET LOCAL ROLE (which Citus passes on to the workers) and after the tenant's
#      own write in the same transaction; for every account after SET LOCAL ROLE refused
#      with 42501;
#   4. crm.next_due() and crm.fold_lead_counts() through the coordinator, the counts right;
#   5. with crm preloaded on every node (CITUS_EXTRA_PRELOAD=crm and crm.database), the
#      scheduler's worker of a worker node stays idle and says so in its log;
#   6. the event stream's notifications reach a listener on the coordinator: a psql
#      there LISTENs on both accounts' channels; crm.relay_events() (what the
#      coordinator's worker runs) tells it each account's newest id, once, on the
#      channel and with the payload of one server, and wakes the outbox's listeners
#      (crm_outbox) when an outbox row was queued; only the owner may relay; with crm
#      preloaded, the coordinator's worker relays a write within a bounded poll (its
#      latency printed).
# Sourced by test/suites/citus/run.sh once crm is distributed (it uses citus_val from
# test/suites/lib/citus.sh and rel_fail from common.sh); run alone, it starts its own
# cluster (with crm preloaded and the scheduler on every node) and distributes crm.
if [ "${#CITUS_PORTS[@]}" -eq 0 ] 2>/dev/null || [ -z "${CITUS_PORTS+x}" ]; then
  REL_SUITE=citus_due
  . "$(dirname "$0")/../lib/common.sh"
  . "$REL_LIB/citus.sh"
  citus_build || rel_fail "Citus is not available"
  CITUS_EXTRA_PRELOAD=crm citus_cluster_start "crm.database = '${CITUS_DB:-crm_citus}'" \
    "crm.scheduler_max_sleep = 500" || rel_fail "the Citus cluster did not start"
  # the coordinator's scheduler off: the runs below are the test's, at instants of its own
  citus_val 0 -c "ALTER SYSTEM SET crm.scheduler = off" -c "SELECT pg_reload_conf()" >/dev/null
  PGOPTIONS="-c citus.shard_count=8 -c client_min_messages=warning" citus_val 0 -c 'SELECT crm.distribute()' >/dev/null ||
    rel_fail "crm.distribute() failed"
fi

# due_q, due_expect, due_in ACCOUNT SQL: citus_q, citus_expect, citus_in_account
# (lib/citus.sh) as the owner; due_tenant ACCOUNT SQL: the same as a login of
# crm_service and crm_admin, whose due work is its account's.
due_q() { citus_q "$@"; }
due_expect() { citus_expect "due: $1" "$2" "$3"; }
due_in() { citus_in_account "$@"; }
due_tenant() { CITUS_USER=crm_due_tenant due_in "$1" "$2"; }
due_q -c "DO \$\$ BEGIN IF to_regrole('crm_due_tenant') IS NULL THEN
            CREATE ROLE crm_due_tenant LOGIN IN ROLE crm_service, crm_admin; END IF; END \$\$" >/dev/null
# The worker node (its port) that holds an account's shard of crm.leads.
due_node_of() {
  due_q -c "SELECT n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n ON n.groupid = p.groupid
            WHERE p.shardid = get_shard_id_for_distribution_column('crm.leads', $1)"
}

# ---- 1. two accounts on different workers ----
due_account() {  # a new account with a status, a lead type and a manager; prints its id
  due_q <<'SQL'
WITH a AS (INSERT INTO crm.accounts (name, timezone) VALUES ('due ' || clock_timestamp(), 'UTC') RETURNING id)
SELECT id FROM a;
SQL
}
DUE_A="$(due_account)"; DUE_B=""
for _ in $(seq 1 16); do
  b="$(due_account)"
  if [ "$(due_node_of "$b")" != "$(due_node_of "$DUE_A")" ]; then DUE_B="$b"; break; fi
done
[ -n "$DUE_B" ] || rel_fail "due: no second account landed on the other worker"
echo "ok - due: accounts $DUE_A and $DUE_B on workers :$(due_node_of "$DUE_A") and :$(due_node_of "$DUE_B")"

for acct in "$DUE_A" "$DUE_B"; do
  due_in "$acct" "
INSERT INTO crm.statuses (account_id, name, kind, position) VALUES ($acct, 'New', 'open', 1);
INSERT INTO crm.lead_types (account_id, name, initial_status_id, is_default)
  SELECT $acct, 'T', id, true FROM crm.statuses WHERE account_id = $acct;
INSERT INTO crm.employees (account_id, name, email, role) VALUES ($acct, 'Manager', 'm$acct@example.com', 'manager');
INSERT INTO crm.clients (account_id, name) VALUES ($acct, 'Client');" >/dev/null ||
    rel_fail "due: account $acct could not be set up"
  mgr="$(due_q -c "SELECT id FROM crm.employees WHERE account_id = $acct")"
  cli="$(due_q -c "SELECT id FROM crm.clients WHERE account_id = $acct")"
  # three overdue leads, two invoices to auto-cancel, one autopay charge; all due in 2003
  due_in "$acct" "
INSERT INTO crm.leads (account_id, contact_name, deadline, manager_id) VALUES
  ($acct, 'due 1', '2003-01-01 00:01', $mgr), ($acct, 'due 2', '2003-01-01 00:02', $mgr),
  ($acct, 'due 3', '2003-01-01 00:03', $mgr);
INSERT INTO crm.invoices (account_id, client_id, amount, auto_cancel_at) VALUES
  ($acct, $cli, 10, '2003-01-01'), ($acct, $cli, 10, '2003-01-01');
INSERT INTO crm.invoices (account_id, client_id, amount, autopay, autopay_interval, next_charge_at)
  VALUES ($acct, $cli, 20, true, '1 month', '2003-01-01');" >/dev/null ||
    rel_fail "due: the due items of account $acct could not be written"
done

# ---- 2. run_due for every account, as the owner ----
got="$(due_q -c "SELECT string_agg(kind || '=' || handled, ' ' ORDER BY kind) FROM crm.run_due('2003-02-01', 1000)")" ||
  rel_fail "due: crm.run_due() as the owner failed"
# A charge writes derived columns, which only crm's own write may: its scope reaches the
# triggers on the worker nodes (the write runs as the owner there).
due_expect "no charge set aside" 0 \
  "$(due_q -c "SELECT count(*) FROM crm.due_failures WHERE account_id IN ($DUE_A, $DUE_B) AND kind = 'autopay_charge'")"
DUE_CHARGES=2
due_expect "run_due as the owner handles both accounts' items, one account per claim" \
  "autopay_charge=$DUE_CHARGES invoice_auto_cancel=4 lead_overdue=6" "$got"
due_expect "the overdue marks, history rows and notices of both accounts" "6|6|6" \
  "$(due_q -c "SELECT (SELECT count(*) FROM crm.leads WHERE account_id IN ($DUE_A, $DUE_B) AND overdue_since IS NOT NULL)
                || '|' || (SELECT count(*) FROM crm.lead_events WHERE account_id IN ($DUE_A, $DUE_B) AND kind = 'deadline_expired')
                || '|' || (SELECT count(*) FROM crm.outbox WHERE account_id IN ($DUE_A, $DUE_B) AND payload ->> 'event' = 'lead_overdue')")"
due_expect "the cancels and charges with their history, once each" "4|4|$DUE_CHARGES|$DUE_CHARGES" \
  "$(due_q -c "SELECT (SELECT count(*) FROM crm.invoices WHERE account_id IN ($DUE_A, $DUE_B) AND status = 'cancelled')
                || '|' || (SELECT count(*) FROM crm.invoice_events WHERE account_id IN ($DUE_A, $DUE_B) AND kind = 'status_changed'
                                                                        AND to_status = 'cancelled')
                || '|' || (SELECT count(*) FROM crm.invoice_events WHERE account_id IN ($DUE_A, $DUE_B) AND kind = 'charge_queued')
                || '|' || (SELECT count(*) FROM crm.outbox WHERE account_id IN ($DUE_A, $DUE_B) AND kind = 'charge')")"
due_expect "a second run at the same instant does nothing" \
  "autopay_charge=0 invoice_auto_cancel=0 lead_overdue=0" \
  "$(due_q -c "SELECT string_agg(kind || '=' || handled, ' ' ORDER BY kind) FROM crm.run_due('2003-02-01', 1000)")"

# ---- 2b. what crm's own write allows cannot be forged by a tenant ----
# crm.write_note as crm sets it for a charge: every CRM_WRITE_* bit (3f), no reason or comment.
due_forge() {  # due_forge SET-SQL: a derived column written after SET-SQL, rolled back
  due_q -v VERBOSITY=verbose <<SQL 2>&1
SET citus.propagate_set_commands = 'local';
BEGIN;
SET LOCAL crm.account_id = $DUE_A;
$1
UPDATE crm.invoices SET autopay_pending = autopay_pending + 1 WHERE account_id = $DUE_A AND autopay RETURNING 'written';
ROLLBACK;
SQL
}
# crm.write_note is set by crm only (42501): an ERROR where crm's library is loaded in the
# session; a WARNING where the SET came first (a placeholder until crm loads, which Citus
# passes on to the workers, where the write then passes no rule for the tenant: 428C9).
for how in "SET LOCAL crm.write_note = '3f:-:-';" "SELECT crm._write_note('3f:-:-');"; do
  out="$(CITUS_USER=crm_due_tenant due_forge "$how" || true)"
  grep -q '42501:  *crm.write_note is set by crm only' <<<"$out" && ! grep -qx written <<<"$out" &&
    { grep -q '^ERROR:  42501:' <<<"$out" || grep -q '^ERROR:  428C9:' <<<"$out"; } ||
    rel_fail "due: a tenant's own write note ($how): $out"
  echo "ok - due: a tenant session cannot forge crm's own write: $how is refused (42501), nothing written"
done
# On the worker node itself, posing as Citus (application_name citus_internal...), the note
# is taken, as from Citus; on A's shard of crm.invoices it passes the rule for the owner's
# write only: the tenant is refused (428C9), the owner's write passes.
due_port="$(due_node_of "$DUE_A")"
for n in "${!CITUS_PORTS[@]}"; do [ "${CITUS_PORTS[$n]}" = "$due_port" ] && due_node=$n; done
due_shard="crm.invoices_$(due_q -c "SELECT get_shard_id_for_distribution_column('crm.invoices', $DUE_A)")"
due_on_worker() {  # due_on_worker [-U ROLE]: the forged write on A's shard, rolled back
  PGAPPNAME='citus_internal gpid=10000000001' citus_val "$due_node" "$@" -v VERBOSITY=verbose <<SQL 2>&1
BEGIN;
SET LOCAL crm.account_id = $DUE_A;
SET LOCAL crm.write_note = '3f:-:-';
UPDATE $due_shard SET autopay_pending = autopay_pending + 1 WHERE account_id = $DUE_A AND autopay RETURNING 'written';
ROLLBACK;
SQL
}
out="$(due_on_worker -U crm_due_tenant || true)"
grep -q 'ERROR:  428C9:' <<<"$out" || rel_fail "due: a tenant on the worker node posing as Citus: $out"
echo "ok - due: a tenant connected to the worker node, posing as Citus, with the note: refused (428C9)"
due_expect "the owner there, the same way: its write passes" "written" "$(due_on_worker | grep -m1 -x written || true)"

# ---- 3. run_due in one account ----
due_in "$DUE_A" "INSERT INTO crm.leads (account_id, contact_name, deadline) VALUES ($DUE_A, 'later', '2003-03-01');" >/dev/null
due_in "$DUE_B" "INSERT INTO crm.leads (account_id, contact_name, deadline) VALUES ($DUE_B, 'later', '2003-03-01');" >/dev/null
tenant_run="$(due_tenant "$DUE_A" "SELECT handled FROM crm.run_due('2003-04-01', 1000) WHERE kind = 'lead_overdue';" 2>&1)" ||
  rel_fail "due: run_due in account A (a tenant session): $(grep -m1 ERROR <<<"$tenant_run")"
due_expect "run_due in account A (a tenant session) marks A's lead only" "1|0" \
  "$(head -1 <<<"$tenant_run")|$(due_q -c "SELECT count(*) FROM crm.leads
                                        WHERE account_id = $DUE_B AND contact_name = 'later' AND overdue_since IS NOT NULL")"
due_expect "and sets nothing aside" 0 "$(due_q -c "SELECT count(*) FROM crm.due_failures WHERE account_id IN ($DUE_A, $DUE_B)")"
# A tenant's run goes to its account's worker (crm._run_due, delegated), over the tenant's
# own connection: after SET LOCAL ROLE (which Citus passes on to the workers) and after the
# tenant's own write in the same transaction, as on one server.
out="$(due_in "$DUE_B" "SET LOCAL ROLE crm_due_tenant;
UPDATE crm.leads SET deadline = '2003-03-02' WHERE account_id = $DUE_B AND contact_name = 'later';
SELECT handled FROM crm.run_due('2003-04-01', 1000) WHERE kind = 'lead_overdue';" 2>&1)" ||
  rel_fail "due: run_due after SET LOCAL ROLE and a write: $(grep -m1 ERROR <<<"$out")"
due_expect "run_due in account B after SET LOCAL ROLE and the tenant's own write in the transaction: B's lead, as written" \
  "1|2003-03-02 00:00:00+00" "$out|$(due_q -c "SET TimeZone = 'UTC'" -c "SELECT overdue_since FROM crm.leads WHERE account_id = $DUE_B AND contact_name = 'later'")"
# A run for every account stays on the coordinator as the owner: a SET LOCAL ROLE would
# reach the workers and replace the owner there (row security hiding every item), so crm
# refuses it (42501, nothing done; a lead of A past its deadline, marked by the owner's run
# below).
due_in "$DUE_A" "INSERT INTO crm.leads (account_id, contact_name, deadline) VALUES ($DUE_A, 'every', '2003-03-01');" >/dev/null
out="$(due_in "''" "\\set VERBOSITY verbose
SET LOCAL ROLE crm_due_tenant;
SELECT count(*) FROM crm.run_due('2003-04-01', 1000);" 2>&1)" && rel_fail "due: run_due for every account after SET LOCAL ROLE: not refused: $out"
grep -q 'ERROR:  42501:  *crm.run_due() for every account cannot follow SET LOCAL ROLE on Citus' <<<"$out" ||
  rel_fail "due: run_due for every account after SET LOCAL ROLE: $(grep -m1 ERROR <<<"$out")"
echo "ok - due: run_due for every account after SET LOCAL ROLE is refused (42501): $(grep -m1 ERROR <<<"$out" | cut -c1-90)"
due_expect "... and marks nothing" 0 \
  "$(due_q -c "SELECT count(*) FROM crm.leads WHERE account_id = $DUE_A AND contact_name = 'every' AND overdue_since IS NOT NULL")"
due_q -c "SELECT count(*) FROM crm.run_due('2003-04-01', 1000)" >/dev/null
due_expect "the owner's run then marks it" 1 \
  "$(due_q -c "SELECT count(*) FROM crm.leads WHERE account_id = $DUE_A AND contact_name = 'every' AND overdue_since IS NOT NULL")"

# ---- 4. next_due and the counts fold ----
due_in "$DUE_B" "INSERT INTO crm.leads (account_id, contact_name, deadline) VALUES ($DUE_B, 'next', '2010-01-01');" >/dev/null
due_expect "next_due of account B through the coordinator: its next charge, deadline or retry" \
  "$(due_q -c "SET TimeZone = 'UTC'; SELECT least((SELECT min(next_attempt_at) FROM crm.due_failures WHERE account_id = $DUE_B),
                                                 (SELECT min(next_charge_at) FROM crm.invoices WHERE account_id = $DUE_B AND autopay),
                                                 '2010-01-01 00:00:00.000001+00')")" \
  "$(due_tenant "$DUE_B" "SET LOCAL TimeZone = 'UTC'; SELECT crm.next_due();")"
[ "$(due_q -c 'SELECT crm.fold_lead_counts() IS NOT NULL')" = t ] || rel_fail "due: crm.fold_lead_counts() did not fold"
due_expect "the lead counts of both accounts, folded account by account" "5|5|0" \
  "$(due_q -c "SELECT (SELECT sum(leads) FROM crm.lead_counts WHERE account_id = $DUE_A) || '|'
                || (SELECT sum(leads) FROM crm.lead_counts WHERE account_id = $DUE_B) || '|'
                || (SELECT count(*) FROM crm.lead_count_changes WHERE account_id IN ($DUE_A, $DUE_B))")"

# ---- 5. the scheduler's worker on a worker node ----
if [ "$(citus_val 1 -c "SELECT count(*) FROM crm.scheduler_status()" 2>/dev/null)" = 1 ]; then
  for _ in $(seq 1 50); do
    grep -q 'is on a Citus worker node' "$CITUS_DIR/n1/server.log" && break
    sleep 0.1
  done
  grep -q 'is on a Citus worker node' "$CITUS_DIR/n1/server.log" ||
    rel_fail "due: the scheduler of worker node 1 did not say it stays idle"
  echo "ok - due: the scheduler's worker of a worker node stays idle (its log says so)"
else
  echo "ok - due: # skip the scheduler of a worker node (crm is not preloaded with crm.database there)"
fi

# ---- 6. the event stream's notifications, relayed by the coordinator ----
# The listener: psql on the coordinator as a coprocess.  due_listen SQL sends SQL and two
# marks, and prints the notifications psql reports before the second mark (psql prints
# those a command received after its result), as channel=payload, sorted.
coproc DUE_LISTENER { citus_val 0 2>"$CITUS_DIR/listener.log"; }
# bash unsets DUE_LISTENER_PID once the coprocess has exited: keep it for the final wait
due_listener_pid=$DUE_LISTENER_PID
due_listen() {
  local line heard=""
  printf '%s\nSELECT %s;\nSELECT %s;\n' "$1" "'due mark'" "'due end'" >&"${DUE_LISTENER[1]}"
  while IFS= read -r -t 20 line <&"${DUE_LISTENER[0]}"; do
    [ "$line" = "due end" ] && { sort <<<"$heard" | sed '/^$/d' | tr '\n' ' ' | sed 's/ $//'; return 0; }
    case "$line" in
      'Asynchronous notification '*)
        heard+="$(sed -e 's/^Asynchronous notification "\([^"]*\)" with payload "\([^"]*\)".*/\1=\2/' \
                      -e 's/^Asynchronous notification "\([^"]*\)" received .*/\1=/' <<<"$line")"$'\n' ;;
    esac
  done
  rel_fail "due: the listener on the coordinator did not answer: $(cat "$CITUS_DIR/listener.log")"
}
due_newest() { due_q -c "SELECT 'crm_events_' || $1 || '=' || max(id) FROM crm.events WHERE account_id = $1"; }
due_expect "a listener on the coordinator: nothing before a relay" "" \
  "$(due_listen "LISTEN crm_events_$DUE_A; LISTEN crm_events_$DUE_B; LISTEN crm_outbox;")"
due_q -c "SELECT count(*) FROM crm.relay_events()" >/dev/null   # the first: every account with events
due_expect "after crm.relay_events(): both accounts' newest ids, on their channels, and the outbox's wake-up" \
  "$(printf '%s\n' "$(due_newest "$DUE_A")" "$(due_newest "$DUE_B")" crm_outbox= | sort | tr '\n' ' ' | sed 's/ $//')" \
  "$(due_listen "SELECT 1;")"
due_expect "a second relay with nothing new: nothing notified, nothing heard" "0|" \
  "$(due_q -c "SELECT count(*) FROM crm.relay_events()")|$(due_listen "SELECT 1;")"
due_in "$DUE_A" "INSERT INTO crm.leads (contact_name) VALUES ('heard');" >/dev/null
due_expect "a write in account A: nothing heard on the coordinator before the relay" "" \
  "$(due_listen "SELECT 1;")"
due_expect "the relay tells account A's channel only (one row: A and its newest id)" \
  "$DUE_A|$(due_newest "$DUE_A" | sed 's/.*=//')" "$(due_q -c "SELECT account_id || '|' || last_id FROM crm.relay_events()")"
due_expect "the listener hears A's newest id, and nothing of B" "$(due_newest "$DUE_A")" \
  "$(due_listen "SELECT 1;")"
due_in "$DUE_B" "INSERT INTO crm.outbox (kind, recipient, subject, body) VALUES ('email', 'b@example.com', 'Hello', 'Hi');" >/dev/null
due_q -c "SELECT count(*) FROM crm.relay_events()" >/dev/null
due_expect "an outbox row queued in B: B's newest id and the outbox's wake-up (empty payload), once" \
  "$(due_newest "$DUE_B") crm_outbox=" "$(due_listen "SELECT 1;")"
out="$(CITUS_USER=crm_due_tenant due_q -v VERBOSITY=verbose -c "SELECT count(*) FROM crm.relay_events()" 2>&1 || true)"
grep -q 'ERROR:  42501:' <<<"$out" || rel_fail "due: crm.relay_events() by a tenant: $out"
echo "ok - due: only the owner relays (a tenant's call: 42501)"
# The coordinator's worker relays by itself (crm preloaded there, run alone).
if [ "$(due_q -c "SELECT count(*) FROM crm.scheduler_status()" 2>/dev/null)" = 1 ]; then
  due_q -c "ALTER SYSTEM SET crm.scheduler = on" -c "ALTER SYSTEM SET crm.event_relay_interval = 200" \
    -c "SELECT pg_reload_conf()" >/dev/null
  # due_heard_b: polls the listener (at most 100 looks) until B's channel tells B's newest
  # id or a later one (the worker's due work, at the clock's now, may write more of B's
  # events, and A's); prints the milliseconds it took
  due_heard_b() {
    local want heard told started_ms
    want="$(due_newest "$DUE_B" | sed 's/.*=//')"; started_ms=$(date +%s%3N)
    for _ in $(seq 1 100); do
      heard="$(due_listen "SELECT 1;")"   # no pipeline: a pipeline's commands lose the coprocess
      told="$(tr ' ' '\n' <<<"$heard" | sed -n "s/^crm_events_$DUE_B=//p" | tail -1)"
      [ -n "$told" ] && [ "$told" -ge "$want" ] && { echo $(( $(date +%s%3N) - started_ms )); return 0; }
      sleep 0.05
    done
    rel_fail "due: the coordinator's worker did not relay $want (last heard: [$heard]; $(due_q -c "SELECT string_agg(format('%s runs=%s next=%s', database, runs, next_run), ', ') FROM crm.scheduler_status()"); relayed $(due_q -c "SELECT relayed_id FROM crm.event_counters WHERE account_id = $DUE_B"))"
  }
  latencies=""
  for i in 1 2 3 4 5 6; do
    due_in "$DUE_B" "INSERT INTO crm.leads (contact_name) VALUES ('heard by the worker $i');" >/dev/null
    ms="$(due_heard_b)"
    [ "$i" = 1 ] || latencies+="$ms "   # the first: the scheduler just switched on
  done
  echo "ok - due: the coordinator's worker relays each write of B to the listener by itself"
  rel_log "write to notification on the coordinator, relayed by its worker: ${latencies% } ms (crm.event_relay_interval = 200 ms; load $(cut -d' ' -f1-3 /proc/loadavg))"
  due_q -c "ALTER SYSTEM SET crm.scheduler = off" -c "ALTER SYSTEM RESET crm.event_relay_interval" \
    -c "SELECT pg_reload_conf()" >/dev/null
else
  echo "ok - due: # skip the coordinator's worker relaying by itself (crm is not preloaded there)"
fi
[ -n "${DUE_LISTENER[1]:-}" ] && printf '\\q\n' >&"${DUE_LISTENER[1]}" 2>/dev/null || true
wait "$due_listener_pid" 2>/dev/null || true
