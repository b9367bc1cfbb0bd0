# The client's real-server tests' endpoints as an ASGI app (uvicorn); see wsgi_app.py.
import os, hashlib
ROOT = os.environ["HTTPQ_TEST_ROOT"]
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    path = scope["path"]
    async def answer(status, headers, body=b""):
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
    if path == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/octet-stream")]})
        for i in range(50):
            await send({"type": "http.response.body", "body": bytes([i % 251]) * 1000, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    elif path == "/redirect":
        await answer(302, [(b"location", b"/files/a.txt"), (b"content-length", b"0")])
    elif path == "/echo":
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        text = f"{len(body)} {hashlib.sha256(body).hexdigest()}".encode()
        await answer(200, [(b"content-type", b"text/plain"), (b"content-length", str(len(text)).encode())], text)
    elif path.startswith("/files/"):
        with open(os.path.join(ROOT, path[len("/files/"):]), "rb") as f:
            data = f.read()
        await answer(200, [(b"content-type", b"application/octet-stream"), (b"content-length", str(len(data)).encode())], data)
    else:
        await answer(404, [(b"content-length", b"0")])
