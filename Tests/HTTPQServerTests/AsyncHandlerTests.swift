import Dispatch
import EvLoop
import Foundation
import HTTPQ
import HTTPQClient
import HTTPQServer
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// An async handler whose client leaves: its task is cancelled when the connection closes
/// before the answer is complete, so the upstream call it awaits ends and lets go of its
/// connection (as nginx closes the upstream of a client that left); a client that only
/// half-closes still gets its answer.
@Suite struct AsyncHandlerTests {
    /// What the upstream saw and what the handler's call ended with.
    final class Record: @unchecked Sendable {
        private let lock = NSLock()
        private var _upstreamRequests = 0
        private var _upstreamClosed = 0
        private var _outcomes: [String] = []
        var upstreamRequests: Int { lock.withLock { _upstreamRequests } }
        var upstreamClosed: Int { lock.withLock { _upstreamClosed } }
        var outcomes: [String] { lock.withLock { _outcomes } }
        func requestArrived() { lock.withLock { _upstreamRequests += 1 } }
        func upstreamSawClose() { lock.withLock { _upstreamClosed += 1 } }
        func handlerEnded(_ outcome: String) { lock.withLock { _outcomes.append(outcome) } }
    }

    /// An upstream that reads a request and answers `delay` microseconds later (never, for
    /// `nil`), noting when the gateway closes its connection.
    static func upstream(_ record: Record, answeringAfter delay: UInt32?) throws -> ScriptedServer {
        try ScriptedServer { fd in
            guard !ScriptedServer.readHead(fd).isEmpty else { return }
            record.requestArrived()
            if let delay {
                usleep(delay)
                ScriptedServer.send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nupstream")
            }
            var byte: UInt8 = 0
            while read(fd, &byte, 1) > 0 {} // until the gateway closes it
            record.upstreamSawClose()
        }
    }

    /// Runs `body` with the port of a gateway on one loop whose async handler awaits an
    /// upstream answering after `delay` (never, for nil), recording how each call ended.
    static func withGateway(_ record: Record, upstreamAnswersAfter delay: UInt32?, _ body: (Int) throws -> Void) throws {
        let origin = try upstream(record, answeringAfter: delay)
        defer { origin.stop() }
        let thread = try EventLoopThread()
        let client = Client(loops: [thread.loop])
        let server = Server(configuration: .init(addresses: [SocketAddress(ip: "127.0.0.1", port: 0)!]), loops: [thread.loop]) { request in
            do {
                let answer = try await client.get("http://127.0.0.1:\(origin.port)\(request.target)")
                record.handlerEnded("answered")
                return answer
            } catch {
                record.handlerEnded("\(error)")
                throw error
            }
        }
        defer {
            let stopped = DispatchSemaphore(value: 0)
            server.shutdown(gracePeriod: .milliseconds(100)) { stopped.signal() }
            stopped.wait()
            client.shutdown()
            try? thread.shutdown()
        }
        try body(try server.start()[0].port)
    }

    static func waitUntil(_ condition: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now + .seconds(5)
        while !condition() {
            if ContinuousClock.now > deadline { return false }
            usleep(2_000)
        }
        return true
    }

    @Test func aClientThatResetsCancelsTheUpstreamCallAndItsConnection() async throws {
        try await offPool {
            let record = Record()
            try Self.withGateway(record, upstreamAnswersAfter: nil) { port in // the upstream never answers
                for round in 1...3 {
                    let downstream = try RawClient(port: port)
                    downstream.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
                    #expect(Self.waitUntil { record.upstreamRequests == round }, "the request reached the upstream")
                    downstream.reset()
                    #expect(Self.waitUntil { record.outcomes.count == round }, "the handler's call ended")
                    #expect(Self.waitUntil { record.upstreamClosed == round }, "the upstream connection was closed")
                }
            }
            #expect(record.outcomes.allSatisfy { $0.contains("cancelled") }, "\(record.outcomes)")
        }
    }

    @Test func aClientThatOnlyHalfClosesStillGetsItsAnswer() async throws {
        try await offPool {
            let record = Record()
            try Self.withGateway(record, upstreamAnswersAfter: 200_000) { port in
                let downstream = try RawClient(port: port)
                downstream.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
                downstream.shutdownWrite()
                let answer = String(decoding: downstream.readToEnd().bytes, as: UTF8.self)
                #expect(answer.hasPrefix("HTTP/1.1 200 OK") && answer.hasSuffix("upstream"), "\(answer)")
            }
            #expect(record.outcomes == ["answered"])
        }
    }
}
