import Foundation
import HTTPQ
@testable import HTTPQServer
import Testing
import TestSupport

/// Small files kept in memory (`SmallFileCache`): answered exactly as when read, and never
/// once they changed, moved or became a link.
@Suite struct SmallFileCacheTests {
    static let small = Array(TestBytes.make(count: 5_000))

    private static func directory(_ files: [String: [UInt8]]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kept-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("root"), withIntermediateDirectories: true)
        for (name, bytes) in files { try Data(bytes).write(to: directory.appendingPathComponent(name)) }
        return directory
    }

    /// A file server that keeps what it reads at once (no two-second wait for tests).
    private static func keeping(_ root: URL, capacity: Int = 8 << 20) throws -> FileServer {
        try FileServer(root: root.path, smallFiles: SmallFileCache(capacity: capacity, settledAfter: 0))
    }

    private static func get(_ port: Int, _ path: String, _ headers: [String] = [], method: String = "GET") throws
        -> (status: Int, range: String?, body: [UInt8], etag: String?, length: String?)
    {
        let client = try RawClient(port: port)
        client.send("\(method) \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\(headers.map { $0 + "\r\n" }.joined())\r\n")
        var response = Response(answering: method)
        try response.feed(client.readToEnd().bytes)
        try? response.finish()
        return (response.status, response.headers["Content-Range"], try ConditionalRangeTests.comparableBody(response), response.headers["ETag"],
                response.headers["Content-Length"])
    }

    /// Every conditional and range request of `ConditionalRangeTests` gets the same answer
    /// from kept bytes as from the file read anew.
    @Test func keptBytesAnswerAsTheFileDoes() throws {
        let base = try Self.directory(["root/small.txt": Self.small])
        defer { try? FileManager.default.removeItem(at: base) }
        let root = base.appendingPathComponent("root")
        let keeping = try Self.keeping(root)
        let reading = try FileServer(root: root.path, smallFiles: SmallFileCache(settledAfter: 1_000_000))
        let kept = try TestServer(handler: keeping.handler), read = try TestServer(handler: reading.handler)
        defer { kept.stop(); read.stop() }
        let first = try Self.get(kept.port, "/small.txt")
        #expect(first.body == Self.small && keeping.smallFiles.keptBytes == Self.small.count, "the first GET keeps the file")
        #expect(reading.smallFiles.keptBytes == 0)
        let etag = try #require(first.etag)
        let lastModified = try Self.lastModified(read.port)
        for item in ConditionalRangeTests.table {
            let headers = item.headers.map {
                $0.replacingOccurrences(of: "{etag}", with: etag)
                    .replacingOccurrences(of: "{lm}", with: IMFDate.format(lastModified))
                    .replacingOccurrences(of: "{earlier}", with: IMFDate.format(lastModified - 86_400))
                    .replacingOccurrences(of: "{later}", with: IMFDate.format(lastModified + 86_400))
            }
            let ours = try Self.get(kept.port, "/small.txt", headers, method: item.method)
            let theirs = try Self.get(read.port, "/small.txt", headers, method: item.method)
            #expect(ours.status == theirs.status && ours.range == theirs.range && ours.body == theirs.body
                    && ours.length == theirs.length, "\(item)")
        }
        #expect(keeping.smallFiles.keptBytes == Self.small.count)
    }

    private static func lastModified(_ port: Int) throws -> Int {
        let client = try RawClient(port: port)
        client.send("HEAD /small.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        var response = Response(answering: "HEAD")
        try response.feed(client.readToEnd().bytes)
        return try #require(response.headers["Last-Modified"].flatMap(IMFDate.parse))
    }

    /// A write of the same size, a replacement by rename, a removal: each is seen at once.
    @Test func changesAreSeenAtOnce() throws {
        let base = try Self.directory(["root/f.txt": Array("one\n".utf8)])
        defer { try? FileManager.default.removeItem(at: base) }
        let root = base.appendingPathComponent("root"), file = root.appendingPathComponent("f.txt")
        let files = try Self.keeping(root)
        let server = try TestServer(handler: files.handler)
        defer { server.stop() }
        #expect(try Self.get(server.port, "/f.txt").body == Array("one\n".utf8))
        #expect(files.smallFiles.keptBytes == 4)
        // Past the file clock's tick, so the write cannot share its times with the first version.
        usleep(50_000)
        try Data("two\n".utf8).write(to: file, options: []) // in place, same size
        #expect(try Self.get(server.port, "/f.txt").body == Array("two\n".utf8))
        let next = root.appendingPathComponent(".next")
        try Data("six\n".utf8).write(to: next)
        _ = rename(next.path, file.path)
        #expect(try Self.get(server.port, "/f.txt").body == Array("six\n".utf8))
        try FileManager.default.removeItem(at: file)
        #expect(try Self.get(server.port, "/f.txt").status == 404)
    }

    /// With a validity window (nginx's `open_file_cache_valid`), a change is seen only once
    /// the window since the last check has passed; until then the bytes read before are
    /// answered whole, with their own length and validator (never a mix).
    @Test func aValidityWindowDelaysChangesByAtMostItsLength() throws {
        let base = try Self.directory(["root/f.txt": Array("one\n".utf8)])
        defer { try? FileManager.default.removeItem(at: base) }
        let root = base.appendingPathComponent("root"), file = root.appendingPathComponent("f.txt")
        let files = try FileServer(root: root.path, smallFiles: SmallFileCache(settledAfter: 0, validFor: 0.5))
        let server = try TestServer(handler: files.handler)
        defer { server.stop() }
        let started = ContinuousClock.now // before the first check, which starts the window
        let first = try Self.get(server.port, "/f.txt")
        #expect(first.body == Array("one\n".utf8) && files.smallFiles.keptBytes == 4)
        usleep(50_000)
        try Data("seven\n".utf8).write(to: file, options: []) // another size
        let during = try Self.get(server.port, "/f.txt")
        if ContinuousClock.now - started < .milliseconds(500) {
            #expect(during.body == Array("one\n".utf8) && during.length == "4" && during.etag == first.etag,
                    "inside the window the kept version, whole")
        } else {
            // A loaded machine (a CI run took 12 s for this test) can let the window pass before
            // the second request is answered: then either version, but whole, never a mix.
            let kept = during.body == Array("one\n".utf8) && during.length == "4"
            let fresh = during.body == Array("seven\n".utf8) && during.length == "6"
            #expect(kept || fresh, "one version whole")
        }
        usleep(600_000)
        let after = try Self.get(server.port, "/f.txt")
        #expect(after.body == Array("seven\n".utf8) && after.etag != first.etag, "after it, the file as it is")
        try FileManager.default.removeItem(at: file)
        usleep(600_000)
        #expect(try Self.get(server.port, "/f.txt").status == 404)
    }

    /// The server's own PUT is seen by the next GET whatever the window: a PUT that puts its
    /// file in place drops what was kept of the old one.
    @Test func aPutIsSeenAtOnceEvenWithAWindow() throws {
        let base = try Self.directory(["root/f.txt": Array("one\n".utf8)])
        defer { try? FileManager.default.removeItem(at: base) }
        let files = try FileServer(root: base.appendingPathComponent("root").path, allowsPut: true,
                                   smallFiles: SmallFileCache(settledAfter: 0, validFor: 60))
        let server = try TestServer(handler: files.handler)
        defer { server.stop() }
        #expect(try Self.get(server.port, "/f.txt").body == Array("one\n".utf8) && files.smallFiles.keptBytes == 4)
        let client = try RawClient(port: server.port)
        client.send("PUT /f.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nConnection: close\r\n\r\nseven\n")
        var answer = Response(answering: "PUT")
        try answer.feed(client.readToEnd().bytes)
        #expect(answer.status == 204)
        #expect(try Self.get(server.port, "/f.txt").body == Array("seven\n".utf8))
    }

    /// A file changed in the last two seconds is read every time, not kept (its times tick
    /// coarsely: a second write in the same tick would look like no change).
    @Test func aFreshFileIsNotKept() throws {
        let base = try Self.directory(["root/f.txt": Array("one\n".utf8)])
        defer { try? FileManager.default.removeItem(at: base) }
        let files = try FileServer(root: base.appendingPathComponent("root").path)
        let server = try TestServer(handler: files.handler)
        defer { server.stop() }
        #expect(try Self.get(server.port, "/f.txt").body == Array("one\n".utf8))
        #expect(files.smallFiles.keptBytes == 0)
    }

    /// A small file only ever asked for in ranges (a player, a resumed download) is read
    /// whole once and kept like any other: before, every range read it from disk again.
    @Test(arguments: ["Range: bytes=10-19", "Range: bytes=0-9,100-109"])
    func aFileAskedOnlyInRangesIsKept(range: String) throws {
        let base = try Self.directory(["root/small.txt": Self.small])
        defer { try? FileManager.default.removeItem(at: base) }
        let keeping = try Self.keeping(base.appendingPathComponent("root"))
        let server = try TestServer(handler: keeping.handler)
        defer { server.stop() }
        let first = try Self.get(server.port, "/small.txt", [range])
        #expect(first.status == 206 && keeping.smallFiles.keptBytes == Self.small.count, "kept after the first range")
        let again = try Self.get(server.port, "/small.txt", [range])
        #expect(again.status == 206 && again.body == first.body && again.range == first.range)
    }

    /// A kept file replaced by a link out of the root is refused, as a link out always was; a
    /// link that stays beneath serves its target and is not kept under its own name.
    @Test func aLinkOverAKeptFileIsJudgedAsBefore() throws {
        let base = try Self.directory(["root/a.txt": Array("a".utf8), "root/b.txt": Array("b".utf8), "secret": Array("secret".utf8)])
        defer { try? FileManager.default.removeItem(at: base) }
        let root = base.appendingPathComponent("root")
        let files = try Self.keeping(root)
        let server = try TestServer(handler: files.handler)
        defer { server.stop() }
        #expect(try Self.get(server.port, "/a.txt").body == Array("a".utf8))
        #expect(files.smallFiles.keptBytes == 1)
        try FileManager.default.removeItem(at: root.appendingPathComponent("a.txt"))
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("a.txt").path, withDestinationPath: "../secret")
        let outside = try Self.get(server.port, "/a.txt")
        #expect(outside.status == 404 && outside.body != Array("secret".utf8))
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("link.txt").path, withDestinationPath: "b.txt")
        for _ in 0..<3 { #expect(try Self.get(server.port, "/link.txt").body == Array("b".utf8)) }
        #expect(files.smallFiles.keptBytes == 0, "neither the refused link nor the followed one is kept")
    }

    /// The kept bytes never pass the budget, however many files are asked for.
    @Test func staysWithinItsBudget() throws {
        var names: [String: [UInt8]] = [:]
        for index in 0..<8 { names["root/\(index).bin"] = Array(TestBytes.make(count: 4_000)) }
        let base = try Self.directory(names)
        defer { try? FileManager.default.removeItem(at: base) }
        let files = try Self.keeping(base.appendingPathComponent("root"), capacity: 10_000)
        let server = try TestServer(handler: files.handler)
        defer { server.stop() }
        for round in 0..<2 {
            for index in 0..<8 {
                #expect(try Self.get(server.port, "/\(index).bin").body.count == 4_000, "round \(round)")
                #expect(files.smallFiles.keptBytes <= 10_000)
            }
        }
        #expect(files.smallFiles.keptBytes > 0)
    }
}
