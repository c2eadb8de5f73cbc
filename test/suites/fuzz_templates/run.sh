#!/usr/bin/env bash
# libFuzzer over the template renderer's pure C core (src/templates_core.c),
# bounded to ~30 s.  Needs clang; fails on any crash, sanitizer report or
# broken invariant (see test/fuzz/templates_fuzz.c).
set -euo pipefail
cd "$(dirname "$0")/../../.."
out="${CRM_TMP:-$(mktemp -d)}/fuzz_templates"
mkdir -p "$out/corpus"
cp test/fuzz/templates_corpus/* "$out/corpus/"
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Isrc \
  test/fuzz/templates_fuzz.c src/templates_core.c -o "$out/templates_fuzz"
"$out/templates_fuzz" -max_total_time="${CRM_FUZZ_SECONDS:-30}" -max_len=512 \
  -artifact_prefix="$out/" -print_final_stats=1 "$out/corpus" 2>&1 | tail -n 15
