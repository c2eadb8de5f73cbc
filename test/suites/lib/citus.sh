# test/suites/lib/citus.sh: a throwaway Citus cluster for the suites that run crm
# distributed.  Source it after common.sh (it needs $PGBIN, $CRM_TMP, $PG_CONFIG).
#
#   citus_build                 builds Citus 13.2 from $CITUS_SRC (../shared/citus/ beside
#                               the repository) into $PG_CONFIG's PostgreSQL when its
#                               citus.so 13.2 is missing; nothing to do when it is there.
#                               As root it installs the build packages with apt unless
#                               CRM_NO_APT=1 (then it fails naming what is missing).
#   citus_cluster_start [LINE]  a coordinator and two workers on 127.0.0.1, each on a free
#                               port with its own socket folder under $CITUS_DIR
#                               (shared_preload_libraries = citus, fsync off, trust auth,
#                               the LINEs appended to each postgresql.conf); database
#                               $CITUS_DB with citus on every node; the coordinator's host
#                               set and the two workers added; CREATE EXTENSION crm on the
#                               coordinator (unless CITUS_NO_CRM=1).  Sets an EXIT trap
#                               that stops every node (citus_cluster_stop).
#   citus_crm_alone             for a part of the citus suite run on its own: Citus built,
#                               the cluster started, crm distributed, the test fixtures
#                               loaded (fails the suite when one of them fails)
#   citus_worker_add N [LINE]   one more worker, node N (3, ...), started and added
#   citus_psql NODE [ARGS]      psql on node 0 (the coordinator), 1 or 2 (the workers),
#                               in $CITUS_DB, stopping at the first error
#   citus_val NODE [ARGS]       the same, unaligned, tuples only (for values)
#   citus_port NODE             the node's TCP port on 127.0.0.1
#   citus_env NODE              prints PGHOST=... PGPORT=... for `env $(citus_env 0) cmd`
#   citus_q [ARGS]              citus_val on the coordinator, as $CITUS_USER when set
#                               (else the owner)
#   citus_expect LABEL WANT GOT "ok - LABEL" when GOT is WANT, else rel_fail (common.sh)
#   citus_in_account ACCOUNT SQL  one transaction through the coordinator in ACCOUNT, as
#                               a tenant session sets it (SET LOCAL crm.account_id,
#                               propagated to the workers); prints the results
#   citus_cluster_stop          stops every node (fast); removes $CITUS_DIR unless
#                               CRM_KEEP_CLUSTER=1
#
# Environment:
#   CITUS_SRC            folder with build.sh and the Citus tarball (default ../shared/citus)
#   CITUS_DB             the database (default crm_citus)
#   CITUS_DIR            where the nodes live (default $CRM_TMP/citus)
#   CITUS_EXTRA_PRELOAD  libraries preloaded after citus (default crm: the README's recipe
#                        preloads it, at least on the coordinator; empty: none)

: "${PGBIN:?}" "${CRM_TMP:?}"
: "${PG_CONFIG:=$PGBIN/pg_config}"
CITUS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
: "${CITUS_SRC:=$CITUS_ROOT/../shared/citus}"
: "${CITUS_DB:=crm_citus}"
: "${CITUS_DIR:=$CRM_TMP/citus}"
: "${CITUS_EXTRA_PRELOAD=crm}"
CITUS_VERSION=13.2
CITUS_BUILD_PACKAGES=(build-essential libcurl4-openssl-dev liblz4-dev libzstd-dev libkrb5-dev libselinux1-dev
  libxslt1-dev libpam0g-dev libssl-dev libreadline-dev)
CITUS_PORTS=()

citus_log() { printf '  [citus] %s\n' "$*" >&2; }
citus_as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

citus_installed() {
  [ -f "$("$PG_CONFIG" --pkglibdir)/citus.so" ] &&
    grep -qs "default_version = '$CITUS_VERSION" "$("$PG_CONFIG" --sharedir)/extension/citus.control"
}

citus_build() {
  citus_installed && return 0
  [ -f "$CITUS_SRC/build.sh" ] || { citus_log "no Citus source at $CITUS_SRC (CITUS_SRC)"; return 1; }
  [ "$(id -u)" = 0 ] || { citus_log "building Citus into $("$PG_CONFIG" --pkglibdir) needs root"; return 1; }
  ( . "$CITUS_ROOT/scripts/lib.sh"; CRM_PACKAGES=(); crm_install_packages "${CITUS_BUILD_PACKAGES[@]}" ) ||
    { citus_log "the packages Citus builds with are missing"; return 1; }
  citus_log "building Citus $CITUS_VERSION into $("$PG_CONFIG" --pkglibdir) (about 1.5 min)"
  local work; work="$(mktemp -d "$CRM_TMP/citus-build.XXXXXX")"
  PG_CONFIG="$PG_CONFIG" bash "$CITUS_SRC/build.sh" "$work" > "$work.log" 2>&1 ||
    { tail -30 "$work.log" >&2; citus_log "the Citus build failed ($work.log)"; return 1; }
  rm -rf "$work"
  citus_installed || { citus_log "citus.so $CITUS_VERSION is still missing after the build"; return 1; }
}

