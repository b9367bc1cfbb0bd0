import Locks
import EvLoop
import Foundation
import HTTPQ
import HTTPQServer
import Synchronization
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Where and how the server listens: IPv4 and IPv6 at once, one listener per loop.
@Suite struct ListenTests {
    @Test(.enabled(if: ipv6LoopbackAvailable, "IPv6 loopback (::1) is not configured here"))
    func listensOnIPv4AndIPv6AtOnce() async throws {
        try await offPool {
            let thread = try EventLoopThread()
            defer { try? thread.shutdown() }
            let server = Server(configuration: .init(addresses: [SocketAddress(ip: "127.0.0.1", port: 0)!,
                                                                 SocketAddress(ip: "::1", port: 0)!]),
                                loops: [thread.loop], handler: TestServer.echo)
            let addresses = try server.start()
            defer { server.shutdown(gracePeriod: .zero) }
            #expect(addresses.count == 2)
            #expect(addresses[1].description.hasPrefix("[::1]:"))
            let curl = ChildProcess.which("curl") ?? "/usr/bin/curl"
            for address in addresses {
                let output = try ChildProcess.run(curl, ["-s", "--noproxy", "*", "-g", "http://\(address)/v"])
                #expect(output.stdoutText == "GET /v 0\n", "\(address)")
            }
        }
    }

    @Test func aGroupOfLoopsSharesThePortAndEachServesItsOwnConnections() async throws {
        try await offPool {
            let group = try EventLoopGroup(count: 2)
            defer { try? group.shutdown() }
            let threads = Locked(Set<UInt>())
            let server = Server(configuration: .init(addresses: [SocketAddress(ip: "127.0.0.1", port: 0)!]),
                                loops: group.loops) { request, responder in
                threads.withLock { _ = $0.insert(UInt(pthread_self())) }
                TestServer.echo(request, responder)
            }
            let port = try server.start()[0].port
            defer { server.shutdown(gracePeriod: .zero) }
            var answered = 0
            var clients: [RawClient] = []
            for index in 0..<200 {
                let client = try RawClient(port: port)
                client.send("GET /\(index) HTTP/1.1\r\nHost: x\r\n\r\n")
                if responses(in: client.readSome() ?? []).first?.text == "GET /\(index) 0\n" { answered += 1 }
                clients.append(client) // kept open, so the kernel spreads new ones over both listeners
            }
            #expect(answered == 200)
            #expect(threads.withLock { $0.count } == 2, "SO_REUSEPORT spread 200 connections over both loops")
        }
    }

    @Test func aTakenAddressIsATypedError() throws {
        let first = try TestServer()
        defer { first.stop() }
        let thread = try EventLoopThread()
        defer { try? thread.shutdown() }
        let second = Server(configuration: .init(addresses: [SocketAddress(ip: "127.0.0.1", port: first.port)!]),
                            loops: [thread.loop], handler: TestServer.echo)
        #expect(throws: ServerError.cannotListen(address: "127.0.0.1:\(first.port)", call: "bind", errno: EADDRINUSE)) {
            try second.start()
        }
        #expect(throws: ServerError.alreadyStarted) { try first.server.start() }
    }
}
