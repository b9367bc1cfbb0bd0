import TestSupport
import Foundation
import Testing
import EvLoop
import HTTPQ
@testable import HTTPQClient
#if canImport(Glibc)
import Glibc
#endif

/// Everything a delegate heard, in order.
final class Transcript: ConnectionDelegate {
    var events: [String] = []
    var body: [UInt8] = []
    var responses: [Response] = []
    var errors: [ClientError] = []
    var interim: [Int] = []
    var onComplete: ((Connection) -> Void)?
    var stopWhenDone = true

    func connection(_ connection: Connection, didChange state: State, of response: Response) { events.append("\(state)") }
    func connection(_ connection: Connection, didReceiveBody bytes: RawSpan) {
        bytes.withUnsafeBytes { body.append(contentsOf: $0) }
    }
    func connection(_ connection: Connection, didComplete response: Response) {
        events.append("complete")
        responses.append(response)
        onComplete?(connection)
        if stopWhenDone { connection.loop.stop() }
    }
    func connection(_ connection: Connection, didFail error: any Error) {
        events.append("fail")
        errors.append(error as! ClientError)
        connection.loop.stop()
    }
    func connection(_ connection: Connection, didReceiveInformational response: Response) { interim.append(response.status) }
}

/// Runs `loop` until something stops it, or at most `limit` (no test can hang on a peer).
func runBounded(_ loop: EventLoop, limit: Duration = .seconds(10)) {
    let limitTimer = loop.schedule(after: limit) { loop.stop() }
    loop.run()
    limitTimer.cancel()
}

/// Sends one GET to 127.0.0.1:`port` and runs the loop until it ends (bounded by `limit`).
func fetchOnce(port: Int, method: String = "GET", options: ConnectionOptions = ConnectionOptions(),
               limit: Duration = .seconds(10)) throws -> Transcript {
    let loop = try EventLoop()
    defer { retire(loop) }
    let transcript = Transcript()
    let connection = try Connection(loop: loop, host: "127.0.0.1", port: port, delegate: transcript, options: options)
    connection.send(Request(method: method, target: "/x", headers: ["Host": "127.0.0.1"]))
    let guardTimer = loop.schedule(after: limit) { loop.stop() }
    loop.run()
    guardTimer.cancel()
    connection.close()
    return transcript
}

@Suite struct ConnectionTests {
    @Test func contentLengthChunkedAndCloseDelimitedBodies() async throws {
        try await offPool {
            let bodies = [
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhe\r\n3\r\nllo\r\n0\r\nX-Trailer: yes\r\n\r\n",
                "HTTP/1.0 200 OK\r\n\r\nhello",
            ]
            for text in bodies {
                let server = try ScriptedServer.answering(text)
                defer { server.stop() }
                let transcript = try fetchOnce(port: server.port)
                #expect(transcript.events == ["headers", "body", "complete"], "\(text) \(transcript.errors)")
                #expect(transcript.body == Array("hello".utf8))
                #expect(transcript.responses.first?.body == Array("hello".utf8))
            }
        }
    }

    @Test func trailersAndOneByteAtATime() async throws {
        try await offPool {
            let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\nX-Sum: 4\r\n\r\n"
            let server = try ScriptedServer { fd in
                _ = ScriptedServer.readHead(fd)
                for character in text { ScriptedServer.send(fd, String(character)); usleep(500) }
            }
            defer { server.stop() }
            let transcript = try fetchOnce(port: server.port)
            #expect(transcript.events == ["headers", "body", "complete"])
            #expect(transcript.responses.first?.trailers["x-sum"] == "4")
            #expect(transcript.body == Array("abcd".utf8))
        }
    }

    @Test func headResponseHasNoBody() async throws {
        try await offPool {
            let server = try ScriptedServer.answering("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", holding: 200_000)
            defer { server.stop() }
            let transcript = try fetchOnce(port: server.port, method: "HEAD")
            #expect(transcript.events == ["headers", "body", "complete"])
        }
    }

