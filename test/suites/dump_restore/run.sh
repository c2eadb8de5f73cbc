#!/usr/bin/env bash
# dump_restore: every crm table filled, pg_dump / pg_restore into a fresh
# database, every row and sequence position compared, and the restored
# database still behaves (next numbers, next ids, history, invariants).
# The restore recipe (README, "Dump and restore"): as a superuser, with
#   PGOPTIONS='-c session_replication_role=replica' pg_restore -d NEWDB DUMP
# so that no crm trigger (and no foreign-key check) fires while rows load.
REL_SUITE=dump_restore
. "$(dirname "$0")/../lib/common.sh"
W="$CRM_TMP/dump_restore"; mkdir -p "$W"
SRC=rel_dump_src DST=rel_dump_dst NAIVE=rel_dump_naive

rel_new_db $SRC
rel_fill $SRC "${CRM_DUMP_CLIENTS:-15}"

# Every table and sequence of the schema is an extension config object.
missing="$(rel_val -d $SRC <<'SQL'
SELECT string_agg(c.oid::regclass::text, ', ')
FROM pg_class c
WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind IN ('r', 'p', 'S')
  AND c.oid <> ALL (SELECT unnest(extconfig) FROM pg_extension WHERE extname = 'crm');
SQL
)"
[ -z "$missing" ] || rel_fail "not marked with pg_extension_config_dump: $missing"

# Every table holds rows, or comparing it would prove nothing.
empty="$(rel_val -d $SRC <<'SQL'
SELECT format('SELECT %L WHERE NOT EXISTS (SELECT 1 FROM %s)', c.oid::regclass, c.oid::regclass)
FROM pg_class c WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind IN ('r', 'p') ORDER BY 1
\gexec
SQL
)"
[ -z "$empty" ] || rel_fail "tables left empty by crm_test.fill (extend it): $(echo $empty)"

rel_snapshot $SRC > "$W/src.snap"
ntables=$(grep -c '^table' "$W/src.snap"); nseq=$(grep -c '^sequence' "$W/src.snap")
nrows=$(sed -n 's/^table .* rows=\([0-9]*\) .*/\1/p' "$W/src.snap" | awk '{s+=$1} END {print s}')
rel_log "source: $ntables tables, $nrows rows, $nseq sequences"

pg_dump -Fc -d $SRC -f "$W/crm.dump" 2> "$W/pg_dump.log"
rel_psql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DST" -c "CREATE DATABASE $DST"
PGOPTIONS='-c session_replication_role=replica' pg_restore --exit-on-error -d $DST "$W/crm.dump"
rel_snapshot $DST > "$W/dst.snap"
if ! diff -u "$W/src.snap" "$W/dst.snap" > "$W/snap.diff"; then
  head -40 "$W/snap.diff" >&2; rel_fail "restored rows or sequence positions differ"
fi
rel_log "restored: all $ntables tables and $nseq sequences identical"

# A second dump of the restored database is the same as the first.
# (The \restrict key of pg_dump 15.14+ is random per dump.)
pg_dump -Fp -d $SRC 2>/dev/null | grep -v '^\\\(un\)\?restrict ' > "$W/src.sql"
pg_dump -Fp -d $DST 2>/dev/null | grep -v '^\\\(un\)\?restrict ' > "$W/dst.sql"
if ! diff -u "$W/src.sql" "$W/dst.sql" > "$W/dump.diff"; then
  head -40 "$W/dump.diff" >&2; rel_fail "a dump of the restored database differs from the original dump"
fi

# Without the recipe, the triggers rewrite the restore; show that the recipe matters.
rel_psql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $NAIVE" -c "CREATE DATABASE $NAIVE"
pg_restore -d $NAIVE "$W/crm.dump" > "$W/naive.log" 2>&1 || true
rel_snapshot $NAIVE > "$W/naive.snap" 2>/dev/null || true
ndiff=$(diff "$W/src.snap" "$W/naive.snap" | grep -c '^>' || true)
rel_log "a plain pg_restore (no replica role): $ndiff tables/sequences differ, $(grep -c 'ERROR' "$W/naive.log" || true) errors, e.g.:"
grep -m 3 'ERROR' "$W/naive.log" | cut -c1-160 | sed 's/^/    /' >&2 || true
rel_psql -d postgres -c "DROP DATABASE $NAIVE"

# The restored database behaves: numbering, ids and history go on where they stopped.
rel_psql -d $DST <<'SQL' > "$W/behaviour.out"
\set ON_ERROR_STOP 1
SELECT id AS a FROM crm.accounts WHERE name = 'Reliability A' \gset
SELECT crm_test.id('lead_types', :a, 'Sales') AS t_sales, crm_test.id('statuses', :a, 'In work') AS s_work \gset
SELECT max(id) AS max_lead, max(number_seq) FILTER (WHERE type_id = :t_sales) AS max_seq
  FROM crm.leads WHERE account_id = :a \gset
SELECT max(id) AS max_event FROM crm.lead_events \gset
SELECT max(id) AS max_client FROM crm.clients \gset
BEGIN;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.leads (contact_name) VALUES ('After restore') RETURNING id AS lid, number AS lnum \gset
SELECT crm.transition_lead(:lid, :s_work) IS NOT NULL AS moved \gset
INSERT INTO crm.clients (name) VALUES ('After restore') RETURNING id AS cid \gset
COMMIT;
RESET ROLE;
SELECT CASE
  WHEN :lid <= :max_lead THEN 'lead id ' || :lid || ' not after ' || :max_lead
  WHEN :'lnum' <> 'L-' || lpad((:max_seq + 1)::text, 5, '0') THEN 'lead number ' || :'lnum' || ' does not follow ' || :max_seq
  WHEN :cid <= :max_client THEN 'client id ' || :cid || ' not after ' || :max_client
  WHEN (SELECT count(*) FROM crm.lead_events WHERE lead_id = :lid AND account_id = :a AND id > :max_event) <> 2
    THEN 'the new lead has no creation and status events'
  ELSE 'ok' END AS verdict \gset
\echo verdict :verdict
SQL
grep -q '^verdict ok$' "$W/behaviour.out" || { cat "$W/behaviour.out" >&2; rel_fail "restored database misbehaves"; }
rel_invariants $DST || rel_fail "invariants broken after restore"
rel_log "restored database: next lead number, ids and history continue; invariants hold"
rel_psql -d postgres -c "DROP DATABASE $SRC" -c "DROP DATABASE $DST"
