#!/usr/bin/env bash
# Every performance figure of Docs/Performance.md, side by side, in one run:
#   scripts/bench.sh [RUNS] [SECONDS]
#     1. parser and reactor: HTTPQ vs llhttp and Python httpq; EvLoop vs libev C and SwiftNIO
#     2. client: httpq load vs wrk -t1 vs AsyncHTTPClient against nginx, 1/16/64/256 connections
#        (table, and Docs/performance-client.png drawn by gnuplot)
#     3. many hosts: httpq fetch vs curl -Z on 5000 URLs over 100 hosts
#     4. server: wrk against httpq serve vs nginx; memory per idle keep-alive connection
#     5. TLS: handshakes/s and kept-alive requests/s, httpq serve vs nginx and httpq load vs wrk
#     6. uploads: peak memory of a 1 GiB PUT (httpq fetch -T / curl -T into httpq serve / nginx),
#        and memory per stalled upload (httpq serve vs nginx)
#     7. access log: httpq serve and nginx without and with their logs (combined; httpq json too)
#     8. gateway: the obvious async-handler gateway (Examples/Gateway) vs nginx proxy_pass keepalive
#     9. fetch vs curl -Z on ten workloads (bodies 0.5-64 KiB, 10-2,000 hosts, order, 5k/50k URLs)
#    10. how cost grows: fetch 5k-200k URLs, parse 1 MiB-1 GiB in 1 B-64 KiB feeds, serve 1k/10k idle connections
#    11. serve beside nginx sendfile on and off, under wrk, ab -k and h2load --h1, 615 B to 1 MiB
#    12. user-space instructions per request (callgrind): httpq serve with and without its logs, nginx
# Starts its own peers on loopback; bounded (fixed durations and URL lists); cleans up.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"; seconds="${2:-5}"
bash scripts/setup.sh
# Tools only the benchmarks use: the chart, two more load generators, callgrind.
bench_tools=()
command -v gnuplot >/dev/null || bench_tools+=(gnuplot-nox)
command -v ab >/dev/null || bench_tools+=(apache2-utils)
command -v h2load >/dev/null || bench_tools+=(nghttp2-client)
command -v valgrind >/dev/null || bench_tools+=(valgrind)
if [ "${#bench_tools[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then apt-get install -y -qq --no-install-recommends "${bench_tools[@]}" >/dev/null
  else echo "install ${bench_tools[*]} for sections 2, 11 and 12" >&2; fi
fi
swift build -c release --product httpq >/dev/null
swift build -c release --product httpq-gateway-example >/dev/null
(cd Benchmarks && swift build -c release --product AHCLoad >/dev/null)
ulimit -n "$(ulimit -Hn)"
out="$(mktemp -d)"; trap 'rm -rf "$out"' EXIT

echo "## 1. Parser and reactor"; echo
bash scripts/bench-core.sh "$runs"
echo; echo "## 2. Client"; echo
python3 scripts/bench_http.py client "$runs" "$seconds" "$out"
if command -v gnuplot >/dev/null; then
  gnuplot -e "data='$out/client.dat'; output='Docs/performance-client.png'" scripts/client-chart.gp
  echo; echo "Chart: Docs/performance-client.png"
fi
echo; echo "## 3. Many hosts"; echo
python3 scripts/bench_http.py hosts "$runs" "$out"
echo; echo "## 4. Server"; echo
bash scripts/serve-bench.sh "$runs" "$seconds" 2000
echo; echo "## 5. TLS"; echo
python3 scripts/bench_tls.py "$runs" "$seconds"
echo; echo "## 6. Uploads"; echo
python3 scripts/upload_memory.py .build/release/httpq 1024 300
echo; echo "## 7. Access log"; echo
python3 scripts/bench_access_log.py .build/release/httpq "$runs" "$seconds"
echo; echo "## 8. Gateway"; echo
python3 scripts/bench_gateway.py .build/release/httpq-gateway-example "$runs" "$seconds"
echo; echo "## 9. Fetch beside curl, varied (bodies, hosts, order, URL count)"; echo
python3 scripts/bench_fetch_matrix.py .build/release/httpq "$runs"
echo; echo "## 10. How cost grows with work (fetch, parse, serve; Docs/performance-scaling.png)"; echo
python3 scripts/bench_scaling.py .build/release/httpq Docs/performance-scaling.png
echo; echo "## 11. Server beside nginx tuned both ways, three load generators"; echo
python3 scripts/bench_serve_matrix.py .build/release/httpq "$runs" "$seconds"
echo; echo "## 12. User-space instructions per request (callgrind)"; echo
python3 scripts/serve_instructions.py .build/release/httpq
