#!/usr/bin/env python3
"""Upload memory (issue 14 item 7), httpq beside curl and nginx in one run:

  upload_memory.py HTTPQ SIZE_MIB STALLED

1. Peak resident memory of client and server while one SIZE_MIB file is PUT:
   httpq fetch -T -> httpq serve --allow-put, curl -T -> httpq serve, httpq fetch -T -> nginx
   (dav_methods PUT), each also with a 1 MiB file, so the growth with size shows apart from
   the fixed cost of a process.
2. Resident memory per stalled upload: STALLED connections each send a PUT head declaring
   1 GiB and 64 KiB of body, then stall; the server's growth divided by STALLED, for
   httpq serve and nginx.

A client's peak is the kernel's (wait4 ru_maxrss); a server's is the highest VmRSS sampled
every 20 ms during the upload. Starts its own
servers on loopback; bounded in time; cleans up.
"""
import os, socket, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_http import free_port, wait_port  # noqa: E402


def rss_kib(pid, field="VmRSS"):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def sampled_peak(command, watch_pids, timeout=300):
    """Runs command, sampling watch_pids' VmRSS every 20 ms; returns (status, the command's
    peak RSS from the kernel (wait4's ru_maxrss, KiB), the watched processes' peaks)."""
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server_peaks = {p: rss_kib(p) for p in watch_pids}
    deadline = time.time() + timeout
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid == child.pid:
            break
        if time.time() > deadline:
            child.kill()
        for p in watch_pids:
            server_peaks[p] = max(server_peaks[p], rss_kib(p))
        time.sleep(0.02)
    child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, usage.ru_maxrss, server_peaks


def httpq_server(httpq, root):
    port = free_port()
    process = subprocess.Popen([httpq, "serve", "--allow-put", "--root", root, "--listen", f"127.0.0.1:{port}",
                                "--max-upload-bytes", str(64 << 30), "--idle-timeout", "120"],
                               stdout=subprocess.DEVNULL)
    wait_port("127.0.0.1", port)
    return process, process.pid, port


def nginx_server(work, root):
    port = free_port()
    conf = f"""worker_processes 1; daemon off; master_process off;
error_log {work}/error.log; pid {work}/nginx.pid;
events {{ worker_connections 4096; }}
http {{ access_log off; client_max_body_size 64g; client_body_timeout 120s;
  client_body_temp_path {work}/b; proxy_temp_path {work}/p; fastcgi_temp_path {work}/f; uwsgi_temp_path {work}/u; scgi_temp_path {work}/s;
  server {{ listen 127.0.0.1:{port}; root {root}; dav_methods PUT; create_full_put_path off; }} }}
"""
    open(f"{work}/nginx.conf", "w").write(conf)
    process = subprocess.Popen(["/usr/sbin/nginx", "-p", work, "-c", f"{work}/nginx.conf"], stderr=subprocess.DEVNULL)
    wait_port("127.0.0.1", port)
    return process, process.pid, port


def stalled(pid, port, count):
    """Server RSS growth per connection that sent a head and 64 KiB of a 1 GiB PUT, then stalled."""
    time.sleep(0.3)
    before = rss_kib(pid)
    sockets = []
    block = b"s" * 65536
    for index in range(count):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(f"PUT /stalled-{index} HTTP/1.1\r\nHost: x\r\nContent-Length: {1 << 30}\r\n\r\n".encode() + block)
        sockets.append(s)
    time.sleep(1.5)  # let the server read what it will
    after = rss_kib(pid)
    for s in sockets:
        s.close()
    return (after - before) / count


def main():
    httpq, size_mib, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    work = tempfile.mkdtemp(prefix="upload-memory-")
    for sub in ("www", "nginx-www", "nginx"):
        os.makedirs(f"{work}/{sub}")
    os.chmod(work, 0o755)
    big, small = f"{work}/big.bin", f"{work}/small.bin"
    with open(big, "wb") as f:  # real bytes (not sparse), written once
        chunk = os.urandom(1 << 20)
        for _ in range(size_mib):
            f.write(chunk)
    with open(small, "wb") as f:
        f.write(os.urandom(1 << 20))
    servers = []
    try:
        hq, hq_pid, hq_port = httpq_server(httpq, f"{work}/www")
        ng, ng_pid, ng_port = nginx_server(f"{work}/nginx", f"{work}/nginx-www")
        servers = [hq, ng]
        print(f"### Upload memory: one PUT of {size_mib} MiB (and of 1 MiB), peak resident KiB\n")
        print("| client -> server | file | client peak | server peak | intact |")
        print("| --- | ---: | ---: | ---: | --- |")
        cases = [
            ("httpq fetch -T -> httpq serve", lambda f: [httpq, "fetch", "-T", f, f"http://127.0.0.1:{hq_port}/up.bin"], hq_pid, f"{work}/www/up.bin"),
            ("curl -T -> httpq serve", lambda f: ["curl", "-s", "--noproxy", "*", "-o", "/dev/null", "-T", f, f"http://127.0.0.1:{hq_port}/curl.bin"], hq_pid, f"{work}/www/curl.bin"),
            ("httpq fetch -T -> nginx (dav PUT)", lambda f: [httpq, "fetch", "-T", f, f"http://127.0.0.1:{ng_port}/up.bin"], ng_pid, f"{work}/nginx-www/up.bin"),
        ]
        for name, command, pid, stored in cases:
            for label, path in (("1 MiB", small), (f"{size_mib} MiB", big)):
                status, client_peak, server_peaks = sampled_peak(command(path), [pid])
                intact = status == 0 and os.path.getsize(stored) == os.path.getsize(path)
                print(f"| {name} | {label} | {client_peak} | {server_peaks[pid]} | {'yes' if intact else 'NO (status %d)' % status} |")
                os.unlink(stored)
        print(f"\n### Stalled uploads: {count} connections, each a head declaring 1 GiB and 64 KiB of body, then silence\n")
        print("| server | resident KiB per stalled upload |")
        print("| --- | ---: |")
        print(f"| httpq serve --allow-put | {stalled(hq_pid, hq_port, count):.1f} |")
        print(f"| nginx (dav PUT, 1 worker) | {stalled(ng_pid, ng_port, count):.1f} |")
    finally:
        for s in servers:
            s.kill()
            s.wait()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
