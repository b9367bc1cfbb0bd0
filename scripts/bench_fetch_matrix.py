#!/usr/bin/env python3
"""`httpq fetch` beside `curl -Z --parallel-max 100` on workloads varied one axis at a time:

  bench_fetch_matrix.py HTTPQ RUNS [--old OLD_HTTPQ] [--concurrency N] [CELL ...]

Cells (names to pick some): bodies of 0.5, 4, 16 and 64 KiB; 10, 100 and 2,000 hosts; URLs in
host-by-host order or shuffled; 5,000 and 50,000 URLs. One nginx (1 worker) listens on every
host address (127.0.4.1 ...); every host serves the same 50 files. Both clients get the same
list with 100 in flight (httpq: --per-host 6); runs alternate; medians of RUNS. Reported per
cell: wall time and CPU (user + system) of each, and curl's over httpq's (above 1: httpq
better; the target of issue 17 is 2x on both). With --old, another build of httpq runs in the
same rounds, and its figures follow (an A/B of two builds beside the same curl). With
--concurrency N, both get N in flight instead of 100 (curl --parallel-max N, httpq
--concurrency N): fewer in flight than hosts is a workload of its own.
Bounded: fixed lists, a timeout on every child; starts and stops its nginx.
"""
import os, random, shutil, statistics, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_http import free_port, wait_port, run  # noqa: E402

# name: (hosts, urls, KiB per body, order)
CELLS = {
    "body-0.5k": (100, 5_000, 0.5, "shuffled"),
    "body-4k": (100, 5_000, 4, "shuffled"),
    "body-16k": (100, 5_000, 16, "shuffled"),
    "body-64k": (100, 5_000, 64, "shuffled"),
    "hosts-10": (10, 5_000, 1, "shuffled"),
    "hosts-100": (100, 5_000, 1, "shuffled"),
    "hosts-2000": (2_000, 5_000, 1, "shuffled"),
    "order-by-host": (100, 5_000, 1, "by-host"),
    "urls-50k": (100, 50_000, 1, "shuffled"),
    "urls-50k-2000-hosts": (2_000, 50_000, 1, "shuffled"),
}


def addresses(count):
    return [f"127.0.{4 + i // 250}.{1 + i % 250}" for i in range(count)]


def start_nginx(work, hosts):
    port = free_port()
    listens = " ".join(f"listen {a}:{port};" for a in addresses(hosts))
    conf = f"""worker_processes 1; daemon off; master_process off; worker_rlimit_nofile 65536;
error_log {work}/error.log; pid {work}/nginx.pid;
events {{ worker_connections 16384; }}
http {{ access_log off; keepalive_requests 1000000; keepalive_timeout 300s;
  client_body_temp_path {work}/b; proxy_temp_path {work}/p; fastcgi_temp_path {work}/f; uwsgi_temp_path {work}/u; scgi_temp_path {work}/s;
  server {{ {listens} root {work}/www; sendfile on; }} }}"""
    open(f"{work}/nginx.conf", "w").write(conf)
    process = subprocess.Popen(["/usr/sbin/nginx", "-p", work, "-c", f"{work}/nginx.conf"])
    wait_port(addresses(hosts)[-1], port)
    return process, port


def cell(httpq, name, runs, old=None, concurrency=100):
    hosts, count, kib, order = CELLS[name]
    work = tempfile.mkdtemp(); os.chmod(work, 0o755)
    os.makedirs(f"{work}/www/f")
    rng = random.Random(17)
    for file in range(50):
        size = max(1, int(kib * 1024 * (0.9 + 0.2 * file / 49)))
        open(f"{work}/www/f/{file}.bin", "wb").write(rng.randbytes(size))
    server, port = start_nginx(work, hosts)
    try:
        names = addresses(hosts)
        urls = [f"http://{names[i % hosts]}:{port}/f/{(i // hosts) % 50}.bin" for i in range(count)]
        if order == "by-host":
            urls.sort(key=lambda u: u.split("/")[2])
        else:
            rng.shuffle(urls)
        open(f"{work}/urls.txt", "w").write("\n".join(urls) + "\n")
        with open(f"{work}/curl.cfg", "w") as cfg:
            for u in urls:
                cfg.write(f'url = "{u}"\noutput = "/dev/null"\n')
        contenders = {
            "curl": ["curl", "-s", "--noproxy", "*", "-Z", "--parallel-max", str(concurrency), "-K", f"{work}/curl.cfg"],
            "httpq": [httpq, "fetch", "--urls", f"{work}/urls.txt", "--concurrency", str(concurrency), "--per-host", "6"],
        }
        if old:
            contenders["old"] = [old] + contenders["httpq"][1:]
        samples = {who: [] for who in contenders}
        for _ in range(runs):
            for who, command in contenders.items():
                _, wall, cpu = run(command, timeout=600)
                samples[who].append((wall, cpu))
        wall = {who: statistics.median(s[0] for s in samples[who]) for who in contenders}
        cpu = {who: statistics.median(s[1] for s in samples[who]) for who in contenders}
        return hosts, count, kib, order, wall, cpu
    finally:
        server.terminate(); server.wait(timeout=30); shutil.rmtree(work)


def main():
    httpq, runs = sys.argv[1], int(sys.argv[2])
    rest, old = sys.argv[3:], None
    concurrency = 100
    while rest[:1] in (["--old"], ["--concurrency"]):
        if rest[0] == "--old":
            old = rest[1]
        else:
            concurrency = int(rest[1])
        rest = rest[2:]
    names = rest or list(CELLS)
    print(f"### httpq fetch beside curl -Z --parallel-max {concurrency} ({concurrency} in flight, median of {runs} alternating)\n")
    print("| cell | hosts | URLs | body | order | curl wall s | httpq wall s | wall curl/httpq | curl CPU s | httpq CPU s | CPU curl/httpq |")
    extra = " old wall s | old wall curl/old | old CPU s | old CPU curl/old |" if old else ""
    print("| cell | hosts | URLs | body | order | curl wall s | httpq wall s | wall curl/httpq | curl CPU s | httpq CPU s | CPU curl/httpq |" + extra)
    print("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|" + ("---:|" * 4 if old else ""))
    for name in names:
        hosts, count, kib, order, wall, cpu = cell(httpq, name, runs, old, concurrency)
        line = (f"| {name} | {hosts:,} | {count:,} | {kib:g} KiB | {order} | {wall['curl']:.2f} | {wall['httpq']:.2f} | "
                f"{wall['curl'] / wall['httpq']:.2f}x | {cpu['curl']:.2f} | {cpu['httpq']:.2f} | {cpu['curl'] / cpu['httpq']:.2f}x |")
        if old:
            line += (f" {wall['old']:.2f} | {wall['curl'] / wall['old']:.2f}x | {cpu['old']:.2f} | "
                     f"{cpu['curl'] / cpu['old']:.2f}x |")
        print(line, flush=True)


if __name__ == "__main__":
    main()
