import Foundation
import HTTPQ
import HTTPQServer
import Locks
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Request bodies read by the handler as they arrive, over real sockets: slices in order,
/// keep-alive after them, reading paused while the handler holds a slice, `100 Continue`
/// on demand, and every way a body can fail reaching the handler as a typed error.
@Suite struct StreamingBodyTests {
    /// What a streaming handler saw of one body.
    final class Seen: Sendable {
        let bytes = Locked(0)
        let sum = Locked(0)
        let error = Locked<RequestBodyError?>(nil)
        let trailers = Locked<Headers>([:])
    }

    /// Reads the whole body slice by slice, then answers `COUNT SUM`.
    static func counting(_ seen: Seen) -> StreamingRequestHandler {
        { request, body, responder in
            @Sendable func next() {
                body.read { result in
                    switch result {
                    case .success(.bytes(let bytes)):
                        seen.bytes.withLock { $0 += bytes.count }
                        seen.sum.withLock { sum in for byte in bytes { sum = (sum + Int(byte)) % 65_521 } }
                        next()
                    case .success(.end(let trailers)):
                        if !trailers.isEmpty { seen.trailers.withLock { $0 = trailers } }
                        let text = "\(request.method) \(seen.bytes.withLock { $0 }) \(seen.sum.withLock { $0 })\n"
                        responder.send(Response(status: 200, reason: "OK", body: Array(text.utf8)))
                    case .failure(let error):
                        seen.error.withLock { $0 = error }
                    }
                }
            }
            next()
        }
    }

    static func checksum(_ bytes: [UInt8]) -> Int { bytes.reduce(0) { ($0 + Int($1)) % 65_521 } }

    @Test func slicesArriveInOrderAndTheConnectionIsKeptAlive() throws {
        let seen = Seen()
        let server = try TestServer(streamingHandler: Self.counting(seen))
        defer { server.stop() }
        let body = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let client = try RawClient(port: server.port)
        var chunked: [UInt8] = []
        for piece in stride(from: 0, to: body.count, by: 70_000) {
            let slice = body[piece..<min(piece + 70_000, body.count)]
            chunked += Array("\(String(slice.count, radix: 16))\r\n".utf8) + slice + [13, 10]
        }
        chunked += Array("0\r\nX-Sum: done\r\n\r\n".utf8)
        client.send("PUT /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        client.send(chunked)
        // A second request right behind it, and one without a body.
        client.send("POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        client.send("GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let answers = responses(in: client.readToEnd().bytes)
        #expect(answers.map(\.text) == ["PUT 300000 \(Self.checksum(body))\n",
                                         "POST 300005 \((Self.checksum(body) + Self.checksum(Array("hello".utf8))) % 65_521)\n",
                                         "GET 300005 \((Self.checksum(body) + Self.checksum(Array("hello".utf8))) % 65_521)\n"])
        #expect(seen.trailers.withLock { $0["X-Sum"] } == "done")
    }