    @Test func interimResponsesThenFinal() async throws {
        try await offPool {
            let server = try ScriptedServer { fd in
                _ = ScriptedServer.readHead(fd)
                ScriptedServer.send(fd, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s>\r\n\r\n")
                ScriptedServer.send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            }
            defer { server.stop() }
            let transcript = try fetchOnce(port: server.port)
            #expect(transcript.interim == [100, 103])
            #expect(transcript.responses.map(\.status) == [200])
        }
    }

    @Test(arguments: [
        ("reset mid-head", "HTTP/1.1 200 OK\r\nContent-Le", true, ClientError.closedBeforeHead),
        ("close mid-head", "HTTP/1.1 200 OK\r\nContent-Le", false, ClientError.closedBeforeHead),
        ("reset mid-body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", true, ClientError.closedMidBody),
        ("truncated length", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", false, ClientError.closedMidBody),
        ("close mid-chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc", false, ClientError.closedMidBody),
        ("nothing at all", "", false, ClientError.closedBeforeHead),
    ])
    func peerThatGoesAwayEndsInATypedError(_ name: String, _ text: String, _ reset: Bool, _ expected: ClientError) async throws {
        try await offPool {
            let server = try ScriptedServer { fd in
                _ = ScriptedServer.readHead(fd)
                ScriptedServer.send(fd, text)
                usleep(20_000)
                if reset { ScriptedServer.reset(fd) }
            }
            defer { server.stop() }
            let transcript = try fetchOnce(port: server.port)
            #expect(transcript.errors == [expected], "\(name)")
            #expect(transcript.responses.isEmpty)
        }
    }

    @Test(arguments: [
        ("garbage", "SSH-2.0-OpenSSH\r\n\r\n", HTTPQError.Kind.malformedStartLine),
        ("absurd chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\n", .chunkSizeTooLarge),
        ("negative length", "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n", .invalidContentLength),
    ])
    func malformedResponsesAreProtocolErrors(_ name: String, _ text: String, _ kind: HTTPQError.Kind) async throws {
        try await offPool {
            let server = try ScriptedServer.answering(text, holding: 100_000)
            defer { server.stop() }
            let transcript = try fetchOnce(port: server.port)
            guard case .protocolError(let error)? = transcript.errors.first else {
                Issue.record("\(name): expected a protocol error, got \(transcript.events)")
                return
            }
            #expect(error.kind == kind)
        }
    }

    @Test func endlessHeaderStreamHitsTheLimitQuickly() async throws {
        try await offPool {
            let server = try ScriptedServer { fd in
                _ = ScriptedServer.readHead(fd)
                ScriptedServer.send(fd, "HTTP/1.1 200 OK\r\n")
                for index in 0..<100_000 {
                    ScriptedServer.send(fd, "X-Filler-\(index): \(String(repeating: "v", count: 64))\r\n")
                }
            }
            defer { server.stop() }
            let transcript = try fetchOnce(port: server.port)
            guard case .protocolError(let error)? = transcript.errors.first else {
                Issue.record("expected a protocol error, got \(transcript.events)")
                return
            }
            #expect(error.kind == .tooManyFields(limit: 128) || error.kind == .headTooLarge(limit: 80 * 1024))
        }
    }

    @Test func stallEndsInTheIdleTimeout() async throws {
        try await offPool {
            let server = try ScriptedServer.answering("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab", holding: 1_000_000)
            defer { server.stop() }
            let transcript = try fetchOnce(port: server.port, options: ConnectionOptions(idleReadTimeout: .milliseconds(200)))
            #expect(transcript.errors == [.timedOut(.idleRead)])
        }
    }

    @Test func requestTimeout() async throws {
        try await offPool {
            let server = try ScriptedServer { fd in
                _ = ScriptedServer.readHead(fd)
                for _ in 0..<20 { ScriptedServer.send(fd, ""); usleep(50_000) }
            }
            defer { server.stop() }
            let transcript = try fetchOnce(port: server.port, options: ConnectionOptions(requestTimeout: .milliseconds(150)))
            #expect(transcript.errors == [.timedOut(.request)])
        }
    }

    @Test func refusedPort() async throws {
        try await offPool {
            let transcript = try fetchOnce(port: TestSupport.refusedPort())
            #expect(transcript.errors == [.connectionRefused(host: "127.0.0.1", port: transcript.errors.first.map { _ in 0 } ?? 0)] || {
                if case .connectionRefused? = transcript.errors.first { return true } else { return false }
            }())
        }
    }

