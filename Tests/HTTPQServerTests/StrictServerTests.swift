import Foundation
import HTTPQ
import HTTPQServer
import Testing
import TestSupport

/// What the server does with requests RFC 9112 lets through but constrains (issue 13):
/// absolute-form targets, CONNECT, and bodies held across many slow uploads.
@Suite struct StrictServerTests {
    /// RFC 9112 §3.2.2: an origin server must accept the absolute form and route on its
    /// authority, ignoring Host (was: 400).
    @Test func absoluteFormTargetIsServedWithItsAuthority() async throws {
        try await offPool {
            let server = try TestServer(handler: { request, responder in
                responder.send(Response(status: 200, reason: "OK",
                                        body: Array("\(request.target) \(request.headers["Host"] ?? "-")".utf8)))
            })
            defer { server.stop() }
            let client = try RawClient(port: server.port)
            client.send("GET http://Example.com:8080/a/b?c=d HTTP/1.1\r\nHost: other\r\nConnection: close\r\n\r\n")
            let answers = responses(in: client.readToEnd().0)
            #expect(answers.first?.status == 200)
            #expect(answers.first.map { String(decoding: $0.body, as: UTF8.self) } == "/a/b?c=d Example.com:8080")
        }
    }

    /// A fragment is not part of a request target (RFC 9112 §3.2); a client that sends one
    /// means the resource without it (nginx ignores it too). Dropped in both forms, the
    /// query kept; the handler never sees `#`.
    @Test func aFragmentInTheTargetIsDropped() async throws {
        try await offPool {
            let server = try TestServer(handler: { request, responder in
                responder.send(Response(status: 200, reason: "OK", body: Array(request.target.utf8)))
            })
            defer { server.stop() }
            for (target, routed) in [("/a/b#frag", "/a/b"), ("/a?q=1#frag#more", "/a?q=1"), ("/#", "/"),
                                     ("http://x/c#d", "/c"), ("/plain", "/plain")] {
                let client = try RawClient(port: server.port)
                client.send("GET \(target) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                let answers = responses(in: client.readToEnd().0)
                #expect(answers.first.map { String(decoding: $0.body, as: UTF8.self) } == routed, "\(target)")
            }
        }
    }

    /// What follows a CONNECT head is a tunnel this server does not open: never read as
    /// another request (a pipelined GET after it must not be answered).
    @Test func connectIsAnsweredOnceAndTheConnectionCloses() async throws {
        try await offPool {
            let server = try TestServer()
            defer { server.stop() }
            let client = try RawClient(port: server.port)
            client.send("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\nContent-Length: 5\r\n\r\nGET /hidden HTTP/1.1\r\nHost: x\r\n\r\n")
            let (bytes, closed) = client.readToEnd()
            let answers = responses(in: bytes, answering: "CONNECT")
            #expect(answers.count == 1)
            #expect(answers.first?.headers["Connection"] == "close")
            #expect(closed)
            #expect(!String(decoding: bytes, as: UTF8.self).contains("/hidden"))
        }
    }

    /// Issue 13.6: bodies held before the handler runs are capped per loop (300 uploads
    /// stalled after most of their body grew the server by 450 MB). Past the budget a new
    /// body is refused with 503 while the earlier ones are still served.
    @Test func manyStalledUploadsStayWithinTheLoopBudget() async throws {
        try await offPool {
            let server = try TestServer({ $0.maxBufferedBytesPerLoop = 1 << 20 })
            defer { server.stop() }
            // Eight uploads of 200 KB declared, each sending 150 KB and stalling: six fit in
            // the 1 MiB budget (900 KB), the seventh and eighth would pass it.
            var clients: [RawClient] = []
            for _ in 0..<8 {
                let client = try RawClient(port: server.port)
                client.send("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n" + String(repeating: "a", count: 150_000))
                clients.append(client)
                usleep(50_000)
            }
            var refused = 0
            for client in clients.suffix(2) {
                let (bytes, closed) = client.readToEnd()
                if responses(in: bytes).first?.status == 503 && closed { refused += 1 }
            }
            #expect(refused == 2)
            // The first uploads still complete and are answered.
            clients[0].send(String(repeating: "b", count: 50_000))
            let answer = String(decoding: clients[0].readSome() ?? [], as: UTF8.self)
            #expect(answer.hasPrefix("HTTP/1.1 200 OK"))
            #expect(answer.contains("POST /up 200000\n"))
        }
    }
}
