"""A TLS server that ends its answers in three ways, for the client's truncation tests.

  tls_abrupt_server.py CERT KEY     prints its port, then for each connection reads a request
                                    head and answers by its path; exits after 30 s or 20
                                    connections (bounded)
  /notify   close-delimited body, then close_notify (a complete body)
  /abrupt   close-delimited body, then the TCP close alone (cannot be told from a cut)
  /length   Content-Length body, then the TCP close alone (framed: complete)
"""
import socket, ssl, sys

context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(sys.argv[1], sys.argv[2])
listener = socket.create_server(("127.0.0.1", 0))
listener.settimeout(30)
print(listener.getsockname()[1], flush=True)
for _ in range(20):
    try:
        raw, _ = listener.accept()
    except socket.timeout:
        break
    raw.settimeout(10)
    try:
        tls = context.wrap_socket(raw, server_side=True)
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = tls.recv(4096)
            if not chunk: break
            head += chunk
        path = head.split(b" ")[1] if b" " in head else b"/"
        if path == b"/length":
            tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
        else:
            tls.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello")
        if path == b"/notify":
            tls.unwrap().close()  # close_notify, then the TCP close
        else:
            tls.close()  # Python's close sends no close_notify: the TCP close alone
    except (OSError, ssl.SSLError):
        raw.close()
