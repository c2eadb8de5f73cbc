#!/usr/bin/env bash
# demo_data: the demo's sample company (test/demo/sample_company.sql, which
# scripts/demo.sh loads) leaves no identity sequence behind the ids it wrote, so
# the first rows typed in afterwards get free ids: an admin's campaign, employee,
# status, lead type and location, and a manager's lead and client.
REL_SUITE=demo_data
. "$(dirname "$0")/../lib/common.sh"
DB=rel_demo_data
rel_psql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
rel_psql -d $DB -c 'CREATE EXTENSION crm' >/dev/null
rel_psql -d $DB -f "$REL_ROOT/test/demo/sample_company.sql" >/dev/null

behind="$(rel_val -d $DB <<'SQL'
SELECT format('SELECT %L WHERE (SELECT max(%I) FROM %s) > coalesce(pg_sequence_last_value(%L), 0)',
              a.attrelid::regclass || '.' || a.attname, a.attname, a.attrelid::regclass,
              pg_get_serial_sequence(a.attrelid::regclass::text, a.attname))
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind = 'r' AND a.attidentity <> '' AND NOT a.attisdropped
ORDER BY 1
\gexec
SQL
)"
[ -z "$behind" ] || rel_fail "identity sequences behind the ids of their table: $(echo $behind)"

rel_psql -d $DB -c "SET client_min_messages = warning" -c "DROP ROLE IF EXISTS rel_demo_admin" -c "DROP ROLE IF EXISTS rel_demo_manager" \
  -c "CREATE ROLE rel_demo_admin LOGIN IN ROLE crm_admin" -c "CREATE ROLE rel_demo_manager LOGIN IN ROLE crm_manager" \
  -c "SELECT crm.bind_login('rel_demo_admin', 1, 1), crm.bind_login('rel_demo_manager', 1, 2)" >/dev/null
out="$(rel_val -d $DB -U rel_demo_admin <<'SQL'
INSERT INTO crm.campaigns (name) VALUES ('TV') RETURNING 'campaign ' || id;
INSERT INTO crm.locations (name) VALUES ('Perm') RETURNING 'location ' || id;
INSERT INTO crm.employees (name, email) VALUES ('New Hire', 'new@northwind.example') RETURNING 'employee ' || id;
INSERT INTO crm.statuses (name, kind, position) VALUES ('On hold', 'open', 6) RETURNING 'status ' || id;
INSERT INTO crm.lead_types (name, initial_status_id, number_template) VALUES ('Service', 1, 'V-{N}') RETURNING 'lead type ' || id;
SQL
)" || rel_fail "an admin's first rows after the demo data failed"
out2="$(rel_val -d $DB -U rel_demo_manager <<'SQL'
INSERT INTO crm.clients (name) VALUES ('Walk-in') RETURNING 'client ' || id;
INSERT INTO crm.leads (contact_name) VALUES ('Walk-in') RETURNING 'lead ' || id;
SQL
)" || rel_fail "a manager's first rows after the demo data failed"
rel_psql -d postgres -c "DROP DATABASE $DB" -c "DROP ROLE rel_demo_admin" -c "DROP ROLE rel_demo_manager" >/dev/null
rel_log "no sequence behind its ids; the first rows typed in: $(echo $out $out2 | tr '\n' ' ')"
