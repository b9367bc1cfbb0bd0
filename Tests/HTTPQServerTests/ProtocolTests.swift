import Foundation
import HTTPQ
import HTTPQServer
import Testing
import TestSupport

/// The server against scripted raw-socket clients: exactly the bytes each case needs.
@Suite struct ProtocolTests {
    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await offPool {
            let server = try TestServer()
            defer { server.stop() }
            let client = try RawClient(port: server.port)
            let batch = (1...5).map { "GET /\($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined()
                + "GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            client.send(batch)
            let (bytes, closed) = client.readToEnd()
            let answers = responses(in: bytes)
            #expect(answers.map(\.text) == (1...5).map { "GET /\($0) 0\n" } + ["GET /last 0\n"])
            #expect(answers.last?.headers["Connection"] == "close")
            #expect(closed)
        }
    }

    @Test func pipelinedRequestsWithBodiesOneByteAtATime() async throws {
        try await offPool {
            let server = try TestServer()
            defer { server.stop() }
            let client = try RawClient(port: server.port)
            let batch = "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                + "POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n"
                + "GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            for byte in batch.utf8 { client.send([byte]) }
            let answers = responses(in: client.readToEnd().bytes)
            #expect(answers.map(\.text) == ["POST /a 3\nabc", "POST /b 2\nde", "GET /c 0\n"])
        }
    }

