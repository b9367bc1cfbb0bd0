"""Parses each request with h11 (an independent HTTP/1.1 implementation) and prints one JSON
object per request: {"ok": bool, "method", "target", "version", "headers": [[name, value]],
"body": base64}. Input: a JSON array of base64-encoded requests on stdin."""
import base64, json, sys
import h11

for encoded in json.load(sys.stdin):
    data = base64.b64decode(encoded)
    connection = h11.Connection(h11.SERVER)
    connection.receive_data(data)
    connection.receive_data(b"")  # the input ends here
    result = {"ok": False}
    body = b""
    try:
        while True:
            event = connection.next_event()
            if isinstance(event, h11.Request):
                result.update(method=event.method.decode("latin-1"), target=event.target.decode("latin-1"),
                              version="HTTP/" + event.http_version.decode(),
                              headers=[[n.decode("latin-1"), v.decode("latin-1")] for n, v in event.headers.raw_items()])
            elif isinstance(event, h11.Data):
                body += bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                result["ok"] = True
                break
            elif event is h11.NEED_DATA or isinstance(event, h11.ConnectionClosed):
                break
    except h11.RemoteProtocolError as error:
        result = {"ok": False, "error": str(error)}
    if result["ok"]:
        result["body"] = base64.b64encode(body).decode()
    print(json.dumps(result))
