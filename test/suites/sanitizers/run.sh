#!/usr/bin/env bash
# sanitizers: builds crm with AddressSanitizer and UndefinedBehaviorSanitizer into a
# private copy of the PostgreSQL installation, and runs the pg_regress, isolation
# and pgTAP suites and the adversarial and dump_restore suites against it.  Any
# sanitizer report fails the suite.
#
# PostgreSQL itself is not instrumented.  Preloading libasan into the Debian server
# (LD_PRELOAD) hangs it at start-up (a deadlock on glibc's _nl_state_lock inside
# bindtextdomain, with gcc's and clang's runtimes alike), so the runtime is loaded
# with crm.so instead (verify_asan_link_order=0, and the options compiled in from
# test/suites/sanitizers/sanitizer_options.c.in): UBSan checks everything crm runs;
# ASan checks crm's accesses to global memory, while stack and heap memory (palloc, libc
# malloc) stays unchecked.  Set CRM_ASAN_PRELOAD=1 to try the preload on a server
# where it works.
REL_SUITE=sanitizers
. "$(dirname "$0")/../lib/common.sh"
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
(cd "$REL_ROOT" && cp -a Makefile crm.control releases scripts src test "$W/src/")
find "$W/src" -name '*.o' -o -name '*.so' -o -name '*.bc' | xargs -r rm -f
rm -f "$W/src"/crm--*.sql
sed "s|@REPORTS@|$W/reports|" "$REL_SUITE_DIR/sanitizer_options.c.in" > "$W/src/src/sanitizer_options.c"
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
(cd "$W/src" && CRM_KEEP_CLUSTER=1 PG_CONFIG="$ASAN_PG_CONFIG" CRM_EXTRA_COPT="$SAN" PG_CXXFLAGS="$SAN" \
   CRM_SERVER_PRELOAD="$([ "${CRM_ASAN_PRELOAD:-0}" = 1 ] && echo "$libasan")" bash scripts/test.sh regress isolation pgtap adversarial dump_restore) > "$W/run.log" 2>&1 || rc=$?
[ "$(nm -D "$W/usr/lib/postgresql/$major/lib/crm.so" | grep -c '__asan_init\|__ubsan_handle')" -gt 1 ] ||
  rel_fail "crm.so is not instrumented"

# The runtimes also write to the server's stderr, its log: keep it, drop the rest.
inner="$(sed -n 's/^==> throwaway cluster at \(.*\)$/\1/p' "$W/run.log" | head -1)"
if [ -n "$inner" ] && [ -d "$inner" ]; then cp "$inner/server.log" "$W/server.log"; rm -rf "$inner"; fi
[ -f "$W/server.log" ] || rel_fail "no server log of the run under the sanitizers"
san_reports() { grep -E 'runtime error:|ERROR: AddressSanitizer|Sanitizer CHECK failed' "$@"; }
grep -E '^(test |ok|not ok|.*\.sql \.\.|suites:|==> suite)' "$W/run.log" | grep -v '^ok ' | sed 's/^/    /' >&2 || true
reports="$(ls "$W/reports" 2>/dev/null || true)"
if san_reports "$W/server.log" >&2; then rel_fail "sanitizer reports in the server log ($W/server.log)"; fi
if [ -n "$reports" ]; then
  for f in "$W"/reports/*; do rel_log "report $f:"; head -60 "$f" >&2; done
  rel_fail "sanitizer reports: $(echo $reports)"
fi
[ $rc = 0 ] || { tail -50 "$W/run.log" >&2; rel_fail "the suites failed under the sanitizers"; }
rel_log "regress, isolation, pgTAP, adversarial and dump_restore passed under ASan+UBSan with no report"

# Self-test: a deliberate signed overflow and global overread inside the server must
# each leave a report (so that "no report" above means something).
S="$W/selftest-cluster"
(
  PGBIN="$W/usr/lib/postgresql/$major/bin"
  rel_cluster_init "$S"; rel_cluster_start "$S"
  trap 'rel_cluster_stop "$S"' EXIT
  export PGHOST="$S" PGPORT=5432
  rel_psql -d postgres -c "CREATE FUNCTION crm_sanitizer_selftest(int) RETURNS int LANGUAGE c STRICT AS '\$libdir/crm', 'crm_sanitizer_selftest'"
  # Each call ends its backend; wait until the server accepts connections again
  # (pg_isready returns at once while it is still in recovery).
  for k in 1 2; do "$PGBIN/psql" -X -q -d postgres -c "SELECT crm_sanitizer_selftest($k)" >/dev/null 2>&1 || true
    for _ in $(seq 120); do "$PGBIN/pg_isready" -q && break; sleep 0.5; done; done
)
grep -qs 'runtime error: shift exponent' "$S/server.log" || rel_fail "self-test: UBSan did not report a bad shift in the server"
grep -qs 'global-buffer-overflow' "$S/server.log" "$W"/reports/* || rel_fail "self-test: ASan did not report a global overread in the server"
rel_log "self-test: a UBSan and an ASan report from inside the server are both seen"
