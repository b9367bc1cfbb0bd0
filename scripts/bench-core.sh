#!/usr/bin/env bash
# Side-by-side performance figures, all in one run (see Docs/Performance.md).
#   scripts/bench-core.sh [RUNS]      parser (HTTPQ, llhttp, Python httpq) and reactor (EvLoop, libev C, NIO)
# Bounded: every contender does a fixed amount of work; nothing runs on after the script.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"

bash scripts/setup.sh
# llhttp's C sources come from Debian's node-llhttp; the benchmarks compile them in place.
if ! dpkg-query -W -f='${Status}' node-llhttp 2>/dev/null | grep -q "install ok installed"; then
  if [ "$(id -u)" -eq 0 ]; then apt-get install -y -qq node-llhttp >/dev/null; else echo "install node-llhttp" >&2; exit 1; fi
fi

echo "# Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r), $(swift --version 2>&1 | head -1)"
echo
(cd Benchmarks && swift build -c release --product Compare >/dev/null && .build/release/Compare "$runs")

echo
echo "## Python httpq 1.2.0 (messages per second, median of $runs)"
echo
venv="${TMPDIR:-/tmp}/httpq-bench-venv"
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q httpq==1.2.0; }
"$venv/bin/python" Benchmarks/python/httpq_bench.py "$runs"
