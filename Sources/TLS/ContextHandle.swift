import COpenSSL

/// Owns one `SSL_CTX`. Set up once, then only read: OpenSSL allows one context to be shared
/// by connections on every thread.
final class ContextHandle: @unchecked Sendable {
    let pointer: OpaquePointer

    init(server: Bool) throws(TLSError) {
        OpenSSLErrors.clear()
        guard let pointer = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()) else {
            throw .handshakeFailed(reason: OpenSSLErrors.drain(or: "SSL_CTX_new failed"))
        }
        self.pointer = pointer
        _ = copenssl_ctx_set_min_tls12(pointer)
        _ = copenssl_ctx_set_nonblocking_modes(pointer)
        // No renegotiation (a read that needs to write is then only a TLS 1.3 key update);
        // a peer that closes without close_notify is an end of input: HTTP's own framing
        // tells a complete message from a cut one.
        copenssl_ctx_set_options(pointer)
        copenssl_ctx_set_read_ahead(pointer)
    }

    deinit { SSL_CTX_free(pointer) }

    /// The BIO method every connection's socket is wrapped in (send with MSG_NOSIGNAL).
    static var socketMethod: OpaquePointer? { sharedSocketMethod.pointer }
    private static let sharedSocketMethod = MethodBox(pointer: copenssl_make_socket_method())

    /// The method is never changed once made, so any thread may use it.
    private struct MethodBox: @unchecked Sendable { let pointer: OpaquePointer? }
}
