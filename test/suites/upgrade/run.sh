#!/usr/bin/env bash
# upgrade: installs the previous version of crm (CRM_UPGRADE_FROM, default: the oldest
# version with an upgrade path; the current one while only one exists), fills it,
# runs ALTER EXTENSION crm UPDATE, and checks that
#  - the extension is at the default version and every row survived (counts, and the
#    rows themselves when the schema did not change);
#  - the updated schema is exactly what a fresh CREATE EXTENSION gives (pg_dump
#    --schema-only of both compared);
#  - the updated database behaves: numbering goes on, the invariants hold, and the
#    pgTAP suites pass in an updated database.
REL_SUITE=upgrade
. "$(dirname "$0")/../lib/common.sh"
W="$CRM_TMP/upgrade"; mkdir -p "$W"
OLD=rel_upgrade_old FRESH=rel_upgrade_fresh
default="$(rel_val -d postgres -c "SELECT default_version FROM pg_available_extensions WHERE name = 'crm'")"
from="${CRM_UPGRADE_FROM:-$(rel_val -d postgres -c "SELECT version FROM pg_available_extension_versions WHERE name = 'crm' ORDER BY string_to_array(version, '.')::int[] LIMIT 1")}"
rel_log "upgrading $from -> $default"

rel_psql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $OLD" -c "CREATE DATABASE $OLD"
rel_psql -d $OLD -c "CREATE EXTENSION pgtap" -c "CREATE EXTENSION crm VERSION '$from'" -f "$REL_ROOT/test/fixtures.sql" >/dev/null
rel_fill $OLD 10
rel_snapshot $OLD | grep '^table' > "$W/before.snap"
rel_psql -d $OLD -c "SET client_min_messages = warning" -c "ALTER EXTENSION crm UPDATE"
[ "$(rel_val -d $OLD -c "SELECT extversion FROM pg_extension WHERE extname = 'crm'")" = "$default" ] ||
  rel_fail "ALTER EXTENSION crm UPDATE did not reach $default"
rel_snapshot $OLD | grep '^table' > "$W/after.snap"
if [ "$from" = "$default" ]; then
  diff -u "$W/before.snap" "$W/after.snap" >&2 || rel_fail "rows changed in the update"
else
  diff <(sed 's/ md5=.*//' "$W/before.snap") <(sed 's/ md5=.*//' "$W/after.snap" | grep -F -f <(sed 's/ rows=.*//' "$W/before.snap")) >&2 ||
    rel_fail "row counts changed in the update"
fi

# Same schema as a fresh install.
rel_psql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $FRESH" -c "CREATE DATABASE $FRESH"
rel_psql -d $FRESH -c "CREATE EXTENSION crm"
schema() { pg_dump --schema-only -n crm -d "$1" 2>/dev/null | grep -v '^\\\(un\)\?restrict \|^-- Dumped\|^$' ; }
schema $OLD > "$W/updated.sql"; schema $FRESH > "$W/fresh.sql"
diff -u "$W/fresh.sql" "$W/updated.sql" > "$W/schema.diff" || { head -40 "$W/schema.diff" >&2; rel_fail "the updated schema differs from a fresh install"; }
# Catalog objects pg_dump leaves out of an extension's schema: members and their config marks.
members() { rel_val -d "$1" -c "SELECT pg_describe_object(classid, objid, 0) FROM pg_depend WHERE refclassid = 'pg_extension'::regclass AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'crm') AND deptype = 'e' ORDER BY 1"
            rel_val -d "$1" -c "SELECT c::regclass::text FROM pg_extension, unnest(extconfig) c WHERE extname = 'crm' ORDER BY 1"; }
diff <(members $FRESH) <(members $OLD) >&2 || rel_fail "extension members or dump marks differ from a fresh install"

# The updated database behaves.
rel_psql -d $OLD <<'SQL' > "$W/behaviour.out"
SELECT id AS a FROM crm.accounts WHERE name = 'Reliability A' \gset
SELECT max(number_seq) AS max_seq FROM crm.leads WHERE account_id = :a AND type_id = crm_test.id('lead_types', :a, 'Sales') \gset
BEGIN;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.leads (contact_name) VALUES ('After update') RETURNING number AS lnum \gset
COMMIT;
\echo verdict :lnum L-:max_seq
SQL
want="$(awk '/^verdict/ {print $3}' "$W/behaviour.out" | sed 's/L-//')"
got="$(awk '/^verdict/ {print $2}' "$W/behaviour.out")"
[ "$got" = "$(printf 'L-%05d' $((want + 1)))" ] || rel_fail "numbering after the update: got $got after L-$want"
# The pgTAP suites expect a database of their own (some look at every account's due
# work): an updated one without the filled data.
TAP=rel_upgrade_tap
rel_psql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $TAP" -c "CREATE DATABASE $TAP"
rel_psql -d $TAP -c "CREATE EXTENSION pgtap" -c "CREATE EXTENSION crm VERSION '$from'" -f "$REL_ROOT/test/fixtures.sql" \
  -c "SET client_min_messages = warning" -c "ALTER EXTENSION crm UPDATE" >/dev/null
pg_prove -q -d $TAP "$REL_ROOT"/test/pgtap/*.sql > "$W/pgtap.log" 2>&1 || { tail -20 "$W/pgtap.log" >&2; rel_fail "pgTAP fails in an updated database"; }
rel_invariants $OLD || rel_fail "invariants broken after the update"
rel_log "$from -> $default: rows kept, schema equal to a fresh install, numbering and pgTAP pass"
rel_psql -d postgres -c "DROP DATABASE $OLD" -c "DROP DATABASE $FRESH" -c "DROP DATABASE $TAP"
