// A service that starts and stops with swift-service-lifecycle: a server whose handler
// calls another service through a client, both run by one ServiceGroup, shut down
// gracefully on SIGTERM or SIGINT (requests in flight finish first). Docs/Server.md shows
// it; ServiceGroupExampleTests runs it as a process and sends it SIGTERM mid-request.
import EvLoop
import HTTPQ
import HTTPQClient
import HTTPQServer
import HTTPQServiceLifecycle
import Logging
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

/// A line on standard output at once (not held in a buffer when it is a file or a pipe:
/// whoever waits for "listening on" sees it).
func say(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
}

let logger = Logger(label: "example")
let group = try EventLoopGroup(count: 1)
let client = Client(loops: group.loops)
let server = Server(configuration: .init(addresses: [SocketAddress(ip: "127.0.0.1", port: 0)!]), loops: group.loops) { request, responder in
    switch request.target {
    case "/slow": // answers after a second: what a graceful shutdown must let finish
        say("slow request received")
        _ = responder.loop.schedule(after: .seconds(1)) {
            responder.send(Response(status: 200, reason: "OK", headers: ["Content-Length": "10"], body: Array("slow done\n".utf8)))
        }
    default:
        responder.send(Response(status: 200, reason: "OK", headers: ["Content-Length": "6"], body: Array("hello\n".utf8)))
    }
}
for address in try server.start() { say("listening on http://\(address)/") }

let services = ServiceGroup(configuration: .init(
    services: [ServerService(server, gracePeriod: .seconds(5)), ClientService(client)],
    gracefulShutdownSignals: [.sigterm, .sigint],
    logger: logger))
try await services.run()
try group.shutdown()
say("stopped")
