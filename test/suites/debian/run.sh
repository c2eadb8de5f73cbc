#!/usr/bin/env bash
# debian: the Debian package and the PGXN metadata.
#  1. META.json is valid against the PGXN Meta Spec 1.0.0 (meta_check.pl, whose
#     self-test first shows that broken copies are refused) and describes this tree:
#     its version is the one being built, its files exist, it runs on debian/pgversions;
#     CHANGELOG.md has a section per release.
#  2. debian/control is what `pg_buildext updatecontrol` makes of debian/control.in.
#  3. postgresql-15-crm is built from a copy of the tree (dpkg-buildpackage -b; the
#     tree itself is left as it was) and its name, version and dependencies checked.
#  4. Its file list holds exactly what `make install` installs — crm.so under
#     /usr/lib/postgresql/15/lib/, crm.control and crm--*.sql (the install script of
#     default_version among them) under /usr/share/postgresql/15/extension/ — and
#     nothing else but its documentation.
#  5. It is installed into a throwaway system: a copy of the machine's PostgreSQL 15
#     (PostgreSQL is relocatable) without crm, the .deb unpacked over it (dpkg -x), a
#     cluster of its own on a private socket; CREATE EXTENSION crm from the package
#     (the crm.so the server maps is the package's), every older version it ships
#     updated to the default one, and the pgTAP suite against it.
# Nothing is installed into the machine's PostgreSQL; everything made here is removed.
REL_SUITE=debian
. "$(dirname "$0")/../lib/common.sh"
W="$CRM_TMP/debian"; mkdir -p "$W"
started=$SECONDS
took() { echo "$((SECONDS - started)) s"; }

# ---- the tools: Debian's, installed when missing (never with CRM_NO_APT=1) ----
( . "$REL_ROOT/scripts/lib.sh"; CRM_PACKAGES=()
  crm_install_packages debhelper dpkg-dev postgresql-common postgresql-15 postgresql-server-dev-15 \
    libphonenumber-dev postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl ) ||
  rel_fail "the packaging tools are missing (debhelper, dpkg-dev, postgresql-server-dev-15, ...)"

ver="$(dpkg-parsechangelog -l "$REL_ROOT/debian/changelog" -S Version)"
default="$(sed -n "s/^default_version = '\(.*\)'$/\1/p" "$REL_ROOT/crm.control")"
[ "$ver" = "$default" ] ||
  rel_fail "debian/changelog is at $ver, crm.control's default_version at $default: the package would carry another version"

# ---- 1. META.json ----
perl "$REL_SUITE_DIR/meta_check.pl" "$REL_ROOT/META.json" --self-test || rel_fail "the META.json check refuses too little"
majors="$(grep -v '^#' "$REL_ROOT/debian/pgversions" | grep .)"
for v in $majors; do
  perl "$REL_SUITE_DIR/meta_check.pl" "$REL_ROOT/META.json" --root "$REL_ROOT" --version "$ver" --pg "$v" >&2 ||
    rel_fail "META.json is not valid against the PGXN Meta Spec 1.0.0, or does not describe this tree"
done
rel_log "META.json valid (PGXN Meta Spec 1.0.0), version $ver, PostgreSQL $(echo $majors)"

# CHANGELOG.md: a section per released version (releases/versions.tsv), and one for the
# version being built ("## 0.2.0 — unreleased"; "## Unreleased" is taken, with a note).
released="$(grep -v '^#' "$REL_ROOT/releases/versions.tsv" 2>/dev/null | cut -f1 | grep . || true)"
for r in $released; do
  grep -q "^## ${r//./\\.}\b" "$REL_ROOT/CHANGELOG.md" || rel_fail "CHANGELOG.md has no section \"## $r\" for the released version $r"
done
if ! grep -q "^## ${ver//./\\.}\b" "$REL_ROOT/CHANGELOG.md"; then
  grep -q '^## Unreleased' "$REL_ROOT/CHANGELOG.md" || rel_fail "CHANGELOG.md has no section for $ver (nor \"## Unreleased\")"
  rel_log "note: CHANGELOG.md calls the $ver section \"Unreleased\"; \"## $ver — unreleased\" would name it"
fi

