import EvLoop
import Foundation
import HTTPQ
import HTTPQClient
import HTTPQServer
import Locks
import Testing
import TestSupport

/// `101 Switching Protocols` hands the connection over on both sides: an echo protocol runs
/// over it, plain and TLS, and no byte sent early (behind the request, behind the 101) is lost.
@Suite struct UpgradeTests {
    /// A server that upgrades `/echo` to an echo protocol (and greets first when asked) and
    /// answers anything else with 200.
    static func echoServer(tls: Bool) throws -> (Server, Int, EventLoopThread) {
        let thread = try EventLoopThread()
        var configuration = ServerConfiguration(addresses: [SocketAddress(ip: "127.0.0.1", port: 0)!])
        if tls {
            configuration.tls = try TLSServerContext(certificateChainFile: TestCertificates.shared.serverCertificate,
                                                     privateKeyFile: TestCertificates.shared.serverKey)
        }
        let server = Server(configuration: configuration, loops: [thread.loop]) { request, responder in
            guard request.target.hasPrefix("/echo") else {
                return responder.send(Response(status: 200, reason: "OK", body: Array("plain".utf8)))
            }
            responder.switchProtocols(Response(status: 101, reason: "Switching Protocols", headers: ["Upgrade": "echo"])) { upgraded in
                if request.target == "/echo?greet" { upgraded.write(Array("greeting;".utf8)) }
                upgraded.start(onBytes: { upgraded.write(Array($0)) }, onEnd: { _ in upgraded.close() })
            }
        }
        return (server, try server.start()[0].port, thread)
    }

    /// Upgrades with the client, sends `messages` one by one, and collects the echo.
    static func echo(_ url: String, tls: Bool, messages: [String]) async throws -> (Response, String) {
        var configuration = Client.Configuration()
        if tls { configuration.connection.tls = try TLSClientContext(trust: .certificateFile(TestCertificates.shared.caCertificate)) }
        let thread = try EventLoopThread()
        let client = Client(loops: [thread.loop], configuration: configuration)
        defer { client.shutdown(); try? thread.shutdown() }
        let (response, maybeUpgraded) = try await client.upgrade(Request(method: "GET", target: "/", headers: ["Upgrade": "echo"]), to: url)
        let upgraded = try #require(maybeUpgraded, "no hand-over: \(response.status)")
        let expected = messages.joined().utf8.count + (url.hasSuffix("greet") ? 9 : 0)
        let received = Locked<[UInt8]>([])
        let done = Locked<CheckedContinuation<Void, Never>?>(nil)
        await withCheckedContinuation { continuation in
            done.withLock { $0 = continuation }
            upgraded.loop.execute {
                upgraded.start(onBytes: { bytes in
                    let count = received.withLock { $0 += bytes; return $0.count }
                    if count >= expected { upgraded.close() }
                }, onEnd: { _ in done.withLock { $0?.resume(); $0 = nil } })
                for message in messages { upgraded.write(Array(message.utf8)) }
            }
        }
        return (response, String(decoding: received.withLock { $0 }, as: UTF8.self))
    }

    @Test(arguments: [false, true])
    func anEchoProtocolRunsOverTheHandedOverConnection(_ tls: Bool) async throws {
        let (server, port, thread) = try Self.echoServer(tls: tls)
        defer { try? thread.shutdown() }
        let scheme = tls ? "https://localhost" : "http://127.0.0.1"
        let (response, echoed) = try await Self.echo("\(scheme):\(port)/echo", tls: tls, messages: ["one,", "two,", "three"])
        #expect(response.status == 101 && response.headers["Upgrade"] == "echo" && response.headers["Connection"] == "Upgrade")
        #expect(echoed == "one,two,three")
        // Bytes the server sent right behind its 101 reach the client first.
        let (_, greeted) = try await Self.echo("\(scheme):\(port)/echo?greet", tls: tls, messages: ["x"])
        #expect(greeted == "greeting;x")
        await server.shutdown(gracePeriod: .seconds(1))
    }

