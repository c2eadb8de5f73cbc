#!/usr/bin/env bash
# The benchmark in quick mode (scale 0.001, 1 s per point) on the test cluster,
# so that it never rots.  No timing assertion: it checks that the behaviour
# tests passed on crm and on the PL/pgSQL variant, that the floor wrote the
# rows crm writes (the write check), that every workload of
# test/bench/workloads.tsv ran on every variant (on the floor: those with a
# floor script; the large ones are not run), and that the report was written.
set -euo pipefail
cd "$(dirname "$0")/../../.."
out="$CRM_TMP/bench-quick"
rm -rf "$out"
test/bench/run.sh --quick --use-cluster --clients "1 2" --out "$out" >/dev/null
fail=0
for f in report.md results.csv; do
  [ -s "$out/$f" ] || { echo "bench_quick: $f not written"; fail=1; }
done
grep -q 'crm: pass, plpgsql: pass' "$out/report.md" || { echo "bench_quick: behaviour tests did not pass on both"; fail=1; }
grep -q 'floor (rows written, per table: .*): pass' "$out/report.md" || { echo "bench_quick: the floor's write check did not pass"; fail=1; }
while IFS=$'\t' read -r wl kind _items _title; do
  case "$wl" in ''|'#'*) continue ;; esac
  [ "$kind" != large ] || continue
  variants="bare crm plpgsql"
  [ ! -f "test/bench/workloads/$wl.floor.sql" ] || variants="$variants floor"
  for v in $variants; do
    n="$(awk -F, -v w="$wl" -v v="$v" '$2 == w && $3 == v && $5 > 0' "$out/results.csv" | wc -l)"
    [ "$n" -ge 1 ] || { echo "bench_quick: no result for $wl on $v"; fail=1; }
  done
done < test/bench/workloads.tsv
[ $fail = 0 ] && echo "bench_quick: ok ($(($(wc -l < "$out/results.csv") - 1)) results)"
exit $fail
