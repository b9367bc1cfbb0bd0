"""The Python httpq 1.2.0 on the benchmark messages, as its users drive it: feed, then ask
for `state` (httpq re-parses its whole buffer on every access). Prints messages per second,
median of RUNS runs, as `name feed msg_per_s`."""
import statistics
import sys
import time

import httpq


def messages():
    m1 = (b"HTTP/1.1 200 OK\r\nDate: Tue, 09 Nov 2021 18:29:18 GMT\r\nContent-Type: application/json\r\n"
          b"Content-Length: 197\r\nConnection: keep-alive\r\nServer: gunicorn/19.9.0\r\n"
          b"Access-Control-Allow-Origin: *\r\nAccess-Control-Allow-Credentials: true\r\n\r\n"
          b"{\n  \"args\": {}, \n  \"headers\": {\n    \"Host\": \"httpbin.org\", \n"
          b"    \"X-Amzn-Trace-Id\": \"Root=1-640d4193-650c50825ec4415732dacde8\"\n  }, \n"
          b"  \"origin\": \"xx.xx.xx.xxx\", \n  \"url\": \"http://httpbin.org/get\"\n}\n")
    body = "<p>nginx test page</p>\n" * 178 + "x" * (4096 - 178 * 23)
    m2 = ("HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Wed, 25 Nov 2026 04:00:00 GMT\r\n"
          "Content-Type: text/html\r\nContent-Length: %d\r\n"
          "Last-Modified: Tue, 24 Nov 2026 10:00:00 GMT\r\nConnection: keep-alive\r\n"
          "ETag: \"6560a1b0-1000\"\r\nAccept-Ranges: bytes\r\nCache-Control: max-age=3600\r\n"
          "Vary: Accept-Encoding\r\n\r\n" % len(body) + body).encode()
    m3 = ("HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: application/octet-stream\r\n"
          "Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n"
          + "".join("400\r\n" + chr(0x61 + i) * 1024 + "\r\n" for i in range(10)) + "0\r\n\r\n").encode()
    return [("M1", m1), ("M2", m2), ("M3", m3)]


def parse(data, piece):
    response = httpq.Response()
    if piece == 0:
        response.feed(data)
        return response.state
    for offset in range(0, len(data), piece):
        response.feed(data[offset:offset + piece])
        state = response.state
    return state


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    for name, data in messages():
        for piece in (0, 10):
            count = 2000 if piece == 0 else max(1, 20000 // len(data))
            samples = []
            for _ in range(runs):
                start = time.perf_counter()
                for _ in range(count):
                    parse(data, piece)
                samples.append(time.perf_counter() - start)
            print(name, "whole" if piece == 0 else "10B", round(count / statistics.median(samples)))


if __name__ == "__main__":
    main()
