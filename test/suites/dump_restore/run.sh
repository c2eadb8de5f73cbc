#!/usr/bin/env bash
# dump_restore: every crm table filled, dumped and restored the ways a DBA does it,
# each into a fresh database, with the plain commands and nothing else:
#   pg_dump -Fc + pg_restore;  pg_dump (plain SQL) + psql;
#   pg_dump --data-only (and --data-only --inserts) + psql into a database that has
#   CREATE EXTENSION crm;
# every row and sequence position compared with the source, a second dump identical
# to the first, and the restored database behaves: the next lead gets the next
# number, ids do not collide, history goes on, due work announces nothing twice, the
# invariants hold.  Then pg_restore --clean over a database with rows (refused by the
# drop guard, done with crm.allow_drop_with_data), the parallel recipe, the old
# session_replication_role = replica recipe, and a reinstall in place.
REL_SUITE=dump_restore
. "$(dirname "$0")/../lib/common.sh"
W="$CRM_TMP/dump_restore"; mkdir -p "$W"
SRC=rel_dump_src

fresh_db() {
  rel_psql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"
}
drop_db() { rel_psql -d postgres -c "DROP DATABASE $1"; }

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

# No two crm tables refer to each other, so pg_dump can order the rows.
cycles="$(rel_val -d $SRC <<'SQL'
SELECT string_agg(DISTINCT a.conrelid::regclass || ' <-> ' || a.confrelid::regclass, ', ')
FROM pg_constraint a JOIN pg_constraint b ON b.conrelid = a.confrelid AND b.confrelid = a.conrelid
WHERE a.contype = 'f' AND b.contype = 'f' AND a.conrelid <> a.confrelid
  AND a.connamespace = 'crm'::regnamespace AND a.conrelid < a.confrelid;
SQL
)"
[ -z "$cycles" ] || rel_fail "foreign keys both ways: $cycles"

rel_snapshot $SRC > "$W/src.snap"
ntables=$(grep -c '^table' "$W/src.snap"); nseq=$(grep -c '^sequence' "$W/src.snap")
nrows=$(sed -n 's/^table .* rows=\([0-9]*\) .*/\1/p' "$W/src.snap" | awk '{s+=$1} END {print s}')
rel_log "source: $ntables tables, $nrows rows, $nseq sequences"

# The dumps; pg_dump warns of nothing (no circular foreign keys).
pg_dump -Fc -d $SRC -f "$W/crm.dump" 2> "$W/pg_dump.log"
pg_dump -Fp -d $SRC -f "$W/crm.sql" 2>> "$W/pg_dump.log"
pg_dump --data-only -d $SRC -f "$W/crm-data.sql" 2>> "$W/pg_dump.log"
pg_dump --data-only --inserts -d $SRC -f "$W/crm-inserts.sql" 2>> "$W/pg_dump.log"
if [ -s "$W/pg_dump.log" ]; then cat "$W/pg_dump.log" >&2; rel_fail "pg_dump warned"; fi

# What a dump of DB says, without the \restrict key (random per dump, pg_dump 15.14+).
dump_of() { pg_dump "$@" 2>/dev/null | grep -v '^\\\(un\)\?restrict '; }
dump_of -Fp -d $SRC > "$W/src.dump.sql"
dump_of --data-only -d $SRC > "$W/src.data.sql"

# check_restored NAME DB: rows and sequences as in the source.
check_restored() {
  rel_snapshot "$2" > "$W/$1.snap"
  if ! diff -u "$W/src.snap" "$W/$1.snap" > "$W/$1.diff"; then
    head -40 "$W/$1.diff" >&2; rel_fail "$1: restored rows or sequence positions differ"
  fi
}

# check_behaves NAME DB: numbering, ids and history go on where they stopped; due
# work done now announces nothing that was announced before the dump (the
# invariants: one deadline_expired event per lead and deadline, one outbox row per
# key, after run_due).
check_behaves() {
  rel_psql -d "$2" <<'SQL' > "$W/$1.behaviour"
\set ON_ERROR_STOP 1
SELECT id AS a FROM crm.accounts WHERE name = 'Reliability A' \gset
SELECT crm_test.id('lead_types', :a, 'Sales') AS t_sales, crm_test.id('statuses', :a, 'In work') AS s_work \gset
SELECT max(id) AS max_lead, max(number_seq) FILTER (WHERE type_id = :t_sales) AS max_seq
  FROM crm.leads WHERE account_id = :a \gset
SELECT max(id) AS max_event FROM crm.lead_events \gset
SELECT max(id) AS max_client FROM crm.clients \gset
SELECT max(number_seq) AS max_order FROM crm.orders WHERE account_id = :a \gset
BEGIN;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.leads (contact_name) VALUES ('After restore') RETURNING id AS lid, number AS lnum \gset
SELECT crm.transition_lead(:lid, :s_work) IS NOT NULL AS moved \gset
INSERT INTO crm.clients (name) VALUES ('After restore') RETURNING id AS cid \gset
INSERT INTO crm.orders (amount) VALUES (1) RETURNING number_seq AS oseq \gset
COMMIT;
RESET ROLE;
SELECT count(*) AS kinds FROM crm.run_due() \gset
SELECT CASE
  WHEN :lid <= :max_lead THEN 'lead id ' || :lid || ' not after ' || :max_lead
  WHEN :'lnum' <> 'L-' || lpad((:max_seq + 1)::text, 5, '0') THEN 'lead number ' || :'lnum' || ' does not follow ' || :max_seq
  WHEN :cid <= :max_client THEN 'client id ' || :cid || ' not after ' || :max_client
  WHEN :oseq <> :max_order + 1 THEN 'order number ' || :oseq || ' does not follow ' || :max_order
  WHEN (SELECT count(*) FROM crm.lead_events WHERE lead_id = :lid AND account_id = :a AND id > :max_event) <> 2
    THEN 'the new lead has no creation and status events'
  ELSE 'ok' END AS verdict \gset
\echo verdict :verdict
SQL
  grep -q '^verdict ok$' "$W/$1.behaviour" || { cat "$W/$1.behaviour" >&2; rel_fail "$1: the restored database misbehaves"; }
  rel_invariants "$2" || rel_fail "$1: invariants broken after restore"
}

