import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real HTTP server other than nginx on a free loopback port, serving `files`: Apache and
/// lighttpd as static file servers (`/NAME`), gunicorn, uvicorn, Node and Go's net/http
/// running the apps in `TestPeers/` (`/files/NAME`, `/stream`, `/redirect`, `/echo`). Each frames, keeps alive and
/// closes in its own way, which is what the client's tests against them are for. Stopped
/// (and its folder removed) when released.
public final class RealServer: @unchecked Sendable {
    public enum Kind: String, CaseIterable, Sendable, CustomStringConvertible {
        case apache, lighttpd, gunicorn, uvicorn, node, go
        public var description: String { rawValue }

        /// The program it runs, when installed (`scripts/setup.sh` installs all six; Go's
        /// is the toolchain, which builds `TestPeers/go_app.go` once per test run).
        var program: String {
            switch self {
            case .apache: "/usr/sbin/apache2"
            case .lighttpd: "/usr/sbin/lighttpd"
            case .gunicorn: RealServer.venv + "/gunicorn"
            case .uvicorn: RealServer.venv + "/uvicorn"
            case .node: ChildProcess.which("node") ?? "/usr/bin/node"
            case .go: GoPeers.go
            }
        }

        /// Whether it runs the `TestPeers` app (else it serves files from its root).
        public var isApp: Bool { self == .gunicorn || self == .uvicorn || self == .node || self == .go }

        /// Whether it can be started here.
        public var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: program) }
    }

    public let kind: Kind
    public let port: Int
    private let prefix: URL
    private var process: ChildProcess?

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let venv = packageRoot.appendingPathComponent(".build-venv/bin").path

    /// Starts `kind` serving `files`. `keepAliveTimeout`: how long it keeps an idle connection
    /// open (Apache's `KeepAliveTimeout`, Node's `keepAliveTimeout`; the others keep their own).
    public init(_ kind: Kind, files: [String: [UInt8]], keepAliveTimeout: Duration = .seconds(5)) throws {
        self.kind = kind
        prefix = FileManager.default.temporaryDirectory.appendingPathComponent("httpq-\(kind)-\(UUID().uuidString)")
        let root = prefix.appendingPathComponent("www")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        // Apache drops to `nobody` before it serves: the folders must be open to others.
        chmod(prefix.path, 0o755)
        chmod(root.path, 0o755)
        for (name, bytes) in files {
            try Data(bytes).write(to: root.appendingPathComponent(name))
            chmod(root.appendingPathComponent(name).path, 0o644)
        }
        let p = prefix.path, www = root.path, pidFile = prefix.appendingPathComponent("server.pid").path
        let log = prefix.appendingPathComponent("server.log").path
        let logFD = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        defer { if logFD >= 0 { close(logFD) } }
        let peers = Self.packageRoot.appendingPathComponent("TestPeers").path
        let milliseconds = Int(keepAliveTimeout.components.seconds * 1000 + keepAliveTimeout.components.attoseconds / 1_000_000_000_000_000)
        let started = try startHoldingAFreePort(pidFile: pidFile) { port in
            switch kind {
            case .apache:
                let config = """
                ServerRoot \(p)
                Listen 127.0.0.1:\(port)
                LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
                LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
                LoadModule mime_module /usr/lib/apache2/modules/mod_mime.so
                User nobody
                Group nogroup
                PidFile \(pidFile)
                DefaultRuntimeDir \(p)
                ErrorLog \(log)
                ServerName 127.0.0.1
                DocumentRoot \(www)
                TypesConfig /etc/mime.types
                KeepAlive On
                MaxKeepAliveRequests 100
                KeepAliveTimeout \(max(1, milliseconds / 1000))
                <Directory \(www)>
                  Require all granted
                </Directory>
                """
                try config.write(toFile: p + "/apache.conf", atomically: true, encoding: .utf8)
                return try ChildProcess(kind.program, ["-f", p + "/apache.conf", "-DFOREGROUND"], stdout: logFD, stderr: logFD)
            case .lighttpd:
                let config = """
                server.document-root = "\(www)"
                server.bind = "127.0.0.1"
                server.port = \(port)
                server.pid-file = "\(pidFile)"
                server.errorlog = "\(log)"
                server.max-keep-alive-requests = 100
                mimetype.assign = (".bin" => "application/octet-stream", ".txt" => "text/plain")
                """
                try config.write(toFile: p + "/lighttpd.conf", atomically: true, encoding: .utf8)
                return try ChildProcess(kind.program, ["-D", "-f", p + "/lighttpd.conf"], stdout: logFD, stderr: logFD)
            case .gunicorn:
                return try ChildProcess(kind.program, ["--bind", "127.0.0.1:\(port)", "--pid", pidFile, "--chdir", peers,
                                                       "--workers", "1", "wsgi_app:app"],
                                        stdout: logFD, stderr: logFD, environment: Self.environment(root: www))
            case .uvicorn:
                // uvicorn writes no pid file: a shell writes it and becomes uvicorn.
                let command = "echo $$ > '\(pidFile)'; exec '\(kind.program)' --host 127.0.0.1 --port \(port) --app-dir '\(peers)' --no-access-log asgi_app:app"
                return try ChildProcess("/bin/sh", ["-c", command], stdout: logFD, stderr: logFD, environment: Self.environment(root: www))
            case .node:
                return try ChildProcess(kind.program, [peers + "/node_app.js", www, "\(port)", pidFile, "\(milliseconds)"],
                                        stdout: logFD, stderr: logFD)
            case .go:
                guard let app = Self.goApp else { throw PeerError.didNotStart("go", "go build of TestPeers/go_app.go failed") }
                return try ChildProcess(app, [www, "\(port)", pidFile, "\(milliseconds)"], stdout: logFD, stderr: logFD)
            }
        }
        guard let started else { throw PeerError.didNotStart("\(kind)", readTextFile(log)) }
        (port, process) = (started.port, started.process)
    }

    deinit {
        process?.kill(SIGTERM)
        _ = process?.wait(timeout: .seconds(5))
        process?.kill()
        try? FileManager.default.removeItem(at: prefix)
    }

    /// The URL of a file it serves.
    public func url(ofFile name: String) -> String {
        kind.isApp ? "http://127.0.0.1:\(port)/files/\(name)" : "http://127.0.0.1:\(port)/\(name)"
    }

    /// The URL of an app endpoint (`/stream`, `/redirect`, `/echo`).
    public func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// What it logged (for a failure's message).
    public var log: String { readTextFile(prefix.appendingPathComponent("server.log").path) }

    /// `TestPeers/go_app.go`, built once per test process (nil when it does not build).
    static let goApp: String? = GoPeers.build("go_app")

    private static func environment(root: String) -> [String] {
        ["HTTPQ_TEST_ROOT=\(root)", "PATH=/usr/bin:/bin", "HOME=/tmp", "LANG=C.UTF-8"]
    }
}