# ---- 2. + 3. the package, built from a copy of the tree ----
tree_state() { git -C "$REL_ROOT" status --porcelain --ignored 2>/dev/null || true; }
before="$(tree_state)"
B="$W/build/crm-$ver"; mkdir -p "$B"
(cd "$REL_ROOT" && tar --exclude=.git --exclude='*.o' --exclude='*.so' --exclude='*.bc' \
   --exclude=./test/output_regress --exclude=./test/output_isolation -cf - .) | tar -C "$B" -xf -
(cd "$B" && pg_buildext checkcontrol) > "$W/checkcontrol.log" 2>&1 ||
  { cat "$W/checkcontrol.log" >&2; rel_fail "debian/control is not what debian/control.in gives: run pg_buildext updatecontrol"; }
versions="$(cd "$B" && pg_buildext supported-versions)"
[ -n "$versions" ] || rel_fail "no PostgreSQL version of debian/pgversions is supported here"
(cd "$B" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -us -uc -b) > "$W/build.log" 2>&1 ||
  { tail -40 "$W/build.log" >&2; rel_fail "dpkg-buildpackage failed ($W/build.log)"; }
[ "$(tree_state)" = "$before" ] || rel_fail "building the package changed the source tree"
arch="$(dpkg --print-architecture)"
rel_log "built $(cd "$W/build" && ls *.deb | tr '\n' ' ')in $(took)"

# What `make install` installs, as paths under PostgreSQL's lib and share directories.
expected="$(make -s --no-print-directory -C "$B" -f Makefile -f - crm-installed PG_CONFIG="/usr/lib/postgresql/$(head -1 <<<"$versions")/bin/pg_config" <<'MK'
crm-installed:
	@for f in $(addsuffix .control,$(EXTENSION)) $(DATA) $(DATA_built); do echo "share/extension/$$(basename $$f)"; done
	@for m in $(MODULE_big) $(MODULES); do echo "lib/$$m$(DLSUFFIX)"; done
MK
)" || rel_fail "cannot ask the Makefile what it installs"
expected="$(printf '%s\n' "$expected" | sort)"

