#!/usr/bin/env bash
# User and system CPU per request of `httpq serve` under wrk -t1 -c64 for SECONDS, from
# /proc/PID/stat (10 ms ticks), for the given serve arguments: what a feature costs the
# server itself, which a requests/s ratio on this shared 2-core machine cannot resolve.
#   scripts/serve_cpu_split.sh HTTPQ PORT SECONDS [serve args...]
# Serves a 615 B page from a fresh folder; bounded by wrk's duration; stops its server.
set -euo pipefail
httpq=$1 port=$2 seconds=$3; shift 3
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
python3 -c "open('$root/index.html','w').write('<!DOCTYPE html>\n<html><head><title>Welcome</title></head><body>' + 'x'*530 + '</body></html>\n')"
"$httpq" serve --root "$root" --listen "127.0.0.1:$port" --idle-timeout 300 "$@" > /dev/null &
pid=$!
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$port/index.html" && break; sleep 0.1; done
sleep 2.5 # a small file is kept in memory once unchanged for two seconds
read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$pid/stat")
out=$(timeout $((seconds + 10)) wrk -t1 -c64 -d"${seconds}s" "http://127.0.0.1:$port/index.html")
read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$pid/stat")
kill -INT "$pid"; wait "$pid" 2>/dev/null || true
n=$(echo "$out" | awk '/requests in/ {print $1}')
rate=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
tick=$(getconf CLK_TCK)
python3 -c "print(f'serve $*: {int($n):,} requests, {float($rate):,.0f}/s; user {($u1-$u0)/$tick/$n*1e6:.2f} µs, system {($s1-$s0)/$tick/$n*1e6:.2f} µs per request')"
