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

# The hook for APIs that serve the kept database (PostGraphile, once crm ships a
# setup for it): start them here as a crm_service login (shop) and print their URL
# under the psql logins.  None yet.
demo_endpoints() { :; }

if [ $keep = 1 ]; then
  trap - EXIT
  {
    echo "export PGHOST='$CRM_TMP' PGPORT=5432 PGDATABASE=crm_demo"
  } > "$CRM_TMP/demo.env"
  stop="$PGBIN/pg_ctl -D $CRM_TMP/data stop && rm -rf $CRM_TMP"
  if [ "$(id -u)" = 0 ]; then stop="runuser -u postgres -- $PGBIN/pg_ctl -D $CRM_TMP/data stop && rm -rf $CRM_TMP"; fi
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
