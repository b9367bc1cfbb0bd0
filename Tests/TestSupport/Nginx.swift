import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real nginx (Debian's nginx-light) on a free loopback port with a generated config,
/// serving `files`; stopped when released.
public final class Nginx: @unchecked Sendable {
    public let port: Int
    public let root: URL
    private let prefix: URL
    private var process: ChildProcess?

    /// With `addresses`, one server listens on each (same port) and, with `rootPerAddress`,
    /// serves `www/ADDRESS/...`: many virtual hosts from one nginx. With `tls` (certificate,
    /// key), it speaks https only (TLS 1.2 and 1.3).
    public init(files: [String: [UInt8]], extraConfig: String = "", ipv6: Bool = false,
                addresses: [String] = ["127.0.0.1"], rootPerAddress: Bool = false,
                tls: (certificate: String, key: String)? = nil) throws {
        prefix = FileManager.default.temporaryDirectory.appendingPathComponent("httpq-nginx-\(UUID().uuidString)")
        root = prefix.appendingPathComponent("www")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        for (path, bytes) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        let p = prefix.path
        let ssl = tls == nil ? "" : " ssl"
        let tlsConfig = tls.map {
            "ssl_certificate \($0.certificate); ssl_certificate_key \($0.key); ssl_protocols TLSv1.2 TLSv1.3;"
        } ?? ""
        let pidFile = prefix.appendingPathComponent("nginx.pid").path
        let (prefix, rootPath) = (self.prefix, root.path) // not `self` in the closure: it is not all set yet
        // Started on a port it is seen to hold (see `startHoldingAFreePort`).
        let started = try startHoldingAFreePort(pidFile: pidFile, host: addresses[0]) { port in
            let config = """
            worker_processes 1;
            daemon off;
            master_process off;
            error_log \(p)/error.log;
            pid \(pidFile);
            events { worker_connections 4096; }
            http {
                access_log off;
                client_body_temp_path \(p)/body; proxy_temp_path \(p)/proxy; fastcgi_temp_path \(p)/fastcgi;
                uwsgi_temp_path \(p)/uwsgi; scgi_temp_path \(p)/scgi;
                keepalive_requests 100000;
                server {
                    \(addresses.map { "listen \($0):\(port)\(ssl);" }.joined(separator: " "))
                    \(ipv6 ? "listen [::1]:\(port)\(ssl);" : "")
                    \(tlsConfig)
                    root \(rootPath)\(rootPerAddress ? "/$server_addr" : "");
                    location = /chunked { chunked_transfer_encoding on; gzip off; return 200 "chunk"; }
                    \(extraConfig)
                }
            }
            """
            try config.write(to: prefix.appendingPathComponent("nginx.conf"), atomically: true, encoding: .utf8)
            return try ChildProcess("/usr/sbin/nginx", ["-p", p, "-c", prefix.appendingPathComponent("nginx.conf").path])
        }
        guard let started else {
            throw PeerError.didNotStart("nginx", readTextFile(prefix.appendingPathComponent("error.log").path))
        }
        (port, process) = (started.port, started.process)
    }

    deinit {
        process?.kill()
        try? FileManager.default.removeItem(at: prefix)
    }
}

