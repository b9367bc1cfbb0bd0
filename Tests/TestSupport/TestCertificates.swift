import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A test PKI made with the openssl command once per test process: a CA, a server certificate
/// from it for `localhost`, 127.0.0.1 and ::1, one from it for another name only, one for the
/// right names that has expired, and one for the right names from a CA nobody trusts. EC P-256
/// keys (fast to make and to use).
public final class TestCertificates: Sendable {
    /// The directory holding every file.
    public let directory: String

    /// The trusted test CA's certificate (what `--cacert` is given).
    public var caCertificate: String { "\(directory)/ca.pem" }
    /// The server's certificate (SAN: DNS localhost, IP 127.0.0.1, IP ::1) and key.
    public var serverCertificate: String { "\(directory)/server.pem" }
    public var serverKey: String { "\(directory)/server.key" }
    /// From the trusted CA, but for `other.example` only.
    public var wrongNameCertificate: String { "\(directory)/other.pem" }
    public var wrongNameKey: String { "\(directory)/other.key" }
    /// From the trusted CA for the right names, expired a day ago.
    public var expiredCertificate: String { "\(directory)/expired.pem" }
    public var expiredKey: String { "\(directory)/expired.key" }
    /// For the right names, from a CA that is not trusted.
    public var untrustedCertificate: String { "\(directory)/rogue.pem" }
    public var untrustedKey: String { "\(directory)/rogue.key" }

    /// The one set every test shares (made on first use).
    public static let shared: TestCertificates = {
        do { return try TestCertificates() } catch { fatalError("cannot make test certificates: \(error)") }
    }()

    private init() throws {
        directory = Self.directory(of: getpid())
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // Removed when the test process exits (named by its pid, so the handler needs no state).
        atexit { try? FileManager.default.removeItem(atPath: TestCertificates.directory(of: getpid())) }
        try makeAuthority("ca", "httpq test CA")
        try makeAuthority("rogue-ca", "httpq untrusted CA")
        try makeLeaf("server", names: "DNS:localhost,IP:127.0.0.1,IP:::1", issuer: "ca")
        try makeLeaf("other", names: "DNS:other.example", issuer: "ca")
        try makeLeaf("rogue", names: "DNS:localhost,IP:127.0.0.1,IP:::1", issuer: "rogue-ca")
        try makeLeaf("expired", names: "DNS:localhost,IP:127.0.0.1,IP:::1", issuer: "ca", days: -1)
    }

    private static func directory(of process: pid_t) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("httpq-pki-\(process)").path
    }

    private func makeAuthority(_ name: String, _ commonName: String) throws {
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                     "-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).pem", "-days", "2",
                     "-subj", "/CN=\(commonName)", "-addext", "basicConstraints=critical,CA:TRUE",
                     "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    }

    /// `days: -1` makes a certificate whose validity ended a day ago.
    private func makeLeaf(_ name: String, names: String, issuer: String, days: Int = 2) throws {
        let extensions = "\(directory)/\(name).ext"
        try "subjectAltName=\(names)\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
            .write(toFile: extensions, atomically: true, encoding: .utf8)
        try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                     "-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).csr", "-subj", "/CN=\(name)"])
        try openssl(["x509", "-req", "-in", "\(directory)/\(name).csr", "-CA", "\(directory)/\(issuer).pem",
                     "-CAkey", "\(directory)/\(issuer).key", "-CAcreateserial", "-out", "\(directory)/\(name).pem",
                     "-days", "\(days)", "-extfile", extensions])
    }

    private func openssl(_ arguments: [String]) throws {
        guard let path = ChildProcess.which("openssl") else { throw PeerError.didNotStart("openssl", "not installed") }
        let output = try ChildProcess.run(path, arguments, timeout: .seconds(30))
        guard output.status == 0 else { throw PeerError.didNotStart("openssl \(arguments[0])", output.stderrText) }
    }
}
