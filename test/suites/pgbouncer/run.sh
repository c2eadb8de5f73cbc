#!/usr/bin/env bash
# pgbouncer: crm behind a real pgbouncer in transaction mode (Debian's package,
# installed if missing; started here on 127.0.0.1 on a free port with its own
# config in this suite's folder; it reaches the test server through its Unix
# socket).  Pool crm_pool has one server connection, so its clients really share
# it; crm_pool_two has two.  The application logs in as crm_pool_app (crm_service,
# crm_admin); a person as crm_pool_anna (bound to company A as Anna).
#   1. Two accounts' transactions (BEGIN; SET LOCAL crm.account_id, employee_id;
#      reads, a write, a write into the other account; COMMIT), interleaved
#      statement by statement: on crm_pool the pooler holds the second client
#      until the first commits, then runs it on the same server connection; on
#      crm_pool_two they run at once and each connection then serves the other
#      account.  Each reads only its own rows, writes only its own account.
#   2. A transaction that forgets SET LOCAL sees nothing and writes nothing.
#   3. A session-level SET crm.account_id / employee_id stays on the server
#      connection for the next client (SHOW shows it), but crm refuses it for a
#      crm_service login (42501), for that client and the next; with pgbouncer's
#      server_reset_query_always = 1 the next client sees nothing of it.
#   4. A bound login through the pooler acts in its account whatever it sets.
# Each statement's output and SQLSTATE are asserted; any mismatch fails the suite.
REL_SUITE=pgbouncer
. "$(dirname "$0")/../lib/common.sh"
W="$CRM_TMP/pgbouncer"; DB=crm_pool
mkdir -p "$W"; [ "$(id -u)" = 0 ] && chown postgres: "$W"

# ---- pgbouncer: the Debian package, never left running as a system service ----
if ! dpkg-query -W -f='${Status}' pgbouncer 2>/dev/null | grep -q 'install ok installed'; then
  ( . "$REL_ROOT/scripts/lib.sh"; CRM_PACKAGES=(); crm_install_packages pgbouncer ) ||
    rel_fail "pgbouncer is not installed (Debian package pgbouncer)"
  ( . "$REL_ROOT/scripts/lib.sh"
    if [ -d /run/systemd/system ]; then
      as_root systemctl disable --now pgbouncer.service pgbouncer.socket >/dev/null 2>&1 || true
    else
      as_root /etc/init.d/pgbouncer stop >/dev/null 2>&1 || true
      as_root update-rc.d pgbouncer disable >/dev/null 2>&1 || true
    fi )
fi
PGB="$(command -v pgbouncer || echo /usr/sbin/pgbouncer)"
[ -x "$PGB" ] || rel_fail "no pgbouncer binary"
if pgrep -f /etc/pgbouncer/pgbouncer.ini >/dev/null; then
  rel_log "note: a system pgbouncer (/etc/pgbouncer/pgbouncer.ini) is running; this suite does not use it"
fi

rel_new_db $DB
declare -A V
for kv in $(rel_val -F ' ' -d $DB -f "$REL_SUITE_DIR/setup.sql"); do V[${kv%%=*}]="${kv#*=}"; done
[ -n "${V[a]:-}" ] && [ -n "${V[clients_b]:-}" ] || rel_fail "setup.sql printed no variables"

