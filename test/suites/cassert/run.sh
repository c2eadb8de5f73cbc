#!/usr/bin/env bash
# cassert: pg_regress, isolation, pgTAP and the adversarial suite (with its large-value
# sweep) again, on an assert-enabled PostgreSQL built by scripts/cassert.sh: freed memory
# is clobbered, memory contexts are checked, new allocations are filled with garbage and
# every Assert() of the server holds.  A trigger that returns a row from freed memory, or
# any value used after SPI_finish, fails here at once.  The suites run from a copy of the
# tree (built against that server) in their own throwaway cluster.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
: "${CRM_TMP:?run through scripts/test.sh}"
cached="$(bash "$root/scripts/cassert.sh")"
# A private copy of the cached build (PostgreSQL is relocatable): crm is installed into it,
# so two test runs on one machine never install into the same server.
cp -a "$(dirname "$(dirname "$cached")")" "$CRM_TMP/pg-cassert"
pg_config="$CRM_TMP/pg-cassert/bin/pg_config"
tree="$CRM_TMP/cassert-tree"
mkdir -p "$tree"
(cd "$root" && tar --exclude=.git --exclude='*.o' --exclude='*.so' --exclude='*.bc' -cf - .) | tar -C "$tree" -xf -
echo "  [cassert] against $("$pg_config" --version) built with --enable-cassert" >&2
CRM_NO_APT=1 PG_CONFIG="$pg_config" bash "$tree/scripts/test.sh" regress isolation pgtap adversarial
