#!/usr/bin/env bash
# Client memory figures (issue 4): heap per idle pooled connection, and resident memory
# while streaming a 1 GiB body. Starts its own nginx on loopback; bounded; cleans up.
#   scripts/client-memory.sh [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
connections="${1:-1000}"
bash scripts/setup.sh
work="$(mktemp -d)"
source scripts/peers.sh
nginx_pid=""
trap 'kill "$nginx_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/www"; chmod 755 "$work"
echo small > "$work/www/small"
truncate -s 1G "$work/www/big"          # sparse: no disk used
port=$(free_port)
ulimit -n "$(ulimit -Hn)"
start_nginx "$work" "$port" "$work/www"
(cd Benchmarks && swift build -c release --product ClientMemory >/dev/null)
timeout 300 Benchmarks/.build/release/ClientMemory "$port" "$connections"
