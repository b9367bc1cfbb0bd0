import Foundation
import HTTPQ
import HTTPQServer
import Testing
import TestSupport

/// `FileServer`'s validators, conditional and range answers beside nginx serving the same
/// files (`if_modified_since before`, the RFC 9110 rule; nginx's default is an exact match):
/// for each request of the table, the same status, body bytes and `Content-Range`.
@Suite struct ConditionalRangeTests {
    static let big = TestBytes.make(count: 100_000)
    static let small = Array(TestBytes.make(count: 5_000))

    /// A request of the table: `{etag}` and `{lm}` are replaced by the server's own `ETag` and
    /// `Last-Modified`, `{earlier}`/`{later}` by a day before/after it.
    struct Case: Sendable, CustomStringConvertible {
        var method = "GET"
        var path = "/big.bin"
        var headers: [String]
        var description: String { "\(method) \(path) \(headers)" }
    }

    static let table: [Case] = [
        Case(headers: []),
        Case(method: "HEAD", headers: []),
        Case(headers: ["Range: bytes=0-99"]),
        Case(headers: ["Range: bytes=99990-"]),
        Case(headers: ["Range: bytes=-500"]),
        Case(headers: ["Range: bytes=99999-200000"]),
        Case(headers: ["Range: bytes=100000-"]),
        Case(headers: ["Range: items=0-5"]),
        Case(path: "/small.txt", headers: ["Range: bytes=10-19"]),
        Case(headers: ["If-None-Match: {etag}"]),
        Case(headers: ["If-None-Match: \"other\""]),
        Case(headers: ["If-None-Match: *"]),
        Case(method: "HEAD", headers: ["If-None-Match: {etag}"]),
        Case(headers: ["If-Modified-Since: {lm}"]),
        Case(headers: ["If-Modified-Since: {earlier}"]),
        Case(headers: ["If-Modified-Since: {later}"]),
        Case(headers: ["If-None-Match: \"other\"", "If-Modified-Since: {lm}"]),
        Case(headers: ["If-Range: {etag}", "Range: bytes=0-9"]),
        Case(headers: ["If-Range: \"stale\"", "Range: bytes=0-9"]),
        Case(headers: ["If-Range: {lm}", "Range: bytes=0-9"]),
        Case(headers: ["If-Range: {earlier}", "Range: bytes=0-9"]),
        Case(headers: ["If-Match: \"other\""]),
        Case(headers: ["If-Match: {etag}"]),
        Case(headers: ["If-Unmodified-Since: {earlier}"]),
        Case(headers: ["If-Unmodified-Since: {later}", "Range: bytes=5-14"]),
    ]

    /// One exchange on a fresh connection: status, `Content-Range`, body, and the validators.
    static func exchange(_ port: Int, _ method: String, _ path: String, _ headers: [String]) throws -> (status: Int, range: String?, body: [UInt8], etag: String?, lastModified: String?) {
        let client = try RawClient(port: port)
        let fields = headers.map { $0 + "\r\n" }.joined()
        client.send("\(method) \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\(fields)\r\n")
        var response = Response(answering: method)
        try response.feed(client.readToEnd().bytes)
        try? response.finish()
        return (response.status, response.headers["Content-Range"], response.body, response.headers["ETag"], response.headers["Last-Modified"])
    }

    @Test func answersAsNginxDoes() throws {
        let nginx = try Nginx(files: ["big.bin": Self.big, "small.txt": Self.small], extraConfig: "if_modified_since before;")
        let files = try FileServer(root: nginx.root.path)
        let server = try TestServer(handler: files.handler)
        defer { server.stop() }
        let ours = try Self.exchange(server.port, "GET", "/big.bin", [])
        let theirs = try Self.exchange(nginx.port, "GET", "/big.bin", [])
        #expect(ours.lastModified == theirs.lastModified, "the same file, the same Last-Modified")
        let lastModified = try #require(ours.lastModified.flatMap(IMFDate.parse))
        for item in Self.table {
            var answers: [(status: Int, range: String?, body: [UInt8])] = []
            for (port, etag) in [(server.port, ours.etag ?? ""), (nginx.port, theirs.etag ?? "")] {
                let headers = item.headers.map {
                    $0.replacingOccurrences(of: "{etag}", with: etag)
                        .replacingOccurrences(of: "{lm}", with: IMFDate.format(lastModified))
                        .replacingOccurrences(of: "{earlier}", with: IMFDate.format(lastModified - 86_400))
                        .replacingOccurrences(of: "{later}", with: IMFDate.format(lastModified + 86_400))
                }
                let answer = try Self.exchange(port, item.method, item.path, headers)
                answers.append((answer.status, answer.range, answer.body))
            }
            #expect(answers[0].status == answers[1].status, "\(item): status \(answers[0].status), nginx \(answers[1].status)")
            #expect(answers[0].range == answers[1].range, "\(item): Content-Range \(answers[0].range ?? "-"), nginx \(answers[1].range ?? "-")")
            if answers[0].status / 100 == 2 {
                #expect(answers[0].body == answers[1].body, "\(item): \(answers[0].body.count) body bytes, nginx \(answers[1].body.count)")
            }
        }
    }

    /// Where this server answers otherwise than nginx, on purpose.
    @Test func severalRangesGetTheWholeFile() throws {
        let nginx = try Nginx(files: ["big.bin": Self.big])
        let server = try TestServer(handler: try FileServer(root: nginx.root.path).handler)
        defer { server.stop() }
        let ours = try Self.exchange(server.port, "GET", "/big.bin", ["Range: bytes=0-9,20-29"])
        #expect(ours.status == 200 && ours.body == Self.big, "no multipart/byteranges: the whole file")
        let theirs = try Self.exchange(nginx.port, "GET", "/big.bin", ["Range: bytes=0-9,20-29"])
        #expect(theirs.status == 206, "nginx answers multipart/byteranges")
    }

    @Test func validatorsChangeWithTheFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("validators-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("f.txt")
        try Data("one\n".utf8).write(to: file)
        let server = try TestServer(handler: try FileServer(root: directory.path).handler)
        defer { server.stop() }
        let first = try Self.exchange(server.port, "GET", "/f.txt", [])
        let etag = try #require(first.etag)
        #expect(try Self.exchange(server.port, "GET", "/f.txt", ["If-None-Match: \(etag)"]).status == 304)
        // Replaced by a rename (a new inode), as an upload or a deploy does.
        let next = directory.appendingPathComponent(".next")
        try Data("two\n".utf8).write(to: next)
        _ = rename(next.path, file.path)
        let second = try Self.exchange(server.port, "GET", "/f.txt", ["If-None-Match: \(etag)"])
        #expect(second.status == 200 && second.body == Array("two\n".utf8) && second.etag != etag)
    }
}
