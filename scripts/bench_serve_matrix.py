#!/usr/bin/env python3
"""httpq serve beside nginx tuned both ways, under three load generators, runs alternating:

  bench_serve_matrix.py HTTPQ RUNS SECONDS [FILES]

FILES: labels to run, comma-separated (e.g. "615 B,1 KiB"); all four by default.

Issue 17 item 2. Servers (one worker / one loop each, access log off, long keep-alive):
nginx `sendfile on` (Debian's default), nginx `sendfile off` (one write for a small answer,
as httpq does), nginx `sendfile off` with `open_file_cache` (descriptors and metadata kept
60 s: tuned for small files, as httpq keeps small files' bytes), httpq serve (every kept file
checked per request), and httpq serve --kept-files-valid 60 (checked once a minute, as nginx's
open_file_cache_valid 60s). Files: 615 B, 1 KiB, 100 KiB, 1 MiB. Loads, each kept alive:
wrk -t1 -c64 -dSECONDS, ab -k -c32 (requests sized to about SECONDS), h2load --h1 -c32
-t1 (the same count). For each cell: requests/s of each server (median of RUNS), httpq's
ratio to each nginx, and server CPU µs per request. Every cell is printed, bad ones too.
Bounded: fixed durations or counts, timeouts on every child; starts and stops its servers.
"""
import os, re, shutil, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_http import free_port, wait_port, run, stop_all  # noqa: E402
from compare_builds import cpu_seconds  # noqa: E402

FILES = (("615 B", "index.html", None), ("1 KiB", "1k.bin", 1024), ("100 KiB", "100k.bin", 100 * 1024), ("1 MiB", "1m.bin", 1 << 20))


def nginx(work, name, port, sendfile, extra=""):
    conf = f"""worker_processes 1; daemon off; master_process off;
error_log {work}/{name}.err; pid {work}/{name}.pid;
events {{ worker_connections 16384; }}
http {{ access_log off; keepalive_requests 1000000; keepalive_timeout 300s; include /etc/nginx/mime.types;
  client_body_temp_path {work}/b; proxy_temp_path {work}/p; fastcgi_temp_path {work}/f; uwsgi_temp_path {work}/u; scgi_temp_path {work}/s;
  server {{ listen 127.0.0.1:{port}; root {work}/www; sendfile {sendfile}; {extra} }} }}"""
    open(f"{work}/{name}.conf", "w").write(conf)
    return subprocess.Popen(["/usr/sbin/nginx", "-p", work, "-c", f"{work}/{name}.conf"])


def load(tool, url, seconds, count):
    """Requests/s and requests answered, from one run of `tool`."""
    if tool == "wrk":
        out, _, _ = run(["wrk", "-t1", "-c64", f"-d{seconds}s", url], timeout=seconds + 30)
        done = re.search(r"(\d+) requests in", out)
        rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
        return (float(rate.group(1)), int(done.group(1))) if rate and done else (0.0, 0)
    if tool == "ab -k":
        out, _, _ = run(["ab", "-q", "-k", "-c", "32", "-n", str(count), url], timeout=seconds * 10 + 60)
        rate = re.search(r"Requests per second:\s+([\d.]+)", out)
        failed = re.search(r"Failed requests:\s+(\d+)", out)
        ok = rate and failed and int(failed.group(1)) == 0
        return (float(rate.group(1)), count) if ok else (0.0, 0)
    out, _, _ = run(["h2load", "--h1", "-c", "32", "-t", "1", "-n", str(count), url], timeout=seconds * 10 + 60)
    rate = re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", out)
    succeeded = re.search(r"(\d+) succeeded", out)
    return (float(rate.group(1)), int(succeeded.group(1))) if rate and succeeded else (0.0, 0)


