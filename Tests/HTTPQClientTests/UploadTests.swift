import Foundation
import HTTPQ
import HTTPQClient
import Locks
import Synchronization
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Streamed request bodies (`UploadBody`) against a scripted server that parses what it
/// gets with HTTPQ and answers `FRAMING COUNT CHECKSUM`.
@Suite struct UploadTests {
    static func checksum(_ bytes: [UInt8]) -> Int { bytes.reduce(0) { ($0 + Int($1)) % 65_521 } }

    /// Reads requests (head and body) one after another on the connection and answers each
    /// with how it was framed, its length and checksum.
    static func sink() throws -> ScriptedServer {
        try ScriptedServer { fd in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            var request = Request()
            request.keepsBody = false
            var count = 0, sum = 0
            var pending: [UInt8] = []
            while true {
                if pending.isEmpty {
                    let got = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if got <= 0 { return }
                    pending = Array(buffer[0..<got])
                }
                var offset = 0
                while offset < pending.count || request.isComplete {
                    let outcome: (consumed: Int, event: MessageEvent?)
                    do {
                        outcome = try pending[offset...].withUnsafeBytes { try request.consume($0) }
                    } catch {
                        return ScriptedServer.send(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                    }
                    if case .body(let range) = outcome.event {
                        count += range.count
                        for byte in pending[(offset + range.lowerBound)..<(offset + range.upperBound)] { sum = (sum + Int(byte)) % 65_521 }
                    }
                    offset += outcome.consumed
                    if outcome.event == .complete {
                        let framing = request.headers.contains("Transfer-Encoding") ? "chunked" : "length"
                        let text = "\(framing) \(count) \(sum)"
                        ScriptedServer.send(fd, "HTTP/1.1 200 OK\r\nContent-Length: \(text.utf8.count)\r\n\r\n\(text)")
                        request = Request()
                        request.keepsBody = false
                        count = 0
                        sum = 0
                    } else if outcome.event == nil && outcome.consumed == 0 {
                        break
                    }
                }
                pending = []
            }
        }
    }

    @Test func aFileGoesWithItsLengthAndArrivesWhole() async throws {
        let server = try Self.sink()
        defer { server.stop() }
        let bytes = TestBytes.make(count: 5_000_000)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("upload-\(UUID().uuidString)").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        try await withClient { client, _ in
            let body = try UploadBody.file(path)
            #expect(body.length == 5_000_000)
            let response = try await client.execute(Request(method: "PUT", target: "/"), body: body, to: "http://127.0.0.1:\(server.port)/f")
            #expect(String(decoding: response.body, as: UTF8.self) == "length 5000000 \(Self.checksum(bytes))")
            // A part of it, and the connection still serves the next request.
            let part = try UploadBody.file(path, offset: 1000, count: 10)
            let second = try await client.execute(Request(method: "PUT", target: "/"), body: part, to: "http://127.0.0.1:\(server.port)/f")
            #expect(String(decoding: second.body, as: UTF8.self) == "length 10 \(Self.checksum(Array(bytes[1000..<1010])))")
            #expect(server.connectionsAccepted == 1)
        }
        #expect(throws: ClientError.self) { try UploadBody.file("/nonexistent/file") }
    }

    @Test func aSequenceWithoutALengthGoesChunked() async throws {
        let server = try Self.sink()
        defer { server.stop() }
        let pieces = (0..<40).map { index in [UInt8](repeating: UInt8(index), count: 10_000 + index) }
        let stream = AsyncStream<[UInt8]> { continuation in
            for piece in pieces { continuation.yield(piece) }
            continuation.finish()
        }
        try await withClient { client, _ in
            let response = try await client.execute(Request(method: "POST", target: "/"), body: .stream(stream),
                                                    to: "http://127.0.0.1:\(server.port)/")
            let all = pieces.flatMap { $0 }
            #expect(String(decoding: response.body, as: UTF8.self) == "chunked \(all.count) \(Self.checksum(all))")
        }
    }

    @Test func aProducerIsPulledOnePieceAtATime() async throws {
        let server = try Self.sink()
        defer { server.stop() }
        let outstanding = Locked(0)
        let maxOutstanding = Locked(0)
        let produced = Locked(0)
        let body = UploadBody.pull(length: 64 * 100_000) { writer in
            let now = outstanding.withLock { $0 += 1; return $0 }
            maxOutstanding.withLock { $0 = max($0, now) }
            // Answer from another thread, later: the connection must wait for it.
            DispatchQueue.global().asyncAfter(deadline: .now() + .microseconds(200)) {
                outstanding.withLock { $0 -= 1 }
                let index = produced.withLock { value -> Int in defer { value += 1 }; return value }
                if index < 64 { writer.write([UInt8](repeating: UInt8(index), count: 100_000)) } else { writer.end() }
            }
        }
        try await withClient { client, _ in
            let response = try await client.execute(Request(method: "PUT", target: "/"), body: body, to: "http://127.0.0.1:\(server.port)/")
            let expected = (0..<64).flatMap { [UInt8](repeating: UInt8($0), count: 100_000) }
            #expect(String(decoding: response.body, as: UTF8.self) == "length 6400000 \(Self.checksum(expected))")
        }
        #expect(maxOutstanding.withLock { $0 } == 1, "one pull at a time")
    }

    @Test(arguments: [(10, 5, "short"), (10, 15, "long")])
    func aBodyThatDoesNotMatchItsLengthFails(_ declared: Int, _ given: Int, _ name: String) async throws {
        let server = try Self.sink()
        defer { server.stop() }
        let sent = Locked(false)
        let body = UploadBody.pull(length: declared) { writer in
            if sent.withLock({ value in defer { value = true }; return value }) { writer.end() } else { writer.write([UInt8](repeating: 1, count: given)) }
        }
        _ = try await withClient { client, _ in
            await #expect {
                _ = try await client.execute(Request(method: "PUT", target: "/"), body: body, to: "http://127.0.0.1:\(server.port)/")
            } throws: { error in
                guard case .uploadFailed(let reason) = error as? ClientError else { return false }
                return reason.contains(name == "short" ? "short of its declared length" : "longer than its declared length")
            }
        }
    }

