import Foundation
import EvLoop
import HTTPQClient
#if canImport(Glibc)
import Glibc
#endif

/// A scripted HTTP server on raw sockets, for misbehaving on purpose. Each accepted
/// connection runs `script` on a thread of its own with a blocking socket. Its accept
/// thread keeps it alive until `stop()`.
final class ScriptedServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let script: @Sendable (Int32) -> Void
    private let lock = NSLock()
    private var accepted = 0
    private var stopped = false

    init(script: @escaping @Sendable (Int32) -> Void) throws {
        signal(SIGPIPE, SIG_IGN) // the scripts write to clients that may have gone
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        self.listener = listener
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        precondition(bound == 0 && listen(listener, 128) == 0)
        withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(listener, $0, &length) } }
        port = Int(UInt16(bigEndian: address.sin_port))
        self.script = script
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    var connectionsAccepted: Int { lock.lock(); defer { lock.unlock() }; return accepted }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            lock.lock(); accepted += 1; lock.unlock()
            let script = self.script
            Thread.detachNewThread {
                script(client)
                close(client)
            }
        }
    }

    func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    // Script helpers.

    /// Reads until the end of a request head; returns it (empty at end of file).
    static func readHead(_ fd: Int32) -> String {
        var data = [UInt8]()
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1 {
            data.append(byte)
            if data.count >= 4 && data.suffix(4) == [13, 10, 13, 10] { break }
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func send(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if sent <= 0 { return }
            offset += sent
        }
    }

    /// Closes with a TCP reset instead of a FIN.
    static func reset(_ fd: Int32) {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    }
}

/// A real nginx (Debian's nginx-light) on a free loopback port with a generated config,
/// serving `files`; stopped when released.
final class Nginx: @unchecked Sendable {
    let port: Int
    let root: URL
    private let prefix: URL
    private let process = Process()

    init(files: [String: [UInt8]], extraConfig: String = "", ipv6: Bool = false) throws {
        prefix = FileManager.default.temporaryDirectory.appendingPathComponent("httpq-nginx-\(UUID().uuidString)")
        root = prefix.appendingPathComponent("www")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        for (path, bytes) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        port = freePort()
        let p = prefix.path
        let config = """
        worker_processes 1;
        daemon off;
        master_process off;
        error_log \(p)/error.log;
        pid \(p)/nginx.pid;
        events { worker_connections 4096; }
        http {
            access_log off;
            client_body_temp_path \(p)/body; proxy_temp_path \(p)/proxy; fastcgi_temp_path \(p)/fastcgi;
            uwsgi_temp_path \(p)/uwsgi; scgi_temp_path \(p)/scgi;
            keepalive_requests 100000;
            server {
                listen 127.0.0.1:\(port);
                \(ipv6 ? "listen [::1]:\(port);" : "")
                root \(root.path);
                location = /chunked { chunked_transfer_encoding on; gzip off; return 200 "chunk"; }
                \(extraConfig)
            }
        }
        """
        try config.write(to: prefix.appendingPathComponent("nginx.conf"), atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        process.arguments = ["-p", p, "-c", prefix.appendingPathComponent("nginx.conf").path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait until it accepts (bounded: 5 s).
        for _ in 0..<500 {
            if canConnect(port: port) { return }
            usleep(10_000)
        }
        throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "nginx did not start"])
    }

    deinit {
        stopProcess(process)
        try? FileManager.default.removeItem(at: prefix)
    }
}

/// A TCP port nobody listens on right now.
func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}

func canConnect(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
}

/// The number of open descriptors of this process.
func openDescriptorCount() -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
}

/// A real DNS server (Debian's dnsmasq) on a free loopback port that answers every name
/// under `test.httpq` with 127.0.0.1 and refuses everything else (no upstream).
final class Dnsmasq: @unchecked Sendable {
    let port: Int
    private let process = Process()
    /// The c-ares server list pointing at this server.
    var servers: String { "127.0.0.1:\(port)" }

    init() throws {
        port = freePort()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/dnsmasq")
        process.arguments = ["--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                             "--listen-address=127.0.0.1", "--bind-interfaces", "--port=\(port)",
                             "--address=/test.httpq/127.0.0.1", "--user=root", "--pid-file="]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        usleep(200_000) // dnsmasq binds at once; give it a moment (no readiness signal on UDP)
    }

    deinit {
        stopProcess(process)
    }
}

/// Kills a peer and reaps it, bounded (Foundation's waitUntilExit can wait forever when
/// another part of the test process has already reaped the child).
func stopProcess(_ process: Process) {
    let pid = process.processIdentifier
    kill(pid, SIGKILL)
    for _ in 0..<500 {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid || (result < 0 && errno == ECHILD) || !process.isRunning { return }
        usleep(10_000)
    }
}

/// Runs `body` with a client on a loop thread of its own, then shuts both down.
func withClient<T>(_ configuration: Client.Configuration = .init(),
                   _ body: (Client, EventLoopThread) async throws -> T) async throws -> T {
    let thread = try EventLoopThread()
    let client = Client(loops: [thread.loop], configuration: configuration)
    defer {
        client.shutdown()
        try? thread.shutdown()
    }
    return try await body(client, thread)
}