    /// The client's first bytes of the new protocol, sent in the same packet as its request,
    /// are handed over with the connection (`initialBytes`), not parsed as HTTP.
    @Test func bytesBehindTheRequestGoWithTheConnection() async throws {
        let thread = try EventLoopThread()
        defer { try? thread.shutdown() }
        let events = Locked<[String]>([])
        let server = Server(configuration: .init(addresses: [SocketAddress(ip: "127.0.0.1", port: 0)!]), loops: [thread.loop]) { request, responder in
            events.withLock { $0.append("handler \(request.target)") }
            responder.switchProtocols(Response(status: 101, reason: "Switching Protocols", headers: ["Upgrade": "echo"])) { upgraded in
                events.withLock { $0.append("handed over with \(upgraded.initialBytes.count) bytes") }
                upgraded.start(onBytes: { upgraded.write(Array($0)) }, onEnd: { end in
                    events.withLock { $0.append("ended \(String(describing: end))") }
                    upgraded.close()
                })
            }
        }
        let port = try server.start()[0].port
        let reply = try await offPool { () -> String in
            let raw = try RawClient(port: port) // connected just before sending: no idle connection to wait
            _ = raw.send("GET /echo HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nearly bytes")
            var text = ""
            let started = ContinuousClock.now
            while !text.hasSuffix("early bytes") {
                guard let more = raw.readSome() else {
                    text += "<nil errno \(errno) after \(ContinuousClock.now - started), fd \(raw.fd)>"
                    break
                }
                text += String(decoding: more, as: UTF8.self)
            }
            return text
        }
        #expect(reply.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n") && reply.hasSuffix("\r\n\r\nearly bytes"),
                "\(reply) — server: \(events.withLock { $0 })")
        await server.shutdown(gracePeriod: .seconds(1))
    }

    /// A peer that leaves a handed-over connection — with a FIN or a reset — ends it: the
    /// server side hears `onEnd` and its descriptor is closed.
    @Test(arguments: [false, true])
    func aPeerLeavingTheUpgradedConnectionEndsIt(_ reset: Bool) async throws {
        let thread = try EventLoopThread()
        defer { try? thread.shutdown() }
        let ended = Locked<[String]>([])
        let server = Server(configuration: .init(addresses: [SocketAddress(ip: "127.0.0.1", port: 0)!]), loops: [thread.loop]) { _, responder in
            responder.switchProtocols(Response(status: 101, reason: "Switching Protocols", headers: ["Upgrade": "echo"])) { upgraded in
                upgraded.start(onBytes: { upgraded.write(Array($0)) }, onEnd: { end in
                    ended.withLock { $0.append("\(String(describing: end)) closed=\(upgraded.isClosed)") }
                })
            }
        }
        let port = try server.start()[0].port
        try await offPool {
            let raw = try RawClient(port: port)
            _ = raw.send("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
            _ = raw.readSome() // the 101
            if reset { raw.reset() } else { raw.shutdownWrite() }
            for _ in 0..<500 where ended.withLock({ $0.isEmpty }) { usleep(10_000) }
        }
        let seen = ended.withLock { $0 }
        #expect(seen.count == 1 && seen[0].hasSuffix("closed=true"), "\(seen)")
        await server.shutdown(gracePeriod: .seconds(1))
    }

    /// Switching protocols for a request that did not ask is a 500, not a hand-over; a
    /// server that answers an upgrade request with 200 gives the client that response.
    @Test func upgradesNobodyAskedForAreRefusedBothWays() async throws {
        let thread = try EventLoopThread()
        defer { try? thread.shutdown() }
        let handedOver = Locked(false)
        let server = Server(configuration: .init(addresses: [SocketAddress(ip: "127.0.0.1", port: 0)!]), loops: [thread.loop]) { _, responder in
            responder.switchProtocols(Response(status: 101, reason: "Switching Protocols", headers: ["Upgrade": "echo"])) { _ in
                handedOver.withLock { $0 = true }
            }
        }
        let port = try server.start()[0].port
        let client = Client(loops: [thread.loop])
        let plain = try await client.get("http://127.0.0.1:\(port)/")
        #expect(plain.status == 500 && !handedOver.withLock { $0 })
        let (echoServer, echoPort, echoThread) = try Self.echoServer(tls: false)
        defer { try? echoThread.shutdown() }
        let (response, upgraded) = try await client.upgrade(Request(method: "GET", target: "/", headers: ["Upgrade": "echo"]),
                                                            to: "http://127.0.0.1:\(echoPort)/not-echo")
        #expect(response.status == 200 && upgraded == nil)
        client.shutdown()
        await server.shutdown(gracePeriod: .seconds(1))
        await echoServer.shutdown(gracePeriod: .seconds(1))
    }
}
