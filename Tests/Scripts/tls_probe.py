"""A TLS client from Python's ssl module, for the server's tests.

  tls_probe.py alpn PORT CAFILE OFFER    prints "selected PROTOCOL" or "refused REASON"
  tls_probe.py resume PORT CAFILE        two connections, the second offering the first's
                                         session: prints "VERSION full|reused" for each
"""
import socket, ssl, sys

def connect(port, context, session=None):
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    return context.wrap_socket(raw, server_hostname="localhost", session=session)

def alpn(port, context, offer):
    context.set_alpn_protocols(offer.split(","))
    try:
        with connect(port, context) as tls:
            print("selected", tls.selected_alpn_protocol())
    except ssl.SSLError as error:
        print("refused", error)

def resume(port, context):
    session = None
    for _ in range(2):
        with connect(port, context, session) as tls:
            tls.sendall(b"GET /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            while tls.recv(65536):  # reading takes the TLS 1.3 tickets too
                pass
            print(tls.version(), "reused" if tls.session_reused else "full")
            session = tls.session

if __name__ == "__main__":
    mode, port, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    context = ssl.create_default_context(cafile=cafile)
    if mode == "alpn":
        alpn(port, context, sys.argv[4])
    else:
        resume(port, context)
