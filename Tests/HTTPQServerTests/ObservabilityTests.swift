import EvLoop
import Foundation
import HTTPQ
import HTTPQClient
import HTTPQServer
import Locks
import Logging
import MetricsTestKit
import Testing
import TestSupport

/// swift-metrics instruments and swift-log events of a server, with swift-metrics' own
/// test backend and a capturing log handler.
@Suite struct ObservabilityTests {
    final class Events: LogHandler, @unchecked Sendable {
        let lines = Locked<[String]>([])
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) { lines.withLock { $0.append("\(event.level) \(event.message)") } }
    }

    @Test func requestsConnectionsBytesAndDurationsAreCounted() async throws {
        let metrics = TestMetrics()
        let events = Events()
        var configuration = ServerConfiguration(addresses: [SocketAddress(ip: "127.0.0.1", port: 0)!])
        configuration.metricsFactory = metrics
        configuration.logger = Logger(label: "server") { _ in events }
        let thread = try EventLoopThread()
        defer { try? thread.shutdown() }
        let server = Server(configuration: configuration, loops: [thread.loop]) { request, responder in
            let status = request.target == "/missing" ? 404 : 200
            responder.send(Response(status: status, reason: "X", headers: ["Content-Length": "5"], body: Array("hello".utf8)))
        }
        let port = try server.start()[0].port
        let client = Client(loops: [thread.loop])
        for path in ["/a", "/b", "/missing"] { _ = try await client.get("http://127.0.0.1:\(port)\(path)") }
        client.shutdown()
        // A malformed request: 400, and a debug event saying why.
        let raw = try await offPool { try RawClient(port: port) }
        let answer = try await offPool { _ = raw.send("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"); return raw.readToEnd().bytes }
        #expect(String(decoding: answer, as: UTF8.self).hasPrefix("HTTP/1.1 400"))
        await server.shutdown(gracePeriod: .seconds(1))

        #expect(metrics.counterTotal(label: "http_server_requests_total", dimensions: [("status_class", "2xx")]) == 2)
        #expect(metrics.counterTotal(label: "http_server_requests_total", dimensions: [("status_class", "4xx")]) == 2)
        #expect(try metrics.expectTimer("http_server_request_duration_seconds").values.count == 4)
        #expect(metrics.counterTotal(label: "http_server_connections_total") == 2)
        #expect(try metrics.expectMeter("http_server_connections_open").lastValue == 0, "every connection closed again")
        #expect(metrics.counterTotal(label: "http_server_bytes_sent_total") >= 15)
        #expect(metrics.counterTotal(label: "http_server_bytes_received_total") > 100)
        let lines = events.lines.withLock { $0 }
        #expect(lines.contains("info listening") && lines.contains("info shutting down"), "\(lines)")
        #expect(lines.contains("debug malformed request"), "\(lines)")
    }

    struct Refused: Error {}

    /// An async handler that throws, plain or streaming: 500 with a short body, the error
    /// logged at `.error`; the request it saw is the one sent.
    @Test(arguments: [false, true]) func anAsyncHandlerThatThrowsIsAnswered500(streaming: Bool) async throws {
        let events = Events()
        var configuration = ServerConfiguration(addresses: [SocketAddress(ip: "127.0.0.1", port: 0)!])
        configuration.logger = Logger(label: "server") { _ in events }
        let thread = try EventLoopThread()
        defer { try? thread.shutdown() }
        let seen = Locked<[String]>([])
        let server = streaming
            ? Server(configuration: configuration, loops: [thread.loop]) { (request: Request, body: RequestBody) async throws -> Response in
                seen.withLock { $0.append(request.target) }
                for try await _ in body {}
                throw Refused()
            }
            : Server(configuration: configuration, loops: [thread.loop]) { (request: Request) async throws -> Response in
                seen.withLock { $0.append(request.target) }
                throw Refused()
            }
        let port = try server.start()[0].port
        let client = Client(loops: [thread.loop])
        let answer = try await client.execute(Request(method: "POST", target: "/throws?x=1", body: Array("data".utf8)),
                                              to: "http://127.0.0.1:\(port)/throws?x=1")
        client.shutdown()
        await server.shutdown(gracePeriod: .seconds(1))
        #expect(answer.status == 500 && answer.body == Array("internal server error\n".utf8))
        #expect(seen.withLock { $0 } == ["/throws?x=1"])
        #expect(events.lines.withLock { $0 }.contains("error handler failed"))
    }

    /// With swift-metrics' default (nothing bootstrapped) the server makes no instruments.
    @Test func noBackendNoInstruments() throws {
        let thread = try EventLoopThread()
        defer { try? thread.shutdown() }
        let server = Server(loops: [thread.loop]) { _, responder in responder.send(Response(status: 204, reason: "No Content")) }
        #expect(server.countsMetrics == false)
    }
}
