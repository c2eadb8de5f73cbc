#!/usr/bin/env bash
# upgrade: for every released version (releases/versions.tsv, or CRM_UPGRADE_FROM only):
#  - its frozen install script releases/crm--V.sql is exactly what its commit generates;
#  - its library is built from that commit (cached in CRM_RELEASE_CACHE, default
#    /var/cache/crm-test) and run on a copy of this PostgreSQL, where a database is filled
#    through that version's own fixtures;
#  - the server then runs this tree's library (as after a package upgrade), and
#    ALTER EXTENSION crm UPDATE reaches the default version keeping every row, by the
#    release's own columns (recomputed.tsv names those an update recomputes on purpose);
#  - the updated schema equals a fresh install fact by fact (schema_fingerprint.sql:
#    columns in order, constraints, indexes, triggers, policies, views, functions,
#    grants, comments, members, dump marks) — so a schema change without its update
#    script fails here;
#  - the updated database behaves: numbering goes on, the invariants hold, and the
#    pgTAP suites pass in an updated database.
# Needs the git history of the released commits (a full clone).
REL_SUITE=upgrade
. "$(dirname "$0")/../lib/common.sh"
W="$CRM_TMP/upgrade"; rm -rf "$W"; mkdir -p "$W"; chmod 755 "$W"
CACHE="${CRM_RELEASE_CACHE:-/var/cache/crm-test}"
NEW_BIN="$PGBIN"
default="$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$REL_ROOT/crm.control")"
pgver="$("$NEW_BIN/pg_config" --version | tr -c 'A-Za-z0-9.\n' '-')"

# release_tree V COMMIT DIR: the source of version V as committed.
release_tree() {
  git -C "$REL_ROOT" cat-file -e "$2^{commit}" 2>/dev/null ||
    rel_fail "commit $2 of release $1 is not in this clone (the upgrade suite needs the full history: git fetch --unshallow)"
  mkdir -p "$3"; git -C "$REL_ROOT" archive "$2" | tar -x -C "$3"
}

# old_postgres V DIR: a copy of this PostgreSQL with release V's library and scripts
# installed, and nothing newer (the control file and scripts are V's).
old_postgres() {
  local v="$1" dir="$2" src="$W/src-$1" base lib share built="$CACHE/crm-$1-$pgver"
  base="$(dirname "$NEW_BIN")"; lib="$("$NEW_BIN/pg_config" --pkglibdir)"; share="$("$NEW_BIN/pg_config" --sharedir)"
  mkdir -p "$dir$(dirname "$base")" "$dir$(dirname "$share")"
  cp -a "$base" "$dir$(dirname "$base")/"
  [ -d "$dir$lib" ] || { mkdir -p "$dir$(dirname "$lib")"; cp -a "$lib" "$dir$lib"; }
  cp -a "$share" "$dir$(dirname "$share")/"
  rm -f "$dir$share"/extension/crm--*.sql "$dir$share"/extension/crm.control
  if [ ! -f "$built/crm.so" ]; then
    rel_log "building the library of $v (once; kept in $built)"
    make -s -C "$src" -j2 PG_CONFIG="$NEW_BIN/pg_config" > "$W/build-$v.log" 2>&1 || { tail -20 "$W/build-$v.log" >&2; rel_fail "release $v does not build"; }
    mkdir -p "$built"; cp "$src/crm.so" "$src/crm.control" "$src/crm--$v.sql" "$built/"
  fi
  cp "$built/crm.so" "$dir$lib/crm.so"
  cp "$built/crm.control" "$REL_ROOT/releases/crm--$v.sql" "$dir$share/extension/"
}

# fingerprint DB: the schema facts, one per line.
fingerprint() { rel_val -d "$1" -f "$REL_LIB/schema_fingerprint.sql"; }

