#!/usr/bin/env bash
# Client memory figures (issue 4): heap per idle pooled connection, and resident memory
# while streaming a 1 GiB body. Starts its own nginx on loopback; bounded; cleans up.
#   scripts/client-memory.sh [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
connections="${1:-1000}"
bash scripts/setup.sh
work="$(mktemp -d)"
trap 'kill "$(cat "$work/nginx.pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/www"; chmod 755 "$work"
echo small > "$work/www/small"
truncate -s 1G "$work/www/big"          # sparse: no disk used
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
error_log $work/error.log;
pid $work/nginx.pid;
events { worker_connections 8192; }
http {
  access_log off; keepalive_requests 100000; keepalive_timeout 300s;
  client_body_temp_path $work/b; proxy_temp_path $work/p; fastcgi_temp_path $work/f; uwsgi_temp_path $work/u; scgi_temp_path $work/s;
  server { listen 127.0.0.1:$port; root $work/www; sendfile on; }
}
CONF
ulimit -n 16384
/usr/sbin/nginx -p "$work" -c "$work/nginx.conf"
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
(cd Benchmarks && swift build -c release --product ClientMemory >/dev/null)
timeout 300 Benchmarks/.build/release/ClientMemory "$port" "$connections"