    @Test func namesResolveThroughARealDNSServerDrivenByTheLoop() async throws {
        try await offPool {
            let dns = try Dnsmasq()
            let nginx = try Nginx(files: ["x": Array("x".utf8)])
            defer { withExtendedLifetime((dns, nginx)) {} }
            let options = ConnectionOptions(dnsServers: dns.servers)
            for (host, resolves) in [("www.test.httpq", true), ("no-such-host.example", false)] {
                let loop = try EventLoop()
                defer { retire(loop) }
                let transcript = Transcript()
                let connection = try Connection(loop: loop, host: host, port: nginx.port, delegate: transcript, options: options)
                connection.send(Request(method: "GET", target: "/x", headers: ["Host": "x"]))
                runBounded(loop, limit: .seconds(10))
                if resolves {
                    #expect(transcript.responses.first?.status == 200, "\(host): \(transcript.errors)")
                } else {
                    guard case .resolveFailed(let failed, _)? = transcript.errors.first else {
                        Issue.record("expected resolveFailed for \(host), got \(transcript.events)")
                        continue
                    }
                    #expect(failed == host)
                }
                connection.close()
            }
        }
    }

    @Test func localhostResolvesThroughEtcHosts() async throws {
        try await offPool {
            let nginx = try Nginx(files: ["x": Array("x".utf8)])
            defer { withExtendedLifetime(nginx) {} }
            let loop = try EventLoop()
            defer { retire(loop) }
            let transcript = Transcript()
            let connection = try Connection(loop: loop, host: "localhost", port: nginx.port, delegate: transcript)
            connection.send(Request(method: "GET", target: "/x", headers: ["Host": "localhost"]))
            runBounded(loop, limit: .seconds(10))
            #expect(transcript.responses.first?.status == 200)
        }
    }

    @Test func keepAliveCarriesSeveralRequestsOnOneConnection() async throws {
        try await offPool {
            let nginx = try Nginx(files: ["a.txt": Array("first".utf8), "b.txt": Array("second".utf8)])
            defer { withExtendedLifetime(nginx) {} }
            let loop = try EventLoop()
            defer { retire(loop) }
            let transcript = Transcript()
            transcript.stopWhenDone = false
            let connection = try Connection(loop: loop, host: "127.0.0.1", port: nginx.port, delegate: transcript)
            transcript.onComplete = { [unowned transcript] connection in
                if transcript.responses.count == 3 { connection.loop.stop() }
            }
            for path in ["/a.txt", "/b.txt", "/a.txt"] {
                connection.send(Request(method: "GET", target: path, headers: ["Host": "127.0.0.1"]))
            }
            runBounded(loop, limit: .seconds(10))
            #expect(transcript.responses.map { String(decoding: $0.body, as: UTF8.self) } == ["first", "second", "first"])
            #expect(connection.isReusable && !connection.isClosed)
            connection.close()
        }
    }

    /// One exchange with a server that answers `answer` to anything: what the delegate heard,
    /// and whether the connection was left reusable and closed.
    static func exchange(_ answer: String, _ request: Request = Request(method: "GET", target: "/", headers: ["Host": "x"]))
        throws -> (transcript: Transcript, reusable: Bool, closed: Bool)
    {
        let server = try ScriptedServer.answering(answer, holding: 100_000)
        defer { server.stop() }
        let loop = try EventLoop()
        defer { retire(loop) }
        let transcript = Transcript()
        let connection = try Connection(loop: loop, host: "127.0.0.1", port: server.port, delegate: transcript)
        connection.send(request)
        runBounded(loop)
        return (transcript, connection.isReusable, connection.isClosed)
    }

