# A WSGI app for the client's real-server tests (gunicorn): files from ROOT with a length,
# a body streamed without one, a redirect, and an echo of the request body's length and sum.
import os, hashlib
ROOT = os.environ["HTTPQ_TEST_ROOT"]
def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/stream":
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return (bytes([i % 251]) * 1000 for i in range(50))
    if path == "/redirect":
        start_response("302 Found", [("Location", "/files/a.txt"), ("Content-Length", "0")])
        return [b""]
    if path == "/echo":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else environ["wsgi.input"].read()
        text = f"{len(body)} {hashlib.sha256(body).hexdigest()}".encode()
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(text)))])
        return [text]
    if path.startswith("/files/"):
        with open(os.path.join(ROOT, path[len("/files/"):]), "rb") as f:
            data = f.read()
        start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(data)))])
        return [data]
    start_response("404 Not Found", [("Content-Length", "0")])
    return [b""]
