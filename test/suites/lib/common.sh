# test/suites/lib/common.sh: shared by the reliability suites, test/suites/NAME/run.sh.
# scripts/test.sh runs each suite with PGHOST/PGPORT/PGUSER exported and
# $PGBIN and $CRM_TMP set (the throwaway cluster's directory).
#   REL_ROOT        the repository
#   REL_LIB         this folder: invariants.sql, snapshot.sql, the pgbench write load
#   REL_SUITE_DIR   the running suite's own folder (its run.sh and its SQL)
set -euo pipefail

REL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
REL_LIB="$REL_ROOT/test/suites/lib"
REL_SUITE_DIR="$(cd "$(dirname "$0")" && pwd)"
: "${PGBIN:?run through scripts/test.sh}" "${CRM_TMP:?run through scripts/test.sh}"
export PATH="$PGBIN:$PATH"

rel_log() { printf '  [%s] %s\n' "${REL_SUITE:-rel}" "$*" >&2; }
rel_fail() { rel_log "FAIL: $*"; exit 1; }

# psql that stops at the first error and prints only what is asked.
rel_psql() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
rel_val() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }

# rel_new_db NAME: a fresh database with crm and the test fixtures.
rel_new_db() {
  rel_psql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"
  rel_psql -d "$1" -c 'CREATE EXTENSION crm' -f "$REL_ROOT/test/fixtures.sql" >/dev/null
}

# rel_fill DB N: two companies filled through crm_test.fill (N clients each).
rel_fill() {
  rel_psql -d "$1" -v n="${2:-10}" <<'SQL' >/dev/null
SELECT crm_test.fill(crm_test.company('Reliability A'), :n);
SELECT crm_test.fill(crm_test.company('Reliability B', 'DE'), :n);
SQL
}

# rel_snapshot DB: one line per crm table (row count and md5 of its rows in
# order) and per crm sequence (last_value, is_called).
rel_snapshot() {
  rel_val -d "$1" -f "$REL_LIB/snapshot.sql"
}

# rel_invariants DB [NOW]: prints the violations of the invariants; fails if any.
rel_invariants() {
  local out
  out="$(rel_val -d "$1" -v now="${2:-now()}" -v check_overdue="${REL_CHECK_OVERDUE:-false}" -f "$REL_LIB/invariants.sql")" || return 1
  if [ -n "$out" ]; then rel_log "invariant violations in $1:"; printf '%s\n' "$out" | head -40 >&2; return 1; fi
}

