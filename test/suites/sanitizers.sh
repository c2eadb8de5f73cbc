#!/usr/bin/env bash
# sanitizers: builds crm with AddressSanitizer and UndefinedBehaviorSanitizer into a
# private copy of the PostgreSQL installation, and runs the pg_regress, isolation
# and pgTAP suites against it.  Any sanitizer report fails the suite.
#
# PostgreSQL itself is not instrumented.  Preloading libasan into the Debian server
# (LD_PRELOAD) hangs it at start-up (a deadlock on glibc's _nl_state_lock inside
# bindtextdomain, with gcc's and clang's runtimes alike), so the runtime is loaded
# with crm.so instead (verify_asan_link_order=0, and the options compiled in from
# test/reliability/sanitizer_options.c.in): UBSan checks everything crm runs;
# ASan checks crm's accesses to global memory, while stack and heap memory (palloc, libc
# malloc) stays unchecked.  Set CRM_ASAN_PRELOAD=1 to try the preload on a server
# where it works.
REL_SUITE=sanitizers
. "$(dirname "$0")/../reliability/common.sh"
W="$CRM_TMP/sanitizers"; mkdir -p "$W/reports"; chmod 777 "$W/reports"

# A copy of the installation that PG_CONFIG points at (bin, lib, share, include).
PGROOT="$(cd "$PGBIN/../../../.." && pwd)"     # .../usr
major="$(basename "$(dirname "$PGBIN")")"       # 15
for d in "lib/postgresql/$major" "share/postgresql/$major" "include/postgresql"; do
  mkdir -p "$W/usr/$(dirname "$d")"
  cp -a "$PGROOT/$d" "$W/usr/$d"
done
ASAN_PG_CONFIG="$W/usr/lib/postgresql/$major/bin/pg_config"
[ "$("$ASAN_PG_CONFIG" --pkglibdir)" = "$W/usr/lib/postgresql/$major/lib" ] ||
  rel_fail "the copied PostgreSQL does not relocate: $("$ASAN_PG_CONFIG" --pkglibdir)"

# A copy of the sources, built from clean.
mkdir -p "$W/src"
(cd "$REL_ROOT" && cp -a Makefile crm.control scripts src test "$W/src/" &&
  for d in sql expected; do [ -d "$d" ] && cp -a "$d" "$W/src/"; done; true)
find "$W/src" -name '*.o' -o -name '*.so' -o -name '*.bc' | xargs -r rm -f
rm -f "$W/src"/crm--*.sql
sed "s|@REPORTS@|$W/reports|" "$REL_DIR/sanitizer_options.c.in" > "$W/src/src/sanitizer_options.c"
sed -i '/^PG_CONFIG ?=/i OBJS += src/sanitizer_options.o' "$W/src/Makefile"

libasan="$(gcc -print-file-name=libasan.so)"
[ -f "$libasan" ] || rel_fail "libasan not found (gcc -print-file-name=libasan.so)"
# No stack instrumentation: without the runtime's longjmp interceptor (see above) the
# redzones of frames left by ereport(ERROR)'s siglongjmp stay poisoned and every later
# call reports a false stack overflow.
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer --param asan-stack=0"
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=1:log_path=$W/reports/asan:detect_odr_violation=0:verify_asan_link_order=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$W/reports/ubsan"
rel_log "building with $SAN against a copy of $("$ASAN_PG_CONFIG" --version)"
rc=0
(cd "$W/src" && PG_CONFIG="$ASAN_PG_CONFIG" CRM_EXTRA_COPT="$SAN" PG_CXXFLAGS="$SAN" \
   CRM_SERVER_PRELOAD="$([ "${CRM_ASAN_PRELOAD:-0}" = 1 ] && echo "$libasan")" bash scripts/test.sh regress isolation pgtap) > "$W/run.log" 2>&1 || rc=$?
[ "$(nm -D "$W/usr/lib/postgresql/$major/lib/crm.so" | grep -c '__asan_init\|__ubsan_handle')" -gt 1 ] ||
  rel_fail "crm.so is not instrumented"
grep -E '^(test |ok|not ok|.*\.sql \.\.|suites:|==> suite)' "$W/run.log" | grep -v '^ok ' | sed 's/^/    /' >&2 || true
reports="$(ls "$W/reports" 2>/dev/null || true)"
if [ -n "$reports" ]; then
  for f in "$W"/reports/*; do rel_log "report $f:"; head -60 "$f" >&2; done
  rel_fail "sanitizer reports: $(echo $reports)"
fi
[ $rc = 0 ] || { tail -50 "$W/run.log" >&2; rel_fail "the suites failed under the sanitizers"; }
rel_log "regress, isolation and pgTAP passed under ASan+UBSan with no report"