printf '"postgres" ""\n"crm_pool_app" ""\n"crm_pool_anna" ""\n' > "$W/userlist.txt"
write_config() {  # write_config PORT
  cat > "$W/pgbouncer.ini" <<INI
[databases]
crm_pool = host=$CRM_TMP port=$PGPORT dbname=$DB pool_size=1
crm_pool_two = host=$CRM_TMP port=$PGPORT dbname=$DB pool_size=2

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $1
unix_socket_dir =
auth_type = trust
auth_file = $W/userlist.txt
admin_users = postgres
pool_mode = transaction
default_pool_size = 1
max_client_conn = 50
server_reset_query = DISCARD ALL
server_reset_query_always = 0
logfile = $W/pgbouncer.log
pidfile = $W/pgbouncer.pid
INI
}
stop_pgbouncer() {
  local pid
  pid="$(cat "$W/pgbouncer.pid" 2>/dev/null)" || return 0
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
}
trap stop_pgbouncer EXIT
port_in_use() { (exec 9<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=""
for try in 1 2 3 4 5; do
  p=$((20000 + RANDOM % 40000))
  port_in_use $p && continue
  write_config $p; [ "$(id -u)" = 0 ] && chown postgres: "$W"/*
  if rel_as_pg "$PGB" -d -q "$W/pgbouncer.ini" 2>>"$W/start.err"; then PORT=$p; break; fi
done
[ -n "$PORT" ] || rel_fail "pgbouncer did not start: $(tail -3 "$W/start.err" "$W/pgbouncer.log" 2>/dev/null)"
for i in $(seq 1 100); do
  psql -X -q -At -h 127.0.0.1 -p "$PORT" -U postgres -d pgbouncer -c 'SHOW VERSION' >/dev/null 2>&1 && break
  [ "$i" = 100 ] && rel_fail "pgbouncer does not answer on 127.0.0.1:$PORT"
  sleep 0.1
done
admin() { psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d pgbouncer -c "$1" >/dev/null; }
rel_log "pgbouncer $("$PGB" --version | head -1 | cut -d' ' -f2) on 127.0.0.1:$PORT, pool_mode = transaction"

# ---- clients: psql processes fed through FIFOs, one statement at a time ----
# After each statement the client echoes a marker with the statement's SQLSTATE,
# so that a reply can be read (or seen to be still missing) without waiting.
declare -A C_IN C_OUT
CHECKS=0
open_client() {  # open_client NAME USER POOL
  local in="$W/$1.in" out="$W/$1.out" fd
  rm -f "$in" "$out"; mkfifo "$in" "$out"
  psql -X -q -At -v VERBOSITY=sqlstate -h 127.0.0.1 -p "$PORT" -U "$2" -d "$3" <"$in" >"$out" 2>&1 &
  exec {fd}>"$in"; C_IN[$1]=$fd
  exec {fd}<"$out"; C_OUT[$1]=$fd
}
send() { printf '%s;\n\\echo __end :SQLSTATE\n' "$2" >&"${C_IN[$1]}"; }
recv() {  # sets R_OUT (rows joined by |) and R_STATE
  local line out=""
  while :; do
    IFS= read -r -t 30 line <&"${C_OUT[$1]}" ||
      rel_fail "client $1: no reply; pgbouncer log: $(tail -3 "$W/pgbouncer.log")"
    case "$line" in
      "__end "*) R_STATE="${line#__end }"; break ;;
      ERROR:*) ;;
      *) out+="${out:+|}$line" ;;
    esac
  done
  R_OUT="$out"
}
has_reply() { read -r -t 0 <&"${C_OUT[$1]}"; }
check() {  # check CLIENT SQL EXPECTED_OUT [EXPECTED_SQLSTATE]: after recv; '*' takes any output
  local want="${4:-00000}"
  [ "$R_STATE" = "$want" ] || rel_fail "$1: $2 -> SQLSTATE $R_STATE, expected $want (output '$R_OUT')"
  [ "$3" = "*" ] || [ "$R_OUT" = "$3" ] || rel_fail "$1: $2 -> '$R_OUT', expected '$3'"
  CHECKS=$((CHECKS + 1))
}
run() { send "$1" "$2"; recv "$1"; check "$@"; }
close_clients() {
  local n fd
  for n in "${!C_IN[@]}"; do fd=${C_IN[$n]}; exec {fd}>&-; fd=${C_OUT[$n]}; exec {fd}<&-; done
  C_IN=(); C_OUT=(); wait
}
su_val() { rel_val -d $DB -c "$1"; }

# ---- 1. two accounts' transactions interleaved statement by statement ----
# One transaction of a client acting in account ACC as employee EMP (tx_steps
# CLIENT TAG fills S_SQL, S_OUT, S_STATE); '*' marks the server's pid.
declare -A ACC EMP TYP OTHER_ACC OTHER_TYP NCLI PID_OF
acts_in() {  # acts_in CLIENT a|b
  local me=$2 other; [ "$2" = a ] && other=b || other=a
  ACC[$1]=${V[$me]} EMP[$1]=${V[anna_$me]} TYP[$1]=${V[type_$me]} NCLI[$1]=${V[clients_$me]}
  OTHER_ACC[$1]=${V[$other]} OTHER_TYP[$1]=${V[type_$other]}
}
tx_steps() {
  local c=$1 tag=$2
  S_SQL=(); S_OUT=(); S_STATE=()
  step() { S_SQL+=("$1"); S_OUT+=("$2"); S_STATE+=("${3:-00000}"); }
  step "BEGIN" ""
  step "SET LOCAL crm.account_id = ${ACC[$c]}" ""
  step "SET LOCAL crm.employee_id = ${EMP[$c]}" ""
  step "SELECT pg_backend_pid()" "*"
  step "SELECT string_agg(DISTINCT account_id::text, ',') FROM crm.leads" "${ACC[$c]}"
  step "SELECT count(*) FROM crm.clients" "${NCLI[$c]}"
  step "SELECT count(*) FROM crm.clients WHERE account_id = ${OTHER_ACC[$c]}" "0"
  step "INSERT INTO crm.leads (type_id, contact_name) VALUES (${TYP[$c]}, '$tag $c') RETURNING account_id" "${ACC[$c]}"
  step "SAVEPOINT other" ""
  step "INSERT INTO crm.leads (account_id, type_id, contact_name) VALUES (${OTHER_ACC[$c]}, ${OTHER_TYP[$c]}, '$tag $c elsewhere')" "" 42501
  step "ROLLBACK TO SAVEPOINT other" ""
  step "SELECT crm.current_account() || '/' || crm.current_employee()" "${ACC[$c]}/${EMP[$c]}"
  step "COMMIT" ""
}
# interleave MODE FIRST SECOND TAG: FIRST's statement, then SECOND's, and so on.
# queued (a pool of one): SECOND's statements wait in the pooler until FIRST
# commits (asserted: no reply before), and are read after; concurrent: each
# reply is read at once.
interleave() {
  local mode=$1 first=$2 second=$3 tag=$4 i last
  tx_steps "$first" "$tag"; local -a f_sql=("${S_SQL[@]}") f_out=("${S_OUT[@]}") f_state=("${S_STATE[@]}")
  tx_steps "$second" "$tag"; local -a s_sql=("${S_SQL[@]}") s_out=("${S_OUT[@]}") s_state=("${S_STATE[@]}")
  last=$((${#f_sql[@]} - 1))
  for i in $(seq 0 $last); do
    send "$first" "${f_sql[$i]}"; recv "$first"; check "$first" "${f_sql[$i]}" "${f_out[$i]}" "${f_state[$i]}"
    if [ "${f_out[$i]}" = "*" ]; then PID_OF[$first:$tag]=$R_OUT; fi
    if [ "$mode" = queued ] && [ "$i" -lt "$last" ] && has_reply "$second"; then
      rel_fail "$second got a reply while $first held the pool's only server connection"
    fi
    send "$second" "${s_sql[$i]}"
    if [ "$mode" = concurrent ]; then
      recv "$second"; check "$second" "${s_sql[$i]}" "${s_out[$i]}" "${s_state[$i]}"
      if [ "${s_out[$i]}" = "*" ]; then PID_OF[$second:$tag]=$R_OUT; fi
    fi
  done
  if [ "$mode" = queued ]; then
    for i in $(seq 0 $last); do
      recv "$second"; check "$second" "${s_sql[$i]}" "${s_out[$i]}" "${s_state[$i]}"
      if [ "${s_out[$i]}" = "*" ]; then PID_OF[$second:$tag]=$R_OUT; fi
    done
  fi
  local c
  for c in "$first" "$second"; do
    [ "$(su_val "SELECT string_agg(account_id::text, ',') FROM crm.leads WHERE contact_name = '$tag $c'")" = "${ACC[$c]}" ] ||
      rel_fail "$tag: the lead of $c is not (only) in account ${ACC[$c]}"
    [ "$(su_val "SELECT count(*) FROM crm.leads WHERE contact_name LIKE '$tag % elsewhere'")" = 0 ] ||
      rel_fail "$tag: a write into the other account landed"
  done
}

open_client a crm_pool_app crm_pool; acts_in a a
open_client b crm_pool_app crm_pool; acts_in b b
interleave queued a b one-1
interleave queued b a one-2
interleave queued a b one-3
pool_pid=${PID_OF[a:one-1]}
for k in "${!PID_OF[@]}"; do
  [ "${PID_OF[$k]}" = "$pool_pid" ] || rel_fail "crm_pool used more than one server connection (${PID_OF[*]})"
done
rel_log "1. crm_pool: 3 rounds of two accounts' transactions, each second client queued, all on server pid $pool_pid"

open_client a2 crm_pool_app crm_pool_two; acts_in a2 a
open_client b2 crm_pool_app crm_pool_two; acts_in b2 b
interleave concurrent a2 b2 two-1
interleave concurrent a2 b2 two-2
[ "${PID_OF[a2:two-1]}" != "${PID_OF[b2:two-1]}" ] || rel_fail "crm_pool_two ran both transactions on one connection"
if [ "${PID_OF[a2:two-2]}" != "${PID_OF[b2:two-1]}" ] && [ "${PID_OF[b2:two-2]}" != "${PID_OF[a2:two-1]}" ]; then
  rel_fail "crm_pool_two: no server connection served both accounts (${PID_OF[*]})"
fi
rel_log "1. crm_pool_two: concurrent transactions of both accounts; the connections then served the other account"

# ---- 2. a transaction that forgets SET LOCAL ----
fingerprint() {
  su_val "SELECT (SELECT md5(string_agg(id::text || contact_name, ',' ORDER BY account_id, id)) FROM crm.leads)
              || (SELECT md5(string_agg(id::text || name, ',' ORDER BY account_id, id)) FROM crm.campaigns)"
}
before="$(fingerprint)"
open_client d crm_pool_app crm_pool
run d "BEGIN" ""
run d "SELECT pg_backend_pid()" "$pool_pid"
run d "SHOW crm.account_id" ""
run d "SELECT count(*) FROM crm.leads" 0
run d "SELECT count(*) FROM crm.clients" 0
run d "SELECT count(*) FROM crm.accounts" 0
run d "WITH u AS (UPDATE crm.leads SET contact_name = 'forgot' RETURNING 1) SELECT count(*) FROM u" 0
run d "WITH x AS (DELETE FROM crm.campaigns RETURNING 1) SELECT count(*) FROM x" 0
run d "INSERT INTO crm.leads (type_id, contact_name) VALUES (${V[type_a]}, 'forgot')" "" 42501
run d "ROLLBACK" ""
run d "INSERT INTO crm.leads (account_id, type_id, contact_name) VALUES (${V[a]}, ${V[type_a]}, 'forgot')" "" 42501
run d "SELECT crm.current_account()" "" 42501
[ "$(fingerprint)" = "$before" ] || rel_fail "a transaction without SET LOCAL changed crm.leads or crm.campaigns"
rel_log "2. without SET LOCAL: no row read, UPDATE and DELETE touch nothing, INSERT 42501"

# ---- 3. session-level settings on a shared server connection ----
open_client c crm_pool_app crm_pool
run c "SET crm.account_id = ${V[a]}" ""
run c "SET crm.employee_id = ${V[anna_a]}" ""
run c "SELECT count(*) FROM crm.leads" "" 42501
run c "INSERT INTO crm.leads (type_id, contact_name) VALUES (${V[type_a]}, 'session')" "" 42501
run c "BEGIN" ""
run c "SET crm.account_id = ${V[a]}" ""
run c "SELECT count(*) FROM crm.leads" "" 42501
run c "ROLLBACK" ""
run c "BEGIN" ""
run c "SET crm.account_id = ${V[b]}" ""
run c "SET LOCAL crm.account_id = ${V[a]}" ""
run c "SET LOCAL crm.employee_id = ${V[anna_a]}" ""
run c "SELECT string_agg(DISTINCT account_id::text, ',') FROM crm.leads" "${V[a]}"
run c "COMMIT" ""
# The next client of the same server connection finds c's values...
run d "BEGIN" ""
run d "SELECT pg_backend_pid()" "$pool_pid"
run d "SHOW crm.account_id" "${V[b]}"
run d "SHOW crm.employee_id" "${V[anna_a]}"
# ...and crm does not act on them.
run d "SELECT count(*) FROM crm.leads" "" 42501
run d "ROLLBACK" ""
run d "INSERT INTO crm.leads (type_id, contact_name) VALUES (${V[type_b]}, 'leaked')" "" 42501
run d "BEGIN" ""
run d "SET LOCAL crm.account_id = ${V[b]}" ""
run d "SELECT crm.current_employee()" "" 42501
run d "ROLLBACK" ""
run d "BEGIN" ""
run d "SET LOCAL crm.account_id = ${V[b]}" ""
run d "SET LOCAL crm.employee_id = ${V[anna_b]}" ""
run d "SELECT string_agg(DISTINCT account_id::text, ',') || '/' || crm.current_employee() FROM crm.leads" "${V[b]}/${V[anna_b]}"
run d "COMMIT" ""
[ "$(su_val "SELECT count(*) FROM crm.leads WHERE contact_name IN ('session', 'leaked')")" = 0 ] ||
  rel_fail "a session-level setting wrote a lead"
rel_log "3. a session-level SET stays on the server connection (the next client's SHOW sees it); crm refuses it: 42501"

admin "SET server_reset_query_always = 1"
run c "SET crm.account_id = ${V[a]}" ""
run c "SET crm.employee_id = ${V[anna_a]}" ""
run c "SHOW crm.account_id" ""
run d "BEGIN" ""
run d "SELECT pg_backend_pid()" "$pool_pid"
run d "SHOW crm.account_id" ""
run d "SHOW crm.employee_id" ""
run d "SELECT count(*) FROM crm.leads" 0
run d "SELECT crm.current_employee() IS NULL" t
run d "ROLLBACK" ""
run d "INSERT INTO crm.leads (type_id, contact_name) VALUES (${V[type_a]}, 'reset')" "" 42501
admin "SET server_reset_query_always = 0"
rel_log "3. with server_reset_query_always = 1 (DISCARD ALL): the next client finds nothing set and sees nothing"

# ---- 4. a bound login through the pooler ----
open_client e crm_pool_anna crm_pool
run e "SELECT crm.current_account() || '/' || crm.current_employee()" "${V[a]}/${V[anna_a]}"
run e "SELECT string_agg(DISTINCT account_id::text, ',') FROM crm.leads" "${V[a]}"
run e "INSERT INTO crm.leads (type_id, contact_name) VALUES (${V[type_a]}, 'bound') RETURNING account_id" "${V[a]}"
run e "INSERT INTO crm.leads (account_id, type_id, contact_name) VALUES (${V[b]}, ${V[type_b]}, 'bound elsewhere')" "" 42501
run e "BEGIN" ""
run e "SET LOCAL crm.account_id = ${V[b]}" ""
run e "SELECT count(*) FROM crm.leads" "" 42501
run e "ROLLBACK" ""
run e "SET crm.account_id = ${V[b]}" ""
run e "SELECT count(*) FROM crm.clients" "" 42501
run e "INSERT INTO crm.leads (type_id, contact_name) VALUES (${V[type_b]}, 'bound elsewhere')" "" 42501
run e "SET crm.account_id = ${V[a]}" ""
run e "SELECT count(*) FROM crm.clients" "${V[clients_a]}"
run e "RESET crm.account_id" ""
run e "BEGIN" ""
run e "SET LOCAL crm.employee_id = ${V[boris_a]}" ""
run e "SELECT crm.current_employee()" "" 42501
run e "ROLLBACK" ""
run e "SELECT count(*) FROM crm.clients WHERE account_id = ${V[b]}" 0
[ "$(su_val "SELECT string_agg(account_id::text, ',') FROM crm.leads WHERE contact_name LIKE 'bound%'")" = "${V[a]}" ] ||
  rel_fail "the bound login's writes are not (only) its one lead in account ${V[a]}"
rel_log "4. the bound login acts in account ${V[a]} as Anna whatever it sets (42501 otherwise)"

close_clients
stop_pgbouncer; trap - EXIT
rel_psql -d postgres -c "DROP DATABASE $DB" -c "DROP ROLE crm_pool_app" -c "DROP ROLE crm_pool_anna"
rel_log "$CHECKS statements asserted through pgbouncer"
