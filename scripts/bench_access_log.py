#!/usr/bin/env python3
"""What the access log costs, side by side in one run, runs alternating:

  bench_access_log.py HTTPQ RUNS SECONDS

httpq serve without a log, with --access-log FILE (combined), and with --log-format json;
nginx without a log and with `access_log FILE combined` (its default when logging is on).
wrk -t1 -c64 on a 615 B page and a 100 KiB file, and on the page with a browser's User-Agent
and Referer (which the log writes and wrk does not send); requests/s and server CPU per request.
The issue's bar: logging costs httpq at most 5% of its requests/s. Bounded: fixed durations,
timeouts on every child; starts and stops its servers.
"""
import os, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_http import free_port, wait_port, wrk_alternating, stop_all  # noqa: E402
from compare_builds import cpu_seconds  # noqa: E402


def nginx(work, root, port, log):
    name = f"ng-{'log' if log else 'off'}"
    conf = f"""worker_processes 1; daemon off; master_process off;
error_log {work}/{name}.err; pid {work}/{name}.pid;
events {{ worker_connections 16384; }}
http {{ access_log {f'{work}/{name}.log combined' if log else 'off'}; keepalive_requests 1000000; keepalive_timeout 300s;
  include /etc/nginx/mime.types;
  client_body_temp_path {work}/b; proxy_temp_path {work}/p; fastcgi_temp_path {work}/f; uwsgi_temp_path {work}/u; scgi_temp_path {work}/s;
  server {{ listen 127.0.0.1:{port}; root {root}; sendfile on; }} }}"""
    open(f"{work}/{name}.conf", "w").write(conf)
    process = subprocess.Popen(["/usr/sbin/nginx", "-p", work, "-c", f"{work}/{name}.conf"])
    wait_port("127.0.0.1", port)
    return process


def main():
    binary, runs, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    work = tempfile.mkdtemp(); os.chmod(work, 0o755)
    os.makedirs(f"{work}/www")
    open(f"{work}/www/index.html", "w").write("<!DOCTYPE html>\n<html><head><title>Welcome</title></head><body>" + "x" * 530 + "</body></html>\n")
    open(f"{work}/www/100k.bin", "wb").write(os.urandom(100 * 1024))
    time.sleep(2.5)  # httpq keeps a small file once it has been unchanged for two seconds
    servers, ports, pids = [], {}, {}
    try:
        for name, log in (("nginx off", False), ("nginx combined", True)):
            port = free_port()
            servers.append(nginx(work, f"{work}/www", port, log))
            ports[name], pids[name] = port, servers[-1].pid
        for name, extra in (("httpq off", []), ("httpq combined", ["--access-log", f"{work}/httpq.log"]),
                            ("httpq json", ["--access-log", f"{work}/httpq.json", "--log-format", "json"])):
            port = free_port()
            servers.append(subprocess.Popen([binary, "serve", "--root", f"{work}/www", "--listen", f"127.0.0.1:{port}",
                                             "--idle-timeout", "300"] + extra, stdout=subprocess.DEVNULL))
            wait_port("127.0.0.1", port)
            ports[name], pids[name] = port, servers[-1].pid
        print(f"### Access log cost (wrk -t1 -c64 -d{seconds}s, median of {runs} alternating)\n")
        print("| file | " + " | ".join(f"{n} req/s" for n in ports) + " | httpq combined/off | httpq json/off | nginx combined/off | CPU µs/req " + " / ".join(ports) + " |")
        print("|---|" + "---:|" * (len(ports) + 4))
        labels = ("615 B", "100 KiB", "615 B, browser-like request")
        # wrk sends no User-Agent or Referer; a browser sends both, and the log writes them.
        browser = ("-H", "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
                   "-H", "Referer: http://example.com/some/page.html")
        results = wrk_alternating(ports, pids, ("index.html", "100k.bin"), runs, seconds, cpu_seconds) \
            + wrk_alternating(ports, pids, ("index.html",), runs, seconds, cpu_seconds, extra=browser)
        for label, (m, c) in zip(labels, results):
            print(f"| {label} | " + " | ".join(f"{m[n]:,.0f}" for n in ports)
                  + f" | {m['httpq combined'] / m['httpq off']:.3f} | {m['httpq json'] / m['httpq off']:.3f}"
                  + f" | {m['nginx combined'] / m['nginx off']:.3f} | " + " / ".join(f"{c[n]:.1f}" for n in ports) + " |")
        lines = sum(1 for _ in open(f"{work}/httpq.log"))
        print(f"\nhttpq wrote {lines:,} combined lines.")
    finally:
        stop_all(servers, work)


if __name__ == "__main__":
    main()