upgrade_from() {
  local v="$1" commit="$2" src="$W/src-$1" old="$W/pg-$1" C="$W/cluster-$1" DB=rel_upgrade
  release_tree "$v" "$commit" "$src"
  make -s -C "$src" "crm--$v.sql" >/dev/null
  cmp -s "$src/crm--$v.sql" "$REL_ROOT/releases/crm--$v.sql" ||
    rel_fail "releases/crm--$v.sql is not what commit $commit generates: a released script never changes"
  old_postgres "$v" "$old"
  local OLD_BIN="$old$NEW_BIN"
  export PGHOST="$C" PGPORT=5432 PGUSER=postgres

  # The released version, filled through its own fixtures.
  PGBIN="$OLD_BIN" rel_cluster_init "$C"
  PGBIN="$OLD_BIN" rel_cluster_start "$C"
  rel_psql -d postgres -c "CREATE DATABASE $DB" -c "CREATE DATABASE ${DB}_tap"
  rel_psql -d $DB -c "CREATE EXTENSION crm VERSION '$v'" -f "$src/test/fixtures.sql" >/dev/null
  rel_psql -d $DB -v n=10 -f "$REL_SUITE_DIR/fill_release.sql" >/dev/null
  rel_psql -d ${DB}_tap -c "CREATE EXTENSION crm VERSION '$v'"
  # The release's rows, by the release's own columns (an update may add columns), but for
  # those the update recomputes on purpose (recomputed.tsv: version, table, column, why).
  recomputed="{$(awk -F'\t' -v v="$v" '$1 == v { printf "%s%s.%s", n++ ? "," : "", $2, $3 }' "$REL_SUITE_DIR/recomputed.tsv")}"
  rel_val -d $DB -v recomputed="$recomputed" > "$W/rows-$v.sql" <<'SQL'
SELECT format('SELECT %L || '' rows='' || count(*) || '' md5='' || coalesce(md5(string_agg(t::text, E''\n'' ORDER BY t::text)), ''-'') FROM (SELECT %s FROM %s) t;',
              'table ' || c.oid::regclass::text,
              (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_attribute a
               WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                 AND NOT c.relname || '.' || a.attname = ANY (:'recomputed'::text[])), c.oid::regclass)
FROM pg_class c WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind IN ('r', 'p') ORDER BY c.relname;
SELECT format('SELECT %L || '' last_value='' || last_value || '' is_called='' || is_called FROM %s;',
              'sequence ' || c.oid::regclass::text, c.oid::regclass)
FROM pg_class c WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind = 'S' ORDER BY c.relname;
SQL
  rel_val -d $DB -f "$W/rows-$v.sql" > "$W/before-$v.snap"
  # A clean stop: after an immediate one, recovery moves every sequence up to 32 ahead.
  rel_as_pg "$OLD_BIN/pg_ctl" -D "$C/data" -m fast -w stop >/dev/null

  # This tree's library on the same data, then the update.
  rel_cluster_start "$C"
  rel_psql -d $DB -c "SET client_min_messages = warning" -c "ALTER EXTENSION crm UPDATE"
  rel_psql -d ${DB}_tap -c "SET client_min_messages = warning" -c "ALTER EXTENSION crm UPDATE"
  [ "$(rel_val -d $DB -c "SELECT extversion FROM pg_extension WHERE extname = 'crm'")" = "$default" ] ||
    rel_fail "ALTER EXTENSION crm UPDATE from $v did not reach $default"
  rel_val -d $DB -f "$W/rows-$v.sql" > "$W/after-$v.snap"
  # Every table and sequence of the release keeps every row, column by column (no column
  # of a released table may change its values or type without this suite saying so, in
  # recomputed.tsv).
  grep -v -F -x -f "$W/after-$v.snap" "$W/before-$v.snap" > "$W/lost-$v.txt" &&
    { cat "$W/lost-$v.txt" >&2; rel_fail "rows of $v changed in the update"; }
  grep -q ' rows=[1-9]' "$W/before-$v.snap" || rel_fail "the release database was not filled"

  # Same schema as a fresh install.
  rel_psql -d postgres -c "CREATE DATABASE ${DB}_fresh"
  rel_psql -d ${DB}_fresh -c "CREATE EXTENSION crm"
  fingerprint ${DB}_fresh > "$W/fresh.facts"
  fingerprint $DB > "$W/updated-$v.facts"
  diff -u "$W/fresh.facts" "$W/updated-$v.facts" > "$W/schema-$v.diff" ||
    { head -60 "$W/schema-$v.diff" >&2
      rel_fail "the schema updated from $v differs from a fresh $default (lines: - fresh, + updated): src/upgrades/crm--$v--$default.sql must make these changes"; }

  # The updated database behaves.
  # This version's fixtures (its test roles are members of crm_service).
  rel_psql -d $DB -c "SET client_min_messages = warning" -c "DROP SCHEMA crm_test CASCADE" \
    -c "GRANT crm_service TO crm_test_admin, crm_test_manager, crm_test_reader" -f "$REL_ROOT/test/fixtures.sql" >/dev/null
  local got want
  read -r got want < <(rel_val -d $DB -F ' ' <<'SQL'
SELECT id AS a FROM crm.accounts WHERE name = 'Reliability A' \gset
SELECT max(number_seq) AS max_seq FROM crm.leads WHERE account_id = :a AND type_id = crm_test.id('lead_types', :a, 'Sales') \gset
BEGIN;
SELECT crm_test.act('crm_test_manager', :a, 'Anna') \gset
INSERT INTO crm.leads (contact_name) VALUES ('After update') RETURNING number AS lnum \gset
COMMIT;
SELECT :'lnum', format('L-%s', lpad((:max_seq + 1)::text, 5, '0'));
SQL
)
  [ "$got" = "$want" ] || rel_fail "numbering after the update from $v: got $got, want $want"
  rel_invariants $DB || rel_fail "invariants broken after the update from $v"
  rel_psql -d ${DB}_tap -c "CREATE EXTENSION pgtap" -f "$REL_ROOT/test/fixtures.sql" >/dev/null
  pg_prove -q -d ${DB}_tap "$REL_ROOT"/test/pgtap/*.sql > "$W/pgtap-$v.log" 2>&1 ||
    { tail -20 "$W/pgtap-$v.log" >&2; rel_fail "pgTAP fails in a database updated from $v"; }
  rel_cluster_stop "$C"
  rel_log "$v -> $default: frozen script matches its commit; $(grep -c ' rows=[1-9]' "$W/before-$v.snap") filled tables kept every row; schema equal to a fresh install ($(wc -l < "$W/fresh.facts") facts); numbering, invariants and pgTAP pass"
}

n=0
while IFS=$'\t' read -r v commit; do
  case "$v" in ''|'#'*) continue ;; esac
  [ -z "${CRM_UPGRADE_FROM:-}" ] || [ "$v" = "$CRM_UPGRADE_FROM" ] || continue
  ( upgrade_from "$v" "$commit" ) || exit 1; n=$((n + 1))
done < "$REL_ROOT/releases/versions.tsv"
[ "$n" -gt 0 ] || rel_fail "no released version to update from"
rm -rf "$W"