# ---- 1. pg_dump -Fc, pg_restore ----
fresh_db rel_dump_custom
pg_restore --exit-on-error -d rel_dump_custom "$W/crm.dump"
check_restored custom rel_dump_custom
dump_of -Fp -d rel_dump_custom > "$W/custom.dump.sql"
diff -u "$W/src.dump.sql" "$W/custom.dump.sql" > "$W/custom.dump.diff" ||
  { head -40 "$W/custom.dump.diff" >&2; rel_fail "custom: a dump of the restored database differs from the original dump"; }
rel_log "pg_dump -Fc | pg_restore: $ntables tables and $nseq sequences identical, a second dump identical"

# ---- 2. pg_dump plain SQL, psql ----
fresh_db rel_dump_plain
rel_psql -d rel_dump_plain -f "$W/crm.sql" > "$W/plain.log"
check_restored plain rel_dump_plain
dump_of -Fp -d rel_dump_plain > "$W/plain.dump.sql"
diff -u "$W/src.dump.sql" "$W/plain.dump.sql" > "$W/plain.dump.diff" ||
  { head -40 "$W/plain.dump.diff" >&2; rel_fail "plain: a dump of the restored database differs from the original dump"; }
rel_log "pg_dump | psql: identical"

# ---- 3. pg_dump --data-only (COPY, and INSERTs) into CREATE EXTENSION crm ----
for v in data inserts; do
  fresh_db rel_dump_$v
  rel_psql -d rel_dump_$v -c 'CREATE EXTENSION crm'
  rel_psql -d rel_dump_$v -f "$W/crm-$v.sql" > "$W/$v.log"
  check_restored $v rel_dump_$v
  dump_of --data-only -d rel_dump_$v > "$W/$v.data.sql"
  diff -u "$W/src.data.sql" "$W/$v.data.sql" > "$W/$v.data.diff" ||
    { head -40 "$W/$v.data.diff" >&2; rel_fail "$v: a data dump of the restored database differs from the original one"; }
  rel_psql -d rel_dump_$v -f "$REL_ROOT/test/fixtures.sql" > /dev/null
done
rel_log "pg_dump --data-only (COPY and --inserts) | psql into CREATE EXTENSION crm: identical"

for v in custom plain data inserts; do check_behaves $v rel_dump_$v; done
rel_log "restored databases: next lead and order numbers, ids and history continue; run_due announces nothing twice; invariants hold"

# ---- 4. pg_restore --clean over a database with rows ----
fresh_db rel_dump_clean
pg_restore --exit-on-error -d rel_dump_clean "$W/crm.dump"
if pg_restore --clean --if-exists --exit-on-error -d rel_dump_clean "$W/crm.dump" 2> "$W/clean.log"; then
  rel_fail "pg_restore --clean dropped crm with its rows"
fi
grep -q 'cannot drop extension "crm" because its tables hold' "$W/clean.log" ||
  { cat "$W/clean.log" >&2; rel_fail "pg_restore --clean failed, but not on the drop guard"; }
check_restored clean-refused rel_dump_clean
PGOPTIONS='-c crm.allow_drop_with_data=on' pg_restore --clean --if-exists --exit-on-error -d rel_dump_clean "$W/crm.dump"
check_restored clean rel_dump_clean
rel_log "pg_restore --clean over rows: refused, nothing lost; with crm.allow_drop_with_data = on: identical"

# ---- 5. in parallel: the schema, the rows with -j (triggers off), the rest ----
rm -rf "$W/crm.dir"; pg_dump -Fd -d $SRC -f "$W/crm.dir"
fresh_db rel_dump_parallel
pg_restore --exit-on-error --section=pre-data -d rel_dump_parallel "$W/crm.dir"
pg_restore --exit-on-error -j 2 --data-only --disable-triggers -d rel_dump_parallel "$W/crm.dir"
pg_restore --exit-on-error --section=post-data -d rel_dump_parallel "$W/crm.dir"
check_restored parallel rel_dump_parallel
rel_log "pg_restore -j 2 (pre-data, --data-only --disable-triggers, post-data): identical"

# ---- 6. the recipe of crm 0.1.0 still works ----
fresh_db rel_dump_replica
PGOPTIONS='-c session_replication_role=replica' pg_restore --exit-on-error -d rel_dump_replica "$W/crm.dump"
check_restored replica rel_dump_replica
rel_log "session_replication_role = replica (the 0.1.0 recipe): identical"

# ---- 7. reinstalling in place: crm's rows out, DROP / CREATE EXTENSION, the rows back ----
pg_dump --data-only --extension=crm -d rel_dump_clean -f "$W/reinstall.sql"
rel_psql -d rel_dump_clean -c 'SET crm.allow_drop_with_data = on' -c 'DROP EXTENSION crm' -c 'CREATE EXTENSION crm'
rel_psql -d rel_dump_clean -f "$W/reinstall.sql" > "$W/reinstall.log"
check_restored reinstall rel_dump_clean
rel_log "reinstalled in place (pg_dump --data-only --extension=crm, DROP and CREATE EXTENSION, psql): identical"

for d in $SRC rel_dump_custom rel_dump_plain rel_dump_data rel_dump_inserts rel_dump_clean rel_dump_parallel rel_dump_replica; do
  drop_db $d
done
