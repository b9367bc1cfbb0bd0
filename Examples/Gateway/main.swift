// A gateway written the obvious way: an async handler awaits the client and returns what
// the upstream answered. Both run on one loop (the handler's task and the client's
// connections), so every await resumes on that loop's thread.
//
//     httpq-gateway-example UPSTREAM LISTEN_PORT     e.g. http://127.0.0.1:8081 8080
//
// scripts/bench_gateway.py sets it beside nginx proxy_pass; GatewayExampleTests runs it.
import EvLoop
import HTTPQ
import HTTPQClient
import HTTPQServer
#if canImport(Glibc)
import Glibc
#endif

let arguments = CommandLine.arguments
guard arguments.count == 3, let port = Int(arguments[2]) else {
    FileHandleless.standardError("usage: httpq-gateway-example UPSTREAM LISTEN_PORT\n")
    exit(2)
}
let upstream = arguments[1]

let group = try EventLoopGroup(count: 1)
let client = Client(loops: group.loops, configuration: .init(maxConnectionsPerHost: 256))
let server = Server(configuration: .init(addresses: [SocketAddress(ip: "127.0.0.1", port: port)!]), loops: group.loops) { request in
    try await client.get(upstream + request.target)
}
for address in try server.start() { FileHandleless.standardOutput("listening on http://\(address)/\n") }

// Until SIGTERM or SIGINT, then drain and exit 0.
let control = try EventLoop()
for number in [SIGTERM, SIGINT] {
    _ = control.onSignal(number) { _ in server.shutdown(gracePeriod: .seconds(5)) { control.stop() } }
}
control.run()
client.shutdown()
try group.shutdown()

/// Unbuffered writes (a pipe or a file sees each line at once).
enum FileHandleless {
    static func standardOutput(_ text: String) { write(1, text) }
    static func standardError(_ text: String) { write(2, text) }
    private static func write(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    }
}
