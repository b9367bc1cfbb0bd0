import CoreMetrics
import EvLoop
import Foundation
import HTTPQ
import HTTPQClient
import HTTPQServer
import Logging
import MetricsTestKit
import Testing
import TestSupport

/// Docs/Server.md's examples for async handlers, switching protocols, the access log and
/// metrics, as written there and run; `everyCheckedBlockIsCompiled` fails when the doc and
/// the code drift apart (the ServiceGroup block is Examples/ServiceGroupExample's, which
/// ServiceGroupExampleTests runs).
@Suite struct ServerDocExampleTests {
    @Test func asyncHandlerExample() async throws {
        let origin = try RecordingOrigin { _ in RecordingOrigin.ok("from upstream") }
        defer { origin.stop() }
        let upstream = "http://127.0.0.1:\(origin.port)"
        let thread = try EventLoopThread()
        defer { try? thread.shutdown() }
        let client = Client(loops: [thread.loop])
        let gateway = Server(configuration: .init(addresses: [SocketAddress(ip: "127.0.0.1", port: 0)!]), loops: [thread.loop]) { request in
            try await client.get(upstream + request.target)
        }
        let port = try gateway.start()[0].port
        let answer = try await client.get("http://127.0.0.1:\(port)/via")
        #expect(answer.status == 200 && answer.body == Array("from upstream".utf8) && origin.received.first?.line == "GET /via HTTP/1.1")
        await gateway.shutdown(gracePeriod: .seconds(1))
        client.shutdown()
    }

    @Test func switchingProtocolsExample() async throws {
        let thread = try EventLoopThread()
        defer { try? thread.shutdown() }
        let server = Server(configuration: .init(addresses: [SocketAddress(ip: "127.0.0.1", port: 0)!]), loops: [thread.loop]) { _, responder in
            responder.switchProtocols(Response(status: 101, reason: "Switching Protocols", headers: ["Upgrade": "echo"])) { upgraded in
                upgraded.start(onBytes: { upgraded.write(Array($0)) }, onEnd: { _ in upgraded.close() })
            }
        }
        let port = try server.start()[0].port
        let reply = try await offPool { () -> String in
            let raw = try RawClient(port: port)
            _ = raw.send("GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\nping")
            var text = ""
            while !text.hasSuffix("ping") {
                guard let more = raw.readSome() else { text += "<end: errno \(errno), fd \(raw.fd)>"; break }
                text += String(decoding: more, as: UTF8.self)
            }
            return text
        }
        #expect(reply.hasPrefix("HTTP/1.1 101 ") && reply.hasSuffix("\r\n\r\nping"), "\(reply)")
        await server.shutdown(gracePeriod: .seconds(1))
    }

    @Test func accessLogAndMetricsExample() async throws {
        let logPath = FileManager.default.temporaryDirectory.appendingPathComponent("doc-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: logPath) }
        let metrics = TestMetrics()
        let log = try AccessLog(path: logPath, format: .combined)     // or .json; nil path: standard output
        var configuration = ServerConfiguration(addresses: [SocketAddress(ip: "127.0.0.1", port: 0)!])
        configuration.accessLogWriter = log                          // the loops format lines themselves
        configuration.logger = Logger(label: "server")                 // swift-log: server events
        configuration.metricsFactory = metrics                         // or MetricsSystem.bootstrap(...) once
        let thread = try EventLoopThread()
        defer { try? thread.shutdown() }
        let server = Server(configuration: configuration, loops: [thread.loop]) { _, responder in
            responder.send(Response(status: 200, reason: "OK", body: Array("ok".utf8)))
        }
        let port = try server.start()[0].port
        let client = Client(loops: [thread.loop])
        _ = try await client.get("http://127.0.0.1:\(port)/logged")
        client.shutdown()
        await server.shutdown(gracePeriod: .seconds(1))
        log.close()
        #expect(readTextFile(logPath).contains("\"GET /logged HTTP/1.1\" 200 2 \"-\" \"-\""))
        #expect(metrics.counterTotal(label: "http_server_requests_total", dimensions: [("status_class", "2xx")]) == 1)
        #expect(server.countsMetrics)
    }

    /// Each line of every `<!-- checked by ServerDocExampleTests -->` block in Server.md is
    /// in this file or in Examples/ServiceGroupExample (both compiled, and run by a test).
    @Test func everyCheckedBlockIsCompiled() throws {
        let here = URL(fileURLWithPath: #filePath)
        let root = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let sources = try [here, root.appendingPathComponent("Examples/ServiceGroupExample/main.swift")]
            .map { try String(contentsOf: $0, encoding: .utf8) }.joined()
        let blocks = try checkedDocBlocks("Server.md", marker: "ServerDocExampleTests")
        #expect(blocks.count == 4)
        for line in linesMissing(from: sources, in: blocks) { Issue.record("not compiled: \(line)") }
    }
}
