/// Everything that can go wrong with TLS, each with what was wrong in words.
public enum TLSError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The peer's certificate chain does not lead to a trusted CA, has expired, is not yet
    /// valid, is self-signed, ...: `reason` is OpenSSL's verification message.
    case certificateNotTrusted(host: String, reason: String)
    /// The certificate is trusted but names neither this host name nor this IP address.
    case nameMismatch(host: String)
    /// The peer and we could not agree (protocol version, cipher, ALPN, alert received,
    /// not TLS at all, closed mid-handshake): `reason` says which.
    case handshakeFailed(reason: String)
    /// A certificate, key or CA file could not be loaded: `reason` says why.
    case unusableFile(path: String, reason: String)
    /// The private key does not belong to the certificate.
    case keyDoesNotMatchCertificate(certificate: String, key: String)
    /// The TLS record layer failed after the handshake (bad record, alert from the peer).
    case connectionFailed(reason: String)
    /// The peer ended the TCP stream without close_notify while a body delimited by the end
    /// of the connection was being read: it may have been cut short (a truncation attack).
    case closedWithoutNotify

    /// What went wrong, in words (`certificate of example.com not trusted: certificate has expired`).
    public var description: String {
        switch self {
        case .certificateNotTrusted(let host, let reason): "certificate of \(host) not trusted: \(reason)"
        case .nameMismatch(let host): "certificate does not name \(host)"
        case .handshakeFailed(let reason): "TLS handshake failed: \(reason)"
        case .unusableFile(let path, let reason): "cannot use \(path): \(reason)"
        case .keyDoesNotMatchCertificate(let certificate, let key): "private key \(key) does not match certificate \(certificate)"
        case .connectionFailed(let reason): "TLS connection failed: \(reason)"
        case .closedWithoutNotify: "the server closed the connection without TLS close_notify: the body, delimited by the close, may be truncated"
        }
    }

    /// A short kind for summaries (`tls-untrusted`, `tls-name`, ...).
    public var kind: String {
        switch self {
        case .certificateNotTrusted: "tls-untrusted"
        case .nameMismatch: "tls-name"
        case .handshakeFailed: "tls-handshake"
        case .unusableFile: "tls-file"
        case .keyDoesNotMatchCertificate: "tls-key"
        case .connectionFailed: "tls"
        case .closedWithoutNotify: "tls-truncated"
        }
    }
}
