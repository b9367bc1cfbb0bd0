import Foundation
import HTTPQ
import HTTPQServer
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Several ranges of a large file as `multipart/byteranges`: read from the file piece by
/// piece as the socket drains (`MultipartFileSender`), to a slow reader, over TLS, and to
/// clients that know the format (curl writes what it gets; Python's email parser splits it).
@Suite struct MultipartRangesTests {
    static let content = TestBytes.make(count: 3_000_000, seed: 41)
    /// Across the sender's 64 KiB pieces, a part in the middle of one, the last bytes, one byte.
    static let field = "bytes=10-69999,1000000-2499999,-7,5-5"
    static let expected: [Range<Int>] = [10..<70_000, 1_000_000..<2_500_000, 2_999_993..<3_000_000, 5..<6]

    static func served() throws -> (directory: URL, files: FileServer) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("multipart-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(content).write(to: directory.appendingPathComponent("big.bin"))
        return (directory, try FileServer(root: directory.path))
    }

    static func expectParts(of response: Response) throws {
        #expect(response.status == 206)
        let type = try #require(response.headers["Content-Type"])
        #expect(type.hasPrefix("multipart/byteranges; boundary="))
        #expect(response.headers["Content-Length"] == String(response.body.count))
        let parsed = MultipartBody.parts(of: response.body, contentType: type)
        let parts = try #require(parsed, "a multipart body of \(response.body.count) bytes that parses: \(type)")
        #expect(parts.map(\.range) == expected.map { "bytes \($0.lowerBound)-\($0.upperBound - 1)/\(content.count)" })
        let intact = parts.map(\.bytes) == expected.map { Array(content[$0]) } // compared once: a failed #expect on MBs is slow
        #expect(intact, "part sizes \(parts.map(\.bytes.count))")
    }

    @Test func severalRangesReachASlowReaderWhole() async throws {
        try await offPool {
            let (directory, files) = try Self.served()
            defer { try? FileManager.default.removeItem(at: directory) }
            let server = try TestServer(handler: files.handler)
            defer { server.stop() }
            let client = try RawClient(port: server.port)
            // Twice on one connection: the second answer follows the first's last piece.
            let request = "GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: \(Self.field)\r\n\r\n"
            client.send(request + request.replacingOccurrences(of: "Host: x\r\n", with: "Host: x\r\nConnection: close\r\n"))
            var received: [UInt8] = []
            for _ in 0..<40 { // slowly at first: the sender waits for the socket between pieces
                guard let some = client.readSome() else { break }
                received += some
                usleep(2_000)
            }
            received += client.readToEnd().bytes
            var responses: [Response] = []
            var rest = received[...]
            while !rest.isEmpty {
                var response = Response(answering: "GET")
                let used = try response.feed(Array(rest))
                #expect(response.isComplete)
                responses.append(response)
                rest = rest.dropFirst(used)
            }
            #expect(responses.count == 2)
            for response in responses { try Self.expectParts(of: response) }
        }
    }

    @Test func severalRangesOverTLSToCurl() async throws {
        try await offPool {
            let (directory, files) = try Self.served()
            defer { try? FileManager.default.removeItem(at: directory) }
            let context = try TLSServerTests.context()
            let server = try TestServer({ $0.tls = context }, handler: files.handler)
            defer { server.stop() }
            let output = directory.appendingPathComponent("out")
            let curl = try ChildProcess.run(TLSServerTests.curl, [
                "-sS", "--noproxy", "*", "--cacert", TLSServerTests.pki.caCertificate, "-H", "Range: \(Self.field)",
                "-w", "%{http_code} %{content_type}", "-o", output.path, "https://localhost:\(server.port)/big.bin",
            ])
            #expect(curl.status == 0, "\(curl.stderrText)")
            let (status, type) = (curl.stdoutText.prefix(3), String(curl.stdoutText.dropFirst(4)))
            #expect(status == "206")
            var response = Response(status: 206, reason: "Partial Content", headers: ["Content-Type": type])
            response.body = Array(try Data(contentsOf: output))
            response.headers.add("Content-Length", String(response.body.count))
            try Self.expectParts(of: response)
        }
    }

    /// Python's email package (a MIME parser that knows nothing of this server) finds the
    /// same parts.
    @Test func pythonsMIMEParserReadsTheParts() async throws {
        try await offPool {
            let (directory, files) = try Self.served()
            defer { try? FileManager.default.removeItem(at: directory) }
            let server = try TestServer(handler: files.handler)
            defer { server.stop() }
            let script = """
            import email, sys, urllib.request
            request = urllib.request.Request(sys.argv[1], headers={"Range": sys.argv[2]})
            with urllib.request.urlopen(request) as answer:
                raw = b"Content-Type: " + answer.headers["Content-Type"].encode() + b"\\r\\n\\r\\n" + answer.read()
            with open(sys.argv[3], "wb") as out:
                for part in email.message_from_bytes(raw).get_payload():
                    print(part["Content-Range"])
                    out.write(part.get_payload(decode=True))
            """
            let parts = directory.appendingPathComponent("parts")
            let output = try ChildProcess.run("/usr/bin/python3", ["-c", script, "http://127.0.0.1:\(server.port)/big.bin", Self.field,
                                                                   parts.path])
            #expect(output.status == 0, "\(output.stderrText)")
            #expect(output.stdoutText.split(separator: "\n").map(String.init)
                    == Self.expected.map { "bytes \($0.lowerBound)-\($0.upperBound - 1)/\(Self.content.count)" })
            let intact = Array(try Data(contentsOf: parts)) == Self.expected.flatMap { Self.content[$0] }
            #expect(intact)
        }
    }

    /// A file cut short while its answer is going out (a log rotated, a deploy that truncates
    /// in place): the body ends short and the connection closes, so the client sees a short
    /// body instead of waiting for bytes that will never come; the next request is served.
    /// For one range (`sendfile`) and for several (read piece by piece).
    @Test(arguments: ["bytes=0-", "bytes=10-69999,1000000-39999999,-7"])
    func aFileCutShortMidAnswerClosesTheConnection(range: String) async throws {
        try await offPool {
            let (directory, files) = try Self.served()
            defer { try? FileManager.default.removeItem(at: directory) }
            // Larger than loopback's socket buffers can hold (a few MB each way): the answer
            // is still going out when the file is cut.
            try Data(TestBytes.make(count: 40_000_000, seed: 43)).write(to: directory.appendingPathComponent("big.bin"))
            let server = try TestServer(handler: files.handler)
            defer { server.stop() }
            let client = try RawClient(port: server.port)
            client.send("GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: \(range)\r\n\r\n")
            var received = client.readSome() ?? []
            #expect(truncate(directory.appendingPathComponent("big.bin").path, 200_000) == 0)
            let (rest, closed) = client.readToEnd()
            received += rest
            #expect(closed, "the connection ends instead of waiting")
            var response = Response(answering: "GET")
            let used = (try? response.feed(received)) ?? 0
            let declared = Int(response.headers["Content-Length"] ?? "") ?? 0
            #expect(response.status == 206 && !response.isComplete && used == received.count && declared > response.body.count,
                    "\(response.status): \(response.body.count) of \(declared) body bytes")
            let next = try RawClient(port: server.port)
            next.send("GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            var again = Response(answering: "GET")
            _ = try again.feed(next.readToEnd().bytes)
            #expect(again.status == 200 && again.body.count == 200_000)
        }
    }
}
