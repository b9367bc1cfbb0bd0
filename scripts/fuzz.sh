#!/usr/bin/env bash
# Fuzzes the HTTPQ parsers with libFuzzer (Swift's -sanitize=fuzzer,address) for SECONDS each:
# request parsing and response parsing, each input also fed in seeded random pieces (the
# outcome must not depend on the cut). Exits non-zero on any crash, leak, timeout or
# disagreement; the input that did it is left in .build-fuzz/artifacts/.
#   scripts/fuzz.sh SECONDS
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:?usage: scripts/fuzz.sh SECONDS}"
out=.build-fuzz
mkdir -p "$out/artifacts"
for target in request response; do
  name="Fuzz$(tr '[:lower:]' '[:upper:]' <<< "${target:0:1}")${target:1}"
  swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name "$name" -package-name httpq \
    Sources/HTTPQ/*.swift Fuzz/FuzzOracle.swift "Fuzz/$name.swift" -o "$out/fuzz-$target"
done
status=0
for target in request response; do
  work="$out/corpus-$target"          # grows here; the committed seeds stay as they are
  mkdir -p "$work"
  echo "== fuzz-$target for ${seconds}s"
  if ! "$out/fuzz-$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
       -detect_leaks=1 -print_final_stats=1 -artifact_prefix="$out/artifacts/$target-" \
       "$work" "Fuzz/corpus/$target" 2>&1 | tail -n 25; then
    status=1
  fi
done
exit $status
