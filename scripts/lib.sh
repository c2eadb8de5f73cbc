# scripts/lib.sh: shared by scripts/demo.sh and scripts/test.sh.
# Installs what is missing (Debian 12), builds and installs crm, and runs a
# throwaway PostgreSQL 15 cluster listening only on a private Unix socket.
#
# Environment:
#   PG_CONFIG         pg_config of the PostgreSQL to use (default: the Debian 15 one)
#   CRM_NO_APT=1      never call apt-get (for machines prepared by hand)
#   CRM_SERVER_PRELOAD  LD_PRELOAD for the server only (the sanitizer suite's libasan)
#   CRM_MALLOC_PERTURB  MALLOC_PERTURB_ for the server only: glibc fills freed memory
#                     with this byte, so a value read after it was freed is garbage
#                     at once instead of by chance (scripts/test.sh sets it)
#   CRM_SERVER_WRAPPER  a program pg_ctl starts instead of postgres, given postgres's
#                     arguments (the valgrind suite's wrapper)
#   CRM_CLUSTER_DIR   the cluster's directory instead of a throwaway one: created the first
#                     time, started again (its settings replaced) later, stopped but kept at
#                     the end (the benchmark's --keep)

: "${PG_CONFIG:=/usr/lib/postgresql/15/bin/pg_config}"
export PG_CONFIG

CRM_PACKAGES=(
  build-essential g++ make
  postgresql-15 postgresql-server-dev-15 postgresql-contrib
  postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl
  libphonenumber-dev libicu-dev   # libphonenumber-dev ships libgeocoding; its header needs ICU's
  clang llvm
  sqlsmith
)

log() { printf '==> %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

crm_install_packages() {
  local missing=() p
  for p in "${CRM_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then return 0; fi
  if [ "${CRM_NO_APT:-0}" = 1 ]; then
    log "missing packages (CRM_NO_APT=1, not installing): ${missing[*]}"; return 1
  fi
  log "installing: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # The server package must not start a cluster of its own here.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef "${missing[@]}" >/dev/null
}

PGBIN=""
crm_build_install() {
  PGBIN="$("$PG_CONFIG" --bindir)"
  export PATH="$PGBIN:$PATH"
  log "building crm against $("$PG_CONFIG" --version)"
  make -s PG_CONFIG="$PG_CONFIG" \
    COPT="-Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare -Wno-missing-field-initializers -Wno-cast-function-type ${CRM_EXTRA_COPT:-}" \
    >/dev/null
  as_root make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
}

# The server refuses to run as root, so as root it runs as postgres.
run_as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

CRM_TMP=""
crm_cluster_stop() {
  local mode=immediate
  [ "$CRM_TMP" != "${CRM_CLUSTER_DIR:-}" ] || mode=fast
  if [ -n "$CRM_TMP" ] && [ -f "$CRM_TMP/data/postmaster.pid" ]; then
    run_as_pg "$PGBIN/pg_ctl" -D "$CRM_TMP/data" -m "$mode" stop >/dev/null 2>&1 || true
  fi
  if [ -n "$CRM_TMP" ] && [ "${CRM_KEEP_CLUSTER:-0}" != 1 ] && [ "$CRM_TMP" != "${CRM_CLUSTER_DIR:-}" ]; then rm -rf "$CRM_TMP"; fi
}

# crm_cluster_start [extra postgresql.conf lines...]
crm_cluster_start() {
  if [ -n "${CRM_CLUSTER_DIR:-}" ]; then CRM_TMP="$CRM_CLUSTER_DIR"; mkdir -p "$CRM_TMP"; else CRM_TMP="$(mktemp -d /tmp/crm-cluster.XXXXXX)"; fi
  chmod 755 "$CRM_TMP"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$CRM_TMP"; fi
  trap crm_cluster_stop EXIT
  if [ -f "$CRM_TMP/data/PG_VERSION" ]; then   # a kept cluster: this run's settings replace the last one's
    run_as_pg "$PGBIN/pg_ctl" -D "$CRM_TMP/data" -m fast stop >/dev/null 2>&1 || true
    run_as_pg sed -i '/^# crm_cluster_start$/,$d' "$CRM_TMP/data/postgresql.conf"
  else
    run_as_pg "$PGBIN/initdb" -D "$CRM_TMP/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  {
    echo "# crm_cluster_start"
    echo "listen_addresses = ''"
    echo "unix_socket_directories = '$CRM_TMP'"
    echo "port = 5432"
    echo "fsync = off"
    echo "max_prepared_transactions = 10"
    echo "log_min_messages = warning"
    local line; for line in "$@"; do echo "$line"; done
  } | run_as_pg tee -a "$CRM_TMP/data/postgresql.conf" >/dev/null
  run_as_pg env ${CRM_SERVER_PRELOAD:+LD_PRELOAD=$CRM_SERVER_PRELOAD} ${CRM_MALLOC_PERTURB:+MALLOC_PERTURB_=$CRM_MALLOC_PERTURB} \
    "$PGBIN/pg_ctl" ${CRM_SERVER_WRAPPER:+-p "$CRM_SERVER_WRAPPER" -t 600} -D "$CRM_TMP/data" -l "$CRM_TMP/server.log" -w start >/dev/null
  export PGHOST="$CRM_TMP" PGPORT=5432 PGUSER=postgres PGDATABASE=postgres
  if [ -n "${CRM_CLUSTER_DIR:-}" ]; then log "kept cluster at $CRM_TMP"; else log "throwaway cluster at $CRM_TMP"; fi
}

crm_cluster_restart() {
  run_as_pg env ${CRM_SERVER_PRELOAD:+LD_PRELOAD=$CRM_SERVER_PRELOAD} ${CRM_MALLOC_PERTURB:+MALLOC_PERTURB_=$CRM_MALLOC_PERTURB} \
    "$PGBIN/pg_ctl" ${CRM_SERVER_WRAPPER:+-p "$CRM_SERVER_WRAPPER" -t 600} -D "$CRM_TMP/data" -l "$CRM_TMP/server.log" -w restart >/dev/null
}
