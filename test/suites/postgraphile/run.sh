#!/usr/bin/env bash
# postgraphile: crm served as it is by PostGraphile 4 (npm's postgraphile@4, installed
# with the machine's Node into /var/cache/crm-test/postgraphile-4, or CRM_PGQL_CACHE;
# Debian's nodejs and npm are installed when missing, unless CRM_NO_APT=1).  server.js
# (the README's setup) serves a database with two filled accounts on 127.0.0.1 (a free
# port), logged in as a crm_service member; queries.js runs GraphQL against it: enums
# and inputs in the schema, cursor paging of the lead board, a refused transition with
# its SQLSTATE, detail and hint, a payment, one employee's Important inbox, a claim from
# the call queue and its logged call, and isolation between requests of two accounts.
# Then the same queries with the identity in a JWT instead of headers.
REL_SUITE=postgraphile
. "$(dirname "$0")/../lib/common.sh"
. "$REL_ROOT/test/suites/lib/postgraphile.sh"
rel_postgraphile_install
export NODE_PATH="$CACHE/node_modules"
version="$(node -p 'require("postgraphile/package.json").version')"

W="$CRM_TMP/postgraphile"; mkdir -p "$W"
DB=rel_pgql
rel_new_db $DB
vars="$(rel_val -F ' ' -d $DB -f "$REL_SUITE_DIR/setup.sql")"
[[ "$vars" == *invoice_a=* ]] || rel_fail "setup.sql printed no variables"

pid=""
stop_server() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; pid=""; }
trap stop_server EXIT
start_server() {  # start_server [env...]: server.js as rel_pgql_api; sets URL
  rm -f "$W/port"
  env PGHOST="$PGHOST" PGPORT="$PGPORT" PGDATABASE=$DB PGUSER=rel_pgql_api PORT_FILE="$W/port" "$@" \
    node "$REL_SUITE_DIR/server.js" > "$W/server.log" 2>&1 & pid=$!
  local deadline=$((SECONDS + 60))
  until [ -s "$W/port" ]; do
    kill -0 "$pid" 2>/dev/null || { cat "$W/server.log" >&2; rel_fail "server.js died"; }
    [ $SECONDS -lt $deadline ] || rel_fail "server.js did not listen within 60 s"
    sleep 0.2
  done
  URL="http://127.0.0.1:$(cat "$W/port")/graphql"
}
run_queries() {  # run_queries LABEL [env...]
  local label="$1"; shift
  if ! env "$@" node "$REL_SUITE_DIR/queries.js" "$URL" $vars > "$W/queries.log" 2>&1; then
    sed 's/^/    /' "$W/queries.log" >&2; tail -20 "$W/server.log" >&2
    rel_fail "GraphQL checks failed ($label)"
  fi
  sed 's/^/    /' "$W/queries.log" >&2
}

start_server
run_queries "identity from headers"
stop_server
# The queries change the data (a transition, a payment, a claim): run them again on a fresh fill.
rel_new_db $DB
vars="$(rel_val -F ' ' -d $DB -f "$REL_SUITE_DIR/setup.sql")"
secret="crm-test-$RANDOM$RANDOM"
start_server CRM_JWT_SECRET="$secret"
run_queries "identity from a JWT" JWT_SECRET="$secret"
stop_server
rel_log "PostGraphile $version served crm: every check passed with the identity from headers and from a JWT"
rel_psql -d postgres -c "DROP DATABASE $DB" -c "DROP ROLE rel_pgql_api"
