import TestSupport
import Foundation
import Testing
import EvLoop
import HTTPQ
@testable import HTTPQClient

@Suite struct StreamingTests {
    @Test func bodyStreamsWithBackpressureAndArrivesIntact() async throws {
        let size = 8 * 1024 * 1024
        let content = TestBytes.make(count: size)
        let nginx = try Nginx(files: ["big.bin": content])
        try await withClient(.init(connection: ConnectionOptions(idleReadTimeout: .seconds(3), keepsBody: false))) { client, thread in
            let streamed = try await client.stream(Request(method: "GET", target: "/"),
                                                   to: "http://127.0.0.1:\(nginx.port)/big.bin", highWater: 128 * 1024)
            #expect(streamed.head.status == 200)
            #expect(streamed.head.body.isEmpty)
            var received: [UInt8] = []
            received.reserveCapacity(size)
            var maxBuffered = 0
            var chunks = 0
            for try await chunk in streamed.body {
                received += chunk
                chunks += 1
                maxBuffered = max(maxBuffered, streamed.body.state.withLock { $0.buffered })
                if chunks % 16 == 0 { try await Task.sleep(for: .milliseconds(1)) } // a slow consumer
            }
            #expect(received.count == size)
            #expect(received == content)
            // Unread bytes stay near the high-water mark: at most one more read (64 KiB) on top.
            #expect(maxBuffered <= 128 * 1024 + 64 * 1024)
        }
        withExtendedLifetime(nginx) {}
    }

    @Test func streamFailureReachesTheConsumer() async throws {
        let server = try ScriptedServer.answering("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\npartial")
        defer { server.stop() }
        try await withClient() { client, thread in
            let streamed = try await client.stream(Request(method: "GET", target: "/"), to: "http://127.0.0.1:\(server.port)/")
            var got = 0
            do {
                for try await chunk in streamed.body { got += chunk.count }
                Issue.record("the body should have failed")
            } catch {
                #expect(error as? ClientError == .closedMidBody)
            }
            #expect(got == 7)
        }
    }
}