citus_port() { echo "${CITUS_PORTS[$1]}"; }
citus_env() { echo "PGHOST=$CITUS_DIR/n$1 PGPORT=${CITUS_PORTS[$1]} PGUSER=postgres PGDATABASE=$CITUS_DB"; }
citus_psql() {
  local n="$1"; shift
  "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$CITUS_DIR/n$n" -p "${CITUS_PORTS[$n]}" -U postgres -d "$CITUS_DB" "$@"
}
citus_val() { local n="$1"; shift; citus_psql "$n" -At "$@"; }
citus_q() { citus_val 0 ${CITUS_USER:+-U "$CITUS_USER"} "$@"; }
citus_expect() {
  [ "$2" = "$3" ] || rel_fail "$1: wanted [$2], got [$3]"
  echo "ok - $1"
}
citus_in_account() {
  citus_q <<SQL
SET citus.propagate_set_commands = 'local';
BEGIN;
SET LOCAL crm.account_id = $1;
$2
COMMIT;
SQL
}

citus_port_in_use() { (exec 9<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# citus_node_start N LINES...: initdb and start node N on a free port.
citus_node_start() {
  local n="$1" d="$CITUS_DIR/n$1" p try line; shift
  mkdir -p "$d"; chmod 755 "$d"; [ "$(id -u)" = 0 ] && chown postgres: "$d"
  citus_as_pg "$PGBIN/initdb" -D "$d/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  cp "$d/data/postgresql.conf" "$d/postgresql.conf.orig"
  for try in 1 2 3 4 5 6 7 8; do
    p=$((20000 + RANDOM % 40000))
    citus_port_in_use "$p" && continue
    {
      cat "$d/postgresql.conf.orig"
      echo "listen_addresses = '127.0.0.1'"
      echo "unix_socket_directories = '$d'"
      echo "port = $p"
      echo "shared_preload_libraries = 'citus${CITUS_EXTRA_PRELOAD:+,$CITUS_EXTRA_PRELOAD}'"
      echo "fsync = off"
      echo "synchronous_commit = off"
      echo "full_page_writes = off"
      echo "max_connections = 100"
      echo "max_prepared_transactions = 100"
      echo "log_min_messages = warning"
      for line in "$@"; do echo "$line"; done
    } | citus_as_pg tee "$d/data/postgresql.conf" >/dev/null
    if citus_as_pg "$PGBIN/pg_ctl" -D "$d/data" -l "$d/server.log" -w -t 60 start >/dev/null 2>>"$d/pg_ctl.log"; then
      CITUS_PORTS[$n]=$p; return 0
    fi
  done
  tail -5 "$d/server.log" >&2; citus_log "node $n did not start"; return 1
}

citus_cluster_stop() {
  local d
  for d in "$CITUS_DIR"/n*; do
    [ -f "$d/data/postmaster.pid" ] &&
      citus_as_pg "$PGBIN/pg_ctl" -D "$d/data" -m fast stop >/dev/null 2>&1 || true
  done
  [ "${CRM_KEEP_CLUSTER:-0}" = 1 ] || rm -rf "$CITUS_DIR"
}

# citus_worker_add N [LINE...]: one more worker, node N (3, 4, ...), added to the cluster.
citus_worker_add() {
  local n="$1"; shift
  citus_node_start "$n" "$@" || return 1
  citus_psql "$n" -d postgres -c "CREATE DATABASE $CITUS_DB" >/dev/null
  citus_psql "$n" -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION citus' >/dev/null
  citus_psql 0 -c "SELECT citus_add_node('127.0.0.1', ${CITUS_PORTS[$n]})" >/dev/null
}

citus_cluster_start() {
  citus_installed || { citus_log "Citus $CITUS_VERSION is not installed in $("$PG_CONFIG" --pkglibdir) (citus_build)"; return 1; }
  rm -rf "$CITUS_DIR"; mkdir -p "$CITUS_DIR"; chmod 755 "$CITUS_DIR"
  trap citus_cluster_stop EXIT
  local n
  for n in 0 1 2; do citus_node_start "$n" "$@" || return 1; done
  for n in 0 1 2; do
    citus_psql "$n" -d postgres -c "CREATE DATABASE $CITUS_DB" >/dev/null
    citus_psql "$n" -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION citus' >/dev/null
  done
  citus_psql 0 -c "SELECT citus_set_coordinator_host('127.0.0.1', ${CITUS_PORTS[0]})" \
    -c "SELECT citus_add_node('127.0.0.1', ${CITUS_PORTS[1]})" \
    -c "SELECT citus_add_node('127.0.0.1', ${CITUS_PORTS[2]})" >/dev/null
  [ "${CITUS_NO_CRM:-0}" = 1 ] || citus_psql 0 -c 'CREATE EXTENSION crm' >/dev/null
  citus_log "coordinator 127.0.0.1:${CITUS_PORTS[0]}, workers :${CITUS_PORTS[1]} :${CITUS_PORTS[2]} (database $CITUS_DB, $CITUS_DIR)"
}

citus_crm_alone() {
  citus_build || rel_fail "Citus is not available"
  citus_cluster_start || rel_fail "the Citus cluster did not start"
  PGOPTIONS='-c client_min_messages=warning' citus_val 0 -c 'SELECT crm.distribute()' >/dev/null
  citus_psql 0 -f "$REL_ROOT/test/fixtures.sql" >/dev/null
}
