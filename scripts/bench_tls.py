#!/usr/bin/env python3
"""TLS figures (issue 9), side by side in one run, every peer on loopback and started here.

  bench_tls.py RUNS SECONDS

One test CA and one server certificate (EC P-256) made with openssl for everyone; the same
615-byte file; nginx with one worker and `httpq serve --threads 1`, both TLS 1.2 + 1.3.

Server (wrk -t1 or curl as the load, the same for both servers):
  kept-alive      wrk -t1 -c64: requests/s and server CPU per request
  resumed         wrk -t1 -c16 -H 'Connection: close': a new connection per request, the TLS
                  session resumed (wrk keeps it): handshakes/s and server CPU per handshake
  full            curl -Z --parallel-max 16 --no-sessionid -H 'Connection: close' over N URLs:
                  a full handshake per request: handshakes/s and server CPU per handshake
  idle memory     resident memory per idle kept-alive TLS connection (1,000 connections,
                  each after one request), from /proc/PID/status VmRSS
Client (against nginx; wrk does not verify certificates, httpq does):
  kept-alive      httpq load -c64 vs wrk -t1 -c64: requests/s and client CPU per request
  resumed         httpq load -c16 vs wrk -t1 -c16, both with 'Connection: close'

Each contender runs RUNS times, alternating; figures are medians. Server CPU is read from
/proc/PID/stat around each run; client CPU is the child's user + system time. Bounded:
fixed durations and URL counts, a timeout on every child.
"""
import os, socket, ssl, statistics, subprocess, sys, tempfile, shutil, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_http import HTTPQ, free_port, wait_port, run, requests_of

TICK = os.sysconf("SC_CLK_TCK")
PAGE = "<!DOCTYPE html>\n<html><head><title>Welcome</title></head><body>" + "x" * 530 + "</body></html>\n"

def openssl(*arguments):
    subprocess.run(["openssl", *arguments], check=True, capture_output=True, timeout=60)

def make_pki(work):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{work}/ca.key", "-out", f"{work}/ca.pem", "-days", "2", "-subj", "/CN=bench CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{work}/server.key", "-out", f"{work}/server.csr", "-subj", "/CN=localhost")
    open(f"{work}/ext", "w").write("subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", f"{work}/server.csr", "-CA", f"{work}/ca.pem", "-CAkey", f"{work}/ca.key",
            "-CAcreateserial", "-out", f"{work}/server.pem", "-days", "2", "-extfile", f"{work}/ext")

def start_nginx(work, port):
    conf = f"""worker_processes 1; daemon off; master_process off;
error_log {work}/error.log; pid {work}/nginx.pid;
events {{ worker_connections 16384; }}
http {{ access_log off; keepalive_requests 1000000; keepalive_timeout 300s;
  client_body_temp_path {work}/b; proxy_temp_path {work}/p; fastcgi_temp_path {work}/f; uwsgi_temp_path {work}/u; scgi_temp_path {work}/s;
  server {{ listen 127.0.0.1:{port} ssl; root {work}/www;
    ssl_certificate {work}/server.pem; ssl_certificate_key {work}/server.key; ssl_protocols TLSv1.2 TLSv1.3; }} }}"""
    open(f"{work}/nginx.conf", "w").write(conf)
    process = subprocess.Popen(["/usr/sbin/nginx", "-p", work, "-c", f"{work}/nginx.conf"])
    wait_port("127.0.0.1", port)
    return process

def start_httpq(work, port):
    process = subprocess.Popen([HTTPQ, "serve", "--threads", "1", "--root", f"{work}/www", "--idle-timeout", "300",
                                "--listen", f"127.0.0.1:{port}", "--tls-cert", f"{work}/server.pem",
                                "--tls-key", f"{work}/server.key"], stdout=subprocess.DEVNULL)
    wait_port("127.0.0.1", port)
    return process

def cpu_of(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK

def server_run(pid, command, timeout, count_of):
    """(requests per second, server CPU µs per request) of one load run against `pid`."""
    before = cpu_of(pid)
    out, wall, _ = run(command, timeout)
    spent = cpu_of(pid) - before
    rate, count = count_of(out, wall)
    return rate, spent / max(count, 1) * 1e6

def wrk_counts(out, wall):
    rate, count = requests_of(out)
    return rate, count or int(rate * wall)

def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

def idle_bytes(port, pid, ca, count=1000):
    """Resident memory growth per idle TLS connection that made one request."""
    context = ssl.create_default_context(cafile=ca)
    def connect():
        tls = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname="localhost")
        tls.sendall(b"GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n")
        got = b""
        while b"</html>" not in got:
            chunk = tls.recv(65536)
            if not chunk: raise SystemExit("connection closed early")
            got += chunk
        return tls
    warm = [connect() for _ in range(16)]  # first-use allocations are not counted
    time.sleep(0.3)
    before = rss_kib(pid)
    clients = [connect() for _ in range(count)]
    time.sleep(0.5)
    after = rss_kib(pid)
    for s in clients + warm: s.close()
    return (after - before) * 1024 / count

