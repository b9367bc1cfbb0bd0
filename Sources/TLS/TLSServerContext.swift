import COpenSSL

/// A server's certificate chain and private key: made once, shared by every loop.
public final class TLSServerContext: Sendable {
    /// The PEM certificate chain it was made from (leaf first).
    public let certificateChainFile: String
    /// The PEM private key it was made from.
    public let privateKeyFile: String
    let handle: ContextHandle

    /// Loads the chain (leaf first, then intermediates) and the key, and checks that they
    /// belong together; throws `unusableFile` or `keyDoesNotMatchCertificate` otherwise.
    public init(certificateChainFile: String, privateKeyFile: String) throws(TLSError) {
        self.certificateChainFile = certificateChainFile
        self.privateKeyFile = privateKeyFile
        handle = try ContextHandle(server: true)
        let context = handle.pointer
        for path in [certificateChainFile, privateKeyFile] {
            if let reason = FileCheck.problem(path) { throw .unusableFile(path: path, reason: reason) }
        }
        OpenSSLErrors.clear()
        guard SSL_CTX_use_certificate_chain_file(context, certificateChainFile) == 1 else {
            throw .unusableFile(path: certificateChainFile, reason: OpenSSLErrors.drain(or: "no certificate in it"))
        }
        guard SSL_CTX_use_PrivateKey_file(context, privateKeyFile, SSL_FILETYPE_PEM) == 1 else {
            let reason = OpenSSLErrors.drain(or: "no private key in it")
            if reason.contains("key values mismatch") {
                throw .keyDoesNotMatchCertificate(certificate: certificateChainFile, key: privateKeyFile)
            }
            throw .unusableFile(path: privateKeyFile, reason: reason)
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            OpenSSLErrors.clear()
            throw .keyDoesNotMatchCertificate(certificate: certificateChainFile, key: privateKeyFile)
        }
        _ = copenssl_ctx_set_session_cache_server(context)
        copenssl_ctx_select_http11(context)
    }
}
