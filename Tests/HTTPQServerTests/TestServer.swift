import Dispatch
import EvLoop
import HTTPQ
import HTTPQServer
import TestSupport

/// An in-process server on a loop thread of its own, on a free loopback port.
final class TestServer: Sendable {
    let thread: EventLoopThread
    let server: Server
    let port: Int

    init(_ configure: (inout ServerConfiguration) -> Void = { _ in },
         handler: @escaping RequestHandler = TestServer.echo) throws {
        var configuration = ServerConfiguration(addresses: [SocketAddress(ip: "127.0.0.1", port: 0)!])
        configure(&configuration)
        thread = try EventLoopThread(name: "test-server")
        server = Server(configuration: configuration, loops: [thread.loop], handler: handler)
        port = try server.start()[0].port
    }

    /// A server whose handler reads request bodies as they arrive.
    init(_ configure: (inout ServerConfiguration) -> Void = { _ in },
         streamingHandler: @escaping StreamingRequestHandler) throws {
        var configuration = ServerConfiguration(addresses: [SocketAddress(ip: "127.0.0.1", port: 0)!])
        configure(&configuration)
        thread = try EventLoopThread(name: "test-server")
        server = Server(configuration: configuration, loops: [thread.loop], streamingHandler: streamingHandler)
        port = try server.start()[0].port
    }

    /// Drains and stops (bounded).
    func stop(gracePeriod: Duration = .seconds(2)) {
        let done = DispatchSemaphore(value: 0)
        server.shutdown(gracePeriod: gracePeriod) { done.signal() }
        _ = done.wait(timeout: .now() + 10)
        try? thread.shutdown()
    }

    /// Answers `METHOD TARGET BODYLENGTH` and echoes the request body after a newline.
    static let echo: RequestHandler = { request, responder in
        let summary = Array("\(request.method) \(request.target) \(request.body.count)\n".utf8)
        responder.send(Response(status: 200, reason: "OK", headers: ["Content-Type": "text/plain"],
                                body: summary + request.body))
    }
}

/// Splits a byte stream into the responses in it (as the client would read them).
func responses(in bytes: [UInt8], answering method: String = "GET") -> [Response] {
    var found: [Response] = []
    var rest = bytes[...]
    while !rest.isEmpty {
        var response = Response(answering: method)
        guard let used = try? response.feed(rest) else { break }
        if !response.isComplete { try? response.finish() }
        guard response.isComplete else { break }
        found.append(response)
        rest = rest.dropFirst(used)
        if used == 0 { break }
    }
    return found
}

extension Response {
    var text: String { String(decoding: body, as: UTF8.self) }
}
