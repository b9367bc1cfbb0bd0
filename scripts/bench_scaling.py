#!/usr/bin/env python3
"""How cost grows with work (issue 17 item 5), each should be linear:

  bench_scaling.py HTTPQ OUT_PNG [--quick]

- fetch: 5,000 / 50,000 / 200,000 URLs (1 KiB bodies, 100 hosts of one nginx, shuffled):
  wall time, CPU and peak memory (max RSS) of `httpq fetch`.
- parse: a response with a 1 MiB ... 1 GiB body (Content-Length) fed to `httpq parse` in
  1-byte (up to 64 MiB), 1 KiB and 64 KiB pieces: wall time and max RSS (parse prints the
  body, so it holds it: memory should grow with the body, time with bytes and pieces).
- serve: `httpq serve` with 1,000 and 10,000 idle keep-alive connections (each after one
  request): its RSS above its idle baseline, per connection.
Prints tables and draws OUT_PNG (gnuplot). Bounded: fixed sizes, timeouts; starts and stops
its servers. --quick: the smaller sizes only.
"""
import os, random, resource, shutil, socket, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_http import free_port, wait_port  # noqa: E402
from bench_fetch_matrix import start_nginx, addresses  # noqa: E402


def measured(command, stdin=None, timeout=900):
    """(wall s, cpu s, max RSS KiB) of one child, by wait4 (its own rusage, not all children's);
    a child that fails stops the benchmark (a failure measured is no figure)."""
    start = time.monotonic()
    child = subprocess.Popen(command, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = start + timeout
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            child.kill()
            raise SystemExit(f"timed out: {command[:3]}")
        time.sleep(0.002)
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        raise SystemExit(f"failed ({status}): {' '.join(command)}")
    return time.monotonic() - start, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def fetch(httpq, counts):
    work = tempfile.mkdtemp(); os.chmod(work, 0o755)
    os.makedirs(f"{work}/www/f")
    rng = random.Random(5)
    for file in range(50):
        open(f"{work}/www/f/{file}.bin", "wb").write(rng.randbytes(1024))
    server, port = start_nginx(work, 100)
    rows = []
    try:
        names = addresses(100)
        for count in counts:
            urls = [f"http://{names[i % 100]}:{port}/f/{(i // 100) % 50}.bin" for i in range(count)]
            rng.shuffle(urls)
            open(f"{work}/urls.txt", "w").write("\n".join(urls) + "\n")
            wall, cpu, rss = measured([httpq, "fetch", "--urls", f"{work}/urls.txt", "--concurrency", "100", "--per-host", "6"])
            rows.append((count, wall, cpu, rss))
            time.sleep(2)  # let TIME_WAIT sockets of the run not crowd the next one's connects
    finally:
        server.terminate(); server.wait(timeout=30); shutil.rmtree(work)
    return rows


def parse(httpq, sizes_mib, feeds):
    work = tempfile.mkdtemp()
    rows = []
    try:
        for mib in sizes_mib:
            path = f"{work}/message"
            with open(path, "wb") as out:
                out.write(f"HTTP/1.1 200 OK\r\nContent-Length: {mib << 20}\r\n\r\n".encode())
                block = bytes(range(256)) * 4096
                for _ in range(mib):
                    out.write(block)
            for feed in feeds:
                if feed == 1 and mib > 64:
                    continue
                with open(path, "rb") as source:
                    wall, cpu, rss = measured([httpq, "parse", "--chunk-size", str(feed), "--max-body-bytes", str(mib << 20)],
                                              stdin=source)
                rows.append((mib, feed, wall, cpu, rss))
    finally:
        shutil.rmtree(work)
    return rows


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def serve(httpq, counts):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    work = tempfile.mkdtemp(); os.chmod(work, 0o755)
    open(f"{work}/index.html", "w").write("hello\n")
    port = free_port()
    server = subprocess.Popen([httpq, "serve", "--root", work, "--listen", f"127.0.0.1:{port}", "--idle-timeout", "600"],
                              stdout=subprocess.DEVNULL)
    rows = []
    try:
        wait_port("127.0.0.1", port)
        time.sleep(0.3)
        baseline = rss_kib(server.pid)
        sockets = []
        for count in counts:
            while len(sockets) < count:
                s = socket.create_connection(("127.0.0.1", port))
                s.sendall(b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n")
                s.recv(4096)
                sockets.append(s)
            time.sleep(0.5)
            rows.append((count, rss_kib(server.pid) - baseline))
        for s in sockets:
            s.close()
    finally:
        server.terminate(); server.wait(timeout=30); shutil.rmtree(work)
    return rows


def main():
    httpq, png = sys.argv[1], sys.argv[2]
    quick = "--quick" in sys.argv
    fetch_rows = fetch(httpq, [5_000, 50_000] if quick else [5_000, 50_000, 200_000])
    print("### fetch: URLs -> wall, CPU, peak memory (100 hosts, 1 KiB bodies, shuffled)\n")
    print("| URLs | wall s | CPU s | CPU µs per URL | max RSS MiB |")
    print("|---:|---:|---:|---:|---:|")
    for count, wall, cpu, rss in fetch_rows:
        print(f"| {count:,} | {wall:.2f} | {cpu:.2f} | {cpu / count * 1e6:.1f} | {rss / 1024:.1f} |")
    parse_rows = parse(httpq, [1, 16, 64] if quick else [1, 4, 16, 64, 256, 1024], [1, 1024, 65536])
    print("\n### parse: body size x feed size -> wall, peak memory (httpq parse, one response)\n")
    print("| body MiB | feed bytes | wall s | ns per byte | max RSS MiB |")
    print("|---:|---:|---:|---:|---:|")
    for mib, feed, wall, cpu, rss in parse_rows:
        print(f"| {mib} | {feed:,} | {wall:.2f} | {wall / (mib << 20) * 1e9:.1f} | {rss / 1024:.1f} |")
    serve_rows = serve(httpq, [1_000, 10_000])
    print("\n### serve: idle keep-alive connections -> RSS above idle baseline\n")
    print("| connections | RSS growth MiB | bytes per connection |")
    print("|---:|---:|---:|")
    for count, grown in serve_rows:
        print(f"| {count:,} | {grown / 1024:.1f} | {grown * 1024 / count:,.0f} |")

    data = tempfile.mkdtemp()
    with open(f"{data}/fetch.dat", "w") as f:
        for count, wall, cpu, rss in fetch_rows:
            f.write(f"{count} {wall} {rss / 1024}\n")
    for feed in (1, 1024, 65536):
        with open(f"{data}/parse{feed}.dat", "w") as f:
            for mib, fd, wall, cpu, rss in parse_rows:
                if fd == feed:
                    f.write(f"{mib} {wall} {rss / 1024}\n")
    with open(f"{data}/serve.dat", "w") as f:
        for count, grown in serve_rows:
            f.write(f"{count} {grown / 1024}\n")
    script = f"""set terminal pngcairo size 1500,450 font ",10"
set output "{png}"
set multiplot layout 1,3
set logscale xy
set grid
set key top left
set title "httpq fetch (100 hosts, shuffled)"
set xlabel "URLs"; set ylabel "seconds / MiB"
plot "{data}/fetch.dat" using 1:2 with linespoints title "wall s", "" using 1:3 with linespoints title "max RSS MiB", \\
     "{data}/fetch.dat" using 1:($1*{fetch_rows[0][1] / fetch_rows[0][0]}) with lines dashtype 2 title "linear from 5k"
set title "httpq parse, one response"
set xlabel "body MiB"; set ylabel "seconds"
plot "{data}/parse1.dat" using 1:2 with linespoints title "1-byte feeds", "{data}/parse1024.dat" using 1:2 with linespoints title "1 KiB feeds", \\
     "{data}/parse65536.dat" using 1:2 with linespoints title "64 KiB feeds"
set title "httpq serve, idle keep-alive connections"
set xlabel "connections"; set ylabel "RSS growth MiB"
plot "{data}/serve.dat" using 1:2 with linespoints title "RSS growth", "{data}/serve.dat" using 1:($1*{serve_rows[0][1] / 1024 / serve_rows[0][0]}) with lines dashtype 2 title "linear from 1k"
unset multiplot
"""
    open(f"{data}/plot.gp", "w").write(script)
    if shutil.which("gnuplot"):
        subprocess.run(["gnuplot", f"{data}/plot.gp"], check=True)
        print(f"\nchart: {png}")
    shutil.rmtree(data)


if __name__ == "__main__":
    main()
