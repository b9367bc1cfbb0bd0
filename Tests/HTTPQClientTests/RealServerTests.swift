import Foundation
import Testing
import TestSupport
import HTTPQ
import HTTPQClient
#if canImport(Glibc)
import Glibc
#endif

/// The client against real servers other than nginx: Apache and lighttpd serving files,
/// gunicorn (a sync worker: `Connection: close` on every answer, a body without a length ending
/// with the connection), uvicorn and Node (chunked bodies; Node drops an idle connection after
/// its keep-alive timeout). Each frames, keeps alive and closes in its own way; the client must
/// get every byte from each, reuse what may be reused, and recover when a server closes a
/// pooled connection. (All five are installed by `scripts/setup.sh`, the README's test command;
/// none is skipped: a kind missing here fails, saying to run it.)
@Suite(.serialized) struct RealServerTests {
    static let kinds = RealServer.Kind.allCases
    static let files: [String: [UInt8]] = {
        var generator = SplitMix64(seed: 20261130)
        func random(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) } }
        return ["empty.bin": [], "one.txt": Array("x".utf8), "a.txt": Array("hello\n".utf8),
                "1k.bin": random(1024), "100k.bin": random(100 * 1024), "1m.bin": random(1 << 20)]
    }()

    private func start(_ kind: RealServer.Kind, keepAliveTimeout: Duration = .seconds(5)) throws -> RealServer {
        try RealServer(kind, files: Self.files, keepAliveTimeout: keepAliveTimeout)
    }

    @Test(arguments: kinds)
    func everyFileComesBackWholeInTurnAndAtOnce(_ kind: RealServer.Kind) async throws {
        try #require(kind.isInstalled, "\(kind) is not installed: run scripts/setup.sh")
        let server = try start(kind)
        try await withClient(.init(maxConnectionsPerHost: 4)) { client, _ in
            for name in Self.files.keys.sorted() {
                for _ in 0..<2 {
                    let response = try await client.get(server.url(ofFile: name))
                    #expect(response.status == 200 && response.body == Self.files[name], "\(kind) \(name): \(response.status), \(response.body.count) bytes")
                }
            }
            // Past Apache's and lighttpd's 100 requests per connection (they close the 100th).
            for index in 0..<150 {
                let response = try await client.get(server.url(ofFile: "a.txt"))
                guard response.status == 200, response.body == Self.files["a.txt"] else {
                    Issue.record("\(kind), request \(index): \(response.status) \(response.body.count) bytes\n\(server.log)")
                    return
                }
            }
            // Thirty at once over four connections, the big ones among them.
            let names = (0..<30).map { ["1m.bin", "100k.bin", "1k.bin", "a.txt", "empty.bin"][$0 % 5] }
            try await withThrowingTaskGroup(of: (String, Response).self) { group in
                for name in names { group.addTask { (name, try await client.get(server.url(ofFile: name))) } }
                for try await (name, response) in group {
                    #expect(response.status == 200 && response.body == Self.files[name], "\(kind) \(name) at once: \(response.status), \(response.body.count) bytes")
                }
            }
        }
    }

    @Test(arguments: kinds)
    func headHasTheLengthAndNoBodyAndTheConnectionGoesOn(_ kind: RealServer.Kind) async throws {
        try #require(kind.isInstalled, "\(kind) is not installed: run scripts/setup.sh")
        let server = try start(kind)
        try await withClient(.init(maxConnectionsPerHost: 1)) { client, _ in
            for _ in 0..<3 {
                let head = try await client.execute(Request(method: "HEAD", target: "/"), to: server.url(ofFile: "100k.bin"))
                #expect(head.status == 200 && head.body.isEmpty, "\(kind): \(head.status), \(head.body.count) bytes")
                #expect(head.headers["Content-Length"] == "102400", "\(kind): \(head.headers)")
                let get = try await client.get(server.url(ofFile: "1k.bin"))
                #expect(get.status == 200 && get.body == Self.files["1k.bin"], "\(kind) after HEAD: \(get.status), \(get.body.count) bytes")
            }
        }
    }

    @Test(arguments: kinds.filter(\.isApp))
    func streamedBodiesRedirectsAndUploads(_ kind: RealServer.Kind) async throws {
        try #require(kind.isInstalled, "\(kind) is not installed: run scripts/setup.sh")
        let server = try start(kind)
        let upload = Self.files["1m.bin"]!
        let digest = try ChildProcess.run("/usr/bin/sha256sum", [], input: upload).stdoutText.prefix(64)
        let pattern = (0..<50).flatMap { Array(repeating: UInt8($0 % 251), count: 1000) }
        try await withClient(.init(maxConnectionsPerHost: 2)) { client, _ in
            for _ in 0..<3 {
                let streamed = try await client.get(server.url("/stream"))
                #expect(streamed.status == 200 && streamed.body == pattern, "\(kind) /stream: \(streamed.status), \(streamed.body.count) bytes, \(streamed.headers)")
                let redirected = try await client.get(server.url("/redirect"))
                #expect(redirected.status == 200 && redirected.body == Self.files["a.txt"], "\(kind) /redirect: \(redirected.status)")
                let echoed = try await client.execute(
                    Request(method: "POST", target: "/", headers: ["Content-Type": "application/octet-stream"], body: upload),
                    to: server.url("/echo"))
                #expect(echoed.status == 200 && String(decoding: echoed.body, as: UTF8.self) == "\(upload.count) \(digest)",
                        "\(kind) /echo: \(echoed.status) \(String(decoding: echoed.body.prefix(200), as: UTF8.self))")
            }
        }
    }

    @Test(arguments: kinds.filter { !$0.isApp })
    func rangesAndValidatorsAsTheServerAnswersThem(_ kind: RealServer.Kind) async throws {
        try #require(kind.isInstalled, "\(kind) is not installed: run scripts/setup.sh")
        let server = try start(kind)
        let file = Self.files["100k.bin"]!
        try await withClient { client, _ in
            let part = try await client.get(server.url(ofFile: "100k.bin"), headers: ["Range": "bytes=1000-1999"])
            #expect(part.status == 206 && part.body == Array(file[1000..<2000]), "\(kind): \(part.status), \(part.body.count) bytes")
            #expect(part.headers["Content-Range"] == "bytes 1000-1999/102400", "\(kind): \(part.headers)")
            let whole = try await client.get(server.url(ofFile: "100k.bin"))
            let tag = try #require(whole.headers["ETag"], "\(kind) sends an ETag")
            let unchanged = try await client.get(server.url(ofFile: "100k.bin"), headers: ["If-None-Match": tag])
            #expect(unchanged.status == 304 && unchanged.body.isEmpty, "\(kind): \(unchanged.status), \(unchanged.body.count) bytes")
            let after = try await client.get(server.url(ofFile: "a.txt"))
            #expect(after.status == 200 && after.body == Self.files["a.txt"], "\(kind): the connection goes on after a 304")
        }
    }

    /// A server that closes an idle kept-alive connection: the client's next request meets a
    /// pooled connection that is closing or closed, at every point around the server's timeout
    /// (Node's and Go's set to 300 ms, Apache's 1 s). Every request must still be answered.
    @Test(arguments: [(RealServer.Kind.node, Duration.milliseconds(300)), (.apache, .seconds(1)), (.go, .milliseconds(300))])
    func idleConnectionsTheServerClosesAreNotAFailure(_ kind: RealServer.Kind, _ timeout: Duration) async throws {
        try #require(kind.isInstalled, "\(kind) is not installed: run scripts/setup.sh")
        let server = try start(kind, keepAliveTimeout: timeout)
        try await withClient(.init(maxConnectionsPerHost: 1)) { client, _ in
            for step in 0..<8 {
                let response = try await client.get(server.url(ofFile: "a.txt"))
                #expect(response.status == 200 && response.body == Self.files["a.txt"], "\(kind), step \(step): \(response.status)")
                // Around the timeout: a little before it, at it, a little after.
                try await Task.sleep(for: timeout * (0.8 + 0.06 * Double(step)))
            }
        }
    }
}
