#!/usr/bin/env bash
# Builds the libFuzzer harness over the phone shim (src/phones_shim.cc) with
# AddressSanitizer and UndefinedBehaviorSanitizer and runs it for a bounded
# time (FUZZ_SECONDS, default 30) from the seed corpus in test/fuzz/corpus.
# Fails on any crash, sanitizer report or harness assertion.
set -euo pipefail
cd "$(dirname "$0")/../../.."
SECS="${FUZZ_SECONDS:-30}"
OUT="${CRM_TMP:-$(mktemp -d)}/fuzz_phones"
mkdir -p "$OUT/corpus"
cp test/fuzz/corpus/* "$OUT/corpus/"
SAN="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -g -O1"
clang $SAN -Isrc -c test/fuzz/fuzz_phones.c -o "$OUT/fuzz_phones.o"
clang++ $SAN -std=c++17 -Isrc -c src/phones_shim.cc -o "$OUT/phones_shim.o"
clang++ $SAN "$OUT/fuzz_phones.o" "$OUT/phones_shim.o" -lgeocoding -lphonenumber -licuuc -o "$OUT/fuzz_phones"
# The library's singleton lives for the process; leaks are not what we look for.
ASAN_OPTIONS=detect_leaks=0 "$OUT/fuzz_phones" -max_total_time="$SECS" -max_len=512 -timeout=10 \
  -artifact_prefix="$OUT/" -print_final_stats=1 "$OUT/corpus" 2>"$OUT/log" || {
  tail -n 40 "$OUT/log"; echo "fuzz_phones: FAILED (artifacts in $OUT)"; exit 1; }
grep -E '^stat::number_of_executed_units|^Done' "$OUT/log" || true
echo "fuzz_phones: no crash in ${SECS}s"
