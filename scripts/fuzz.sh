#!/usr/bin/env bash
# Fuzzes the HTTPQ parsers with libFuzzer (Swift's -sanitize=fuzzer,address) for SECONDS each:
# request parsing and response parsing, each input also fed in seeded random pieces (the
# outcome must not depend on the cut); and a differential target against llhttp in its
# strict mode (compiled from Debian's node-llhttp sources): where both accept, messages must
# match; where one refuses, the difference must be a documented one (Docs/Parsing.md).
# Exits non-zero on any crash, leak, timeout or disagreement; the input that did it is left
# in .build-fuzz/artifacts/.
# With --report-differences (CI's short run) a difference from llhttp that is not documented
# is printed, not fatal: fuzzing is random, and a new llhttp quirk found in 30 s must not
# block an unrelated change. Crashes, leaks and the other oracles still fail the run.
#   scripts/fuzz.sh SECONDS [--report-differences]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:?usage: scripts/fuzz.sh SECONDS [--report-differences]}"
if [ "${2:-}" = "--report-differences" ]; then export HTTPQ_FUZZ_REPORT_DIFFERENCES=1; fi
out=.build-fuzz
mkdir -p "$out/artifacts" "$out/llhttp"
if ! dpkg-query -W -f='${Status}' node-llhttp 2>/dev/null | grep -q "install ok installed"; then
  if [ "$(id -u)" -eq 0 ]; then apt-get install -y -qq node-llhttp >/dev/null; else echo "fuzz: install node-llhttp" >&2; exit 1; fi
fi
for target in request response; do
  name="Fuzz$(tr '[:lower:]' '[:upper:]' <<< "${target:0:1}")${target:1}"
  swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name "$name" -package-name httpq \
    Sources/HTTPQ/*.swift Fuzz/FuzzOracle.swift "Fuzz/$name.swift" -o "$out/fuzz-$target"
done
# llhttp and its oracle, instrumented like the Swift side.
for source in /usr/share/llhttp/api.c /usr/share/llhttp/http.c /usr/share/llhttp/llhttp.c Fuzz/LLHTTPOracle/llhttp_oracle.c; do
  clang -c -O1 -g -fsanitize=fuzzer-no-link,address -I/usr/share/include/llhttp -IFuzz/LLHTTPOracle/include \
    "$source" -o "$out/llhttp/$(basename "$source" .c).o"
done
swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name FuzzDifferential -package-name httpq \
  -I Fuzz/LLHTTPOracle/include Sources/HTTPQ/*.swift Fuzz/FuzzDifferential.swift "$out"/llhttp/*.o \
  -o "$out/fuzz-differential"
status=0
for target in request response differential; do
  work="$out/corpus-$target"          # grows here; the committed seeds stay as they are
  mkdir -p "$work"
  echo "== fuzz-$target for ${seconds}s"
  if ! SWIFT_BACKTRACE=enable=no "$out/fuzz-$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
       -detect_leaks=1 -print_final_stats=1 -artifact_prefix="$out/artifacts/$target-" \
       "$work" "Fuzz/corpus/$target" > "$out/$target.log" 2>&1; then
    tail -n 40 "$out/$target.log"
    status=1
  else
    grep -E "^Done|^stat::(number_of_executed_units|new_units_added|peak_rss_mb)|^DIFFERENCE" "$out/$target.log" || true
  fi
done
exit $status
