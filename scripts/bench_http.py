#!/usr/bin/env python3
"""Side-by-side HTTP figures (issue 7), all peers on loopback, started here.

  bench_http.py client RUNS SECONDS OUTDIR   httpq load vs wrk -t1 vs AsyncHTTPClient against
                                             nginx (1 worker) at 1, 16, 64, 256 connections
  bench_http.py hosts RUNS OUTDIR            httpq fetch vs curl -Z --parallel-max 100 on 5000
                                             URLs over 100 hosts

Every contender runs RUNS times, alternating; figures are medians. CPU is measured the same
way for every contender: the child's user + system time (getrusage RUSAGE_CHILDREN).
Bounded: fixed durations, fixed URL lists, timeouts on every child.
"""
import os, re, resource, shutil, socket, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HTTPQ = os.path.join(ROOT, ".build/release/httpq")
AHC = os.path.join(ROOT, "Benchmarks/.build/release/AHCLoad")

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port

def wait_port(host, port):
    for _ in range(200):
        try:
            socket.create_connection((host, port), timeout=1).close(); return
        except OSError:
            time.sleep(0.025)
    raise SystemExit(f"nothing listens on {host}:{port}")

def nginx(work, root, addresses, port):
    listens = " ".join(f"listen {a}:{port};" for a in addresses)
    per_address = "/$server_addr" if len(addresses) > 1 else ""
    conf = f"""worker_processes 1; daemon off; master_process off;
error_log {work}/error.log; pid {work}/nginx.pid;
events {{ worker_connections 16384; }}
http {{ access_log off; keepalive_requests 1000000; keepalive_timeout 300s;
  client_body_temp_path {work}/b; proxy_temp_path {work}/p; fastcgi_temp_path {work}/f; uwsgi_temp_path {work}/u; scgi_temp_path {work}/s;
  server {{ {listens} root {root}{per_address}; sendfile on; }} }}"""
    open(f"{work}/nginx.conf", "w").write(conf)
    process = subprocess.Popen(["/usr/sbin/nginx", "-p", work, "-c", f"{work}/nginx.conf"])
    wait_port(addresses[0], port)
    return process