    @Test func aProducerThatFailsFailsTheRequest() async throws {
        let server = try Self.sink()
        defer { server.stop() }
        _ = try await withClient { client, _ in
            await #expect(throws: ClientError.uploadFailed("disk gone")) {
                _ = try await client.execute(Request(method: "PUT", target: "/"), body: .pull { $0.fail("disk gone") },
                                             to: "http://127.0.0.1:\(server.port)/")
            }
        }
    }

    @Test func anEarlyAnswerStopsTheUploadAndTheConnectionIsNotReused() async throws {
        // Answers 413 as soon as the head is in, then reads (and drops) whatever comes.
        let server = try ScriptedServer { fd in
            _ = ScriptedServer.readHead(fd)
            ScriptedServer.send(fd, "HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\n\r\n")
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while read(fd, &buffer, buffer.count) > 0 {}
        }
        defer { server.stop() }
        let pulls = Locked(0)
        let body = UploadBody.pull { writer in
            let count = pulls.withLock { $0 += 1; return $0 }
            // An endless body: only the early answer ends this request.
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(count < 5 ? 1 : 20)) {
                writer.write([UInt8](repeating: 0, count: 1000))
            }
        }
        try await withClient { client, _ in
            let response = try await client.execute(Request(method: "PUT", target: "/"), body: body, to: "http://127.0.0.1:\(server.port)/")
            #expect(response.status == 413)
            let after = pulls.withLock { $0 }
            try await Task.sleep(for: .milliseconds(200))
            #expect(pulls.withLock { $0 } <= after + 1, "the producer is not asked for more once the answer came")
            _ = try? await client.get("http://127.0.0.1:\(server.port)/")
            #expect(server.connectionsAccepted == 2, "the connection whose body was cut short was not reused")
        }
    }
}

/// Client.md's upload examples, as written there.
@Suite struct UploadExampleTests {
    @Test func clientMarkdownUploadExamples() async throws {
        let server = try UploadTests.sink()
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)/"
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("example-\(UUID().uuidString)").path
        try Data("twelve bytes".utf8).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        let pieces = [Array("one".utf8), Array("two".utf8)]
        let sent = Atomic(false)
        try await withClient { client, _ in
            // A file: its size is read now and sent as Content-Length; on a plain connection the bytes go
            // with sendfile and never enter the process (64 KiB pieces through TLS).
            let file = try UploadBody.file(path)
            let stored = try await client.execute(Request(method: "PUT", target: "/"), body: file, to: url)

            // An AsyncSequence of byte chunks: chunked, since no length is given.
            let chunks = AsyncStream<[UInt8]> { continuation in
                for piece in pieces { continuation.yield(piece) }
                continuation.finish()
            }
            let posted = try await client.execute(Request(method: "POST", target: "/"), body: .stream(chunks), to: url)

            // Pulled: called on the loop each time the connection can take more; answer now or later.
            let generated = UploadBody.pull(length: 3) { writer in
                if sent.exchange(true, ordering: .relaxed) { writer.end() } else { writer.write(Array("abc".utf8)) }
            }
            let pulled = try await client.execute(Request(method: "PUT", target: "/"), body: generated, to: url)

            #expect(String(decoding: stored.body, as: UTF8.self) == "length 12 \(UploadTests.checksum(Array("twelve bytes".utf8)))")
            #expect(String(decoding: posted.body, as: UTF8.self) == "chunked 6 \(UploadTests.checksum(Array("onetwo".utf8)))")
            #expect(String(decoding: pulled.body, as: UTF8.self) == "length 3 \(UploadTests.checksum(Array("abc".utf8)))")
        }
    }
}

extension UploadTests {
    /// A server that answers 413 at the head and closes at once, the body unread (the kernel
    /// then resets): the client's next write fails, and the answer already received is what
    /// the request gets — not `closedBeforeHead`.
    @Test func anEarlyAnswerThenACloseIsStillTheAnswer() async throws {
        let server = try ScriptedServer { fd in
            _ = ScriptedServer.readHead(fd)
            ScriptedServer.send(fd, "HTTP/1.1 413 Content Too Large\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbig\n")
            shutdown(fd, Int32(SHUT_WR)) // the answer is sent; the close (unread body: a reset) follows at once
        }
        defer { server.stop() }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("big-\(UUID().uuidString)").path
        try Data(count: 64 << 20).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        try await withClient { client, _ in
            for body in [try UploadBody.file(path), .pull(length: nil) { $0.write([UInt8](repeating: 0, count: 1 << 20)) }] {
                let response = try await client.execute(Request(method: "PUT", target: "/"), body: body, to: "http://127.0.0.1:\(server.port)/")
                #expect(response.status == 413 && String(decoding: response.body, as: UTF8.self) == "big\n")
            }
        }
    }
}
