import Foundation
import HTTPQ
import HTTPQClient
import Codings
import Locks
import Testing
import TestSupport

/// Bodies coded by a real nginx (`gzip on`) and by scripted servers (br, deflate, broken
/// streams, a bomb) come out decoded, or fail with the `decodingFailed` that names why.
@Suite struct DecompressionTests {
    static let text: [UInt8] = {
        var lines: [String] = []
        for index in 0..<6_000 { lines.append("line \(index): the quick brown fox jumps over the lazy dog \(index * 7919 % 1000)") }
        return Array(lines.joined(separator: "\n").utf8)
    }()

    static func gzipNginx() throws -> Nginx {
        try Nginx(files: ["page.txt": text], extraConfig: "gzip on; gzip_types text/plain; gzip_min_length 0; gzip_comp_level 6;")
    }

    /// A server answering every request with `body` coded as `coding` says, in 1,000-byte chunks.
    static func coded(_ body: [UInt8], encoding: String) throws -> ScriptedServer {
        try ScriptedServer { fd in
            while !ScriptedServer.readHead(fd).isEmpty {
                var answer = "HTTP/1.1 200 OK\r\nContent-Encoding: \(encoding)\r\nTransfer-Encoding: chunked\r\n\r\n"
                ScriptedServer.send(fd, answer)
                var offset = 0
                while offset < body.count {
                    let piece = Array(body[offset..<min(body.count, offset + 1000)])
                    answer = String(piece.count, radix: 16) + "\r\n"
                    ScriptedServer.send(fd, answer)
                    _ = piece.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                    ScriptedServer.send(fd, "\r\n")
                    offset += piece.count
                }
                ScriptedServer.send(fd, "0\r\n\r\n")
            }
        }
    }

    @Test func nginxGzipIsDecodedAndItsFieldsKept() async throws {
        let nginx = try Self.gzipNginx()
        try await withClient(.init(decompression: .on())) { client, _ in
            let response = try await client.get("http://127.0.0.1:\(nginx.port)/page.txt")
            #expect(response.headers["Content-Encoding"] == "gzip")
            #expect(response.body == Self.text)
        }
    }

    /// Off by default: no Accept-Encoding goes out, so nginx sends the bytes as they are;
    /// a request's options turn it on for that request alone.
    @Test func offUnlessAskedAndPerRequestOptionsOverride() async throws {
        let nginx = try Self.gzipNginx()
        try await withClient { client, _ in
            let plain = try await client.get("http://127.0.0.1:\(nginx.port)/page.txt")
            #expect(plain.headers["Content-Encoding"] == nil && plain.body == Self.text)
            let decoded = try await client.get("http://127.0.0.1:\(nginx.port)/page.txt", options: RequestOptions(decompression: .on()))
            #expect(decoded.headers["Content-Encoding"] == "gzip" && decoded.body == Self.text)
        }
    }

    /// Whoever sets Accept-Encoding gets the coded bytes, as they asked.
    @Test func anExplicitAcceptEncodingGetsTheCodedBytes() async throws {
        let nginx = try Self.gzipNginx()
        try await withClient(.init(decompression: .on())) { client, _ in
            let response = try await client.get("http://127.0.0.1:\(nginx.port)/page.txt", headers: ["Accept-Encoding": "gzip"])
            #expect(response.headers["Content-Encoding"] == "gzip")
            #expect(response.body.prefix(2) == [0x1F, 0x8B] && response.body.count < Self.text.count / 2)
        }
    }

