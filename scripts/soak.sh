#!/usr/bin/env bash
# Soak (issue 8): CONNECTIONS concurrent keep-alive connections from the client (`httpq load`,
# HTTPQClient connections) to the server (`httpq serve`) on loopback for SECONDS, then checks:
# zero client errors, the server's descriptor count back to its baseline once the clients
# are gone, and the server's resident memory flat after warm-up. Raises its own descriptor
# limit; bounded (the load stops by itself; everything is killed on exit).
#   scripts/soak.sh [CONNECTIONS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
connections="${1:-10000}"; seconds="${2:-60}"
bash scripts/setup.sh >/dev/null
swift build -c release --product httpq >/dev/null
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt $((connections + 100)) ]; then
  echo "soak: the descriptor limit ($(ulimit -n)) is below $((connections + 100)); raise the hard limit" >&2; exit 1
fi
work="$(mktemp -d)"; chmod 755 "$work"
server_pid=""
trap 'kill "$server_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/www"; head -c 2048 /dev/urandom > "$work/www/file.bin"
source scripts/peers.sh
port=$(free_port)
.build/release/httpq serve --root "$work/www" --listen "127.0.0.1:$port" --idle-timeout 300 --header-timeout 60 > /dev/null &
server_pid=$!
wait_for_port "$port"
python3 - "$server_pid" "$port" "$connections" "$seconds" <<'PY'
import os, re, subprocess, sys, time
pid, port, connections, seconds = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def fds(): return len(os.listdir(f"/proc/{pid}/fd"))
def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"): return int(line.split()[1])
baseline_fds, baseline_rss = fds(), rss()
load = subprocess.Popen([".build/release/httpq", "load", "-c", str(connections), "-d", str(seconds),
                         f"http://127.0.0.1:{port}/file.bin"], stdout=subprocess.PIPE, text=True)
samples = []
start = time.monotonic()
while load.poll() is None and time.monotonic() - start < seconds + 120:
    time.sleep(5)
    samples.append((round(time.monotonic() - start), fds(), rss()))
out, _ = load.communicate(timeout=120)
# After the clients have gone: the server closes its side (bounded wait: 10 s).
deadline = time.monotonic() + 10
while fds() != baseline_fds and time.monotonic() < deadline: time.sleep(0.1)
after_fds, after_rss = fds(), rss()
print(out.strip())
print()
print(f"server: baseline {baseline_fds} descriptors, {baseline_rss} KiB resident")
print("  t(s)  descriptors  resident KiB")
for t, f, r in samples: print(f"  {t:4d}  {f:11d}  {r:12d}")
print(f"server after the clients left: {after_fds} descriptors, {after_rss} KiB resident")
errors = re.search(r"Errors: (.*)", out).group(1)
warm = [r for t, f, r in samples if t >= 15 and t <= seconds]
growth = (max(warm) - min(warm)) if warm else 0
ok = True
if errors != "none": print(f"FAIL: client errors: {errors}"); ok = False
if after_fds != baseline_fds: print(f"FAIL: {after_fds - baseline_fds} descriptors not released"); ok = False
peak = max((f for t, f, r in samples), default=0)
if peak < connections: print(f"FAIL: only {peak - baseline_fds} connections were open at once"); ok = False
if warm and growth > max(2048, min(warm) // 20): print(f"FAIL: resident memory grew {growth} KiB after warm-up"); ok = False
print(f"resident memory after warm-up (15 s to {seconds} s): {min(warm) if warm else 0}..{max(warm) if warm else 0} KiB (spread {growth} KiB)")
print("soak: " + ("ok" if ok else "FAILED"))
sys.exit(0 if ok else 1)
PY
