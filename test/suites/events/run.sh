#!/usr/bin/env bash
# events: the event stream in a database of its own — events.sql (pgTAP in committed
# transactions: kinds, typed payloads, per-account ids in commit order, rollbacks,
# events_since, append-only) — and the notifications: logins of another tenant and with
# no crm role listen on every channel crm uses while account A works and hear nothing
# but A's newest event ids and empty outbox wake-ups; A's frontend hears its newest id
# and reads the events through row-level security; a forged notification gives nothing.
REL_SUITE=events
. "$(dirname "$0")/../lib/common.sh"
( . "$REL_ROOT/scripts/lib.sh"; CRM_PACKAGES=(); crm_install_packages python3-psycopg ) ||
  rel_fail "python3-psycopg is needed"
DB=rel_events
rel_psql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
rel_psql -d $DB -c "CREATE EXTENSION pgtap" -c "CREATE EXTENSION crm" -f "$REL_ROOT/test/fixtures.sql" >/dev/null
pg_prove -q -d $DB "$REL_SUITE_DIR/events.sql" > "$CRM_TMP/events.tap" 2>&1 || { cat "$CRM_TMP/events.tap" >&2; rel_fail "events.sql"; }

read -r A B < <(rel_val -d $DB -F ' ' <<'SQL'
SET client_min_messages = warning;
SELECT crm_test.company('Listen A'), crm_test.company('Listen B');
SQL
)
rel_psql -d $DB <<SQL >/dev/null
SET client_min_messages = warning;
DROP ROLE IF EXISTS rel_ev_a; DROP ROLE IF EXISTS rel_ev_b; DROP ROLE IF EXISTS rel_ev_nobody;
CREATE ROLE rel_ev_a LOGIN IN ROLE crm_reader; CREATE ROLE rel_ev_b LOGIN IN ROLE crm_admin;
CREATE ROLE rel_ev_nobody LOGIN;
SELECT crm.bind_login('rel_ev_a', $A); SELECT crm.bind_login('rel_ev_b', $B);
SQL
/usr/bin/python3 "$REL_SUITE_DIR/listen.py" "host=$PGHOST port=$PGPORT dbname=$DB" "$A" "$B" > "$CRM_TMP/listen.out" 2>&1 ||
  { cat "$CRM_TMP/listen.out" >&2; rel_fail "a notification leaked or the frontend path failed"; }
sed 's/^/  /' "$CRM_TMP/listen.out" >&2
rel_log "events.sql passed; notifications: other tenants hear only account A's event ids and empty wake-ups"
rel_psql -d postgres -c "DROP DATABASE $DB" -c "DROP ROLE rel_ev_a" -c "DROP ROLE rel_ev_b" -c "DROP ROLE rel_ev_nobody"
