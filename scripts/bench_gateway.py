#!/usr/bin/env python3
"""A gateway in front of one upstream, side by side in one run, runs alternating:

  bench_gateway.py GATEWAY_EXAMPLE RUNS SECONDS [OTHER_GATEWAY_EXAMPLE]

With OTHER_GATEWAY_EXAMPLE (another build of the example, e.g. the last stop's), it runs
beside the two in the same alternation: the check that a change dropped nothing.

- upstream: nginx, 1 worker, a 615 B page and a 16 KiB file.
- nginx gateway: 1 worker, proxy_pass to an upstream block with keepalive 64
  (proxy_http_version 1.1, Connection ""): nginx's recommended keep-alive proxying.
- httpq gateway: Examples/Gateway, an async handler that awaits client.get(upstream + target)
  and returns it, one loop.
wrk -t1 -c64 against each gateway; requests/s, their ratio, and each gateway's CPU per request.
Bounded: fixed durations, timeouts on every child; starts and stops its servers.
"""
import os, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_http import free_port, wait_port, wrk_alternating, stop_all  # noqa: E402
from compare_builds import cpu_seconds  # noqa: E402


def nginx(work, name, body):
    conf = f"""worker_processes 1; daemon off; master_process off;
error_log {work}/{name}.err; pid {work}/{name}.pid;
events {{ worker_connections 16384; }}
http {{ access_log off; keepalive_requests 1000000; keepalive_timeout 300s;
  client_body_temp_path {work}/b; proxy_temp_path {work}/p; fastcgi_temp_path {work}/f; uwsgi_temp_path {work}/u; scgi_temp_path {work}/s;
  {body} }}"""
    open(f"{work}/{name}.conf", "w").write(conf)
    return subprocess.Popen(["/usr/sbin/nginx", "-p", work, "-c", f"{work}/{name}.conf"])


def main():
    gateway, runs, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    other = sys.argv[4] if len(sys.argv) > 4 else None
    work = tempfile.mkdtemp(); os.chmod(work, 0o755)
    os.makedirs(f"{work}/www")
    open(f"{work}/www/index.html", "w").write("<!DOCTYPE html>\n<html><head><title>Welcome</title></head><body>" + "x" * 530 + "</body></html>\n")
    open(f"{work}/www/16k.bin", "wb").write(os.urandom(16 * 1024))
    up, ng, hq = free_port(), free_port(), free_port()
    servers = []
    try:
        servers.append(nginx(work, "upstream", f"server {{ listen 127.0.0.1:{up}; root {work}/www; }}"))
        wait_port("127.0.0.1", up)
        servers.append(nginx(work, "gateway", f"""upstream up {{ server 127.0.0.1:{up}; keepalive 64; }}
  server {{ listen 127.0.0.1:{ng}; location / {{ proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; }} }}"""))
        wait_port("127.0.0.1", ng)
        servers.append(subprocess.Popen([gateway, f"http://127.0.0.1:{up}", str(hq)], stdout=subprocess.DEVNULL))
        wait_port("127.0.0.1", hq)
        ports = {"nginx proxy_pass": ng, "httpq async handler": hq}
        pids = {"nginx proxy_pass": servers[1].pid, "httpq async handler": servers[2].pid}
        if other:
            ob = free_port()
            servers.append(subprocess.Popen([other, f"http://127.0.0.1:{up}", str(ob)], stdout=subprocess.DEVNULL))
            wait_port("127.0.0.1", ob)
            ports["other build"], pids["other build"] = ob, servers[-1].pid
        print(f"### Gateway to one upstream (wrk -t1 -c64 -d{seconds}s, median of {runs} alternating)\n")
        extra = " | other build req/s | other build/nginx" if other else ""
        print(f"| file | nginx proxy_pass req/s | httpq async handler req/s | httpq/nginx{extra} | gateway CPU µs/req nginx / httpq"
              + (" / other build |" if other else " |"))
        print("|---|---:|---:|---:|" + ("---:|---:|" if other else "") + "---:|")
        labels = ("615 B", "16 KiB")
        for label, (m, c) in zip(labels, wrk_alternating(ports, pids, ("index.html", "16k.bin"), runs, seconds, cpu_seconds)):
            cells = f" | {m['other build']:,.0f} | {m['other build'] / m['nginx proxy_pass']:.2f}x" if other else ""
            cpu = f" / {c['other build']:.1f}" if other else ""
            print(f"| {label} | {m['nginx proxy_pass']:,.0f} | {m['httpq async handler']:,.0f} | "
                  f"{m['httpq async handler'] / m['nginx proxy_pass']:.2f}x{cells} | {c['nginx proxy_pass']:.1f} / {c['httpq async handler']:.1f}{cpu} |")
    finally:
        stop_all(servers, work)


if __name__ == "__main__":
    main()
