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
        // A port from `freePort()` is free only until someone binds it: another test's server
        // may take it before nginx does, and a connection to the port would then reach that
        // server. nginx writes its pid file only after it has bound every `listen`, so a pid
        // file and a connection mean this nginx is the one listening; a bind failure (the
        // process gone, or no pid file within the wait) takes another port, up to three times.
        var log = ""
        for _ in 0..<3 {
            let port = freePort()
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
                    root \(root.path)\(rootPerAddress ? "/$server_addr" : "");
                    location = /chunked { chunked_transfer_encoding on; gzip off; return 200 "chunk"; }
                    \(extraConfig)
                }
            }
            """
            try config.write(to: prefix.appendingPathComponent("nginx.conf"), atomically: true, encoding: .utf8)
            unlink(pidFile)
            let process = try ChildProcess("/usr/sbin/nginx", ["-p", p, "-c", prefix.appendingPathComponent("nginx.conf").path])
            // Wait until it has bound and accepts (bounded: 5 s).
            for _ in 0..<500 where process.isRunning {
                if access(pidFile, F_OK) == 0 && canConnect(port: port, host: addresses[0]) {
                    self.port = port
                    self.process = process
                    return
                }
                usleep(10_000)
            }
            process.kill()
            _ = process.wait(timeout: .seconds(5))
            log = readTextFile(prefix.appendingPathComponent("error.log").path)
        }
        throw PeerError.didNotStart("nginx", log)
    }

    deinit {
        process?.kill()
        try? FileManager.default.removeItem(at: prefix)
    }
}

