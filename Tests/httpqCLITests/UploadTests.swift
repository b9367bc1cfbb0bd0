import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `httpq serve --allow-put` against curl and raw clients: files appear whole or not at all.
@Suite struct UploadTests {
    typealias Served = ServeCommandTests.Served
    static let curl = ServeCommandTests.curl

    /// `curl -T FILE URL` with extra arguments: `STATUS SIZE_UPLOADED`.
    func put(_ file: URL, _ url: String, _ extra: [String] = []) throws -> String {
        let result = try ChildProcess.run(Self.curl, ["-s", "--noproxy", "*", "--path-as-is", "-o", "/dev/null",
                                                      "-w", "%{http_code} %{size_upload}", "-T", file.path] + extra + [url])
        return result.stdoutText
    }

    /// The names in `directory`, hidden ones included, sorted.
    func names(_ directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    func port(of served: Served) -> Int { Int(served.base.split(separator: ":").last ?? "") ?? 0 }

    @Test func putCreatesThenReplacesAndGetReadsItBack() async throws {
        try await offPool {
            let served = try Served(extra: ["--allow-put"])
            let scratch = served.root.deletingLastPathComponent()
            let first = scratch.appendingPathComponent("first")
            let second = scratch.appendingPathComponent("second")
            try Data(TestBytes.make(count: 3_000_000)).write(to: first)
            try Data("short\n".utf8).write(to: second)
            #expect(try put(first, "\(served.base)/docs/up.bin") == "201 3000000")
            #expect(try Data(contentsOf: served.root.appendingPathComponent("docs/up.bin")) == Data(contentsOf: first))
            #expect(try put(second, "\(served.base)/docs/up.bin") == "204 6", "a replaced file is 204 (RFC 9110 §9.3.4)")
            let got = try ChildProcess.run(Self.curl, ["-s", "--noproxy", "*", "\(served.base)/docs/up.bin"])
            #expect(got.stdoutText == "short\n")
            // Chunked (no length known), as `curl -T -` sends standard input.
            let chunked = try ChildProcess.run(Self.curl, ["-s", "--noproxy", "*", "-o", "/dev/null", "-w", "%{http_code}",
                                                           "-T", "-", "\(served.base)/piped.txt"], input: Array("from a pipe\n".utf8))
            #expect(chunked.stdoutText == "201")
            #expect(try String(contentsOf: served.root.appendingPathComponent("piped.txt"), encoding: .utf8) == "from a pipe\n")
            #expect(try names(served.root.appendingPathComponent("docs")) == ["index.html", "site.css", "up.bin"], "no temporary file left")
        }
    }

    @Test func refusalsSayWhy() async throws {
        try await offPool {
            let served = try Served(extra: ["--allow-put"])
            let file = served.root.deletingLastPathComponent().appendingPathComponent("f")
            try Data("x\n".utf8).write(to: file)
            let b = served.base
            #expect(try put(file, "\(b)/missing-dir/f").hasPrefix("409"), "no parent directory")
            // curl -T appends the file's name to a URL ending in "/": send the body itself.
            let toDirectory = try ChildProcess.run(Self.curl, ["-s", "--noproxy", "*", "-o", "/dev/null", "-w", "%{http_code}",
                                                               "-X", "PUT", "--data-binary", "@\(file.path)", "\(b)/docs/"])
            #expect(toDirectory.stdoutText == "409", "a directory is not a file")
            #expect(try put(file, "\(b)/docs").hasPrefix("409"), "a directory is not a file")
            #expect(try put(file, "\(b)/../escape").hasPrefix("403"), "outside the root")
            #expect(try put(file, "\(b)/link").hasPrefix("409"), "a symbolic link is not replaced through")
            #expect(try put(file, "\(b)/index.html", ["-H", "If-None-Match: *"]).hasPrefix("412"))
            #expect(try put(file, "\(b)/new.html", ["-H", "If-Match: *"]).hasPrefix("412"))
            #expect(try put(file, "\(b)/index.html", ["-H", "Content-Range: bytes 0-1/2"]).hasPrefix("400"))
            #expect(try String(contentsOf: served.root.appendingPathComponent("index.html"), encoding: .utf8) == "<h1>home</h1>\n")
            #expect(!FileManager.default.fileExists(atPath: served.root.deletingLastPathComponent().appendingPathComponent("escape").path))

            let readOnly = try Served()
            let refused = try ChildProcess.run(Self.curl, ["-s", "--noproxy", "*", "-i", "-T", file.path, "\(readOnly.base)/f"])
            #expect(refused.stdoutText.contains("405 Method Not Allowed") && refused.stdoutText.contains("Allow: GET, HEAD"))
        }
    }

    @Test(arguments: ["fin", "rst", "over-limit", "stall"])
    func anAbortedUploadLeavesNothing(_ how: String) async throws {
        try await offPool {
            let served = try Served(extra: ["--allow-put", "--max-upload-bytes", "1000000", "--idle-timeout", "0.5"])
            let target = served.root.appendingPathComponent("docs/site.css")
            let before = try Data(contentsOf: target)
            let descriptors = { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(served.process.pid)/fd").count) ?? -1 }
            let descriptorsBefore = descriptors()
            let client = try RawClient(port: port(of: served))
            let declared = how == "over-limit" ? "Transfer-Encoding: chunked" : "Content-Length: 900000"
            client.send("PUT /docs/site.css HTTP/1.1\r\nHost: x\r\n\(declared)\r\n\r\n")
            let block = [UInt8](repeating: 0x62, count: 100_000)
            for _ in 0..<(how == "over-limit" ? 12 : 5) {
                client.send(how == "over-limit" ? Array("186a0\r\n".utf8) + block + [13, 10] : block)
            }
            usleep(200_000) // the server has written part of it
            switch how {
            case "fin": client.shutdownWrite()
            case "rst": client.reset()
            default: break
            }
            if how != "rst" {
                let status = responses(in: client.readToEnd().bytes).first?.status
                switch how {
                case "over-limit": #expect(status == 413)
                case "stall": #expect(status == 408)
                default: #expect(status == nil, "a body cut short gets no answer")
                }
            }
            // The server removes the partial file as the connection ends.
            let docs = served.root.appendingPathComponent("docs")
            for _ in 0..<200 where try names(docs) != ["index.html", "site.css"] { usleep(10_000) }
            #expect(try names(docs) == ["index.html", "site.css"])
            #expect(try Data(contentsOf: target) == before, "the old file is untouched")
            if how != "rst" { shutdown(client.fd, Int32(SHUT_RDWR)) } // ends the server's lingering close (up to 2 s) on this one
            for _ in 0..<300 where descriptors() != descriptorsBefore { usleep(10_000) }
            #expect(descriptors() == descriptorsBefore, "the upload's file and directory descriptors are closed")
            #expect(try put(target, "\(served.base)/docs/again.css") == "201 \(before.count)", "the server still serves")
        }
    }
}

extension UploadTests {
    @Test(arguments: [false, true])
    func fetchUploadsAFileWithPut(tls: Bool) async throws {
        try await offPool {
            let pki = TestCertificates.shared
            let served = try Served(extra: ["--allow-put"] + (tls ? ["--tls-cert", pki.serverCertificate, "--tls-key", pki.serverKey] : []))
            let file = served.root.deletingLastPathComponent().appendingPathComponent("payload.bin")
            let bytes = TestBytes.make(count: 7_000_001)
            try Data(bytes).write(to: file)
            let trust = tls ? ["--cacert", pki.caCertificate] : []
            // A URL ending in "/" gets the file's name, as with curl -T.
            let run = try CLI.run(["fetch", "--json", "-T", file.path] + trust + ["\(served.base)/docs/", "\(served.base)/named.bin"], input: [])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.objects.compactMap { $0["status"] as? Int }.sorted() == [201, 201])
            for stored in ["docs/payload.bin", "named.bin"] {
                #expect(try Data(contentsOf: served.root.appendingPathComponent(stored)) == Data(bytes), "\(stored)")
            }
            let again = try CLI.run(["fetch", "--json", "--upload-file", file.path] + trust + ["\(served.base)/named.bin"], input: [])
            #expect(again.objects.first?["status"] as? Int == 204)
            let missing = try CLI.run(["fetch", "-T", "/nonexistent/file", "\(served.base)/x"], input: [])
            #expect(missing.status == 1 && missing.stderr.contains("cannot open /nonexistent/file"), "\(missing.stderr)")
            let both = try CLI.run(["fetch", "-T", file.path, "--data", "x", "\(served.base)/x"], input: [])
            #expect(both.status == 2, "-T and --data together are a usage error")
        }
    }
}

/// Splits a byte stream into the status codes of the responses in it.
private func responses(in bytes: [UInt8]) -> [(status: Int, text: String)] {
    let text = String(decoding: bytes, as: UTF8.self)
    return text.components(separatedBy: "HTTP/1.1 ").dropFirst().compactMap { part in
        Int(part.prefix(3)).map { ($0, part) }
    }
}
