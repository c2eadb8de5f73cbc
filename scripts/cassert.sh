#!/usr/bin/env bash
# scripts/cassert.sh: prints the pg_config of an assert-enabled PostgreSQL 15 built from
# Debian's postgresql-15 source package (of the installed server's version where the mirror
# has it), building it
# first if it is not in the cache.  --enable-cassert turns on PostgreSQL's own checks:
# freed memory is clobbered (CLOBBER_FREED_MEMORY), every memory context is checked
# (MEMORY_CONTEXT_CHECKING), new allocations are filled with garbage
# (RANDOMIZE_ALLOCATED_MEMORY is turned on here too), and every Assert() holds.  It is
# also built with USE_VALGRIND, so that under valgrind (suite "valgrind") palloc'd chunks
# are tracked one by one; outside valgrind that costs nothing.
#
#   CRM_CASSERT_CACHE   where builds are kept, one folder per version
#                       (default /var/cache/crm-test); delete a folder to rebuild
#
# Used by scripts/test.sh (suite "cassert"); about 4 minutes on 2 cores the first time.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

cache="${CRM_CASSERT_CACHE:-/var/cache/crm-test}"
for done in "$cache"/postgresql-*-cassert-valgrind/.complete; do
  if [ -f "$done" ]; then echo "$(dirname "$done")/bin/pg_config"; exit 0; fi
done

crm_install_packages dpkg-dev zlib1g-dev libreadline-dev libicu-dev pkg-config valgrind
# Debian's source packages: add their index once (the binary index is already there).
if [ -z "$(apt-cache showsrc postgresql-15 2>/dev/null)" ]; then
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
      as_root tee /etc/apt/sources.list.d/crm-deb-src.sources >/dev/null
  else
    grep -h '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | sed 's/^deb /deb-src /' |
      as_root tee /etc/apt/sources.list.d/crm-deb-src.list >/dev/null
  fi
  as_root apt-get update -qq
fi

work="$(mktemp -d /tmp/crm-cassert-build.XXXXXX)"
trap 'rm -rf "$work"' EXIT
# The installed server's version when its source is on the mirror, else the newest that is
# (a security update's source may be missing): this is a server of its own, so any 15.x does.
installed="$(dpkg-query -W -f='${Version}' postgresql-15)"
version=""
for v in "$installed" $(apt-cache showsrc postgresql-15 | sed -n 's/^Version: //p' | sort -rV); do
  if ( cd "$work" && apt-get source -qq "postgresql-15=$v" >/dev/null 2>&1 ); then version="$v"; break; fi
  rm -rf "${work:?}"/*
done
[ -n "$version" ] || { log "no postgresql-15 source package could be fetched"; exit 1; }
srcdir="$(find "$work" -maxdepth 1 -type d -name 'postgresql-15-*' | head -1)"
prefix="$cache/postgresql-$version-cassert-valgrind"
log "building PostgreSQL $version with --enable-cassert into $prefix"
as_root rm -rf "$prefix"; as_root mkdir -p "$prefix"
(
  cd "$srcdir"
  ./configure -q --prefix="$prefix" --enable-cassert --enable-debug --with-icu \
    CFLAGS="-O1 -g -fno-omit-frame-pointer" CPPFLAGS="-DRANDOMIZE_ALLOCATED_MEMORY -DUSE_VALGRIND" >/dev/null
  make -s -j"$(nproc)" >/dev/null 2>&1 || make -s >/dev/null
  as_root make -s install >/dev/null
)
# pgTAP is SQL only: its extension files serve any build of the same major version.
as_root cp /usr/share/postgresql/15/extension/pgtap* "$prefix/share/extension/"
# PostgreSQL's own suppressions, for the valgrind suite.
as_root cp "$srcdir/src/tools/valgrind.supp" "$prefix/valgrind.supp"
as_root touch "$prefix/.complete"
echo "$prefix/bin/pg_config"