for v in $versions; do
  pkg="postgresql-$v-crm"; deb="$W/build/${pkg}_${ver}_${arch}.deb"
  [ -f "$deb" ] || rel_fail "no $deb"
  [ "$(dpkg-deb -f "$deb" Package)" = "$pkg" ] && [ "$(dpkg-deb -f "$deb" Version)" = "$ver" ] ||
    rel_fail "$deb is $(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version), not $pkg $ver"
  depends="$(dpkg-deb -f "$deb" Depends)"
  for d in "postgresql-$v" libphonenumber libstdc++6 libc6; do
    [[ ", $depends" == *", $d"* ]] || rel_fail "$pkg does not depend on $d: $depends"
  done

  # ---- 4. the file list ----
  lib="/usr/lib/postgresql/$v/lib/" ext="/usr/share/postgresql/$v/extension/" doc="/usr/share/doc/$pkg/"
  dpkg-deb --fsys-tarfile "$deb" | tar -t | sed 's|^\./|/|' > "$W/$pkg.list"
  files="$(grep -v '/$' "$W/$pkg.list")"
  crm_files="" unexpected=""
  while read -r f; do
    case "$f" in
      "$lib"crm.so | "$ext"crm.control | "$ext"crm--*.sql) crm_files+="${f#/usr/}"$'\n' ;;
      "$doc"*) ;;
      *) unexpected+=" $f" ;;
    esac
  done <<<"$files"
  while read -r d; do   # a folder must hold one of the files
    awk -v d="$d" 'index($0, d) == 1 { found = 1 } END { exit !found }' <<<"$files" || unexpected+=" $d"
  done < <(grep '/$' "$W/$pkg.list" | grep -v '^/$')
  [ -z "$unexpected" ] || rel_fail "$pkg holds what it should not:$unexpected"
  got="$(printf '%s' "$crm_files" | sed "s|^lib/postgresql/$v/lib/|lib/|; s|^share/postgresql/$v/|share/|" | sort)"
  [ "$got" = "$expected" ] ||
    { diff <(echo "$expected") <(echo "$got") >&2 || true; rel_fail "$pkg does not hold what make install installs (< Makefile, > package)"; }
  for f in "${lib}crm.so" "${ext}crm.control" "${ext}crm--$default.sql" "${doc}copyright"; do
    grep -qxF -- "$f" <<<"$files" || rel_fail "$pkg has no $f"
  done
  rel_log "$pkg: $(echo "$got" | xargs -n1 basename | tr '\n' ' ')(all that make install installs) and its documentation, nothing else"

  # ---- 5. installed into a throwaway PostgreSQL ----
  T="$W/root-$v"
  mkdir -p "$T/usr/lib/postgresql" "$T/usr/share/postgresql"
  cp -a "/usr/lib/postgresql/$v" "$T/usr/lib/postgresql/"
  cp -a "/usr/share/postgresql/$v" "$T/usr/share/postgresql/"
  # The machine's PostgreSQL may hold crm from a `make install`: the copy must not.
  rm -rf "$T$lib"crm.so "$T$lib"bitcode/crm "$T$lib"bitcode/crm.index.bc "$T$ext"crm.control "$T$ext"crm--*.sql
  dpkg-deb -x "$deb" "$T"
  TBIN="$T/usr/lib/postgresql/$v/bin"
  [ "$("$TBIN/pg_config" --pkglibdir)" = "$T${lib%/}" ] ||
    rel_fail "the copied PostgreSQL does not relocate: $("$TBIN/pg_config" --pkglibdir)"
  S="$W/cluster-$v"
  (
    PGBIN="$TBIN"; export PATH="$TBIN:$PATH"
    rel_cluster_init "$S"
    trap 'rel_cluster_stop "$S"' EXIT
    rel_cluster_start "$S" || { cat "$S/server.log" >&2; rel_fail "the throwaway server does not start"; }
    export PGHOST="$S" PGPORT=5432 PGUSER=postgres
    avail="$(rel_val -d postgres -c "SELECT default_version FROM pg_available_extensions WHERE name = 'crm'")"
    [ "$avail" = "$default" ] || rel_fail "the throwaway server offers crm '${avail:-none}', not $default"
    rel_new_db crm_deb
    [ "$(rel_val -d crm_deb -c "SELECT extversion FROM pg_extension WHERE extname = 'crm'")" = "$default" ] ||
      rel_fail "CREATE EXTENSION crm did not install $default"
    # The library this backend mapped is the package's, not any other crm.so on the machine.
    mapped="$(rel_val -d crm_deb <<'SQL'
SELECT crm.normalize_phone('+1 650-253-0000', 'US') IS NOT NULL AS loaded \gset
SELECT DISTINCT regexp_replace(l, '^.* ', '') FROM regexp_split_to_table(pg_read_file('/proc/self/maps'), E'\n') l
WHERE l LIKE '%/crm.so';
SQL
)"
    [ "$mapped" = "$T${lib}crm.so" ] || rel_fail "the server runs crm.so from '${mapped:-nowhere}', not from the package ($T${lib}crm.so)"
    # Every older version the package installs updates to the default one.
    for old in $(rel_val -d postgres -c "SELECT version FROM pg_available_extension_versions WHERE name = 'crm' AND version <> '$default' ORDER BY 1"); do
      rel_psql -d postgres -c "CREATE DATABASE crm_deb_update"
      rel_psql -d crm_deb_update -c "SET client_min_messages = warning" -c "CREATE EXTENSION crm VERSION '$old'" -c "ALTER EXTENSION crm UPDATE"
      [ "$(rel_val -d crm_deb_update -c "SELECT extversion FROM pg_extension WHERE extname = 'crm'")" = "$default" ] ||
        rel_fail "ALTER EXTENSION crm UPDATE from $old did not reach $default"
      rel_psql -d postgres -c "DROP DATABASE crm_deb_update"
      rel_log "crm $old from the package updates to $default"
    done
    rel_psql -d crm_deb -c 'CREATE EXTENSION pgtap'
    pg_prove -q -d crm_deb "$REL_ROOT"/test/pgtap/*.sql > "$W/pgtap-$v.log" 2>&1 ||
      { tail -30 "$W/pgtap-$v.log" >&2; rel_fail "the pgTAP suite fails against the installed package"; }
    if rel_crashed "$S/server.log" >&2; then rel_fail "the throwaway server's log shows a crash"; fi
    rel_log "$pkg $ver installed over a copy of PostgreSQL $v: CREATE EXTENSION crm ($default, crm.so from the package), the pgTAP suite passes ($(grep '^Files=' "$W/pgtap-$v.log" | cut -d, -f1-2))"
  ) || exit 1
done
rm -rf "$W"
rel_log "done in $(took)"
