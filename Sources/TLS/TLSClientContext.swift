import COpenSSL

/// What a client trusts and whether it checks: made once, shared by every connection (and
/// thread) that uses it. Loading the system store takes milliseconds, so keep one.
public final class TLSClientContext: Sendable {
    /// The CAs trusted.
    public let trust: TLSTrust
    /// Whether the server's certificate is checked (chain and name). `false` is curl's
    /// `--insecure`: encrypted, but to whoever answers.
    public let verifiesPeer: Bool
    let handle: ContextHandle
    /// Sessions to resume, per host and port.
    let sessions = SessionCache()

    /// A context trusting `trust`; throws `unusableFile` when a CA file cannot be loaded.
    public init(trust: TLSTrust = .system, verifiesPeer: Bool = true) throws(TLSError) {
        self.trust = trust
        self.verifiesPeer = verifiesPeer
        handle = try ContextHandle(server: false)
        let context = handle.pointer
        switch trust {
        case .system:
            _ = SSL_CTX_set_default_verify_paths(context)
        case .certificateFile(let path):
            if let reason = FileCheck.problem(path) { throw .unusableFile(path: path, reason: reason) }
            OpenSSLErrors.clear()
            guard SSL_CTX_load_verify_locations(context, path, nil) == 1 else {
                throw .unusableFile(path: path, reason: OpenSSLErrors.drain(or: "no CA certificate in it"))
            }
        }
        SSL_CTX_set_verify(context, verifiesPeer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nil)
        _ = copenssl_ctx_set_session_cache_client(context)
        SSL_CTX_sess_set_new_cb(context, TLSStream.sessionReceived)
        // ALPN: we speak HTTP/1.1 only, and say so.
        let protocols: [UInt8] = [8] + Array("http/1.1".utf8)
        _ = SSL_CTX_set_alpn_protos(context, protocols, UInt32(protocols.count))
    }

    /// The system's store, verification on: what an `https://` URL uses unless told otherwise.
    /// Made on first use.
    public static let system: TLSClientContext = {
        do { return try TLSClientContext() } catch { fatalError("cannot create a TLS context: \(error)") }
    }()
}
