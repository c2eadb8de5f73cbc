# test/suites/lib/postgraphile.sh: PostGraphile 4 for the suites that serve crm through it
# (postgraphile, demo).  rel_postgraphile_install installs Debian's nodejs and npm when
# missing (unless CRM_NO_APT=1) and npm's postgraphile@4 into CACHE
# (${CRM_PGQL_CACHE:-/var/cache/crm-test}/postgraphile-4) unless it is there.
CACHE="${CRM_PGQL_CACHE:-/var/cache/crm-test}/postgraphile-4"

rel_postgraphile_install() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    ( . "$REL_ROOT/scripts/lib.sh"; CRM_PACKAGES=(); crm_install_packages nodejs npm ) ||
      rel_fail "Node and npm are needed (Debian packages nodejs, npm)"
  fi
  if [ ! -f "$CACHE/node_modules/postgraphile/package.json" ]; then
    mkdir -p "$CACHE"
    [ -f "$CACHE/package.json" ] || echo '{"name": "crm-postgraphile-test", "private": true}' > "$CACHE/package.json"
    rel_log "installing postgraphile@4 into $CACHE"
    npm install --prefix "$CACHE" --no-audit --no-fund --loglevel=error postgraphile@4 >&2 ||
      rel_fail "npm install postgraphile@4 failed"
  fi
}
