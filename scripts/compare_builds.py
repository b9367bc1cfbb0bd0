#!/usr/bin/env python3
"""Two builds of httpq side by side in one run, each beside the same peer, runs alternating:

  compare_builds.py OLD_HTTPQ NEW_HTTPQ RUNS SECONDS

For the "no ratio may drop by more than 5%" check of a change: the figures of
Docs/Performance.md that depend on the binary, measured for both builds in the same run.

- serve: wrk -t1 -c64 against OLD serve, NEW serve and nginx (1 worker), on a 615 B page
  and a 100 KiB file (sendfile); ratio to nginx.
- load: OLD and NEW `httpq load -c64` and `wrk -t1 -c64` against nginx; ratio to wrk
  (requests/s and CPU µs per request).
- fetch: OLD and NEW `httpq fetch` and `curl -Z --parallel-max 100`, 5,000 URLs over 100
  hosts; ratio to curl (wall time).
Bounded: fixed durations and URL lists, timeouts on every child; starts and stops its peers.
"""
import os, shutil, statistics, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_http import free_port, wait_port, nginx, run, requests_of, many_hosts, wrk_alternating  # noqa: E402


def median(values):
    return statistics.median(values)


def cpu_seconds(pid):
    """User + system CPU of a process so far (/proc/PID/stat)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve(old, new, runs, seconds):
    work = tempfile.mkdtemp(); os.chmod(work, 0o755)
    os.makedirs(f"{work}/www")
    open(f"{work}/www/index.html", "w").write("<!DOCTYPE html>\n<html><head><title>Welcome</title></head><body>" + "x" * 530 + "</body></html>\n")
    open(f"{work}/www/100k.bin", "wb").write(os.urandom(100 * 1024))
    ng_port = free_port()
    servers = [nginx(work, f"{work}/www", ["127.0.0.1"], ng_port)]
    ports = {"nginx": ng_port}
    pids = {"nginx": servers[0].pid}
    for name, binary in (("old", old), ("new", new)):
        port = free_port()
        servers.append(subprocess.Popen([binary, "serve", "--threads", "1", "--root", f"{work}/www", "--listen", f"127.0.0.1:{port}",
                                         "--idle-timeout", "300"], stdout=subprocess.DEVNULL))
        wait_port("127.0.0.1", port)
        ports[name] = port
        pids[name] = servers[-1].pid
    rows = []
    try:
        measured = wrk_alternating(ports, pids, ("index.html", "100k.bin"), runs, seconds, cpu_seconds)
        for label, (rps, cpu) in zip(("615 B", "100 KiB"), measured):
            rows.append((label, rps, cpu))
    finally:
        for s in servers:
            s.terminate(); s.wait()
        shutil.rmtree(work)
    print(f"### httpq serve, old and new build beside nginx (wrk -t1 -c64 -d{seconds}s, median of {runs} alternating)\n")
    print("| file | nginx req/s | old req/s | new req/s | old/nginx | new/nginx | change | server CPU µs/req nginx / old / new |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, m, c in rows:
        o, n = m["old"] / m["nginx"], m["new"] / m["nginx"]
        print(f"| {label} | {m['nginx']:,.0f} | {m['old']:,.0f} | {m['new']:,.0f} | {o:.2f}x | {n:.2f}x | {100 * (n / o - 1):+.1f}% "
              f"| {c['nginx']:.1f} / {c['old']:.1f} / {c['new']:.1f} |")
    print()


def load(old, new, runs, seconds):
    work = tempfile.mkdtemp(); os.chmod(work, 0o755)
    os.makedirs(f"{work}/www")
    open(f"{work}/www/index.html", "wb").write(b"x" * 615)
    port = free_port()
    server = nginx(work, f"{work}/www", ["127.0.0.1"], port)
    url = f"http://127.0.0.1:{port}/index.html"
    contenders = {
        "wrk": ["wrk", "-t1", "-c64", f"-d{seconds}s", url],
        "old": [old, "load", "-c", "64", "-d", str(seconds), url],
        "new": [new, "load", "-c", "64", "-d", str(seconds), url],
    }
    samples = {name: [] for name in contenders}
    try:
        for _ in range(runs):
            for name, command in contenders.items():
                out, wall, cpu = run(command, timeout=seconds + 30)
                rps, count = requests_of(out)
                samples[name].append((rps, cpu * 1e6 / (count or rps * seconds)))
    finally:
        server.terminate(); server.wait(); shutil.rmtree(work)
    print(f"### httpq load, old and new build beside wrk -t1 (against nginx, 64 connections, median of {runs} alternating)\n")
    print("| client | req/s | CPU µs/request | req/s vs wrk | CPU vs wrk |")
    print("| --- | ---: | ---: | ---: | ---: |")
    wr = median(s[0] for s in samples["wrk"]); wc = median(s[1] for s in samples["wrk"])
    for name in contenders:
        r = median(s[0] for s in samples[name]); c = median(s[1] for s in samples[name])
        print(f"| {name} | {r:,.0f} | {c:.2f} | {r / wr:.2f}x | {c / wc:.2f}x |")
    print()


def fetch(old, new, runs):
    work, server, urls = many_hosts()
    contenders = {
        "curl -Z": ["curl", "-s", "--noproxy", "*", "-Z", "--parallel-max", "100", "-K", f"{work}/curl.cfg"],
        "old": [old, "fetch", "--urls", f"{work}/urls.txt", "--concurrency", "100", "--per-host", "6"],
        "new": [new, "fetch", "--urls", f"{work}/urls.txt", "--concurrency", "100", "--per-host", "6"],
    }
    samples = {name: [] for name in contenders}
    try:
        for _ in range(runs):
            for name, command in contenders.items():
                _, wall, cpu = run(command, timeout=300)
                samples[name].append((wall, cpu))
    finally:
        server.terminate(); server.wait(); shutil.rmtree(work)
    print(f"### httpq fetch, old and new build beside curl -Z ({len(urls)} URLs over 100 hosts, median of {runs} alternating)\n")
    print("| client | wall s | CPU s | speed vs curl |")
    print("| --- | ---: | ---: | ---: |")
    cw = median(s[0] for s in samples["curl -Z"])
    for name in contenders:
        w = median(s[0] for s in samples[name]); c = median(s[1] for s in samples[name])
        print(f"| {name} | {w:.2f} | {c:.2f} | {cw / w:.2f}x |")
    print()


if __name__ == "__main__":
    old, new, runs, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    serve(old, new, runs, seconds)
    load(old, new, runs, seconds)
    fetch(old, new, runs)