    @Test func extraBytesAfterAResponseMeanNoReuse() async throws {
        try await offPool {
            let (transcript, reusable, closed) = try Self.exchange("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokSURPRISE")
            #expect(transcript.responses.count == 1)
            #expect(!reusable)
            #expect(closed)
        }
    }

    /// Both length fields (a response-splitting shape, found by the llhttp differential fuzz):
    /// read by Transfer-Encoding, and the connection is never reused.
    @Test func aResponseWithBothLengthFieldsMeansNoReuse() async throws {
        try await offPool {
            let (transcript, reusable, closed) = try Self.exchange(
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n")
            #expect(transcript.responses.first?.body == Array("ok".utf8))
            #expect(!reusable)
            #expect(closed)
        }
    }

    /// A 2xx to CONNECT and a 101 asked for make a tunnel: the connection never carries
    /// HTTP again.
    @Test(arguments: [("CONNECT", "HTTP/1.1 200 Connection established\r\n\r\n", "a.b:443"),
                      ("GET", "HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\n", "/")])
    func aTunnelIsNeverReused(_ method: String, _ answer: String, _ target: String) async throws {
        try await offPool {
            let headers: Headers = method == "GET" ? ["Host": "x", "Connection": "upgrade", "Upgrade": "x"] : ["Host": "a.b:443"]
            let (transcript, reusable, _) = try Self.exchange(answer, Request(method: method, target: target, headers: headers))
            #expect(transcript.responses.count == 1)
            #expect(!reusable)
        }
    }

    @Test func pausedReadingDeliversNothingUntilResumed() async throws {
        try await offPool {
            let big = String(repeating: "z", count: 300_000)
            let server = try ScriptedServer.answering("HTTP/1.1 200 OK\r\nContent-Length: \(big.utf8.count)\r\n\r\n" + big)
            defer { server.stop() }
            final class Pausing: ConnectionDelegate, @unchecked Sendable {
                var received = 0, whilePaused = 0, paused = false, done = false
                func connection(_ connection: Connection, didChange state: State, of response: Response) {}
                func connection(_ connection: Connection, didReceiveBody bytes: RawSpan) {
                    if paused { whilePaused += bytes.byteCount }
                    received += bytes.byteCount
                    if received > 100_000 && !paused && !done {
                        paused = true
                        connection.pauseReading()
                        connection.loop.schedule(after: .milliseconds(100)) { [self] in
                            paused = false
                            done = true
                            connection.resumeReading()
                        }
                    }
                }
                func connection(_ connection: Connection, didComplete response: Response) { connection.loop.stop() }
                func connection(_ connection: Connection, didFail error: any Error) { connection.loop.stop() }
            }
            let loop = try EventLoop()
            defer { retire(loop) }
            let delegate = Pausing()
            let connection = try Connection(loop: loop, host: "127.0.0.1", port: server.port, delegate: delegate,
                                            options: ConnectionOptions(keepsBody: false))
            connection.send(Request(method: "GET", target: "/", headers: ["Host": "x"]))
            loop.run()
            #expect(delegate.received == 300_000)
            #expect(delegate.whilePaused == 0)
            connection.close()
        }
    }

    @Test func pauseDuringTheLastBodySliceStillCompletesAfterResume() async throws {
        try await offPool {
            let server = try ScriptedServer.answering("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", holding: 300_000)
            defer { server.stop() }
            final class PauseAtEnd: ConnectionDelegate, @unchecked Sendable {
                var completedWhilePaused = false, paused = false, completed = false
                func connection(_ connection: Connection, didChange state: State, of response: Response) {}
                func connection(_ connection: Connection, didReceiveBody bytes: RawSpan) {
                    paused = true
                    connection.pauseReading()
                    connection.loop.schedule(after: .milliseconds(50)) { [self] in
                        paused = false
                        connection.resumeReading()
                    }
                }
                func connection(_ connection: Connection, didComplete response: Response) {
                    completedWhilePaused = paused
                    completed = true
                    connection.loop.stop()
                }
                func connection(_ connection: Connection, didFail error: any Error) { connection.loop.stop() }
            }
            let loop = try EventLoop()
            defer { retire(loop) }
            let delegate = PauseAtEnd()
            let connection = try Connection(loop: loop, host: "127.0.0.1", port: server.port, delegate: delegate)
            connection.send(Request(method: "GET", target: "/", headers: ["Host": "x"]))
            runBounded(loop, limit: .seconds(5))
            #expect(delegate.completed, "the completion held back by the pause arrives after resume")
            #expect(!delegate.completedWhilePaused)
            connection.close()
        }
    }

    @Test func closeInsideACallbackIsSafeAndEndsOnce() async throws {
        try await offPool {
            let server = try ScriptedServer.answering("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
            defer { server.stop() }
            final class Closer: ConnectionDelegate {
                var calls: [String] = []
                func connection(_ connection: Connection, didChange state: State, of response: Response) {
                    calls.append("\(state)")
                    if state == .headers { connection.close() }
                }
                func connection(_ connection: Connection, didReceiveBody bytes: RawSpan) { calls.append("body") }
                func connection(_ connection: Connection, didComplete response: Response) { calls.append("complete") }
                func connection(_ connection: Connection, didFail error: any Error) {
                    calls.append("fail")
                    connection.loop.schedule(after: .milliseconds(20)) { connection.loop.stop() }
                }
            }
            let loop = try EventLoop()
            defer { retire(loop) }
            let delegate = Closer()
            let connection = try Connection(loop: loop, host: "127.0.0.1", port: server.port, delegate: delegate)
            connection.send(Request(method: "GET", target: "/", headers: ["Host": "x"]))
            loop.run()
            #expect(delegate.calls == ["headers", "fail"])
        }
    }

    @Test func noDescriptorLeaks() async {
        await #expect(processExitsWith: .success) {
            let server = try ScriptedServer.answering("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            defer { server.stop() }
            _ = try fetchOnce(port: server.port) // warm-up: resolver thread, loop buffers
            let refused = TestSupport.refusedPort() // its descriptor stays open: taken before counting
            let before = steadyDescriptorCount() // the server's end of the warm-up closed too
            for _ in 0..<30 { _ = try fetchOnce(port: server.port) }
            for _ in 0..<10 { _ = try fetchOnce(port: refused) }
            // The scripted server closes its side on its own threads: wait for them (a fixed
            // wait is a guess under a loaded machine), at most 5 s.
            for _ in 0..<250 where openDescriptorCount() != before { usleep(20_000) }
            let after = openDescriptorCount()
            precondition(after == before, "descriptors before \(before), after \(after)")
        }
    }

    /// A request sent on a connection that has closed is not lost: the delegate it had hears
    /// `cancelled`, on a later turn, not from inside `send` (it was dropped: the delegate had
    /// been let go at the close).
    @Test func aRequestSentAfterTheCloseFailsLater() throws {
        let loop = try EventLoop()
        defer { retire(loop) }
        let transcript = Transcript()
        let connection = try Connection(loop: loop, host: "127.0.0.1", port: 9, delegate: transcript)
        connection.close()
        transcript.events.removeAll()
        connection.send(Request(method: "GET", target: "/", headers: ["Host": "x"]))
        #expect(transcript.events.isEmpty, "reported from inside send")
        runBounded(loop, limit: .seconds(5))
        #expect(transcript.events == ["fail"])
        #expect(transcript.errors.last == .cancelled)
    }
}
