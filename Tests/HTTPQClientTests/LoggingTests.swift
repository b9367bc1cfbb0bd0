import TestSupport
import Foundation
import Logging
import Testing
import HTTPQ
@testable import HTTPQClient

/// A log handler that keeps the messages, for checking what a connection reports.
final class CapturingLogHandler: LogHandler, @unchecked Sendable {
    let lock = NSLock()
    var messages: [String] = []
    /// Each event's metadata, beside its message.
    var events: [(message: String, metadata: Logger.Metadata)] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        lock.lock()
        messages.append("\(event.level) \(event.message)")
        events.append(("\(event.message)", event.metadata ?? [:]))
        lock.unlock()
    }
}

@Suite struct LoggingTests {
    @Test func connectionEventsReachTheLogger() async throws {
        try await offPool {
            let server = try ScriptedServer.answering("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            defer { server.stop() }
            let handler = CapturingLogHandler()
            let logger = Logger(label: "httpq.test") { _ in handler }
            _ = try fetchOnce(port: server.port, options: ConnectionOptions(logger: logger))
            _ = try fetchOnce(port: refusedPort(), options: ConnectionOptions(logger: logger))
            #expect(handler.messages.contains("debug connected"))
            #expect(handler.messages.contains("trace request"))
            #expect(handler.messages.contains("trace response"))
            #expect(handler.messages.contains("debug request failed"))
        }
    }
}