    /// A streaming delegate (bodies not kept) sees decoded slices of 64 KiB at most.
    @Test(arguments: ["br", "gzip", "deflate", "gzip, br"])
    func streamedSlicesAreDecoded(_ encoding: String) async throws {
        let codings = try ContentCoding.list(encoding)
        let body = codings.reduce(Self.text) { ContentEncoder.encodeForTests($0, $1) }
        let server = try Self.coded(body, encoding: encoding)
        defer { server.stop() }
        var options = ConnectionOptions()
        options.keepsBody = false
        let received = Locked<[UInt8]>([])
        let largest = Locked(0)
        final class Collect: RequestDelegate, @unchecked Sendable {
            let received: Locked<[UInt8]>, largest: Locked<Int>, done: CheckedContinuation<Result<Response, ClientError>, Never>
            init(_ r: Locked<[UInt8]>, _ l: Locked<Int>, _ d: CheckedContinuation<Result<Response, ClientError>, Never>) { received = r; largest = l; done = d }
            func request(didReceiveBody bytes: RawSpan) {
                bytes.withUnsafeBytes { piece in received.withLock { $0 += piece }; largest.withLock { $0 = max($0, piece.count) } }
            }
            func request(didComplete response: Response) { done.resume(returning: .success(response)) }
            func request(didFail error: ClientError) { done.resume(returning: .failure(error)) }
        }
        let result = try await withClient(.init(connection: options, decompression: .on())) { client, _ in
            await withCheckedContinuation { continuation in
                client.execute(Request(method: "GET", target: "/"), to: "http://127.0.0.1:\(server.port)/",
                               delegate: Collect(received, largest, continuation))
            }
        }
        _ = try result.get()
        #expect(received.withLock { $0 } == Self.text)
        #expect(largest.withLock { $0 } <= 65_536)
    }

    @Test(arguments: [
        ("corrupt", DecodingError.corrupt(.gzip, detail: "")),
        ("truncated", .truncated(.gzip)),
        ("trailing", .trailingData(.gzip)),
        ("zstd", .unsupported("zstd")),
        ("bomb", .ratioExceeded(limit: 100)),
    ])
    func badBodiesFailNamingWhy(_ fault: String, _ expected: DecodingError) async throws {
        var body = ContentEncoder.encode(Self.text, as: .gzip)
        var encoding = "gzip"
        switch fault {
        case "corrupt": for index in stride(from: 30, to: 300, by: 5) { body[index] ^= 0xA5 }
        case "truncated": body.removeLast(20)
        case "trailing": body += Array("junk".utf8)
        case "zstd": encoding = "zstd"
        default: body = ContentEncoder.encode([UInt8](repeating: 0, count: 64 << 20), as: .gzip, level: 6) // 64 MiB of zeros
        }
        let server = try Self.coded(body, encoding: encoding)
        defer { server.stop() }
        let started = ContinuousClock.now
        try await withClient(.init(decompression: .on())) { client, _ in
            do {
                _ = try await client.get("http://127.0.0.1:\(server.port)/")
                Issue.record("\(fault): decoded")
            } catch ClientError.decodingFailed(let error) {
                if case .corrupt = expected, case .corrupt(.gzip, let detail) = error { #expect(!detail.isEmpty) } else {
                    #expect(error == expected)
                }
            } catch {
                Issue.record("\(fault): \(error)")
            }
            // The connection is not reused after a failed body: the next request works.
            if fault != "bomb" {
                let next = try? await client.get("http://127.0.0.1:\(server.port)/", options: RequestOptions(decompression: .off))
                #expect(next?.status == 200)
            }
        }
        #expect(ContinuousClock.now - started < .seconds(30), "bounded, not hung")
    }

    /// Redirects and decoding together: only the answer is decoded, its hops' bodies never reach the caller.
    @Test func aRedirectedAnswerIsDecoded() async throws {
        let nginx = try Self.gzipNginx()
        let origin = try RecordingOrigin { _ in RecordingOrigin.redirect("http://127.0.0.1:\(nginx.port)/page.txt") }
        defer { origin.stop() }
        try await withClient(.init(decompression: .on())) { client, _ in
            let response = try await client.get("http://127.0.0.1:\(origin.port)/old")
            #expect(response.body == Self.text)
        }
        #expect(origin.received.first?.head.contains("Accept-Encoding: br, gzip, deflate") == true)
    }
}

extension ContentEncoder {
    static func encodeForTests(_ bytes: [UInt8], _ coding: ContentCoding) -> [UInt8] { encode(bytes, as: coding) }
}