def run(command, timeout):
    """Runs a child to completion: (stdout, wall seconds, cpu seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode not in (0,):
        print(f"warning: {command[0]} exited {result.returncode}: {result.stderr.strip()[:200]}", file=sys.stderr)
    return result.stdout, wall, cpu

def requests_of(text):
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", text).group(1))
    count = re.search(r"(\d+) requests in", text)
    return rps, int(count.group(1)) if count else None

def client(runs, seconds, outdir):
    work = tempfile.mkdtemp(); os.chmod(work, 0o755)
    os.makedirs(f"{work}/www")
    open(f"{work}/www/index.html", "w").write("<!DOCTYPE html>\n<html><head><title>Welcome</title></head><body>" + "x" * 530 + "</body></html>\n")
    port = free_port()
    server = nginx(work, f"{work}/www", ["127.0.0.1"], port)
    url = f"http://127.0.0.1:{port}/index.html"
    contenders = {
        "wrk": lambda c: ["wrk", "-t1", f"-c{c}", f"-d{seconds}s", url],
        "httpq load": lambda c: [HTTPQ, "load", "-c", str(c), "-d", str(seconds), url],
    }
    if os.path.exists(AHC):
        contenders["AsyncHTTPClient"] = lambda c: [AHC, url, str(c), str(seconds)]
    rows = []
    try:
        for connections in (1, 16, 64, 256):
            samples = {name: [] for name in contenders}
            for _ in range(runs):
                for name, command in contenders.items():
                    out, wall, cpu = run(command(connections), timeout=seconds + 60)
                    rps, count = requests_of(out)
                    count = count or int(rps * seconds)
                    samples[name].append((rps, cpu / max(count, 1) * 1e6))
            for name in contenders:
                rps = statistics.median(s[0] for s in samples[name])
                us = statistics.median(s[1] for s in samples[name])
                rows.append((connections, name, rps, us))
    finally:
        server.terminate(); server.wait(); shutil.rmtree(work)
    print(f"### Client: one thread each against nginx (1 worker), {seconds} s per run, median of {runs}\n")
    print("| connections | client | requests/s | CPU µs/request | req/s vs wrk | CPU vs wrk |")
    print("| ---: | --- | ---: | ---: | ---: | ---: |")
    wrk = {c: (r, u) for c, n, r, u in rows if n == "wrk"}
    for c, n, r, u in rows:
        print(f"| {c} | {n} | {r:,.0f} | {u:.1f} | {r / wrk[c][0]:.2f}x | {u / wrk[c][1]:.2f}x |")
    with open(os.path.join(outdir, "client.dat"), "w") as data:
        for name in contenders:
            data.write(f'"{name}"\n')
            for c, n, r, u in rows:
                if n == name: data.write(f"{c} {r:.0f} {u:.2f}\n")
            data.write("\n\n")
    return [n for n in contenders]

def many_hosts():
    """One nginx on 100 loopback addresses, 50 files of 0.5-1.3 KiB each: (work dir, server,
    urls); the work dir holds urls.txt (for httpq fetch) and curl.cfg (for curl -K)."""
    work = tempfile.mkdtemp(); os.chmod(work, 0o755)
    addresses = [f"127.0.3.{i}" for i in range(1, 101)]
    for address in addresses:
        os.makedirs(f"{work}/www/{address}/f")
        for file in range(50):
            open(f"{work}/www/{address}/f/{file}.txt", "wb").write(os.urandom(512 + file * 16))
    port = free_port()
    server = nginx(work, f"{work}/www", addresses, port)
    urls = [f"http://{a}:{port}/f/{file}.txt" for a in addresses for file in range(50)]
    open(f"{work}/urls.txt", "w").write("\n".join(urls) + "\n")
    with open(f"{work}/curl.cfg", "w") as cfg:
        for u in urls: cfg.write(f'url = "{u}"\noutput = "/dev/null"\n')
    return work, server, urls

def hosts(runs, outdir):
    work, server, urls = many_hosts()
    addresses = {u.split("/")[2] for u in urls}
    contenders = {
        "curl -Z --parallel-max 100": ["curl", "-s", "--noproxy", "*", "-Z", "--parallel-max", "100", "-K", f"{work}/curl.cfg"],
        "httpq fetch --concurrency 100": [HTTPQ, "fetch", "--urls", f"{work}/urls.txt", "--concurrency", "100", "--per-host", "6"],
    }
    samples = {name: [] for name in contenders}
    try:
        for _ in range(runs):
            for name, command in contenders.items():
                out, wall, cpu = run(command, timeout=300)
                samples[name].append((len(urls) / wall, cpu))
    finally:
        server.terminate(); server.wait(); shutil.rmtree(work)
    print(f"### Many hosts: {len(urls)} URLs over {len(addresses)} hosts (one nginx, 1 worker), 100 in flight, median of {runs}\n")
    print("| client | fetches/s | wall s | CPU s | fetches/s vs curl |")
    print("| --- | ---: | ---: | ---: | ---: |")
    curl = statistics.median(s[0] for s in samples["curl -Z --parallel-max 100"])
    for name in contenders:
        rate = statistics.median(s[0] for s in samples[name])
        cpu = statistics.median(s[1] for s in samples[name])
        print(f"| {name} | {rate:,.0f} | {len(urls) / rate:.2f} | {cpu:.2f} | {rate / curl:.2f}x |")

if __name__ == "__main__":
    what = sys.argv[1]
    if what == "client":
        client(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    elif what == "hosts":
        hosts(int(sys.argv[2]), sys.argv[3])
    else:
        raise SystemExit(__doc__)


def stop_all(servers, work):
    """Stops the servers a benchmark started and removes its working directory."""
    for server in servers:
        server.terminate(); server.wait(timeout=30)
    shutil.rmtree(work)


def wrk_alternating(ports, pids, paths, runs, seconds, cpu_seconds, extra=()):
    """wrk -t1 -c64 against each server in turn, `runs` times per path: for each path, the
    median requests/s and server CPU µs per request of each server ({name: value} each).
    `extra`: more wrk arguments (request fields: `-H`, `User-Agent: ...`)."""
    results = []
    for path in paths:
        rps = {n: [] for n in ports}; cpu = {n: [] for n in ports}
        for _ in range(runs):
            for name, port in ports.items():
                before = cpu_seconds(pids[name])
                out, _, _ = run(["wrk", "-t1", "-c64", f"-d{seconds}s", *extra, f"http://127.0.0.1:{port}/{path}"], timeout=seconds + 30)
                value, count = requests_of(out)
                rps[name].append(value)
                cpu[name].append((cpu_seconds(pids[name]) - before) * 1e6 / (count or value * seconds))
        results.append(({n: statistics.median(v) for n, v in rps.items()}, {n: statistics.median(v) for n, v in cpu.items()}))
    return results
