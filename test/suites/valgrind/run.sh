#!/usr/bin/env bash
# valgrind: pgTAP and the adversarial suite (with its large-value sweep) on the
# assert-enabled server of scripts/cassert.sh (built with USE_VALGRIND, so every palloc'd
# chunk is tracked), each server process under valgrind's memcheck with PostgreSQL's own
# suppressions.  Fails on any memcheck error: a read of freed or undefined memory, a write
# past a chunk, a jump on an uninitialised value.  Slow: every backend runs ~30x slower.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
: "${CRM_TMP:?run through scripts/test.sh}"
cached="$(bash "$root/scripts/cassert.sh")"
# A private copy of the cached build (PostgreSQL is relocatable): crm is installed into it,
# so two test runs on one machine never install into the same server.
cp -a "$(dirname "$(dirname "$cached")")" "$CRM_TMP/pg-valgrind"
pg_config="$CRM_TMP/pg-valgrind/bin/pg_config"
prefix="$(dirname "$(dirname "$pg_config")")"
tree="$CRM_TMP/valgrind-tree"
logs="$CRM_TMP/valgrind-logs"
mkdir -p "$tree" "$logs"
chmod 777 "$logs"
(cd "$root" && tar --exclude=.git --exclude='*.o' --exclude='*.so' --exclude='*.bc' -cf - .) | tar -C "$tree" -xf -
wrapper="$CRM_TMP/postgres-under-valgrind"
cat > "$wrapper" <<SH
#!/bin/sh
exec valgrind --quiet --trace-children=yes --track-origins=no --read-var-info=no \\
  --num-callers=30 --leak-check=no --error-exitcode=0 \\
  --suppressions="$prefix/valgrind.supp" --gen-suppressions=all \\
  --error-markers=VALGRINDERROR-BEGIN,VALGRINDERROR-END \\
  --log-file="$logs/%p.log" "$prefix/bin/postgres" "\$@"
SH
chmod 755 "$wrapper"
echo "  [valgrind] against $("$pg_config" --version) under $(valgrind --version)" >&2
rc=0
CRM_NO_APT=1 PG_CONFIG="$pg_config" CRM_SERVER_WRAPPER="$wrapper" CRM_MALLOC_PERTURB= \
  ADV_STATEMENT_TIMEOUT=0 bash "$tree/scripts/test.sh" pgtap adversarial || rc=$?
errors="$(cat "$logs"/*.log 2>/dev/null | grep -c VALGRINDERROR-BEGIN || true)"
if [ "$errors" != 0 ]; then
  echo "  [valgrind] FAIL: $errors memcheck errors; the first:" >&2
  cat "$logs"/*.log | sed -n '/VALGRINDERROR-BEGIN/,/VALGRINDERROR-END/p' | head -60 >&2
  rc=1
else
  echo "  [valgrind] no memcheck errors in $(ls "$logs" | wc -l) server processes" >&2
fi
exit $rc
