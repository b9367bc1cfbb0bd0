/// Which certificate authorities a client trusts.
public enum TLSTrust: Hashable, Sendable {
    /// The system's store (Debian's ca-certificates, through OpenSSL's default paths).
    case system
    /// Only the CA certificates in this PEM file (like curl's `--cacert`: instead of the
    /// system's store, not beside it).
    case certificateFile(String)
}