    @Test func readingPausesWhileTheHandlerHoldsASlice() throws {
        let wanted = Locked<RequestBody?>(nil)
        let seen = Seen()
        let server = try TestServer(streamingHandler: { request, body, responder in
            wanted.withLock { $0 = body } // the test asks for the body later
            _ = responder
            _ = request
        })
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        let total = 64 << 20
        client.send("PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: \(total)\r\n\r\n")
        // Push without blocking until the socket stops taking bytes: what the server would
        // have read into memory without backpressure.
        let block = [UInt8](repeating: 0x61, count: 1 << 16)
        var accepted = 0
        var stuckSince: ContinuousClock.Instant?
        while accepted < total {
            let sent = block.withUnsafeBytes { Glibc.send(client.fd, $0.baseAddress, min($0.count, total - accepted), Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
            if sent > 0 { accepted += sent; stuckSince = nil; continue }
            if stuckSince == nil { stuckSince = .now }
            if ContinuousClock.now - stuckSince! > .milliseconds(500) { break }
            usleep(10_000)
        }
        #expect(accepted < total / 2, "the server kept reading a body nobody asked for: \(accepted) bytes taken")
        // Now the handler reads it all; the rest of the body flows.
        let body = try #require(wanted.withLock { $0 })
        let responder = Locked(false)
        @Sendable func next() {
            body.read { result in
                switch result {
                case .success(.bytes(let bytes)): seen.bytes.withLock { $0 += bytes.count }; next()
                case .success(.end): responder.withLock { $0 = true }
                case .failure(let error): seen.error.withLock { $0 = error }
                }
            }
        }
        next()
        let rest = [UInt8](repeating: 0x61, count: total - accepted)
        #expect(client.send(rest))
        try waitUntil { responder.withLock { $0 } }
        #expect(seen.bytes.withLock { $0 } == total)
    }

    @Test func continueIsSentOnlyWhenTheHandlerAsksForTheBody() throws {
        let seen = Seen()
        let server = try TestServer(streamingHandler: { request, body, responder in
            if request.target == "/refuse" {
                return responder.send(Response(status: 401, reason: "Unauthorized", body: Array("no\n".utf8)))
            }
            Self.counting(seen)(request, body, responder)
        })
        defer { server.stop() }
        let asked = try RawClient(port: server.port)
        asked.send("PUT /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        let interim = String(decoding: asked.readSome() ?? [], as: UTF8.self)
        #expect(interim == "HTTP/1.1 100 Continue\r\n\r\n")
        asked.send("abcd")
        #expect(responses(in: asked.readSome() ?? []).first?.text == "PUT 4 \(Self.checksum(Array("abcd".utf8)))\n")

        let refused = try RawClient(port: server.port)
        refused.send("PUT /refuse HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        let (bytes, closed) = refused.readToEnd()
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 401 "), "the final answer, with no 100 Continue before it")
        #expect(text.contains("Connection: close"), "the body was never read: the connection ends after the answer")
        #expect(closed)
    }

    /// A handler that reads a slice, then answers whole (its own 413, a disk full 507): the rest
    /// of the body will not be read, so the answer says `Connection: close` and the connection ends.
    @Test func aWholeAnswerMidBodySaysItCloses() throws {
        let server = try TestServer(streamingHandler: { _, body, responder in
            body.read { _ in responder.send(Response(status: 413, reason: "Content Too Large", body: Array("enough\n".utf8))) }
        })
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        client.send("PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n" + String(repeating: "z", count: 1000))
        let (bytes, closed) = client.readToEnd()
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 413 ") && text.contains("Connection: close\r\n"), "\(text)")
        #expect(closed)
    }

    @Test func aBodyOverTheStreamedLimitIs413AndTheHandlerHearsWhy() throws {
        let seen = Seen()
        let server = try TestServer({ $0.maxStreamedBodyBytes = 100_000 }, streamingHandler: Self.counting(seen))
        defer { server.stop() }
        let declared = try RawClient(port: server.port)
        declared.send("PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length: 100001\r\n\r\n")
        #expect(responses(in: declared.readToEnd().bytes).first?.status == 413)

        let chunked = try RawClient(port: server.port)
        chunked.send("PUT /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in 0..<3 { chunked.send(Array("c350\r\n".utf8) + [UInt8](repeating: 1, count: 50_000) + [13, 10]) }
        #expect(responses(in: chunked.readToEnd().bytes).first?.status == 413)
        try waitUntil { seen.error.withLock { $0 } != nil }
        #expect(seen.error.withLock { $0 } == .tooLarge(limit: 100_000))
    }

    /// The task runs on the connection's loop (its executor): no thread hop per slice, and no
    /// wait for the cooperative pool.
    @Test func aTaskIteratesTheBodyWithForTryAwait() async throws {
        let server = try TestServer(streamingHandler: { _, body, responder in
            Task(executorPreference: body.loop) {
                var count = 0
                var iterator = body.makeAsyncIterator()
                do {
                    while let slice = try await iterator.next() { count += slice.count }
                    let text = "\(count) \(iterator.trailers["X-Done"] ?? "-")\n"
                    responder.send(Response(status: 200, reason: "OK", body: Array(text.utf8)))
                } catch {
                    responder.send(Response(status: 500, reason: "Internal Server Error", body: Array("\(error)\n".utf8)))
                }
            }
        })
        defer { server.stop() }
        try await offPool { // the raw client blocks: not on one of the pool's threads
            let client = try RawClient(port: server.port)
            client.send("PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
            for _ in 0..<20 { client.send(Array("2710\r\n".utf8) + [UInt8](repeating: 3, count: 10_000) + [13, 10]) }
            client.send("0\r\nX-Done: yes\r\n\r\n")
            #expect(responses(in: client.readToEnd().bytes).first?.text == "200000 yes\n")
        }
    }

    @Test func collectHasItsOwnLimit() throws {
        let server = try TestServer(streamingHandler: { _, body, responder in
            body.collect(upTo: 10) { result in
                if case .success(let (bytes, _)) = result {
                    responder.send(Response(status: 200, reason: "OK", body: bytes))
                }
            }
        })
        defer { server.stop() }
        let small = try RawClient(port: server.port)
        small.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789")
        #expect(responses(in: small.readSome() ?? []).first?.text == "0123456789")
        let large = try RawClient(port: server.port)
        large.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n0123456789A")
        #expect(responses(in: large.readToEnd().bytes).first?.status == 413)
    }

    @Test(arguments: ["fin", "rst", "malformed", "stall"])
    func everyWayABodyFailsReachesTheHandler(_ how: String) throws {
        let seen = Seen()
        let server = try TestServer({ $0.idleTimeout = .milliseconds(300) }, streamingHandler: Self.counting(seen))
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        client.send("PUT /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        try waitUntil { seen.bytes.withLock { $0 } == 5 }
        switch how {
        case "fin": client.shutdownWrite()
        case "rst": client.reset()
        case "malformed": client.send("zz\r\n")
        default: break // stall: the idle timeout
        }
        try waitUntil { seen.error.withLock { $0 } != nil }
        let error = try #require(seen.error.withLock { $0 })
        switch (how, error) {
        case ("fin", .peerClosed), ("rst", .peerClosed), ("rst", .connectionClosed), ("stall", .timedOut): break
        case ("malformed", .malformed(let parse)): #expect(parse.kind == .invalidChunkSize)
        default: Issue.record("\(how): \(error)")
        }
        if how == "malformed" || how == "stall" {
            let status = responses(in: client.readToEnd().bytes).first?.status
            #expect(status == (how == "stall" ? 408 : 400))
        }
    }
}

/// Waits (bounded, 10 s) for `condition`.
func waitUntil(_ condition: () -> Bool) throws {
    let end = ContinuousClock.now + .seconds(10)
    while !condition() {
        guard ContinuousClock.now < end else { throw PeerError.didNotStart("condition", "not met within 10 s") }
        usleep(5_000)
    }
}