# rel_cluster DIR: a private cluster of its own (for suites that kill the
# server); exports REL_HOST.  The server runs as postgres when we are root.
rel_as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
rel_cluster_init() {
  local dir="$1"; shift
  mkdir -p "$dir"; chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  rel_as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  {
    echo "listen_addresses = ''"
    echo "unix_socket_directories = '$dir'"
    echo "port = 5432"
    echo "max_connections = 40"
    echo "log_min_messages = warning"
    local l; for l in "$@"; do echo "$l"; done
  } | rel_as_pg tee -a "$dir/data/postgresql.conf" >/dev/null
}
rel_cluster_start() { rel_as_pg "$PGBIN/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 120 start >/dev/null 2>>"$1/pg_ctl.log"; }
rel_cluster_stop() { [ -f "$1/data/postmaster.pid" ] && rel_as_pg "$PGBIN/pg_ctl" -D "$1/data" -m immediate stop >/dev/null 2>&1 || true; }
# rel_kill_cluster DIR: SIGKILL to the postmaster and every process of the cluster, as a
# power cut would.  The postmaster is frozen first and waited for until it is stopped, so
# it forks nothing more; it and its children are killed at once; then every process whose
# working directory is the data directory (all of the postmaster's children, even one
# forked while the freeze was on its way) is killed, until none is left, and waited for.
# Prints "postmaster PID and N other processes".
rel_kill_cluster() {
  local data="$1/data" pm pids p all=""
  pm=$(head -1 "$data/postmaster.pid")
  kill -STOP "$pm" 2>/dev/null || true
  while [ -r "/proc/$pm/stat" ] && [ "$(awk '{ print $3 }' "/proc/$pm/stat")" != T ]; do sleep 0.01; done
  all="$pm $(pgrep -P "$pm" | tr '\n' ' ')"
  kill -9 $all 2>/dev/null || true
  while :; do
    pids=$(for p in /proc/[0-9]*; do [ "$(readlink "$p/cwd" 2>/dev/null)" = "$data" ] && echo "${p#/proc/}"; done || true)
    [ -n "$pids" ] || break
    kill -9 $pids 2>/dev/null || true
    all="$all $pids"
    sleep 0.05
  done
  # Gone, not only dead: a postmaster.pid naming a zombie blocks the restart.
  for p in $all; do while kill -0 "$p" 2>/dev/null; do sleep 0.05; done; done
  echo "postmaster $pm and $(( $(echo $all | tr ' ' '\n' | sort -u | wc -l) - 1 )) other processes"
}
rel_crashed() { grep -E 'terminated by signal|was terminated by exception|server process .* exited with exit code [^0]' "${1:--}" | grep -v 'signal 9: Killed' ; }

# rel_load_setup DB BACKLOG: an account 'Load' filled through crm_test.fill, BACKLOG
# leads whose deadlines have passed, and a login role rel_load (a crm_admin of that
# account, as employee Anna).  Sets REL_PGBENCH_VARS (pgbench -D options).
rel_load_setup() {
  local db="$1" backlog="${2:-1000}" vars
  rel_new_db "$db"
  vars="$(rel_psql -At -F ' ' -d "$db" -v backlog="$backlog" <<'SQL'
SET client_min_messages = warning;
SELECT crm_test.company('Load') AS acc \gset
SELECT crm_test.fill(:acc, 20);
SELECT set_config('crm.account_id', :'acc', false);
INSERT INTO crm.leads (account_id, type_id, contact_name, deadline)
  SELECT :acc, crm_test.id('lead_types', :acc, 'Repair'), 'Backlog ' || g, now() - interval '1 day' + g * interval '1 second'
  FROM generate_series(1, :backlog) g;
DROP ROLE IF EXISTS rel_load;
CREATE ROLE rel_load LOGIN IN ROLE crm_admin;
SELECT crm.bind_login('rel_load', :acc, crm_test.id('employees', :acc, 'Anna'));
SELECT 'acc=' || :acc, 't_repair=' || crm_test.id('lead_types', :acc, 'Repair'),
       's1=' || crm_test.id('statuses', :acc, 'New'), 's2=' || crm_test.id('statuses', :acc, 'In work'),
       's3=' || crm_test.id('statuses', :acc, 'Won'), 's4=' || crm_test.id('statuses', :acc, 'Lost'),
       'emp=' || crm_test.id('employees', :acc, 'Anna'),
       'lead_lo=' || min(l.id), 'lead_hi=' || max(l.id),
       (SELECT 'client_lo=' || min(id) || ' client_hi=' || max(id) FROM crm.clients WHERE account_id = :acc)
FROM crm.leads l WHERE l.account_id = :acc;
SQL
)"
  REL_PGBENCH_VARS=""
  local v; for v in $vars; do case "$v" in *=*) REL_PGBENCH_VARS+=" -D $v" ;; esac; done
}

# rel_pgbench DB CLIENTS SECONDS LOGFILE [extra pgbench args]: the mixed write load.
rel_pgbench() {
  local db="$1" clients="$2" seconds="$3" logf="$4"; shift 4
  local s="$REL_LIB/pgbench"
  # shellcheck disable=SC2086
  pgbench -n -U rel_load -c "$clients" -j 2 -T "$seconds" --max-tries=20 $REL_PGBENCH_VARS \
    -f "$s/new_lead.sql@4" -f "$s/new_sales_lead.sql@1" -f "$s/move_lead.sql@4" -f "$s/move_deadline.sql@2" \
    -f "$s/client_order.sql@1" -f "$s/invoice_payment.sql@2" -f "$s/chat.sql@2" "$@" "$db" > "$logf" 2>&1
}

