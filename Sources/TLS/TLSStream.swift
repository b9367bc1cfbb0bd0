import COpenSSL
import Sockets
#if canImport(Glibc)
import Glibc
#endif

/// TLS over one non-blocking socket, driven by its loop: every call does what it can now and
/// says which readiness it waits for (`wantRead`, `wantWrite`) instead of blocking. The
/// caller owns the socket; the stream never closes it. Confined to the socket's loop.
package final class TLSStream {
    /// Where the handshake stands.
    package enum Progress: Equatable {
        case done
        case wantRead
        case wantWrite
        case failed(TLSError)
    }

    /// The outcome of a read or a write.
    package enum IO: Equatable {
        /// Bytes read or written (never 0).
        case ok(Int)
        /// The peer ended the TLS session with close_notify.
        case closed
        /// The TCP stream ended without close_notify: the end of the data, or an attacker's
        /// cut; only the protocol above can tell.
        case closedWithoutNotify
        case wantRead
        case wantWrite
        /// The socket failed with this errno (ECONNRESET, EPIPE, ...).
        case systemError(Int32)
        case failed(TLSError)
    }

    private let ssl: OpaquePointer
    /// The name checked and sent in SNI (client), for messages.
    private let peer: String
    private let isClient: Bool
    private let verifiesPeer: Bool
    /// Whether the handshake finished.
    package private(set) var isEstablished = false
    private var sentCloseNotify = false
    /// Where a client keeps its session for the next connection, and under which key.
    private let sessions: SessionCache?
    private let sessionKey: String

    /// A client session to `host:port` over `fd`: SNI for names, certificate checks against
    /// the name or the IP address when the context verifies, and a session with this host
    /// resumed (each used once) when the context keeps one; the tickets this connection
    /// receives go to the context for the next ones.
    package init(client context: TLSClientContext, fileDescriptor fd: Int32, host: String, port: Int) throws(TLSError) {
        ssl = try Self.makeSSL(context.handle, fd)
        peer = host
        isClient = true
        verifiesPeer = context.verifiesPeer
        sessions = context.sessions
        sessionKey = "\(host):\(port)"
        if let session = context.sessions.take(for: sessionKey) {
            _ = SSL_set_session(ssl, session)
            SSL_SESSION_free(session) // the SSL holds its own reference
        }
        if Self.isIPAddress(host) {
            // RFC 6066 §3: no SNI for an address; the certificate must carry it as an IP SAN.
            if verifiesPeer { _ = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) }
        } else {
            _ = copenssl_set_tlsext_host_name(ssl, host)
            if verifiesPeer {
                SSL_set_hostflags(ssl, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
                _ = SSL_set1_host(ssl, host)
            }
        }
        SSL_set_connect_state(ssl)
        // For the new-session callback; the SSL never outlives this object (freed in deinit).
        _ = SSL_set_ex_data(ssl, 0, Unmanaged.passUnretained(self).toOpaque())
    }

    /// A server session over an accepted `fd`.
    package init(server context: TLSServerContext, fileDescriptor fd: Int32) throws(TLSError) {
        ssl = try Self.makeSSL(context.handle, fd)
        peer = "client"
        isClient = false
        verifiesPeer = false
        sessions = nil
        sessionKey = ""
        SSL_set_accept_state(ssl)
    }

    private static func makeSSL(_ context: ContextHandle, _ fd: Int32) throws(TLSError) -> OpaquePointer {
        OpenSSLErrors.clear()
        guard let ssl = SSL_new(context.pointer) else {
            throw .handshakeFailed(reason: OpenSSLErrors.drain(or: "SSL_new failed"))
        }
        guard let method = ContextHandle.socketMethod, let bio = BIO_new(method) else {
            SSL_free(ssl)
            throw .handshakeFailed(reason: OpenSSLErrors.drain(or: "BIO_new failed"))
        }
        _ = copenssl_bio_set_fd(bio, fd)
        SSL_set_bio(ssl, bio, bio) // the session owns the BIO (one reference for both ends)
        return ssl
    }

    deinit { SSL_free(ssl) }

    /// OpenSSL's new-session callback (client contexts): a ticket arrived, as a resumable
    /// session whose reference is ours when we return 1.
    static let sessionReceived: @convention(c) (OpaquePointer?, OpaquePointer?) -> Int32 = { ssl, session in
        guard let ssl, let session, let owner = SSL_get_ex_data(ssl, 0) else { return 0 }
        let stream = Unmanaged<TLSStream>.fromOpaque(owner).takeUnretainedValue()
        guard let sessions = stream.sessions else { return 0 }
        sessions.remember(session, for: stream.sessionKey)
        return 1
    }

    /// Advances the handshake as far as the socket allows.
    package func handshake() -> Progress {
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            isEstablished = true
            if isClient, let chosen = negotiatedProtocol, chosen != "http/1.1" {
                return .failed(.handshakeFailed(reason: "the server chose ALPN protocol \(chosen), not http/1.1"))
            }
            return .done
        }
        let code = SSL_get_error(ssl, result)
        let savedErrno = errno
        switch code {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case SSL_ERROR_SSL: return .failed(handshakeError())
        case SSL_ERROR_SYSCALL where savedErrno != 0:
            OpenSSLErrors.clear()
            sessions?.forget(sessionKey)
            return .failed(.handshakeFailed(reason: "\(SystemCalls.describe(savedErrno)) during the handshake"))
        default:
            sessions?.forget(sessionKey)
            OpenSSLErrors.clear()
            return .failed(.handshakeFailed(reason: "the peer closed the connection during the handshake"))
        }
    }

    /// Why a handshake failed: the certificate check's verdict first, it says most.
    private func handshakeError() -> TLSError {
        sessions?.forget(sessionKey)
        if copenssl_is_unexpected_eof() != 0 {
            OpenSSLErrors.clear()
            return .handshakeFailed(reason: "the peer closed the connection during the handshake")
        }
        let verdict = SSL_get_verify_result(ssl)
        if isClient && verifiesPeer && verdict != X509_V_OK {
            OpenSSLErrors.clear()
            if verdict == X509_V_ERR_HOSTNAME_MISMATCH || verdict == X509_V_ERR_IP_ADDRESS_MISMATCH {
                return .nameMismatch(host: peer)
            }
            return .certificateNotTrusted(host: peer, reason: String(cString: X509_verify_cert_error_string(verdict)))
        }
        return .handshakeFailed(reason: OpenSSLErrors.drain(or: "protocol error"))
    }

    /// Decrypts into `buffer` what has arrived.
    package func read(into buffer: UnsafeMutableRawBufferPointer) -> IO {
        let result = SSL_read(ssl, buffer.baseAddress, Int32(clamping: buffer.count))
        return result > 0 ? .ok(Int(result)) : outcome(of: result)
    }

    /// Encrypts and sends what the socket takes of `bytes` (at least one record, or a want).
    /// After `wantWrite`, call again with the same bytes first (they may have moved).
    package func write(_ bytes: UnsafeRawBufferPointer) -> IO {
        guard !bytes.isEmpty else { return .ok(0) }
        let result = SSL_write(ssl, bytes.baseAddress, Int32(clamping: bytes.count))
        return result > 0 ? .ok(Int(result)) : outcome(of: result)
    }

    private func outcome(of result: Int32) -> IO {
        let code = SSL_get_error(ssl, result)
        let savedErrno = errno
        switch code {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case SSL_ERROR_ZERO_RETURN: return .closed
        case SSL_ERROR_SYSCALL:
            OpenSSLErrors.clear()
            return savedErrno == 0 ? .closedWithoutNotify : .systemError(savedErrno)
        case SSL_ERROR_SSL where copenssl_is_unexpected_eof() != 0:
            OpenSSLErrors.clear()
            return .closedWithoutNotify
        default:
            return .failed(.connectionFailed(reason: OpenSSLErrors.drain(or: "protocol error")))
        }
    }

    /// Whether decrypted bytes wait inside the session: the socket will not signal them, so a
    /// reader that stopped early must come back for them.
    package var hasBufferedInput: Bool { SSL_has_pending(ssl) == 1 }

    /// The ALPN protocol agreed on, if any.
    package var negotiatedProtocol: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// The TLS version in use (`TLSv1.3`).
    package var version: String { String(cString: SSL_get_version(ssl)) }

    /// Sends close_notify once, without waiting for the peer's (the socket closes next).
    package func close() {
        guard isEstablished, !sentCloseNotify else { return }
        sentCloseNotify = true
        _ = SSL_shutdown(ssl)
        OpenSSLErrors.clear()
    }

    private static func isIPAddress(_ host: String) -> Bool {
        var buffer = in6_addr()
        return inet_pton(AF_INET, host, &buffer) == 1 || inet_pton(AF_INET6, host, &buffer) == 1
    }
}
