#!/usr/bin/env python3
"""Clients that misbehave the way real ones do, against an HTTP/1.1 server on loopback.

Each scenario opens its own connection (plain, or TLS with --cacert) and leaves at a bad
moment: mid-download with a FIN or a reset (small bodies and large sendfile ones), during
the request head, while waiting for 100-continue, mid-upload; or stalls an upload, or
pipelines far past what the server buffers without reading; PUTs that stop midway or leave
before their answer. Run once per scenario
(--rounds) or round after round for --seconds with --workers threads. Bounded: every
socket has a timeout, every loop a count or a deadline. Prints one JSON object: how often
each scenario ran and how many connections could not even be made (the server is gone).

    hostile_client.py HOST PORT --big /big.bin --small /index.html [--cacert CA] [--rounds N | --seconds S]
"""
import argparse, json, socket, ssl, struct, sys, threading, time

def connect(args):
    raw = socket.create_connection((args.host, args.port), timeout=5)
    if not args.cacert:
        return raw
    context = ssl.create_default_context(cafile=args.cacert)
    context.check_hostname = False
    return context.wrap_socket(raw, server_hostname="localhost")

def reset(sock):
    """Closes with RST instead of FIN (SO_LINGER 0); for TLS, no close_notify either."""
    raw = sock
    if isinstance(sock, ssl.SSLSocket):
        raw = socket.socket(fileno=sock.detach())
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    raw.close()

def fin(sock):
    """Closes with FIN, TLS without close_notify (as a killed process does)."""
    if isinstance(sock, ssl.SSLSocket):
        socket.socket(fileno=sock.detach()).close()
    else:
        sock.close()

def get(path, extra=""):
    return f"GET {path} HTTP/1.1\r\nHost: x\r\n{extra}\r\n".encode()

def read_some(sock, limit):
    got = 0
    while got < limit:
        data = sock.recv(65536)
        if not data:
            break
        got += len(data)
    return got

# Each scenario: (name, function(args) -> None). Exceptions from a server that closes first
# are expected (that is the server doing its job); only a refused connect counts against it.

def abandon_big_fin(args):
    s = connect(args); s.sendall(get(args.big)); read_some(s, 100_000); fin(s)

def abandon_big_rst(args):
    s = connect(args); s.sendall(get(args.big)); read_some(s, 100_000); reset(s)

def abandon_big_unread(args):
    # Never reads: the server fills the socket buffer, then the client resets.
    s = connect(args); s.sendall(get(args.big)); time.sleep(0.05); reset(s)

def abandon_small_rst(args):
    s = connect(args); s.sendall(get(args.small) * 5); reset(s)

def abandon_head_fin(args):
    s = connect(args); s.sendall(b"GET " + args.small.encode() + b" HTTP/1.1\r\nHost: x\r\nX-Partial: yes"); fin(s)

def abandon_head_rst(args):
    s = connect(args); s.sendall(b"GET " + args.small.encode() + b" HTTP/1.1\r\nHo"); reset(s)

def abandon_during_continue(args):
    s = connect(args)
    s.sendall(b"PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\nExpect: 100-continue\r\n\r\n")
    try:
        s.recv(1024)
    except OSError:
        pass
    reset(s)

def abandon_upload(args):
    s = connect(args)
    s.sendall(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 500000\r\n\r\n" + b"u" * 60_000)
    fin(s)

def stall_upload(args):
    s = connect(args)
    s.sendall(b"POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n")
    time.sleep(0.3)
    reset(s)

def abandon_range_rst(args):
    # A resumed download (Range from the middle, sendfile from an offset) left with a reset.
    s = connect(args); s.sendall(get(args.big, "Range: bytes=1000000-\r\n")); read_some(s, 50_000); reset(s)

def abandon_multirange(args):
    # Several ranges (multipart/byteranges, read from the file as the socket drains), left
    # midway: with a reset, with a FIN, and never read at all.
    ranges = "Range: bytes=0-999999,2000000-2999999,-500000\r\n"
    for leave in (reset, fin, None):
        s = connect(args); s.sendall(get(args.big, ranges))
        if leave is None:
            time.sleep(0.05); reset(s)
        else:
            read_some(s, 150_000); leave(s)

def conditional_then_fin(args):
    # Revalidation (304, no body) and a bogus range (416), pipelined, then gone.
    s = connect(args)
    s.sendall(get(args.small, "If-None-Match: *\r\n") + get(args.big, "Range: bytes=99999999-\r\n"))
    read_some(s, 200); fin(s)

def abandon_put_midway(args):
    # A PUT that stops a third of the way with a reset: with --allow-put a partial file exists
    # on the server for a moment, and must not after.
    s = connect(args)
    s.sendall(f"PUT /hostile-{threading.get_ident()}.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 900000\r\n\r\n".encode() + b"p" * 300_000)
    reset(s)

def put_whole_then_leave(args):
    # A whole chunked PUT, then gone (RST) before reading the answer (201/204, or 405).
    s = connect(args)
    s.sendall(f"PUT /hostile-whole-{threading.get_ident()}.bin HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
              + b"10000\r\n" + b"w" * 65536 + b"\r\n0\r\n\r\n")
    reset(s)

def pipeline_flood(args):
    # Far past the server's pipelining buffer, never reading, then gone.
    s = connect(args)
    s.settimeout(1)
    try:
        for _ in range(40):
            s.sendall(get(args.small) * 100)
    except OSError:
        pass
    reset(s)

def half_close_then_leave(args):
    s = connect(args); s.sendall(get(args.big))
    if not isinstance(s, ssl.SSLSocket):
        s.shutdown(socket.SHUT_WR)
    read_some(s, 30_000); reset(s)

def garbage_then_rst(args):
    s = connect(args); s.sendall(b"\x16\x03\x01\x00\xa5garbage\r\n\r\n" * 3); time.sleep(0.01); reset(s)

SCENARIOS = [abandon_big_fin, abandon_big_rst, abandon_big_unread, abandon_small_rst, abandon_head_fin,
             abandon_head_rst, abandon_during_continue, abandon_upload, stall_upload, abandon_range_rst,
             abandon_multirange, conditional_then_fin, abandon_put_midway,
             put_whole_then_leave, pipeline_flood, half_close_then_leave, garbage_then_rst]

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("host"); parser.add_argument("port", type=int)
    parser.add_argument("--big", required=True); parser.add_argument("--small", required=True)
    parser.add_argument("--cacert"); parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=0); parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    counts = {f.__name__: 0 for f in SCENARIOS}
    refused = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + args.seconds

    def worker(offset):
        rounds = 0
        while True:
            if args.seconds > 0:
                if time.monotonic() >= deadline:
                    return
            elif rounds >= args.rounds:
                return
            rounds += 1
            for index in range(len(SCENARIOS)):
                scenario = SCENARIOS[(index + offset) % len(SCENARIOS)]
                try:
                    scenario(args)
                except (ConnectionRefusedError, socket.timeout) as error:
                    if isinstance(error, ConnectionRefusedError):
                        with lock: refused[0] += 1
                except (OSError, ssl.SSLError):
                    pass  # the server closed first: expected for several scenarios
                with lock: counts[scenario.__name__] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.workers)]
    for t in threads: t.start()
    for t in threads: t.join()
    print(json.dumps({"counts": counts, "refused": refused[0]}))
    return 0

if __name__ == "__main__":
    sys.exit(main())
