import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `httpq serve`'s access log beside nginx's own `combined` log of the same requests.
@Suite struct AccessLogCommandTests {
    static let requests: [[String]] = [
        ["-A", "Mozilla/5.0 (X11) \"quoted\"", "-e", "http://referrer.test/page", "/index.html"],
        ["-r", "0-3", "/index.html"],
        ["-I", "/index.html"],
        ["-H", "If-None-Match: *", "/index.html"],
        // A head over 1 KiB (the log copies the values out of it instead of holding it), and
        // bytes outside ASCII to escape.
        ["-H", "Cookie: " + String(repeating: "c", count: 1_500), "-A", "agent/1 \u{E9}", "-e", "http://r.test/\u{E4}", "/index.html"],
        // $remote_user: the user of a Basic Authorization field, though nothing checks it.
        ["-u", "aladdin:open:sesame", "/index.html"],
        ["-H", "Authorization: Bearer abc", "/index.html"],
        // Several ranges: multipart/byteranges, the same length as nginx's (boundaries of 20;
        // a binary file: text parts carry this server's `charset=utf-8`, nginx's do not).
        ["-r", "0-1,4-6,1000-4999", "/big.bin"],
    ]

    /// Requests no client library sends, each on its own connection: lines the parser
    /// refuses (400), logged as received, as nginx logs them.
    static let raw: [[UInt8]] = [
        Array("GARBAGE\r\n\r\n".utf8),
        Array("GET /".utf8) + [0xFF, 0x7F] + Array(" HTTP/1.1\r\nHost: x\r\n\r\n".utf8),
        Array("GET /x HTTP/1.1 extra\r\nHost: x\r\n\r\n".utf8),
    ]

    /// Each line without its `[time]` (the rest must be byte for byte nginx's).
    static func withoutTime(_ text: String) -> [String] {
        text.split(separator: "\n").map { $0.replacingOccurrences(of: #"\[[^\]]+\]"#, with: "[T]", options: .regularExpression) }
    }

    static func run(_ base: String) throws {
        for request in requests {
            let url = base + request.last!
            _ = try ChildProcess.run(ServeCommandTests.curl, ["-s", "--noproxy", "*", "-o", "/dev/null"] + request.dropLast() + [url])
        }
        let port = Int(base.split(separator: ":").last.map { $0.prefix { $0.isNumber } } ?? "") ?? 0
        for request in raw {
            let client = try RawClient(port: port)
            #expect(client.send(request))
            _ = client.readToEnd()
        }
    }

    @Test func combinedLinesMatchNginxs() async throws {
        try await offPool {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("combined-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let nginxLog = directory.appendingPathComponent("nginx.log").path
            let nginx = try Nginx(files: ["index.html": Array("<h1>home</h1>\n".utf8), "big.bin": TestBytes.make(count: 5_000_000)],
                                  extraConfig: "access_log \(nginxLog) combined; types { text/html html; application/octet-stream bin; }")
            try Self.run("http://127.0.0.1:\(nginx.port)")
            let ourLog = directory.appendingPathComponent("httpq.log").path
            let served = try ServeCommandTests.Served(extra: ["--access-log", ourLog])
            try Self.run(served.base)
            served.process.kill(SIGTERM) // the log is written before exit
            #expect(served.process.wait(timeout: .seconds(15)) == .exited(0))
            var theirs: [String] = []
            for _ in 0..<100 where theirs.count < Self.requests.count + Self.raw.count { // nginx writes as it goes
                theirs = Self.withoutTime(readTextFile(nginxLog))
                usleep(20_000)
            }
            let ours = Self.withoutTime(readTextFile(ourLog))
            #expect(ours.count == Self.requests.count + Self.raw.count)
            // The error pages' lengths differ (nginx's are HTML): those lines without them.
            func withoutErrorLength(_ lines: [String]) -> [String] {
                lines.map { $0.replacingOccurrences(of: #"" 400 [0-9]+ "#, with: "\" 400 N ", options: .regularExpression) }
            }
            #expect(withoutErrorLength(ours) == withoutErrorLength(theirs), "\nours:   \(ours)\nnginx:  \(theirs)")
            withExtendedLifetime(nginx) {}
        }
    }

    /// An access log that cannot be written (a full disk) does not stop the server, and is
    /// not silent: standard error says so once. Before, its lines vanished unsaid.
    @Test func anUnwritableLogIsSaidOnStandardErrorAndServingGoesOn() async throws {
        try await offPool {
            let served = try ServeCommandTests.Served(extra: ["--access-log", "/dev/full"])
            var said = ""
            for attempt in 0..<100 where !said.contains("the access log cannot be written") {
                let fetched = try ChildProcess.run(ServeCommandTests.curl, ["-s", "--noproxy", "*", "-o", "/dev/null", "-w", "%{http_code}",
                                                                           served.base + "/index.html"])
                #expect(fetched.stdoutText == "200", "request \(attempt)")
                usleep(20_000)
                said = served.errors
            }
            #expect(said.contains("the access log cannot be written") && said.contains("No space left on device"), "\(said)")
            #expect(said.components(separatedBy: "cannot be written").count == 2, "said once: \(said)")
            served.process.kill(SIGTERM)
            #expect(served.process.wait(timeout: .seconds(15)) == .exited(0))
        }
    }

    @Test func jsonLinesAndReopeningAfterRotation() async throws {
        try await offPool {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("json-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let path = directory.appendingPathComponent("access.log").path
            let served = try ServeCommandTests.Served(extra: ["--access-log", path, "--log-format", "json"])
            _ = try ChildProcess.run(ServeCommandTests.curl, ["-s", "-o", "/dev/null", served.base + "/index.html"])
            // logrotate: move the file away, then SIGUSR1 makes serve open the path again.
            for _ in 0..<100 where readTextFile(path).isEmpty { usleep(20_000) }
            try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
            served.process.kill(SIGUSR1)
            usleep(200_000)
            _ = try ChildProcess.run(ServeCommandTests.curl, ["-s", "-o", "/dev/null", served.base + "/docs/site.css"])
            served.process.kill(SIGTERM)
            #expect(served.process.wait(timeout: .seconds(15)) == .exited(0))
            let rotated = readTextFile(path + ".1"), fresh = readTextFile(path)
            #expect(rotated.contains(#""target":"/index.html""#) && !rotated.contains("site.css"), "\(rotated)")
            let object = try JSONSerialization.jsonObject(with: Data(fresh.utf8)) as? [String: Any]
            #expect(object?["target"] as? String == "/docs/site.css" && object?["status"] as? Int == 200, "\(fresh)")
        }
    }
}
