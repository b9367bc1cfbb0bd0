import Dispatch
import Foundation
import HTTPQ
import HTTPQServer
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The ways of answering: from another thread, streamed with a length, a file, and what
/// happens to a request still unanswered when the grace period ends.
@Suite struct ResponderTests {
    @Test func answersFromAnotherThreadArriveInOrder() async throws {
        try await offPool {
            let server = try TestServer(handler: { request, responder in
                // A slower answer for /1 than for /2: pipelined answers must still keep their order.
                let delay: UInt32 = request.target == "/1" ? 100_000 : 0
                DispatchQueue.global().async {
                    usleep(delay)
                    responder.send(Response(status: 200, reason: "OK", body: Array("answer \(request.target)\n".utf8)))
                }
            })
            defer { server.stop() }
            let client = try RawClient(port: server.port)
            client.send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(responses(in: client.readToEnd().bytes).map(\.text) == ["answer /1\n", "answer /2\n"])
        }
    }

    /// Bodies go out from their own storage beside the head (one `writev`), large and small;
    /// to a client that reads slowly, each arrives whole and in order with the small ones.
    @Test func largeBodiesWrittenBesideTheirHeadsArriveWholeToASlowReader() async throws {
        try await offPool {
            let sizes = [3_000_000, 10, 4096, 4095, 70_000]
            let bodies = sizes.enumerated().map { TestBytes.make(count: $1, seed: $0 + 11) }
            let server = try TestServer(handler: { request, responder in
                let index = Int(request.target.dropFirst()) ?? 0
                responder.send(Response(status: 200, reason: "OK", body: bodies[index]))
            })
            defer { server.stop() }
            let client = try RawClient(port: server.port)
            let requests = sizes.indices.map { "GET /\($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined()
            client.send(requests + "GET /1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            var received: [UInt8] = []
            for _ in 0..<40 { // slowly at first: the server's writes fill the socket and queue
                guard let some = client.readSome() else { break }
                received += some
                usleep(2_000)
            }
            received += client.readToEnd().bytes
            let answers = responses(in: received)
            #expect(answers.map(\.body) == bodies + [bodies[1]], "\(answers.map(\.body.count))")
        }
    }

    @Test func streamedWithALengthAndAFile() async throws {
        try await offPool {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("httpq-file-\(UUID().uuidString)").path
            let content = TestBytes.make(count: 300_000, seed: 3)
            try Data(content).write(to: URL(fileURLWithPath: path))
            defer { unlink(path) }
            let server = try TestServer(handler: { request, responder in
                if request.target == "/file" {
                    let fd = open(path, O_RDONLY | O_CLOEXEC)
                    responder.sendFile(Response(status: 200, reason: "OK"), descriptor: fd, count: content.count)
                } else {
                    responder.sendHead(Response(status: 200, reason: "OK"), contentLength: 10)
                    responder.write(Array("hello".utf8))
                    responder.write(Array("world".utf8))
                    responder.end()
                }
            })
            defer { server.stop() }
            let client = try RawClient(port: server.port)
            client.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\nGET /file HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let answers = responses(in: client.readToEnd().bytes)
            #expect(answers.count == 2)
            #expect(answers.first?.text == "helloworld")
            #expect(answers.first?.headers.contentLength == 10)
            #expect(answers.last?.body == content)
        }
    }

    @Test func aRequestStillUnansweredAtTheEndOfTheGracePeriodIsCutOff() async throws {
        try await offPool {
            let server = try TestServer(handler: { _, _ in }) // never answers
            let client = try RawClient(port: server.port)
            client.send("GET /never HTTP/1.1\r\nHost: x\r\n\r\n")
            usleep(50_000)
            let started = ContinuousClock.now
            server.stop(gracePeriod: .milliseconds(300))
            let (bytes, closed) = client.readToEnd()
            #expect(bytes.isEmpty && closed)
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }
}
