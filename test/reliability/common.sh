# test/reliability/common.sh: shared by the reliability suites in test/suites/.
# scripts/test.sh runs each suite with PGHOST/PGPORT/PGUSER exported and
# $PGBIN and $CRM_TMP set (the throwaway cluster's directory).
set -euo pipefail

REL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
REL_DIR="$REL_ROOT/test/reliability"
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
  rel_val -d "$1" -f "$REL_DIR/snapshot.sql"
}

# rel_invariants DB [NOW]: prints the violations of the invariants; fails if any.
rel_invariants() {
  local out
  out="$(rel_val -d "$1" -v now="${2:-now()}" -v check_overdue="${REL_CHECK_OVERDUE:-false}" -f "$REL_DIR/invariants.sql")" || return 1
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
rel_cluster_start() { rel_as_pg "$PGBIN/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 120 start >/dev/null; }
rel_cluster_stop() { [ -f "$1/data/postmaster.pid" ] && rel_as_pg "$PGBIN/pg_ctl" -D "$1/data" -m immediate stop >/dev/null 2>&1 || true; }
rel_crashed() { grep -E 'terminated by signal|was terminated by exception|server process .* exited with exit code [^0]' "${1:--}" | grep -v 'signal 9: Killed' ; }
