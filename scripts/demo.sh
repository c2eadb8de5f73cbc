#!/usr/bin/env bash
# The crm demo: one working day of a small repair shop, as the people who use it see it.
# Installs what is missing, builds and installs crm, starts a throwaway PostgreSQL 15
# cluster, loads the sample company (test/demo/sample_company.sql), creates a login per
# person (test/demo/logins.sql) and plays the day (test/demo/day.sql): every step is the
# SQL an application would issue, as the role that would issue it, then what people see.
# The cluster is removed at the end.
#
#   scripts/demo.sh                 the day, then the cluster is removed
#   scripts/demo.sh --keep          the cluster keeps running; prints how to connect
#   scripts/demo.sh --no-install    never install packages (test/suites/demo)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

keep=0 install=1
for arg in "$@"; do
  case "$arg" in
    --keep) keep=1 ;;
    --no-install) install=0 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: scripts/demo.sh [--keep] [--no-install]" >&2; exit 2 ;;
  esac
done

started=$SECONDS
if [ $install = 1 ]; then crm_install_packages; fi
crm_build_install
crm_cluster_start

export PGDATABASE=crm_demo
q() { psql -X -q -v ON_ERROR_STOP=1 -P pager=off "$@"; }
q -d postgres -c 'CREATE DATABASE crm_demo'
q -c 'CREATE EXTENSION crm' -f test/demo/sample_company.sql >/dev/null
printf '\n### The DBA set up: the sample company (test/demo/sample_company.sql), then a login per person\n\n'
grep -v '^--\|^\\' test/demo/logins.sql
q -f test/demo/logins.sql >/dev/null
q -e -f test/demo/day.sql

cat <<'EOF'

==================================================================================
 Where to look next (README.md)
==================================================================================
  Tenancy and security ........ who is acting: bound logins (the people above) and
                                crm_service with SET LOCAL (the shop, the messenger)
  Leads; Clients, phones and linking ..... steps 1 and 2
  Invoices, payments, auto-cancel and autopay ..... step 3
  Call centre ................. step 4 (the 10:05 / 11:05 / 11:45 retries, templates, the outbox)
  Chats, responsible managers, appointments and failed-payment alerts ..... step 5
  Time-based work: crm.run_due and the scheduler ..... step 6 (and the background worker)
  Events and notifications .... what a frontend hears of all this (crm.events_since)
  Migrating from another CRM .. the import of step 1, at scale
  Errors ...................... every SQLSTATE; try a forbidden move as anna
EOF
log "the demo took $((SECONDS - started)) s"

# With --keep, PostGraphile serves the kept database when Node and the PostGraphile
# that suite postgraphile installs are on the machine: the suite's server.js (the
# README's setup) as the shop's crm_service login, the identity from two headers.
demo_endpoints() {
  local cache="${CRM_PGQL_CACHE:-/var/cache/crm-test}/postgraphile-4"
  if ! command -v node >/dev/null || [ ! -f "$cache/node_modules/postgraphile/package.json" ]; then
    echo "  GraphQL: run 'bash scripts/test.sh postgraphile' once (it installs PostGraphile 4),"
    echo "           then 'scripts/demo.sh --keep' serves the demo through it too."
    return 0
  fi
  rm -f "$CRM_TMP/graphql.port"
  NODE_PATH="$cache/node_modules" PGHOST="$CRM_TMP" PGPORT=5432 PGDATABASE=crm_demo PGUSER=shop \
    PORT_FILE="$CRM_TMP/graphql.port" nohup node "$PWD/test/suites/postgraphile/server.js" \
    > "$CRM_TMP/graphql.log" 2>&1 &
  echo $! > "$CRM_TMP/graphql.pid"
  for _ in $(seq 1 150); do [ -s "$CRM_TMP/graphql.port" ] && break; sleep 0.2; done
  if [ ! -s "$CRM_TMP/graphql.port" ]; then
    echo "  GraphQL: PostGraphile did not start (see $CRM_TMP/graphql.log)"; return 0
  fi
  cat <<EOF2
  GraphQL:  http://127.0.0.1:$(cat "$CRM_TMP/graphql.port")/graphql   (PostGraphile as the shop's crm_service login)
    curl -s -H 'Content-Type: application/json' -H 'X-Crm-Account: 1' -H 'X-Crm-Employee: 2' \\
      -d '{"query": "{ allLeadBoards(first: 3) { nodes { number status contactName } } }"}' \\
      http://127.0.0.1:$(cat "$CRM_TMP/graphql.port")/graphql
    (the headers stand in for your application's sign-in; "Stop it" above stops it too)
EOF2
}

if [ $keep = 1 ]; then
  trap - EXIT
  {
    echo "export PGHOST='$CRM_TMP' PGPORT=5432 PGDATABASE=crm_demo"
  } > "$CRM_TMP/demo.env"
  stop="$PGBIN/pg_ctl -D $CRM_TMP/data stop && rm -rf $CRM_TMP"
  if [ "$(id -u)" = 0 ]; then stop="runuser -u postgres -- $PGBIN/pg_ctl -D $CRM_TMP/data stop && rm -rf $CRM_TMP"; fi
  stop="{ [ ! -f $CRM_TMP/graphql.pid ] || kill \$(cat $CRM_TMP/graphql.pid); }; $stop"
  cat <<EOF

==================================================================================
 The cluster keeps running (--keep)
==================================================================================
  . $CRM_TMP/demo.env          # PGHOST, PGPORT, PGDATABASE of the demo
  $PGBIN/psql -U anna         # Anna, a manager (bound login: she sets nothing)
  $PGBIN/psql -U olga         # the admin; boris, dmitry, elena and bi likewise
  $PGBIN/psql -U shop         # an integration: BEGIN; SET LOCAL crm.account_id = 1; ...
  $PGBIN/psql -U postgres     # the owner
  Stop it:  $stop
EOF
  demo_endpoints
fi
