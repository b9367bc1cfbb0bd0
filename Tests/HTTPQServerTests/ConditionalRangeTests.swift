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
        Case(headers: ["Range: bytes=0-0"]),
        Case(headers: ["Range: bytes=-0"]),
        Case(headers: ["Range: bytes=0 - 9"]),
        Case(headers: ["Range: bytes=5-2"]),
        Case(headers: ["Range: bytes=5-2,0-9"]),
        Case(headers: ["Range: bytes=0-9,100000-"]),
        Case(headers: ["Range: bytes=0-99999,0-99999"]),
        Case(headers: ["Range: bytes=0-9,20-29"]),
        Case(headers: ["Range: bytes=-10,0-0,50000-50099"]),
        Case(headers: ["Range: bytes=0-49999,50000-"]),
        Case(headers: ["Range: bytes=0-9,200000-,20-29"]),
        Case(path: "/small.txt", headers: ["Range: bytes=0-1,4998-"]),
        Case(headers: ["If-Range: {etag}", "Range: bytes=0-9,20-29"]),
        Case(headers: ["Range: bytes=abc"]),
        Case(headers: ["Range: bytes=5"]),
        Case(headers: ["Range: bytes=+1-2"]),
        Case(headers: ["Range: bytes=1-2;3"]),
        Case(headers: ["Range: bytes=0-99999999999999999999"]),
        Case(headers: ["Range: bytes="]),
        Case(headers: ["Range: Bytes=0-9"]),
        Case(path: "/empty.txt", headers: []),
        Case(path: "/empty.txt", headers: ["Range: bytes=0-9"]),
        Case(path: "/empty.txt", headers: ["Range: bytes=-5"]),
        Case(path: "/empty.txt", headers: ["Range: bytes=1-"]),
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

    /// One exchange on a fresh connection: status, `Content-Range`, body (for
    /// `multipart/byteranges`, its parts' `Content-Range` and bytes, each part in turn), and
    /// the validators.
    static func exchange(_ port: Int, _ method: String, _ path: String, _ headers: [String]) throws -> (status: Int, range: String?, body: [UInt8], etag: String?, lastModified: String?) {
        let client = try RawClient(port: port)
        let fields = headers.map { $0 + "\r\n" }.joined()
        client.send("\(method) \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\(fields)\r\n")
        var response = Response(answering: method)
        try response.feed(client.readToEnd().bytes)
        try? response.finish()
        return (response.status, response.headers["Content-Range"], try comparableBody(response), response.headers["ETag"],
                response.headers["Last-Modified"])
    }

    /// The body, or for `multipart/byteranges` each part's `Content-Range` and bytes in turn
    /// (without the boundaries, which differ between servers and answers).
    static func comparableBody(_ response: Response) throws -> [UInt8] {
        guard let type = response.headers["Content-Type"], type.hasPrefix("multipart/byteranges") else { return response.body }
        let parsed = MultipartBody.parts(of: response.body, contentType: type)
        let parts = try #require(parsed, "a multipart body of \(response.body.count) bytes that parses: \(type)")
        return parts.flatMap { Array("\($0.range ?? "no Content-Range")|".utf8) + $0.bytes }
    }

    @Test func answersAsNginxDoes() throws {
        let nginx = try Nginx(files: ["big.bin": Self.big, "small.txt": Self.small, "empty.txt": []], extraConfig: "if_modified_since before;")
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

    /// Where this server answers otherwise than nginx, on purpose: more than 64 ranges (each
    /// part's head would multiply a small file) get the whole file; nginx sends them all.
    @Test func manyRangesGetTheWholeFile() throws {
        let nginx = try Nginx(files: ["big.bin": Self.big])
        let server = try TestServer(handler: try FileServer(root: nginx.root.path).handler)
        defer { server.stop() }
        let ranges = "Range: bytes=" + (0..<65).map { "\($0 * 10)-\($0 * 10 + 1)" }.joined(separator: ",")
        let ours = try Self.exchange(server.port, "GET", "/big.bin", [ranges])
        #expect(ours.status == 200 && ours.body == Self.big, "more than 64 ranges: the whole file")
        let theirs = try Self.exchange(nginx.port, "GET", "/big.bin", [ranges])
        #expect(theirs.status == 206, "nginx answers multipart/byteranges")
        let sixtyFour = "Range: bytes=" + (0..<64).map { "\($0 * 10)-\($0 * 10 + 1)" }.joined(separator: ",")
        #expect(try Self.exchange(server.port, "GET", "/big.bin", [sixtyFour]).status == 206)
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

/// The parts of a `multipart/byteranges` body (RFC 9110 §14.6), for the tests.
enum MultipartBody {
    /// Each part's `Content-Range` and bytes; nil when the body does not parse.
    static func parts(of body: [UInt8], contentType: String) -> [(range: String?, bytes: [UInt8])]? {
        guard let boundary = contentType.components(separatedBy: "boundary=").last, !boundary.isEmpty else { return nil }
        let delimiter = Array("\r\n--\(boundary)".utf8)
        var starts: [Int] = []
        var index = 0
        // The body opens with CRLF (nginx's layout and ours); the delimiter includes it.
        while index + delimiter.count <= body.count {
            if body[index..<(index + delimiter.count)].elementsEqual(delimiter) {
                starts.append(index)
                index += delimiter.count
            } else {
                index += 1
            }
        }
        guard let last = starts.last, body[(last + delimiter.count)...].starts(with: Array("--\r\n".utf8)) else { return nil }
        var parts: [(range: String?, bytes: [UInt8])] = []
        for (start, end) in zip(starts, starts.dropFirst()) {
            let part = Array(body[(start + delimiter.count + 2)..<end])
            guard let headEnd = (0..<part.count).first(where: { part[$0...].starts(with: Array("\r\n\r\n".utf8)) }) else { return nil }
            let range = String(decoding: part[..<headEnd], as: UTF8.self).components(separatedBy: "\r\n")
                .first { $0.lowercased().hasPrefix("content-range:") }
                .map { String($0.dropFirst("content-range:".count).drop { $0 == " " }) }
            parts.append((range, Array(part[(headEnd + 4)...])))
        }
        return parts
    }
}
