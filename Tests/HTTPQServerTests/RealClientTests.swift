import Foundation
import HTTPQ
import HTTPQServer
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The server against real clients started by the tests: curl, Python's http.client, wrk.
@Suite struct RealClientTests {
    static let curl = ChildProcess.which("curl") ?? "/usr/bin/curl"

    @Test func curlReusesTheConnectionAndGetsEveryAnswer() async throws {
        try await offPool {
            let server = try TestServer(handler: testRoutes)
            defer { server.stop() }
            let base = "http://127.0.0.1:\(server.port)"
            let output = try ChildProcess.run(Self.curl, ["-s", "--noproxy", "*", "-w", "|%{http_code} %{num_connects}\\n",
                                                          "\(base)/a", "\(base)/b", "\(base)/c"])
            #expect(output.status == 0, "\(output.stderrText)")
            #expect(output.stdoutText == "GET /a 0\n|200 1\nGET /b 0\n|200 0\nGET /c 0\n|200 0\n")
        }
    }

    @Test func curlUploadsWithExpectContinueAndStreamsAGeneratedBody() async throws {
        try await offPool {
            let server = try TestServer(handler: testRoutes)
            defer { server.stop() }
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("httpq-upload-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let upload = TestBytes.make(count: 300_000, seed: 13)
            let file = directory.appendingPathComponent("upload.bin")
            try Data(upload).write(to: file)
            let base = "http://127.0.0.1:\(server.port)"
            let posted = try ChildProcess.run(Self.curl, ["-s", "--noproxy", "*", "-H", "Expect: 100-continue",
                                                          "--data-binary", "@\(file.path)", "\(base)/up"])
            #expect(posted.stdout == Array("POST /up 300000\n".utf8) + upload)

            let streamed = try ChildProcess.run(Self.curl, ["-s", "--noproxy", "*", "-D", "-", "-o", directory.appendingPathComponent("out").path,
                                                            "\(base)/stream?3000000"])
            #expect(streamed.stdoutText.lowercased().contains("transfer-encoding: chunked"))
            #expect(try Data(contentsOf: directory.appendingPathComponent("out")) == Data(Pump.expected(total: 3_000_000)))
        }
    }

    @Test func pythonHTTPClientKeepsAliveAndReadsChunks() async throws {
        try await offPool {
            let server = try TestServer(handler: testRoutes)
            defer { server.stop() }
            let script = """
            import http.client, sys
            c = http.client.HTTPConnection("127.0.0.1", \(server.port), timeout=10)
            socks = set()
            for path in ["/one", "/two", "/stream?100000"]:
                c.request("GET", path)
                socks.add(id(c.sock))
                r = c.getresponse()
                body = r.read()
                print(r.status, len(body), r.getheader("Transfer-Encoding"))
            c.request("POST", "/post", body=b"x" * 5000)
            r = c.getresponse()
            print(r.status, r.read()[:16])
            print("connections", len(socks))
            """
            let output = try ChildProcess.run(ChildProcess.which("python3") ?? "/usr/bin/python3", ["-c", script])
            #expect(output.status == 0, "\(output.stderrText)")
            #expect(output.stdoutText == """
            200 11 None
            200 11 None
            200 100000 chunked
            200 b'POST /post 5000\\n'
            connections 1

            """)
        }
    }

    @Test func wrkShortRunHasNoErrors() async throws {
        try await offPool {
            guard let wrk = ChildProcess.which("wrk") else {
                Issue.record("wrk is not installed (scripts/setup.sh installs it)")
                return
            }
            let server = try TestServer()
            defer { server.stop() }
            let output = try ChildProcess.run(wrk, ["-t1", "-c32", "-d1s", "http://127.0.0.1:\(server.port)/"], timeout: .seconds(30))
            #expect(output.status == 0, "\(output.stderrText)")
            let text = output.stdoutText
            #expect(!text.contains("Socket errors"), "\(text)")
            #expect(!text.contains("Non-2xx"), "\(text)")
            let requests = text.split(separator: "\n").first { $0.contains("requests in") }
                .flatMap { Int($0.trimmingCharacters(in: .whitespaces).split(separator: " ")[0]) } ?? 0
            #expect(requests > 100, "\(text)")
        }
    }

    /// 2,000 connections hold 4,000 descriptors (both ends are in this process): in a process
    /// of its own, so that the rest of the suite, running beside it, never meets EMFILE on a
    /// machine whose hard limit is near that (a CI run failed two unrelated tests so).
    @Test func twoThousandConcurrentConnectionsAllAnswered() async {
        await #expect(processExitsWith: .success) {
            raiseDescriptorLimit(to: 8_192)
            let server = try TestServer()
            // Both ends of each connection count against the limit; a hard limit below 4,000
            // (not seen on these machines) gets as many as fit rather than a failure.
            var limit = rlimit()
            getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            let count = min(2_000, (Int(limit.rlim_cur) - openDescriptorCount() - 64) / 2)
            precondition(count >= 400, "descriptor limit \(limit.rlim_cur) leaves room for \(count) connections")
            var clients: [RawClient] = []
            for _ in 0..<count { clients.append(try RawClient(port: server.port)) }
            for (index, client) in clients.enumerated() {
                client.send("GET /\(index) HTTP/1.1\r\nHost: x\r\n\r\n")
            }
            var answered = 0
            for (index, client) in clients.enumerated() {
                var bytes: [UInt8] = []
                while responses(in: bytes).isEmpty, let more = client.readSome() { bytes += more }
                if responses(in: bytes).first?.text == "GET /\(index) 0\n" { answered += 1 }
            }
            precondition(answered == count, "only \(answered) of \(count) answered")
            clients.removeAll()
            server.stop()
        }
    }

    @Test func gracefulShutdownFinishesRequestsInFlight() async throws {
        try await offPool {
            // The stop must come once the request is in the handler: a fixed 100 ms wait here
            // failed under the whole suite's load (the stop came first; the connection was
            // still idle, and was closed as idle connections are).
            let entered = DispatchSemaphore(value: 0)
            let server = try TestServer(handler: { request, responder in
                if request.target == "/slow" { entered.signal() }
                testRoutes(request, responder)
            })
            let busy = try RawClient(port: server.port)
            let idle = try RawClient(port: server.port)
            busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(entered.wait(timeout: .now() + 10) == .success, "the request never reached the handler")
            let stopper = Thread { server.stop(gracePeriod: .seconds(5)) }
            stopper.start()
            let (bytes, closed) = busy.readToEnd()
            let answer = responses(in: bytes).first
            #expect(answer?.text == "slow\n")
            #expect(answer?.headers["Connection"] == "close")
            #expect(closed)
            #expect(idle.readToEnd().closed) // the idle connection is closed at once
            for _ in 0..<100 where canConnect(port: server.port) { usleep(20_000) }
            #expect(!canConnect(port: server.port))
        }
    }
}

/// Raises this process's open-descriptor limit (soft, up to the hard limit).
func raiseDescriptorLimit(to wanted: Int) {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    limit.rlim_cur = min(max(limit.rlim_cur, rlim_t(wanted)), limit.rlim_max)
    setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}
