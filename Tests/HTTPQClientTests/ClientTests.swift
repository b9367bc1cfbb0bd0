import TestSupport
import Foundation
import Testing
import EvLoop
import HTTPQ
@testable import HTTPQClient
#if canImport(Glibc)
import Glibc
#endif

@Suite struct HTTPURLTests {
    @Test func parsesHostsPortsAndTargets() throws {
        let plain = try HTTPURL("http://example.com")
        #expect(plain.host == "example.com" && plain.port == 80 && plain.target == "/")
        let full = try HTTPURL("http://127.0.0.1:8080/a/b?x=1#frag")
        #expect(full.host == "127.0.0.1" && full.port == 8080 && full.target == "/a/b?x=1")
        let v6 = try HTTPURL("http://[::1]:9000/z")
        #expect(v6.host == "::1" && v6.port == 9000 && v6.authority == "[::1]:9000")
        #expect(try HTTPURL("http://h?q").target == "/?q")
        let secure = try HTTPURL("https://example.com/x")
        #expect(secure.usesTLS && secure.port == 443 && secure.authority == "example.com")
        let securePort = try HTTPURL("HTTPS://example.com:8443")
        #expect(securePort.usesTLS && securePort.port == 8443 && securePort.authority == "example.com:8443")
        #expect(try HTTPURL("https://example.com:80/").authority == "example.com:80")
    }

    @Test func refusesWhatItCannotFetch() {
        #expect(throws: ClientError.invalidURL("ftps://x/", reason: "scheme ftps is neither http nor https")) {
            try HTTPURL("ftps://x/")
        }
        #expect(throws: ClientError.self) { try HTTPURL("ftp://x/") }
        #expect(throws: ClientError.self) { try HTTPURL("http://:80/") }
        #expect(throws: ClientError.self) { try HTTPURL("http://x:99999/") }
        #expect(throws: ClientError.self) { try HTTPURL("example.com/") }
    }
}

@Suite struct ClientTests {
    @Test func manyURLsAcrossHostsReuseConnectionsWithinLimits() async throws {
        var files: [String: [UInt8]] = [:]
        for index in 0..<20 { files["f\(index).txt"] = Array("file \(index)\n".utf8) }
        let servers = try (0..<3).map { _ in try Nginx(files: files) }
        try await withClient(.init(maxConnectionsPerHost: 2)) { client, thread in
            var bodies: [String: String] = [:]
            try await withThrowingTaskGroup(of: (String, String).self) { group in
                for server in servers {
                    for index in 0..<20 {
                        let url = "http://127.0.0.1:\(server.port)/f\(index).txt"
                        group.addTask {
                            let response = try await client.get(url)
                            #expect(response.status == 200)
                            return (url, String(decoding: response.body, as: UTF8.self))
                        }
                    }
                }
                for try await (url, body) in group { bodies[url] = body }
            }
            #expect(bodies.count == 60)
            for (url, body) in bodies {
                let index = url.split(separator: "f").last!.split(separator: ".").first!
                #expect(body == "file \(index)\n")
            }
            let (open, hosts) = try await thread.loop.submit {
                (client.pools[0].openConnections, client.pools[0].hosts.values.map(\.open))
            }
            #expect(hosts.allSatisfy { $0 <= 2 }, "per-host limit")
            #expect(open <= 6)
        }
        withExtendedLifetime(servers) {}
    }

    @Test(.enabled(if: ipv6LoopbackAvailable, "IPv6 loopback (::1) is not configured here")) func ipv6LiteralInBrackets() async throws {
        let nginx = try Nginx(files: ["six.txt": Array("over IPv6".utf8)], ipv6: true)
        try await withClient() { client, thread in
            let response = try await client.get("http://[::1]:\(nginx.port)/six.txt")
            #expect(String(decoding: response.body, as: UTF8.self) == "over IPv6")
        }
        withExtendedLifetime(nginx) {}
    }

