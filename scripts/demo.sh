#!/usr/bin/env bash
# The crm demo: installs what is missing, builds and installs crm, starts a
# throwaway PostgreSQL 15 cluster, loads a sample company and prints the lead
# board, the badges, the funnel and the campaign report as a reporting role
# sees them.  The cluster is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

crm_install_packages
crm_build_install
crm_cluster_start

q() { psql -X -q -v ON_ERROR_STOP=1 -d crm_demo "$@"; }
psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE DATABASE crm_demo'
q -c 'CREATE EXTENSION crm'
q -f test/demo/sample_company.sql >/dev/null
q -c "CREATE ROLE demo_reader LOGIN IN ROLE crm_reader" \
  -c "SELECT crm.bind_login('demo_reader', 1)"

show() {  # show TITLE SQL
  printf '\n### %s\n\n' "$1"
  psql -X -q -v ON_ERROR_STOP=1 -d crm_demo -U demo_reader -P pager=off -c "$2"
}
show "Lead board: open leads, overdue first (first 15)" \
  "SELECT number, type, status, manager, campaign, deadline::timestamp(0) AS deadline, overdue, overdue_for, urgent
   FROM crm.lead_board WHERE closed_at IS NULL
   ORDER BY overdue DESC, overdue_for DESC NULLS LAST, urgent DESC, number LIMIT 15"
show "Badges: overdue and urgent open leads per manager" \
  "SELECT manager, overdue, urgent FROM crm.lead_badges ORDER BY id NULLS LAST"
show "Funnel: leads per type and status" \
  "SELECT type, status, kind, leads FROM crm.funnel ORDER BY type, position"
show "Campaign report" \
  "SELECT campaign, leads, open, won, lost, conversion, revenue FROM crm.campaign_report ORDER BY leads DESC, campaign"
show "History of one lead" \
  "SELECT e.at::timestamp(0) AS at, e.kind, f.name AS from_status, t.name AS to_status, e.detail->>'comment' AS comment
   FROM crm.lead_events e
   LEFT JOIN crm.statuses f ON f.account_id = e.account_id AND f.id = e.from_status_id
   LEFT JOIN crm.statuses t ON t.account_id = e.account_id AND t.id = e.to_status_id
   WHERE e.lead_id = (SELECT min(id) FROM crm.leads WHERE closed_at IS NOT NULL AND type_id = 1)
   ORDER BY e.id"
