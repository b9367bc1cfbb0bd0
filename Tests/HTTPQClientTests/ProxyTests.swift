import Foundation
import HTTPQ
import HTTPQClient
import Testing
import TestSupport

/// Through Debian's tinyproxy, started by each test: http in absolute form, https through
/// CONNECT (TLS end to end with the origin), Basic credentials, hosts that go direct.
@Suite struct ProxyTests {
    static func client(_ proxy: ProxySettings, tls: Bool = false) throws -> Client.Configuration {
        var configuration = Client.Configuration(proxy: proxy)
        if tls { configuration.connection.tls = try TLSTests.trustingTestCA() }
        return configuration
    }

    @Test func httpGoesInAbsoluteFormAndConnectionsToTheProxyAreShared() async throws {
        let proxy = try Tinyproxy()
        let origins = try (0..<2).map { _ in try RecordingOrigin { _ in RecordingOrigin.ok("via") } }
        defer { origins.forEach { $0.stop() } }
        try await withClient(try Self.client(.all(try Proxy(url: proxy.url)))) { client, _ in
            for origin in origins + origins {
                let response = try await client.get("http://127.0.0.1:\(origin.port)/page?q=1")
                #expect(response.status == 200 && response.body == Array("via".utf8))
            }
        }
        #expect(proxy.requests.filter { $0.hasPrefix("GET http://127.0.0.1:") && $0.contains("/page?q=1 HTTP/1.1") }.count == 4,
                "\(proxy.requests)")
        for origin in origins {
            // The origin hears it from tinyproxy (which says so in Via), in origin form.
            #expect(origin.received.allSatisfy { $0.line == "GET /page?q=1 HTTP/1.1" && $0.head.contains("tinyproxy") },
                    "\(origin.received.map(\.head))")
        }
    }

    @Test func httpsTunnelsThroughConnectAndVerifiesTheOrigin() async throws {
        let proxy = try Tinyproxy()
        let nginx = try TLSTests.httpsNginx()
        try await withClient(try Self.client(.all(try Proxy(url: proxy.url)), tls: true)) { client, _ in
            for _ in 0..<3 {
                let response = try await client.get("https://localhost:\(nginx.port)/small.txt")
                #expect(response.status == 200 && response.body == Array("small\n".utf8))
            }
        }
        // One tunnel, reused for the three requests.
        #expect(proxy.requests == ["CONNECT localhost:\(nginx.port) HTTP/1.1"], "\(proxy.requests)")
    }

    @Test func credentialsAreSentAndTheirAbsenceIsNamed() async throws {
        let proxy = try Tinyproxy(credentials: ("ann", "s3cret"))
        let origin = try RecordingOrigin { _ in RecordingOrigin.ok() }
        defer { origin.stop() }
        let nginx = try TLSTests.httpsNginx()
        let anonymous = try Proxy(url: "http://127.0.0.1:\(proxy.port)")
        try await withClient(try Self.client(.all(anonymous), tls: true)) { client, _ in
            let refused = try await client.get("http://127.0.0.1:\(origin.port)/")
            #expect(refused.status == 407, "an http request gets the proxy's answer")
            await #expect(throws: ClientError.proxyRefused(proxy: anonymous.description, status: 407)) {
                try await client.get("https://localhost:\(nginx.port)/small.txt")
            }
        }
        try await withClient(try Self.client(.all(try Proxy(url: proxy.url)), tls: true)) { client, _ in
            let plain = try await client.get("http://127.0.0.1:\(origin.port)/")
            let secure = try await client.get("https://localhost:\(nginx.port)/small.txt")
            #expect(plain.status == 200 && secure.status == 200)
        }
        // The proxy's credentials are for the proxy: tinyproxy takes them off; they never reach the origin.
        #expect(origin.received.count == 1 && !origin.received[0].has("Proxy-Authorization"))
    }

    @Test func noProxyHostsGoDirect() async throws {
        let proxy = try Tinyproxy()
        let origin = try RecordingOrigin { _ in RecordingOrigin.ok() }
        defer { origin.stop() }
        for list in ["127.0.0.1", "127.0.0.0/8", "*", "localhost,127.0.0.1:80"] {
            let status = try await withClient(try Self.client(.all(try Proxy(url: proxy.url), noProxy: list))) { client, _ in
                try await client.get("http://127.0.0.1:\(origin.port)/").status
            }
            #expect(status == 200, "\(list)")
        }
        #expect(proxy.requests.isEmpty, "\(proxy.requests)")
        #expect(origin.received.count == 4)
    }

    @Test func aProxyThatIsNotThereFailsAsItself() async throws {
        let port = refusedPort()
        _ = try await withClient(try Self.client(.all(try Proxy(url: "127.0.0.1:\(port)")), tls: true)) { client, _ in
            await #expect(throws: ClientError.connectionRefused(host: "127.0.0.1", port: port)) {
                try await client.get("https://localhost:1/")
            }
        }
    }

    /// Scripted proxies that misbehave: one that never answers CONNECT (the connect timeout
    /// covers the tunnel), one that answers and then sends bytes nobody asked for, one that
    /// closes instead of answering.
    @Test(arguments: ["silent", "chatty", "closing"])
    func aBrokenProxyFailsInBoundedTime(_ fault: String) async throws {
        let proxy = try ScriptedServer { fd in
            _ = ScriptedServer.readHead(fd)
            switch fault {
            case "silent": usleep(3_000_000)
            case "chatty": ScriptedServer.send(fd, "HTTP/1.1 200 Connection established\r\n\r\nSURPRISE")
            default: return
            }
        }
        defer { proxy.stop() }
        var configuration = try Self.client(.all(try Proxy(url: "127.0.0.1:\(proxy.port)")), tls: true)
        configuration.connection.connectTimeout = .seconds(1)
        let (result, elapsed) = try await offPool { try timedFetch("https://localhost:1/", configuration) }
        switch result {
        case .failure(.timedOut(.connect)) where fault == "silent": break
        case .failure(.proxyFailed) where fault != "silent": break
        default: Issue.record("\(fault): \(result)")
        }
        #expect(elapsed < .seconds(3))
    }
}
