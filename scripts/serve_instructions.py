#!/usr/bin/env python3
"""User-space instructions per request of a server, counted by callgrind (valgrind):

  serve_instructions.py HTTPQ [FILE] [SECONDS]

Wall-clock figures on this 2-core machine move by 10-20% between runs; instruction counts
move by about 1%, so they show what a change to the server's code did. Counts `httpq serve`
(plain, with the combined access log, with the JSON one) and nginx (one worker, sendfile off,
access log off, then on) answering FILE (default a 615-byte page) under `wrk -t1 -c16` for
SECONDS (default 4) while callgrind counts; the kernel's share is not counted (nginx: read,
openat, fstat, pread, close, one write; httpq, the file kept in memory: read, fstatat, one
write).

The httpq binary is copied without its debug sections first: valgrind 3.19 cannot read the
DWARF Swift 6.3 writes ("Possibly corrupted debuginfo file").
Bounded: fixed durations, timeouts; starts and stops its servers.
"""
import glob, os, re, shutil, socket, subprocess, sys, tempfile, time


def wait(port, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close(); return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"nothing listens on 127.0.0.1:{port}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


def count(command, port, path, seconds, work, name):
    """Instructions per answered request, all threads of `command` (the loop, a log's writer)."""
    out = f"{work}/cg.{name}"
    process = subprocess.Popen(["valgrind", "--tool=callgrind", "--separate-threads=yes", f"--callgrind-out-file={out}.%p"] + command,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait(port)
        subprocess.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}/{path}"], timeout=30)
        subprocess.run(["callgrind_control", "-z", str(process.pid)], capture_output=True, timeout=30)
        result = subprocess.run(["wrk", "-t1", "-c16", f"-d{seconds}s", "--timeout", "10s", f"http://127.0.0.1:{port}/{path}"],
                                capture_output=True, text=True, timeout=seconds + 60).stdout
        time.sleep(0.3)  # one flush of an access log's writer
        subprocess.run(["callgrind_control", "-d", str(process.pid)], capture_output=True, timeout=30)
        time.sleep(1)
    finally:
        process.terminate(); process.wait(timeout=60)
    requests = int(re.search(r"(\d+) requests in", result).group(1))
    total = 0
    # Every thread's files: the dump taken after the run, and what came after it until exit.
    for file in glob.glob(f"{out}.{process.pid}*"):
        for line in open(file, errors="replace"):
            if line.startswith(("summary:", "totals:")):
                total += int(line.split()[1]); break
    return requests, total / requests


def main():
    binary = sys.argv[1]
    path = sys.argv[2] if len(sys.argv) > 2 else "index.html"
    seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    for tool in ("valgrind", "callgrind_control", "wrk", "curl"):
        if not shutil.which(tool):
            sys.exit(f"serve_instructions: {tool} is missing (Debian valgrind, wrk, curl)")
    work = tempfile.mkdtemp(); os.chmod(work, 0o755)
    os.makedirs(f"{work}/www")
    open(f"{work}/www/index.html", "w").write("<!DOCTYPE html>\n<html><head><title>Welcome</title></head><body>" + "x" * 530 + "</body></html>\n")
    time.sleep(2.5)  # httpq keeps a small file once it has been unchanged for two seconds
    stripped = f"{work}/httpq"
    subprocess.run(["objcopy", "--strip-debug", binary, stripped], check=True)
    try:
        print(f"### User-space instructions per request (callgrind, wrk -t1 -c16 -d{seconds}s, /{path})\n")
        print("| server | requests counted | instructions / request |")
        print("|---|---:|---:|")
        for name, extra in (("httpq serve", []), ("httpq serve, combined log", ["--access-log", f"{work}/a.log"]),
                            ("httpq serve, JSON log", ["--access-log", f"{work}/a.json", "--log-format", "json"])):
            port = free_port()
            requests, per = count([stripped, "serve", "--root", f"{work}/www", "--listen", f"127.0.0.1:{port}", "--idle-timeout", "300"] + extra,
                                  port, path, seconds, work, name.replace(" ", "_").replace(",", ""))
            print(f"| {name} | {requests:,} | {per:,.0f} |", flush=True)
        for name, log in (("nginx, sendfile off", "off"), ("nginx, sendfile off, combined log", f"{work}/n.log combined")):
            port = free_port()
            conf = f"""worker_processes 1; daemon off; master_process off; error_log {work}/n.err; pid {work}/n.pid;
events {{ worker_connections 1024; }}
http {{ access_log {log}; keepalive_requests 1000000; keepalive_timeout 300s; include /etc/nginx/mime.types; sendfile off;
  client_body_temp_path {work}/b; proxy_temp_path {work}/p; fastcgi_temp_path {work}/f; uwsgi_temp_path {work}/u; scgi_temp_path {work}/s;
  server {{ listen 127.0.0.1:{port}; root {work}/www; }} }}"""
            open(f"{work}/n.conf", "w").write(conf)
            requests, per = count(["/usr/sbin/nginx", "-p", work, "-c", f"{work}/n.conf"], port, path, seconds, work,
                                  "nginx" + ("_log" if log != "off" else ""))
            print(f"| {name} | {requests:,} | {per:,.0f} |", flush=True)
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
