import EvLoop
import Foundation
import HTTPQ
import HTTPQClient
import HTTPQServer
import Testing
import TestSupport

/// Docs/Client.md's examples for redirects, decompression, proxies, Basic authorization and
/// Unix sockets, as written there, run against real peers. `everyCheckedBlockIsInThisFile`
/// fails when the doc and this file drift apart.
@Suite struct ClientDocExampleTests {
    @Test func redirectsExample() async throws {
        let recording = try RecordingOrigin { request in
            request.line.hasPrefix("GET /old ") ? RecordingOrigin.redirect("/new", status: 301) : RecordingOrigin.ok("new")
        }
        defer { recording.stop() }
        let origin = recording.url
        let thread = try EventLoopThread()
        defer { try? thread.shutdown() }
        var configuration = Client.Configuration()
        configuration.redirects = .follow(max: 5)                     // the default follows up to 10
        let client = Client(loops: [thread.loop], configuration: configuration)
        let page = try await client.get("\(origin)/old")              // the answer at the end of the chain
        let itself = try await client.get("\(origin)/old", options: RequestOptions(redirects: .off))
        let onlyHere = RedirectPolicy.deciding { hop in hop.to.host == "127.0.0.1" }
        #expect(page.status == 200 && page.body == Array("new".utf8))
        #expect(itself.status == 301 && itself.headers["Location"] == "/new")
        #expect(onlyHere.max == 10)
        client.shutdown()
    }

    @Test func decompressionExample() async throws {
        let text = Array(String(repeating: "decoded text, compressed by nginx\n", count: 500).utf8)
        let server = try Nginx(files: ["page.txt": text], extraConfig: "gzip on; gzip_types text/plain; gzip_min_length 0;")
        let nginx = "http://127.0.0.1:\(server.port)"
        let thread = try EventLoopThread()
        defer { try? thread.shutdown() }
        let plainClient = Client(loops: [thread.loop])
        let client = Client(loops: [thread.loop], configuration: .init(decompression: .on()))
        let text2 = try await client.get("\(nginx)/page.txt")           // sent Accept-Encoding: br, gzip, deflate
        let bounded = Decompression.on(limits: DecodingLimits(maxBytes: 10 << 20, maxRatio: 50))
        let one = try await plainClient.get("\(nginx)/page.txt", options: RequestOptions(decompression: bounded))
        #expect(text2.headers["Content-Encoding"] == "gzip" && text2.body == text)
        #expect(one.headers["Content-Encoding"] == "gzip" && one.body == text)
        client.shutdown()
        plainClient.shutdown()
    }

    @Test func proxiesExample() async throws {
        let tinyproxy = try Tinyproxy()
        let recording = try RecordingOrigin { _ in RecordingOrigin.ok() }
        defer { recording.stop() }
        let origin = recording.url
        let thread = try EventLoopThread()
        defer { try? thread.shutdown() }
        let fromEnvironment = try ProxySettings.environment()       // as curl reads http_proxy, https_proxy, no_proxy
        let proxied = Client(loops: [thread.loop],
                             configuration: .init(proxy: .all(try Proxy(url: tinyproxy.url), noProxy: "localhost,10.0.0.0/8")))
        let viaProxy = try await proxied.get("\(origin)/")
        #expect(viaProxy.status == 200 && recording.received.first?.head.contains("tinyproxy") == true)
        _ = fromEnvironment
        proxied.shutdown()
    }

    @Test func basicAuthorizationExample() async throws {
        let origin = try RecordingOrigin { _ in RecordingOrigin.ok() }
        defer { origin.stop() }
        let thread = try EventLoopThread()
        defer { try? thread.shutdown() }
        let client = Client(loops: [thread.loop])
        let secret = try await client.get("http://ann:s3cret@127.0.0.1:\(origin.port)/private")
        #expect(secret.status == 200 && origin.received.first?.head.contains("Authorization: Basic YW5uOnMzY3JldA==") == true)
        client.shutdown()
    }

    @Test func unixSocketExample() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("doc-\(getpid()).sock").path
        let thread = try EventLoopThread()
        defer { try? thread.shutdown() }
        let client = Client(loops: [thread.loop])
        let server = Server(configuration: .init(addresses: [SocketAddress(unixPath: path)!]), loops: [thread.loop]) { _, responder in
            responder.send(Response(status: 200, reason: "OK", headers: ["Content-Length": "2"], body: Array("up".utf8)))
        }
        _ = try server.start()
        let status = try await client.get(HTTPURL.unixSocketURL(path: path) + "/status")   // http+unix://%2Ftmp%2F...
        #expect(status.status == 200 && status.body == Array("up".utf8))
        await server.shutdown(gracePeriod: .seconds(1))
        #expect(!FileManager.default.fileExists(atPath: path), "the socket file goes with the server")
        client.shutdown()
    }

    @Test func upgradeExample() async throws {
        let thread = try EventLoopThread()
        defer { try? thread.shutdown() }
        let server = Server(configuration: .init(addresses: [SocketAddress(ip: "127.0.0.1", port: 0)!]), loops: [thread.loop]) { _, responder in
            responder.switchProtocols(Response(status: 101, reason: "Switching Protocols", headers: ["Upgrade": "echo"])) { upgraded in
                upgraded.write(Array("hi".utf8))
                upgraded.close()
            }
        }
        let echoURL = "http://127.0.0.1:\(try server.start()[0].port)/"
        let client = Client(loops: [thread.loop])
        let (answer, upgraded) = try await client.upgrade(Request(method: "GET", target: "/", headers: ["Upgrade": "echo"]), to: echoURL)
        #expect(answer.status == 101 && upgraded != nil)
        if let upgraded { await upgraded.loop.submitVoid { upgraded.close() } }
        client.shutdown()
        await server.shutdown(gracePeriod: .seconds(1))
    }

    /// Each line of every `<!-- checked by ClientDocExampleTests -->` block in Client.md
    /// appears in this file (so each is compiled and run above).
    @Test func everyCheckedBlockIsInThisFile() throws {
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let blocks = try checkedDocBlocks("Client.md", marker: "ClientDocExampleTests")
        #expect(blocks.count == 6)
        for line in linesMissing(from: source, in: blocks) { Issue.record("not compiled by a test: \(line)") }
    }
}

extension EventLoop {
    /// Runs `body` on the loop and waits for it.
    func submitVoid(_ body: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { continuation in execute { body(); continuation.resume() } }
    }
}

extension RecordingOrigin {
    /// `http://127.0.0.1:PORT`.
    var url: String { "http://127.0.0.1:\(port)" }
}
