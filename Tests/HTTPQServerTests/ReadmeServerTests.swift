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