    @Test func badURLsFailAloneAndGoodOnesSucceed() async throws {
        let nginx = try Nginx(files: ["ok.txt": Array("ok".utf8)])
        let dns = try Dnsmasq()
        defer { withExtendedLifetime(dns) {} }
        try await withClient(.init(connection: ConnectionOptions(dnsServers: dns.servers))) { client, thread in
            let closedPort = freePort()
            await #expect(throws: ClientError.connectionRefused(host: "127.0.0.1", port: closedPort)) {
                try await client.get("https://127.0.0.1:\(closedPort)/")
            }
            await #expect(throws: ClientError.self) { try await client.get("http://127.0.0.1:\(freePort())/") }
            await #expect(throws: ClientError.self) { try await client.get("http://no-such-host.example/") }
            let response = try await client.get("http://127.0.0.1:\(nginx.port)/ok.txt")
            #expect(response.body == Array("ok".utf8))
            let missing = try await client.get("http://127.0.0.1:\(nginx.port)/missing")
            #expect(missing.status == 404)
        }
        withExtendedLifetime(nginx) {}
    }

    @Test func pooledConnectionClosedByTheServerDoesNotFailTheNextRequest() async throws {
        // The server answers one request per connection and then closes without saying so.
        let server = try ScriptedServer.answering("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", holding: 50_000)
        defer { server.stop() }
        try await withClient() { client, thread in
            let url = "http://127.0.0.1:\(server.port)/"
            _ = try await client.get(url)
            usleep(150_000) // the server has closed the pooled connection by now
            let second = try await client.get(url)
            #expect(second.body == Array("ok".utf8))
            #expect(server.connectionsAccepted == 2)
        }
    }

    @Test func aResponseThatClosesTheConnectionLeavesThePoolUsable() async throws {
        // `Connection: close` from the server: the pooled connection is dropped right after
        // its response (this once crashed: the pool's close hook outlived its connection).
        let server = try ScriptedServer.answering("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")
        defer { server.stop() }
        try await withClient() { client, _ in
            for _ in 0..<3 {
                let response = try await client.get("http://127.0.0.1:\(server.port)/")
                #expect(response.body == Array("ok".utf8))
            }
            #expect(server.connectionsAccepted == 3)
        }
    }

    /// A server that answers one request per connection and silently drops the next one:
    /// the stale keep-alive connection every pooled client meets.
    static func dropsSecondRequest() throws -> ScriptedServer {
        try ScriptedServer { fd in
            _ = ScriptedServer.readHead(fd)
            ScriptedServer.send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            _ = ScriptedServer.readHead(fd) // the reused connection's request: closed unanswered
        }
    }

    @Test func idempotentRequestOnAStaleConnectionIsRetriedOnce() async throws {
        let server = try Self.dropsSecondRequest()
        defer { server.stop() }
        try await withClient() { client, thread in
            let url = "http://127.0.0.1:\(server.port)/"
            _ = try await client.get(url)
            let second = try await client.get(url)
            #expect(second.body == Array("ok".utf8))
            #expect(server.connectionsAccepted == 2, "the retry went on a fresh connection")
        }
    }

    @Test func nonIdempotentRequestOnAStaleConnectionIsNotRetried() async throws {
        let server = try Self.dropsSecondRequest()
        defer { server.stop() }
        try await withClient() { client, thread in
            let url = "http://127.0.0.1:\(server.port)/"
            _ = try await client.get(url)
            let post = Request(method: "POST", target: "/", headers: ["Content-Length": "0"])
            await #expect(throws: ClientError.closedBeforeHead) { try await client.execute(post, to: url) }
            #expect(server.connectionsAccepted == 1)
        }
    }

    @Test func idleConnectionsExpire() async throws {
        let nginx = try Nginx(files: ["a": Array("a".utf8)])
        try await withClient(.init(idleTimeout: .seconds(4))) { client, thread in
            // Counted on the loop as the response completes: no window for the expiry to
            // win on a loaded machine.
            let openAfterFetch = try await withCheckedThrowingContinuation { continuation in
                client.execute(Request(method: "GET", target: "/a"), to: "http://127.0.0.1:\(nginx.port)/a",
                               delegate: CompletionDelegate { [weak client] result in
                                   continuation.resume(with: result.map { _ in client?.pools[0].openConnections ?? -1 })
                               })
            }
            #expect(openAfterFetch == 1)
            // Expired within the idle timeout plus one sweep period (bounded wait: 15 s).
            var open = 1
            for _ in 0..<150 where open > 0 {
                try await Task.sleep(for: .milliseconds(100))
                open = try await thread.loop.submit { client.pools[0].openConnections }
            }
            #expect(open == 0)
        }
        withExtendedLifetime(nginx) {}
    }
}
