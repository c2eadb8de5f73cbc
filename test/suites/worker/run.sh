#!/usr/bin/env bash
# The background worker, in real time, on its own throwaway cluster with crm
# preloaded (the shared test cluster does not preload crm):
#   1. a deadline 2 s ahead is marked overdue within 1 s after it (lag printed);
#   2. settings are reread on SIGHUP: crm.scheduler = off stops it, on resumes;
#      crm.scheduler_max_sleep sets the idle wake-ups (counted and printed);
#   3. pg_terminate_backend and kill -9 of the launcher: it comes back and acts;
#   4. the server is stopped while deadlines fall due: after the restart each
#      is handled exactly once, in due order;
#   5. DROP EXTENSION and DROP DATABASE of a served database are not blocked;
#   6. (run before 5) a poisoned item in one account stops no other account's work;
#   7. a database whose crm is older than the library waits, logged once, until updated;
#   8. while a session restores rows the worker waits; after it, the worker acts.
# Polls with short sleeps: it measures a real-time worker.
set -euo pipefail
: "${CRM_TMP:?}" "${PGBIN:?}"

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
fail() { echo "not ok - $*" >&2; exit 1; }
ok() { echo "ok - $*"; }

W="$CRM_TMP/worker"
mkdir -p "$W"
if [ "$(id -u)" = 0 ]; then chown postgres: "$W"; fi
as_pg "$PGBIN/initdb" -D "$W/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
cat <<CONF | as_pg tee -a "$W/data/postgresql.conf" >/dev/null
listen_addresses = ''
unix_socket_directories = '$W'
port = 5433
fsync = off
shared_preload_libraries = 'crm'
crm.database = 'crm_w, crm_drop, crm_old'
log_min_messages = log
CONF
stop() { as_pg "$PGBIN/pg_ctl" -D "$W/data" -m immediate stop >/dev/null 2>&1 || true; }
start() { as_pg "$PGBIN/pg_ctl" -D "$W/data" -l "$W/server.log" -w start >/dev/null; }
trap 'stop; [ "${CRM_KEEP_CLUSTER:-0}" = 1 ] || rm -rf "$W"' EXIT
start
export PGHOST="$W" PGPORT=5433 PGUSER=postgres PGDATABASE=crm_w
q() { "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }

q -d postgres -c 'CREATE DATABASE crm_w' -c 'CREATE DATABASE crm_drop' -c 'CREATE DATABASE crm_old'
q -c 'CREATE EXTENSION crm' -f test/fixtures.sql >/dev/null
A="$(q -c "SELECT crm_test.company('Worker')")"
ANNA="$(q -c "SELECT crm_test.id('employees', $A, 'Anna')")"
export PGOPTIONS="-c crm.account_id=$A -c client_min_messages=warning"

# wait_for SECONDS SQL: polls every 20 ms until SQL returns t.
wait_for() {
  local deadline=$(( $(date +%s%N) + $1 * 1000000000 ))
  while [ "$(date +%s%N)" -lt "$deadline" ]; do
    [ "$(q -c "$2")" = t ] && return 0
    sleep 0.02
  done
  return 1
}
launcher_pid() { q -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'crm scheduler launcher'"; }
new_lead() {  # new_lead NAME SECONDS-AHEAD -> id
  q -c "INSERT INTO crm.leads (contact_name, manager_id, deadline)
        VALUES ('$1', $ANNA, clock_timestamp() + interval '$2 s') RETURNING id"
}
overdue_lag() {  # seconds from deadline to the deadline_expired event
  q -c "SELECT extract(epoch FROM e.at - l.deadline) FROM crm.leads l
        JOIN crm.lead_events e ON e.account_id = l.account_id AND e.lead_id = l.id AND e.kind = 'deadline_expired'
        WHERE l.id = $1"
}
marked() { echo "SELECT overdue_since IS NOT NULL FROM crm.leads WHERE id = $1"; }

wait_for 5 "SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'crm scheduler launcher'" ||
  fail "the launcher is running"
ok "the launcher runs ($(launcher_pid))"

# 1. A deadline 2 s ahead, acted on within 1 s after it.
L1="$(new_lead first 2)"
wait_for 4 "$(marked "$L1")" || fail "lead $L1 marked overdue"
LAG="$(overdue_lag "$L1")"
echo "# lag from deadline to overdue mark: ${LAG} s"
[ "$(q -c "SELECT $LAG >= 0 AND $LAG < 1")" = t ] || fail "lag $LAG s is under 1 s"
ok "a deadline 2 s ahead is marked within 1 s after it"
[ "$(q -c "SELECT count(*) FROM crm.outbox WHERE payload->>'lead_id' = '$L1' AND recipient = 'anna@example.com'")" = 1 ] ||
  fail "one outbox notification to the manager"
ok "the manager's notification is in the outbox, once"

# 2. SIGHUP: crm.scheduler = off stops acting; on again resumes.
q -c "ALTER SYSTEM SET crm.scheduler = off" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
L2="$(new_lead paused 0.5)"
sleep 2
[ "$(q -c "$(marked "$L2")")" = f ] || fail "with crm.scheduler = off nothing is marked"
ok "crm.scheduler = off (reloaded): a passed deadline waits"
q -c "ALTER SYSTEM RESET crm.scheduler" -c "SELECT pg_reload_conf()" >/dev/null
wait_for 3 "$(marked "$L2")" || fail "crm.scheduler back on marks the waiting lead"
ok "crm.scheduler back on (reloaded): the waiting lead is marked"

# Idle cost: with nothing due, one run per crm.scheduler_max_sleep.
q -c "ALTER SYSTEM SET crm.scheduler_max_sleep = '1s'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 1.2
R0="$(q -c "SELECT runs FROM crm.scheduler_status() WHERE database = 'crm_w'")"
sleep 5
R1="$(q -c "SELECT runs FROM crm.scheduler_status() WHERE database = 'crm_w'")"
echo "# idle runs in 5 s with crm.scheduler_max_sleep = 1s: $((R1 - R0))"
[ $((R1 - R0)) -ge 3 ] && [ $((R1 - R0)) -le 7 ] || fail "idle runs follow crm.scheduler_max_sleep after a reload"
ok "crm.scheduler_max_sleep is reread on SIGHUP and bounds the idle wake-ups"
q -c "ALTER SYSTEM RESET crm.scheduler_max_sleep" -c "SELECT pg_reload_conf()" >/dev/null

# 3. pg_terminate_backend: restarted by the postmaster, and it acts.
P1="$(launcher_pid)"
q -c "SELECT pg_terminate_backend($P1)" >/dev/null
wait_for 5 "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE backend_type = 'crm scheduler launcher' AND pid <> $P1)" ||
  fail "the launcher comes back after pg_terminate_backend"
ok "after pg_terminate_backend($P1) the launcher is back ($(launcher_pid))"
L3="$(new_lead after_terminate 1)"
wait_for 3 "$(marked "$L3")" || fail "the restarted launcher acts"
echo "# lag after restart: $(overdue_lag "$L3") s"
ok "the restarted launcher acts on the next deadline"

# A crash (kill -9): the postmaster reinitialises and the launcher comes back.
P2="$(launcher_pid)"
kill -9 "$P2"
sleep 1
wait_for 15 "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE backend_type = 'crm scheduler launcher' AND pid <> $P2)" ||
  fail "the launcher comes back after a crash"
ok "after kill -9 the server recovers and the launcher is back ($(launcher_pid))"

# 4. Downtime: deadlines fall due while the server is stopped.
q -c "INSERT INTO crm.leads (contact_name, manager_id, deadline)
      SELECT 'down ' || g, $ANNA, clock_timestamp() + interval '1.5 s' - g * interval '1 ms'
      FROM generate_series(1, 200) g" >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$W/data" -m fast -w stop >/dev/null
sleep 2
start
START_AT="$(q -c "SELECT pg_postmaster_start_time()")"
wait_for 5 "SELECT count(*) = 200 FROM crm.leads WHERE contact_name LIKE 'down %' AND overdue_since IS NOT NULL" ||
  fail "every lead that fell due during the downtime is marked"
AFTER="$(q -c "SELECT count(*) FROM crm.lead_events e JOIN crm.leads l ON l.account_id = e.account_id AND l.id = e.lead_id
               WHERE l.contact_name LIKE 'down %' AND e.kind = 'deadline_expired' AND e.at >= '$START_AT'")"
echo "# handled at restart: $AFTER of 200"
[ "$AFTER" -gt 0 ] || fail "the deadlines were handled after the restart"
[ "$(q -c "SELECT count(*) FILTER (WHERE n <> 1) = 0 FROM (
           SELECT count(e.id) AS n FROM crm.leads l
           LEFT JOIN crm.lead_events e ON e.account_id = l.account_id AND e.lead_id = l.id AND e.kind = 'deadline_expired'
           WHERE l.contact_name LIKE 'down %' GROUP BY l.id) s")" = t ] || fail "one deadline_expired event per lead"
[ "$(q -c "SELECT count(*) FROM crm.outbox o JOIN crm.leads l ON l.account_id = o.account_id AND o.payload->>'lead_id' = l.id::text
           WHERE l.contact_name LIKE 'down %'")" = 200 ] || fail "one notification per lead"
ok "after the downtime every due lead is handled exactly once"
[ "$(q -c "SELECT bool_and(ordered) FROM (
           SELECT l.deadline >= lag(l.deadline) OVER (ORDER BY e.id) IS NOT FALSE AS ordered
           FROM crm.lead_events e JOIN crm.leads l ON l.account_id = e.account_id AND l.id = e.lead_id
           WHERE l.contact_name LIKE 'down %' AND e.kind = 'deadline_expired' AND e.at >= '$START_AT') s")" = t ] ||
  fail "catch-up in due order"
ok "the catch-up went in due order"

# 6. A poisoned item in account A stops nothing: account B's deadline, auto-cancel and
#    charge are acted on by the worker, the item is set aside, and the worker keeps going.
LOG6="$(wc -l < "$W/server.log")"
B2="$(q -c "SELECT crm_test.company('Worker B')")"
q -c "SELECT crm_test.poison()" >/dev/null
PA="$(q -c "INSERT INTO crm.leads (account_id, contact_name, deadline) VALUES ($A, 'Poisoned', clock_timestamp() + interval '1 s') RETURNING id")"
CB="$(q -c "INSERT INTO crm.clients (account_id, name) VALUES ($B2, 'Client B') RETURNING id")"
LB="$(q -c "INSERT INTO crm.leads (account_id, contact_name, deadline) VALUES ($B2, 'Healthy B', clock_timestamp() + interval '1 s') RETURNING id")"
IB="$(q -c "INSERT INTO crm.invoices (account_id, client_id, amount, auto_cancel_at) VALUES ($B2, $CB, 10, clock_timestamp() + interval '1 s') RETURNING id")"
JB="$(q -c "INSERT INTO crm.invoices (account_id, client_id, amount, autopay, autopay_interval, next_charge_at)
            VALUES ($B2, $CB, 10, true, '1 month', clock_timestamp() + interval '1 s') RETURNING id")"
P6="$(launcher_pid)"
wait_for 5 "SELECT (SELECT overdue_since IS NOT NULL FROM crm.leads WHERE account_id = $B2 AND id = $LB)
              AND (SELECT status = 'cancelled' FROM crm.invoices WHERE account_id = $B2 AND id = $IB)
              AND (SELECT count(*) = 1 FROM crm.outbox WHERE account_id = $B2 AND kind = 'charge' AND payload->>'invoice_id' = '$JB')" ||
  fail "account B's deadline, auto-cancel and charge are acted on despite a poisoned item in A"
ok "a poisoned lead in account A: account B's deadline, auto-cancel and charge are acted on by the worker"
wait_for 3 "SELECT count(*) = 1 FROM crm.due_failures WHERE account_id = $A AND kind = 'lead_overdue' AND item_id = $PA" ||
  fail "the poisoned lead is set aside in crm.due_failures"
[ "$(q -c "SELECT failing_items FROM crm.scheduler_status() WHERE database = 'crm_w'")" = 1 ] ||
  fail "crm.scheduler_status() shows the item set aside"
ok "the poisoned lead is set aside in crm.due_failures and shown by crm.scheduler_status()"
sleep 1.5
[ "$(launcher_pid)" = "$P6" ] || fail "the launcher did not restart"
[ "$(tail -n +"$LOG6" "$W/server.log" | grep -c "crm: due item set aside: lead_overdue $PA ")" = 1 ] ||
  fail "the failure is logged once"
if tail -n +"$LOG6" "$W/server.log" | grep -E 'crm scheduler.*exited with exit code [^0]'; then
  fail "no worker exited because of the item"
fi
ok "the worker keeps going: no exit, the failure logged once"
q -c "SELECT crm_test.unpoison()" >/dev/null
# The worker sleeps until the retry (a minute); an operator who fixed the cause tries at once.
q -c "UPDATE crm.due_failures SET next_attempt_at = now() WHERE account_id = $A" >/dev/null
q -c "SELECT count(*) FROM crm.run_due()" >/dev/null
wait_for 5 "$(marked "$PA") AND NOT EXISTS (SELECT FROM crm.due_failures)" ||
  fail "once it can be handled, the worker handles it and forgets the failure"
ok "once the cause is gone the worker handles the item and forgets it"

# 5. DROP EXTENSION and DROP DATABASE of a served database are not blocked.
q -d crm_drop -c 'CREATE EXTENSION crm' -f test/fixtures.sql >/dev/null
B="$(q -d crm_drop -c "SELECT crm_test.company('Drop')")"
q -d crm_drop -c "INSERT INTO crm.leads (account_id, contact_name, deadline) VALUES ($B, 'past', now() - interval '1 s')" >/dev/null
PGDATABASE=crm_drop wait_for 5 "SELECT overdue_since IS NOT NULL FROM crm.leads WHERE account_id = $B" ||
  fail "the second database is served"
ok "the second database in crm.database is served"
T0="$(date +%s%N)"
q -d crm_drop -c "SET lock_timeout = '3s'" -c 'SET crm.allow_drop_with_data = on' -c 'DROP EXTENSION crm CASCADE' \
  -c 'DROP SCHEMA crm_test CASCADE' ||
  fail "DROP EXTENSION is not blocked"
ok "DROP EXTENSION crm in a served database: $(( ($(date +%s%N) - T0) / 1000000 )) ms"
q -d crm_drop -c 'CREATE EXTENSION crm' -c 'ALTER EXTENSION crm UPDATE' || fail "ALTER EXTENSION UPDATE is not blocked"
ok "CREATE / ALTER EXTENSION crm UPDATE in a served database"
T0="$(date +%s%N)"
q -d postgres -c 'DROP DATABASE crm_drop' || fail "DROP DATABASE is not blocked"
ok "DROP DATABASE of a served database: $(( ($(date +%s%N) - T0) / 1000000 )) ms"
L4="$(new_lead after_drop 1)"
wait_for 3 "$(marked "$L4")" || fail "the other database is still served"
ok "the other database is still served after the drop"

# 7. crm at the released 0.1.0 under this library (a package upgraded, the extension not yet):
#    the worker skips the database, says so once, and serves it once updated.
LOG7="$(wc -l < "$W/server.log")"
q -d crm_old -c "CREATE EXTENSION crm VERSION '0.1.0'"
# Nothing in 0.1.0's crm_old wakes the worker: let it look every second meanwhile.
q -c "ALTER SYSTEM SET crm.scheduler_max_sleep = '1s'" -c "SELECT pg_reload_conf()" >/dev/null
deadline=$(( $(date +%s) + 10 ))
until tail -n +"$LOG7" "$W/server.log" | grep -q 'crm in database "crm_old" is at version 0.1.0'; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "the worker says that crm_old waits for ALTER EXTENSION crm UPDATE"
  sleep 0.1
done
q -d crm_old -c 'ALTER EXTENSION crm UPDATE' -f test/fixtures.sql >/dev/null
O="$(q -d crm_old -c "SELECT crm_test.company('Old')")"
LO="$(q -d crm_old -c "INSERT INTO crm.leads (account_id, contact_name, deadline) VALUES ($O, 'after update', now() - interval '1 s') RETURNING id")"
PGDATABASE=crm_old wait_for 5 "SELECT overdue_since IS NOT NULL FROM crm.leads WHERE account_id = $O AND id = $LO" ||
  fail "crm_old is served once updated"
[ "$(tail -n +"$LOG7" "$W/server.log" | grep -c 'crm in database "crm_old" is at version')" = 1 ] ||
  fail "the version wait is logged once"
if tail -n +"$LOG7" "$W/server.log" | grep -E 'ERROR'; then fail "no error from the worker on an older schema"; fi
q -c "ALTER SYSTEM RESET crm.scheduler_max_sleep" -c "SELECT pg_reload_conf()" >/dev/null
ok "crm 0.1.0 under this library: skipped and logged once, served after ALTER EXTENSION crm UPDATE"

# 8. A session restoring rows (as pg_restore does) holds the restore lock: the worker
#    leaves the database alone until that session has ended, then acts.
q -c "SET row_security = off" -c "SET check_function_bodies = off" \
  -c "INSERT INTO crm.campaigns (account_id, name) VALUES ($A, 'Restored')" -c "SELECT pg_sleep(5)" >/dev/null &
RESTORER=$!
wait_for 3 "SELECT count(*) = 1 FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 3 AND granted" ||
  fail "the restoring session holds the restore lock"
L5="$(new_lead during_restore 1)"
T0=$(( $(date +%s) + 4 ))
until grep -q 'crm scheduler: a restore is loading rows into database "crm_w"' "$W/server.log"; do
  [ "$(date +%s)" -lt "$T0" ] || fail "the worker, woken by a deadline, sees the restore"
  sleep 0.05
done
[ "$(q -c "$(marked "$L5")")" = f ] || fail "the worker waits while a restore loads rows"
ok "while a session restores rows the worker leaves the database alone (logged)"
wait "$RESTORER"
L6="$(new_lead after_restore 1)"
wait_for 4 "$(marked "$L5") AND ($(marked "$L6"))" || fail "after the restore the worker acts again"
ok "once the restoring session has ended the worker acts: both deadlines marked"

if grep -E 'PANIC|TRAP' "$W/server.log"; then fail "no PANIC or assertion in the server log"; fi
ok "worker suite done"
