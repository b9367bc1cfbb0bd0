#!/usr/bin/env python3
"""A pipelining client that checks every byte: keeps DEPTH requests for PATH in flight on one
connection until TOTAL answers arrived, reads them in pieces chosen by MODE, and compares each
body with FILE. Exits 0 with "ok N", or 1 saying what was wrong.

  pipelined_reader.py HOST PORT PATH FILE DEPTH TOTAL MODE SEED
  MODE: whole (64 KiB reads), small (64 KiB receive buffer), random (1 B to 64 KiB reads),
        slow (random, and a pause now and then)
"""
import random, socket, sys, time

host, port, path, file, depth, total, mode, seed = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], \
    int(sys.argv[5]), int(sys.argv[6]), sys.argv[7], int(sys.argv[8])
want = open(file, "rb").read()
rnd = random.Random(seed)
s = socket.create_connection((host, port), timeout=30)
if mode == "small":
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
request = f"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode()
sent = got = 0
pending = b""


def fail(text):
    print(text)
    sys.exit(1)


def receive():
    size = rnd.choice([1, 100, 4096, 65536]) if mode in ("random", "slow") else 65536
    data = s.recv(size)
    if mode == "slow" and rnd.random() < 0.01:
        time.sleep(0.01)
    return data


def send_more():
    global sent
    while sent < total and sent - got < depth:
        s.sendall(request)
        sent += 1


send_more()
while got < total:
    while b"\r\n\r\n" not in pending:
        data = receive()
        if not data:
            fail(f"end of stream in the head of answer {got}")
        pending += data
    head, pending = pending.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    if not lines[0].startswith(b"HTTP/1.1 200 "):
        fail(f"answer {got}: status line {lines[0][:80]!r}")
    lengths = [int(line.split(b":", 1)[1]) for line in lines[1:] if line.lower().startswith(b"content-length:")]
    if len(lengths) != 1:
        fail(f"answer {got}: Content-Length fields {lengths}")
    while len(pending) < lengths[0]:
        data = receive()
        if not data:
            fail(f"end of stream in the body of answer {got} ({len(pending)} of {lengths[0]} bytes)")
        pending += data
    body, pending = pending[:lengths[0]], pending[lengths[0]:]
    if body != want:
        fail(f"answer {got}: the body differs from the file")
    got += 1
    send_more()
if pending:
    fail(f"{len(pending)} bytes after the last answer: {pending[:80]!r}")
s.settimeout(0.3)
try:
    extra = s.recv(100)
    if extra:
        fail(f"bytes after the last answer: {extra[:80]!r}")
except socket.timeout:
    pass
print(f"ok {got}")