def main():
    binary, runs, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    chosen = sys.argv[4].split(",") if len(sys.argv) > 4 else [label for label, _, _ in FILES]
    for tool in ("wrk", "ab", "h2load"):
        if not shutil.which(tool):
            sys.exit(f"bench_serve_matrix: {tool} is missing (Debian wrk, apache2-utils, nghttp2-client)")
    work = tempfile.mkdtemp(); os.chmod(work, 0o755)
    os.makedirs(f"{work}/www")
    open(f"{work}/www/index.html", "w").write("<!DOCTYPE html>\n<html><head><title>Welcome</title></head><body>" + "x" * 530 + "</body></html>\n")
    for _, name, size in FILES:
        if size:
            open(f"{work}/www/{name}", "wb").write(os.urandom(size))
    servers, ports, pids = [], {}, {}
    try:
        for name, sendfile, extra in (("nginx sendfile on", "on", ""), ("nginx sendfile off", "off", ""),
                                      ("nginx sendfile off + open_file_cache", "off",
                                       "open_file_cache max=1000 inactive=60s; open_file_cache_valid 60s;")):
            ports[name] = free_port()
            servers.append(nginx(work, name.replace(" ", "-").replace("+", "and"), ports[name], sendfile, extra))
            wait_port("127.0.0.1", ports[name]); pids[name] = servers[-1].pid
        ports["httpq"] = free_port()
        servers.append(subprocess.Popen([binary, "serve", "--root", f"{work}/www", "--listen", f"127.0.0.1:{ports['httpq']}",
                                         "--idle-timeout", "300"], stdout=subprocess.DEVNULL))
        wait_port("127.0.0.1", ports["httpq"]); pids["httpq"] = servers[-1].pid
        ports["httpq valid 60 s"] = free_port()
        servers.append(subprocess.Popen([binary, "serve", "--root", f"{work}/www", "--listen",
                                         f"127.0.0.1:{ports['httpq valid 60 s']}", "--idle-timeout", "300",
                                         "--kept-files-valid", "60"], stdout=subprocess.DEVNULL))
        wait_port("127.0.0.1", ports["httpq valid 60 s"]); pids["httpq valid 60 s"] = servers[-1].pid
        names = list(ports)
        # Files are kept by httpq once unchanged for two seconds (as after any deploy).
        time.sleep(2.5)
        print(f"### httpq serve beside nginx (median of {runs} alternating; wrk -t1 -c64 -d{seconds}s, "
              f"ab -k -c32 and h2load --h1 -c32 -t1 with a request count sized to about {seconds} s)\n")
        print("| load | file | " + " | ".join(f"{n} req/s" for n in names)
              + " | httpq / nginx sendfile off | httpq / nginx open_file_cache | httpq valid 60 s / nginx open_file_cache"
              + " | httpq / nginx sendfile on | server CPU µs/req " + " / ".join(names) + " |")
        print("|---|---|" + "---:|" * (len(names) + 5))
        for tool in ("wrk", "ab -k", "h2load --h1"):
            for label, path, size in (f for f in FILES if f[0] in chosen):
                # A count that lasts about `seconds` at the rate nginx reached under wrk.
                count = max(2_000, int((40_000 if (size or 0) <= 1024 else 15_000 if size <= 100 * 1024 else 2_500) * seconds))
                rates = {n: [] for n in names}; cpus = {n: [] for n in names}
                for _ in range(runs):
                    for name in names:
                        before = cpu_seconds(pids[name])
                        rate, answered = load(tool.split()[0], f"http://127.0.0.1:{ports[name]}/{path}", seconds, count)
                        rates[name].append(rate)
                        cpus[name].append((cpu_seconds(pids[name]) - before) * 1e6 / answered if answered else float("nan"))
                m = {n: statistics.median(v) for n, v in rates.items()}
                c = {n: statistics.median(v) for n, v in cpus.items()}
                off, on = m["nginx sendfile off"], m["nginx sendfile on"]
                cached = m["nginx sendfile off + open_file_cache"]
                print(f"| {tool} | {label} | " + " | ".join(f"{m[n]:,.0f}" for n in names)
                      + f" | {m['httpq'] / off if off else 0:.2f} | {m['httpq'] / cached if cached else 0:.2f}"
                      + f" | {m['httpq valid 60 s'] / cached if cached else 0:.2f}"
                      + f" | {m['httpq'] / on if on else 0:.2f} | "
                      + " / ".join(f"{c[n]:.1f}" for n in names) + " |", flush=True)
    finally:
        stop_all(servers, work)


if __name__ == "__main__":
    main()
