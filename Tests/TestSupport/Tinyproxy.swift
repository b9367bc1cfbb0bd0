import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real HTTP proxy (Debian's tinyproxy) on a free loopback port: absolute-form requests
/// and CONNECT tunnels, with Basic credentials when `credentials` are given. Its log says
/// what it was asked.
public final class Tinyproxy: @unchecked Sendable {
    public let port: Int
    private let directory: URL
    private var process: ChildProcess?

    /// `http://127.0.0.1:PORT`, with `user:password@` when it wants credentials.
    public var url: String { "http://\(credentials.map { "\($0.user):\($0.password)@" } ?? "")127.0.0.1:\(port)" }
    public let credentials: (user: String, password: String)?

    /// The request lines it received (`GET http://...`, `CONNECT host:port`), from its log.
    public var requests: [String] {
        readTextFile(directory.appendingPathComponent("tinyproxy.log").path)
            .components(separatedBy: "\n")
            .compactMap { line in line.range(of: "): ").map { String(line[$0.upperBound...]) } }
            .filter { $0.hasPrefix("GET ") || $0.hasPrefix("CONNECT ") || $0.hasPrefix("POST ") || $0.hasPrefix("PUT ") }
    }

    public init(credentials: (user: String, password: String)? = nil) throws {
        self.credentials = credentials
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("httpq-tinyproxy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        chmod(directory.path, 0o777) // it may drop to nobody to write its log
        // Started on a port it is seen to hold (see `startHoldingAFreePort`).
        let pidFile = directory.appendingPathComponent("tinyproxy.pid").path
        let directory = self.directory // not `self` in the closure: it is not all set yet
        let started = try startHoldingAFreePort(pidFile: pidFile) { port in
            let config = """
            Port \(port)
            Listen 127.0.0.1
            Timeout 30
            MaxClients 200
            LogFile "\(directory.path)/tinyproxy.log"
            LogLevel Connect
            PidFile "\(pidFile)"
            Allow 127.0.0.1
            \(credentials.map { "BasicAuth \($0.user) \($0.password)" } ?? "")
            """
            let file = directory.appendingPathComponent("tinyproxy.conf")
            try config.write(to: file, atomically: true, encoding: .utf8)
            return try ChildProcess("/usr/bin/tinyproxy", ["-d", "-c", file.path])
        }
        guard let started else {
            throw PeerError.didNotStart("tinyproxy", readTextFile(directory.appendingPathComponent("tinyproxy.log").path))
        }
        (port, process) = (started.port, started.process)
    }

    deinit {
        process?.kill()
        try? FileManager.default.removeItem(at: directory)
    }
}
