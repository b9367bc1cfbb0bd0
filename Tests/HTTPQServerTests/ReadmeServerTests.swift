import EvLoop
import HTTPQ
import HTTPQServer
import Testing
import TestSupport

/// The README's server example, as written there, then fetched with a raw client.
@Suite struct ReadmeServerTests {
    @Test func readmeServerExample() async throws {
        let group = try EventLoopGroup(count: 2)
        let server = Server(configuration: .init(addresses: [SocketAddress(ip: "127.0.0.1", port: 0)!]),
                            loops: group.loops) { request, responder in
            responder.send(Response(status: 200, reason: "OK", headers: ["Content-Type": "text/plain"],
                                    body: Array("hello from \(request.target)\n".utf8)))
        }
        let addresses = try server.start()
        // (in the README: serve until a signal)

        let client = try RawClient(port: addresses[0].port)
        client.send("GET /readme HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(responses(in: client.readToEnd().bytes).first?.text == "hello from /readme\n")

        await server.shutdown()
        try group.shutdown()
    }
}

/// Server.md's streaming example, as written there.
@Sendable func count(_ body: RequestBody, _ responder: Responder, _ sofar: Int = 0) {
    body.read { result in
        switch result {
        case .success(.bytes(let slice)): count(body, responder, sofar + slice.count) // ask for the next
        case .success(.end): responder.send(Response(status: 200, reason: "OK", body: Array("\(sofar) bytes\n".utf8)))
        case .failure(let error): print(error) // the server has answered (413, 400, 408) or closed
        }
    }
}

@Suite struct StreamingExampleTests {
    @Test func serverMarkdownStreamingExample() async throws {
        let group = try EventLoopGroup(count: 1)
        let server = Server(configuration: .init(addresses: [SocketAddress(ip: "127.0.0.1", port: 0)!]),
                            loops: group.loops) { request, body, responder in
            count(body, responder)
        }
        let addresses = try server.start()
        let client = try RawClient(port: addresses[0].port)
        client.send("PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 300000\r\nConnection: close\r\n\r\n")
        client.send([UInt8](repeating: 1, count: 300_000))
        #expect(responses(in: client.readToEnd().bytes).first?.text == "300000 bytes\n")
        await server.shutdown()
        try group.shutdown()
    }

    /// Server.swift's `init(streamingHandler:)` example.
    @Test func streamingInitializerExample() async throws {
        let group = try EventLoopGroup(count: 1)
        let server = Server(configuration: .init(addresses: [SocketAddress(ip: "127.0.0.1", port: 0)!]),
                            loops: group.loops) { request, body, responder in
            body.collect(upTo: 1 << 20) { result in
                let count = (try? result.get().0.count) ?? 0
                responder.send(Response(status: 200, reason: "OK", body: Array("\(count) bytes\n".utf8)))
            }
        }
        let addresses = try server.start()
        let client = try RawClient(port: addresses[0].port)
        client.send("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        #expect(responses(in: client.readToEnd().bytes).first?.text == "5 bytes\n")
        await server.shutdown()
        try group.shutdown()
    }
}