def median_pair(samples):
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)

def print_table(title, who, rows, baseline):
    """rows: (load, contender, requests/s, CPU µs/request); ratios against the `baseline` contender of each load."""
    print(title + "\n")
    print(f"| load | {who} | requests/s | {who} CPU µs/request | req/s vs {baseline} | CPU vs {baseline} |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for mode, name, rate, us in rows:
        base = next(r for r in rows if r[0] == mode and r[1].startswith(baseline))
        print(f"| {mode} | {name} | {rate:,.0f} | {us:.1f} | {rate / base[2]:.2f}x | {us / base[3]:.2f}x |")

def main(runs, seconds):
    import resource
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # 1,000 idle connections, and the servers inherit it
    work = tempfile.mkdtemp(); os.chmod(work, 0o755)
    os.makedirs(f"{work}/www"); open(f"{work}/www/index.html", "w").write(PAGE)
    make_pki(work)
    nginx_port, httpq_port = free_port(), free_port()
    servers = {"nginx (1 worker)": start_nginx(work, nginx_port), "httpq serve --threads 1": start_httpq(work, httpq_port)}
    ports = {"nginx (1 worker)": nginx_port, "httpq serve --threads 1": httpq_port}
    full_urls = 3000
    try:
        rows = []
        modes = {
            "kept-alive (wrk -t1 -c64)": lambda url: (["wrk", "-t1", "-c64", f"-d{seconds}s", url], wrk_counts),
            "resumed handshake per request (wrk -t1 -c16, Connection: close)":
                lambda url: (["wrk", "-t1", "-c16", f"-d{seconds}s", "-H", "Connection: close", url], wrk_counts),
            f"full handshake per request (curl -Z, {full_urls} URLs, --no-sessionid)":
                lambda url: (["curl", "-s", "--noproxy", "*", "--cacert", f"{work}/ca.pem", "--no-sessionid", "-Z",
                              "--parallel-max", "16", "-H", "Connection: close", "-o", "/dev/null", "-w", "%{http_code}\n"]
                             + [url] * full_urls,
                             lambda out, wall: (out.count("200") / wall, out.count("200"))),
        }
        for mode, make in modes.items():
            samples = {name: [] for name in servers}
            for _ in range(runs):
                for name, process in servers.items():
                    command, counter = make(f"https://127.0.0.1:{ports[name]}/index.html")
                    samples[name].append(server_run(process.pid, command, seconds + 120, counter))
            for name in servers:
                rows.append((mode, name, *median_pair(samples[name])))
        print_table(f"### TLS server: one thread each, same certificate (P-256), TLS 1.3, {seconds} s per run, median of {runs}",
                    "server", rows, "nginx")
        memory = {name: idle_bytes(ports[name], process.pid, f"{work}/ca.pem") for name, process in servers.items()}
        base = memory["nginx (1 worker)"]
        print("\n| idle kept-alive TLS connections (1,000, one request each) | resident bytes per connection | vs nginx |")
        print("| --- | ---: | ---: |")
        for name, value in memory.items():
            print(f"| {name} | {value:,.0f} | {value / base:.2f}x |")

        url = f"https://127.0.0.1:{nginx_port}/index.html"
        clients = {
            "wrk -t1 (no verification)": lambda c, extra: ["wrk", "-t1", f"-c{c}", f"-d{seconds}s", *extra, url],
            "httpq load (verifies)": lambda c, extra: [HTTPQ, "load", "-c", str(c), "-d", str(seconds),
                                                       "--cacert", f"{work}/ca.pem", *extra, url],
        }
        rows = []
        for label, connections, extra in (("kept-alive", 64, []), ("resumed, Connection: close", 16, ["-H", "Connection: close"])):
            samples = {name: [] for name in clients}
            for _ in range(runs):
                for name, command in clients.items():
                    out, wall, cpu = run(command(connections, extra), seconds + 60)
                    rate, count = wrk_counts(out, wall)
                    samples[name].append((rate, cpu / max(count, 1) * 1e6))
            for name in clients:
                rows.append((f"{label}, {connections} connections", name, *median_pair(samples[name])))
        print_table(f"\n### TLS client: one thread each against nginx (1 worker), {seconds} s per run, median of {runs}",
                    "client", rows, "wrk")
    finally:
        for process in servers.values():
            process.terminate(); process.wait(timeout=30)
        shutil.rmtree(work)

if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(int(sys.argv[1]), int(sys.argv[2]))