    @Test func keepAliveByDefaultAndHTTP10ClosesUnlessAsked() async throws {
        try await offPool {
            let server = try TestServer()
            defer { server.stop() }
            // HTTP/1.0 without keep-alive: one answer, then the server closes.
            let plain = try RawClient(port: server.port)
            plain.send("GET /old HTTP/1.0\r\n\r\n")
            let (bytes, closed) = plain.readToEnd()
            #expect(responses(in: bytes).map(\.text) == ["GET /old 0\n"])
            #expect(closed)
            // HTTP/1.0 with keep-alive: the connection stays for a second request.
            let kept = try RawClient(port: server.port)
            kept.send("GET /one HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let first = kept.readSome() ?? []
            #expect(responses(in: first).first?.headers["Connection"] == "keep-alive")
            kept.send("GET /two HTTP/1.0\r\n\r\n")
            #expect(responses(in: kept.readToEnd().bytes).map(\.text) == ["GET /two 0\n"])
        }
    }

    @Test(arguments: [
        ("garbage", "\u{16}\u{03}\u{01}\u{02}\u{00}\u{01}\u{00}\u{01}\u{fc}\u{03}\u{03}\r\n\r\n", 400),
        ("no version", "GET /\r\n\r\n", 400),
        ("space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
        ("smuggling CL+TE", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("conflicting lengths", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcd", 400),
        ("TE not ending in chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        // Issue 13: smuggling through HTTP/1.0 chunking (a request hid after the body was served).
        ("HTTP/1.0 chunked kept alive", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n0\r\n\r\nGET /hidden HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("gzip, chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
        ("identity, chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n", 501),
        ("TE repeated", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("Host with a comma and space", "GET / HTTP/1.1\r\nHost: a, b\r\n\r\n", 400),
        ("Host with a space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
        ("HTTP/1.2 without Host", "GET / HTTP/1.2\r\n\r\n", 400),
        ("chunk size 2 2", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2 2\r\nab\r\n0\r\n\r\n", 400),
        ("chunk size 2 garbage", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2 garbage\r\nab\r\n0\r\n\r\n", 400),
        ("asterisk for GET", "GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("absolute-form with another scheme", "GET ftp://x/ HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("bad chunk size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        ("obsolete folding", "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400),
        ("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505), // the version is what is refused (nginx: 400)
        ("an HTTP/2.0 request line", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505), // as nginx (RFC 9110 §15.6.6)
        ("an HTTP/3.0 request line", "GET / HTTP/3.0\r\nHost: x\r\n\r\n", 505),
        ("HTTP/1.1 without Host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400),
        ("two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ("unsupported expectation", "POST / HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nContent-Length: 1\r\n\r\n", 417),
    ])
    func malformedRequestsGetAStatusAndAClose(name: String, text: String, status: Int) async throws {
        try await offPool {
            let server = try TestServer()
            defer { server.stop() }
            let client = try RawClient(port: server.port)
            client.send(text)
            let (bytes, closed) = client.readToEnd()
            let answers = responses(in: bytes)
            #expect(answers.count == 1, "\(name)")
            #expect(answers.first?.status == status, "\(name)")
            #expect(answers.first?.headers["Connection"] == "close", "\(name)")
            #expect(closed, "\(name)")
        }
    }

    @Test func oversizedHeadIs431AndOversizedBodyIs413() async throws {
        try await offPool {
            let server = try TestServer { $0.maxBodyBytes = 1_000 }
            defer { server.stop() }
            let big = try RawClient(port: server.port)
            big.send("GET / HTTP/1.1\r\nHost: x\r\n" + (0..<2_000).map { "X-Filler-\($0): \(String(repeating: "v", count: 40))\r\n" }.joined())
            #expect(responses(in: big.readToEnd().bytes).first?.status == 431)

            // A target longer than a line may be: 414, in one piece and byte by byte; a field
            // line as long: 431 (nginx answers the same two).
            for pieces in [1, 40] {
                let long = try RawClient(port: server.port)
                let line = "GET /" + String(repeating: "a", count: 20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n"
                let step = line.utf8.count / pieces + 1
                var rest = Substring(line)
                while !rest.isEmpty { long.send(String(rest.prefix(step))); rest = rest.dropFirst(step) }
                #expect(responses(in: long.readToEnd().bytes).first?.status == 414, "\(pieces) pieces")
            }
            let longField = try RawClient(port: server.port)
            longField.send("GET / HTTP/1.1\r\nHost: x\r\nX: " + String(repeating: "v", count: 20_000) + "\r\n\r\n")
            #expect(responses(in: longField.readToEnd().bytes).first?.status == 431)

            let declared = try RawClient(port: server.port)
            declared.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n")
            #expect(responses(in: declared.readToEnd().bytes).first?.status == 413)

            let chunked = try RawClient(port: server.port)
            chunked.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n" + String(repeating: "a", count: 1024) + "\r\n")
            #expect(responses(in: chunked.readToEnd().bytes).first?.status == 413)

            // The server still serves others.
            let fine = try RawClient(port: server.port)
            fine.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n" + String(repeating: "b", count: 1000))
            #expect(responses(in: fine.readToEnd().bytes).first?.text.hasPrefix("POST / 1000\n") == true)
        }
    }

    @Test func expectContinueGetsAnInterimResponseBeforeTheBody() async throws {
        try await offPool {
            let server = try TestServer()
            defer { server.stop() }
            let client = try RawClient(port: server.port)
            client.send("PUT /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
            let interim = client.readSome() ?? []
            #expect(String(decoding: interim, as: UTF8.self) == "HTTP/1.1 100 Continue\r\n\r\n")
            client.send("hello")
            let answer = responses(in: client.readSome() ?? []).first
            #expect(answer?.text == "PUT /up 5\nhello")
        }
    }

    @Test func slowHeadIsCutOffAfterTheHeaderTimeout() async throws {
        try await offPool {
            let server = try TestServer { $0.headerTimeout = .milliseconds(400) }
            defer { server.stop() }
            let client = try RawClient(port: server.port)
            let started = ContinuousClock.now
            client.send("GET / HTTP/1.1\r\nHost: x\r\n")
            for _ in 0..<3 { // trickling bytes does not extend the head's deadline
                usleep(150_000)
                client.send("X-Slow: 1\r\n")
            }
            let (bytes, closed) = client.readToEnd()
            #expect(responses(in: bytes).first?.status == 408)
            #expect(closed)
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }

    @Test func silentAndIdleConnectionsAreClosed() async throws {
        try await offPool {
            let server = try TestServer { $0.headerTimeout = .milliseconds(300); $0.idleTimeout = .milliseconds(300) }
            defer { server.stop() }
            let silent = try RawClient(port: server.port)
            let quiet = silent.readToEnd()
            #expect(quiet.bytes.isEmpty && quiet.closed)
            let idle = try RawClient(port: server.port)
            idle.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
            let (bytes, closed) = idle.readToEnd()
            #expect(responses(in: bytes).map(\.text) == ["GET /a 0\n"])
            #expect(closed)
        }
    }

    @Test func halfClosedClientStillGetsItsAnswer() async throws {
        try await offPool {
            let server = try TestServer()
            defer { server.stop() }
            let client = try RawClient(port: server.port)
            client.send("GET /half HTTP/1.1\r\nHost: x\r\n\r\n")
            client.shutdownWrite()
            let (bytes, closed) = client.readToEnd()
            #expect(responses(in: bytes).map(\.text) == ["GET /half 0\n"])
            #expect(closed)
        }
    }

    @Test func headResponsesCarryTheLengthButNoBody() async throws {
        try await offPool {
            let server = try TestServer()
            defer { server.stop() }
            let client = try RawClient(port: server.port)
            client.send("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\nGET /g HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let bytes = client.readToEnd().bytes
            var head = Response(answering: "HEAD")
            let used = try head.feed(bytes)
            #expect(head.isComplete && head.body.isEmpty && head.headers.contentLength == "HEAD /h 0\n".utf8.count)
            #expect(responses(in: Array(bytes[used...])).map(\.text) == ["GET /g 0\n"])
        }
    }
}
