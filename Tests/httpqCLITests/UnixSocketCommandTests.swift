import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Unix domain sockets from the command line, against real peers both ways: curl
/// `--unix-socket` against `httpq serve --listen unix:PATH`, and `httpq fetch --unix-socket`
/// and an `http+unix://` URL against nginx listening on one.
@Suite struct UnixSocketCommandTests {
    static func socketPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("httpq-\(getpid())-\(name).sock").path
    }

    /// Binds a Unix socket at `path` and closes it without listening: the file stays.
    static func leaveASocketFileNobodyListensOn(at path: String) {
        let stale = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path.utf8) }
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(stale, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        close(stale)
    }

    @Test func curlReachesServeOnAUnixSocketAndTheFileGoesWithIt() async throws {
        try await offPool {
            let path = Self.socketPath("serve")
            let served = try ServeCommandTests.Served(extra: ["--listen", "unix:\(path)", "--threads", "2"])
            let encoded = path.replacingOccurrences(of: "/", with: "%2F")
            let printed = served.output(containing: "listening on http+unix://\(encoded)/")
            #expect(printed.contains("listening on http+unix://\(encoded)/"), "\(printed)")
            for _ in 0..<4 { // both loops' copies of the listener answer
                let output = try ChildProcess.run(ServeCommandTests.curl, ["-s", "--unix-socket", path,
                                                                           "-w", " %{http_code}", "http://localhost/docs/site.css"])
                #expect(output.stdoutText == "body { }\n 200", "\(output.stdoutText)\(output.stderrText)")
            }
            // httpq fetch takes the URL form serve printed.
            let fetched = try ChildProcess.run(CLI.executable, ["fetch", "--json", "http+unix://\(encoded)/index.html"])
            #expect(fetched.status == 0 && fetched.stdoutText.contains(#""status": 200, "bytes": 14"#), "\(fetched.stdoutText)\(fetched.stderrText)")
            served.process.kill(SIGTERM)
            #expect(served.process.wait(timeout: .seconds(15)) == .exited(0))
            #expect(access(path, F_OK) != 0, "the socket file is removed on exit")
        }
    }

    @Test func aStaleSocketFileIsReplacedAndALiveOneRefused() async throws {
        try await offPool {
            let path = Self.socketPath("stale")
            Self.leaveASocketFileNobodyListensOn(at: path) // as a killed server leaves
            #expect(access(path, F_OK) == 0)
            let served = try ServeCommandTests.Served(extra: ["--listen", "unix:\(path)"])
            #expect(served.output(containing: "http+unix://").contains("http+unix://"))
            // A second server on the same live socket fails, naming the address.
            let second = try CLI.run(["serve", "--listen", "unix:\(path)"], input: [], timeout: .seconds(10))
            #expect(second.status == 1 && second.stderr.contains("unix:\(path)"), "\(second.stderr)")
            withExtendedLifetime(served) {}
        }
    }

    @Test func aSocketFileNobodyListensOnIsARefusal() async throws {
        try await offPool {
            let path = Self.socketPath("nobody")
            Self.leaveASocketFileNobodyListensOn(at: path)
            defer { unlink(path) }
            let fetched = try ChildProcess.run(CLI.executable, ["fetch", "--json", "--unix-socket", path, "http://localhost/"])
            #expect(fetched.status == 1 && fetched.stdoutText.contains("connection refused by unix:\(path)\""),
                    "\(fetched.stdoutText)\(fetched.stderrText)")
        }
    }

    @Test func fetchGoesThroughNginxOnAUnixSocket() async throws {
        try await offPool {
            let path = Self.socketPath("nginx")
            let nginx = try Nginx(files: ["page.txt": Array("over a unix socket\n".utf8)], extraConfig: "listen unix:\(path);")
            defer { unlink(path) }
            let viaOption = try ChildProcess.run(CLI.executable, ["fetch", "--json", "--unix-socket", path, "http://localhost/page.txt"])
            #expect(viaOption.status == 0 && viaOption.stdoutText.contains(#""status": 200, "bytes": 19"#), "\(viaOption.stdoutText)\(viaOption.stderrText)")
            let encoded = path.replacingOccurrences(of: "/", with: "%2F")
            let viaURL = try ChildProcess.run(CLI.executable, ["fetch", "--json", "http+unix://\(encoded)/page.txt"])
            #expect(viaURL.status == 0 && viaURL.stdoutText.contains(#""status": 200, "bytes": 19"#), "\(viaURL.stdoutText)")
            // No socket there: a failure naming it, not a hang.
            let missing = try ChildProcess.run(CLI.executable, ["fetch", "--json", "--unix-socket", path + ".gone", "http://localhost/"])
            #expect(missing.status == 1 && missing.stdoutText.contains("unix:\(path).gone unreachable: No such file or directory"),
                    "the path and the system's reason, no port: \(missing.stdoutText)")
            withExtendedLifetime(nginx) {}
        }
    }
}
