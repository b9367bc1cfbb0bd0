#!/usr/bin/env bash
# Server figures (issue 5), side by side in one run: wrk -t1 -c64 against `httpq serve
# --threads 1` and against nginx with one worker, same file, RUNS alternating runs each
# (median); then resident memory per idle keep-alive connection for both (IDLE connections,
# each after one request). Starts its own peers on loopback; bounded; cleans up.
#   scripts/serve-bench.sh [RUNS] [SECONDS] [IDLE]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"; seconds="${2:-5}"; idle="${3:-2000}"
bash scripts/setup.sh >/dev/null
swift build -c release --product httpq >/dev/null
work="$(mktemp -d)"; chmod 755 "$work"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
mkdir -p "$work/www"
python3 - "$work/www/index.html" <<'PY'
import sys
# nginx's default welcome page is 615 bytes; a page of that size.
open(sys.argv[1], "w").write("<!DOCTYPE html>\n<html><head><title>Welcome</title></head><body>" + "x" * 530 + "</body></html>\n")
PY
sleep 2.5 # httpq keeps a small file once it has been unchanged for two seconds
source scripts/peers.sh
nginx_port=$(free_port); httpq_port=$(free_port)
ulimit -n "$(ulimit -Hn)"
start_nginx "$work" "$nginx_port" "$work/www"; pids+=("$nginx_pid")
.build/release/httpq serve --threads 1 --root "$work/www" --listen "127.0.0.1:$httpq_port" --idle-timeout 300 >/dev/null & pids+=($!); httpq_pid=$!
wait_for_port "$httpq_port"

rps() { timeout $((seconds + 30)) wrk -t1 -c64 -d"${seconds}s" "http://127.0.0.1:$1/index.html" | awk '/Requests\/sec/ {print $2}'; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
: > "$work/nginx.rps"; : > "$work/httpq.rps"
for i in $(seq "$runs"); do
  rps "$nginx_port" >> "$work/nginx.rps"
  rps "$httpq_port" >> "$work/httpq.rps"
done
n=$(median < "$work/nginx.rps"); h=$(median < "$work/httpq.rps")
echo "wrk -t1 -c64 -d${seconds}s, $runs alternating runs each, median requests/s:"
echo "  nginx (1 worker):          $n   (runs: $(paste -sd' ' "$work/nginx.rps"))"
echo "  httpq serve --threads 1:   $h   (runs: $(paste -sd' ' "$work/httpq.rps"))"
python3 -c "print(f'  ratio httpq/nginx:         {float($h)/float($n):.2f}x')"

# Memory per idle keep-alive connection: resident set before and after IDLE clients each
# made one request and stayed connected.
python3 - "$idle" "$nginx_port" "$nginx_pid" "$httpq_port" "$httpq_pid" <<'PY'
import socket, sys, time
count = int(sys.argv[1])
def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
def measure(port, pid):
    # warm-up: a few connections so first-use allocations are not counted
    warm = [socket.create_connection(("127.0.0.1", port)) for _ in range(16)]
    for s in warm:
        s.sendall(b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n"); s.recv(65536)
    time.sleep(0.3)
    before = rss_kib(pid)
    clients = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n")
        clients.append(s)
    for s in clients:
        got = b""
        while b"</html>" not in got:
            chunk = s.recv(65536)
            if not chunk: raise SystemExit("connection closed early")
            got += chunk
    time.sleep(0.5)
    after = rss_kib(pid)
    for s in clients + warm: s.close()
    return (after - before) * 1024 / count
n = measure(int(sys.argv[2]), int(sys.argv[3]))
h = measure(int(sys.argv[4]), int(sys.argv[5]))
print(f"resident memory per idle keep-alive connection ({count} connections):")
print(f"  nginx (1 worker):          {n:.0f} B")
print(f"  httpq serve --threads 1:   {h:.0f} B")
print(f"  ratio httpq/nginx:         {h/n:.2f}x")
PY
