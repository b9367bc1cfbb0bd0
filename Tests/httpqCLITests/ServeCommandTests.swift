import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `httpq serve` run as a process, against curl.
@Suite struct ServeCommandTests {
    /// A running `httpq serve` over a temporary root, with its stdout in a file.
    final class Served {
        let root: URL
        let process: ChildProcess
        let log: URL
        /// Standard error, kept in a file too.
        let errorLog: URL
        let base: String

        init(extra: [String] = []) throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("httpq-serve-\(UUID().uuidString)")
            root = directory.appendingPathComponent("www")
            log = directory.appendingPathComponent("stdout")
            errorLog = directory.appendingPathComponent("stderr")
            try FileManager.default.createDirectory(at: root.appendingPathComponent("docs"), withIntermediateDirectories: true)
            try Data("<h1>home</h1>\n".utf8).write(to: root.appendingPathComponent("index.html"))
            try Data("docs index\n".utf8).write(to: root.appendingPathComponent("docs/index.html"))
            try Data("body { }\n".utf8).write(to: root.appendingPathComponent("docs/site.css"))
            try Data("secret\n".utf8).write(to: directory.appendingPathComponent("secret.txt"))
            try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("link").path,
                                                       withDestinationPath: directory.appendingPathComponent("secret.txt").path)
            try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("inside.css").path,
                                                       withDestinationPath: "docs/site.css")
            let big = TestBytes.make(count: 5_000_000)
            try Data(big).write(to: root.appendingPathComponent("big.bin"))
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            _ = FileManager.default.createFile(atPath: errorLog.path, contents: nil)
            let output = open(log.path, O_WRONLY | O_CLOEXEC), errors = open(errorLog.path, O_WRONLY | O_CLOEXEC)
            defer { close(output); close(errors) }
            process = try ChildProcess(CLI.executable, ["serve", "--root", root.path, "--listen", "127.0.0.1:0"] + extra,
                                       stdout: output, stderr: errors)
            // "listening on http://127.0.0.1:PORT/" (https:// with TLS)
            var url: String?
            for _ in 0..<500 where url == nil {
                usleep(10_000)
                let text = readTextFile(log.path)
                url = text.split(separator: "\n").first { $0.hasPrefix("listening on ") && $0.contains("://127.0.0.1:") }
                    .map { String($0.dropFirst("listening on ".count).dropLast()) }
            }
            guard let url else { throw PeerError.didNotStart("httpq serve", readTextFile(log.path)) }
            base = url
        }

        var output: String { readTextFile(log.path) }
        var errors: String { readTextFile(errorLog.path) }

        /// The output once it contains `text` (serve prints one line per address as each
        /// starts: the first line alone is no sign that the others are there), or as it is
        /// after `limit`.
        func output(containing text: String, within limit: Duration = .seconds(10)) -> String {
            let deadline = ContinuousClock.now + limit
            var current = output
            while !current.contains(text) && ContinuousClock.now < deadline {
                usleep(10_000)
                current = output
            }
            return current
        }

        deinit {
            process.kill()
            try? FileManager.default.removeItem(at: root.deletingLastPathComponent())
        }
    }

    static let curl = ChildProcess.which("curl") ?? "/usr/bin/curl"

    /// `status content-type size` for each URL, on one curl connection.
    func fetch(_ urls: [String], _ extra: [String] = []) throws -> [String] {
        // curl takes one -o per URL.
        let targets = urls.flatMap { ["-o", "/dev/null", $0] }
        let output = try ChildProcess.run(Self.curl, ["-s", "--noproxy", "*", "--path-as-is",
                                                      "-w", "%{http_code} %{content_type} %{size_download}\\n"] + extra + targets)
        return output.stdoutText.split(separator: "\n").map(String.init)
    }

    @Test func servesFilesWithTypesIndexesAndErrors() async throws {
        try await offPool {
            let served = try Served()
            let b = served.base
            #expect(try fetch(["\(b)/", "\(b)/docs/", "\(b)/docs/site.css", "\(b)/inside.css", "\(b)/missing", "\(b)/docs"]) == [
                "200 text/html; charset=utf-8 14",
                "200 text/html; charset=utf-8 11",
                "200 text/css; charset=utf-8 9",
                "200 text/css; charset=utf-8 9",
                "404 text/plain; charset=utf-8 10",
                "301 text/plain; charset=utf-8 6",
            ])
            let head = try ChildProcess.run(Self.curl, ["-s", "--noproxy", "*", "-I", "\(b)/big.bin"])
            #expect(head.stdoutText.contains("Content-Length: 5000000"))
            #expect(head.stdoutText.contains("Content-Type: application/octet-stream"))
            let post = try fetch(["\(b)/"], ["-X", "POST"])
            #expect(post.first?.hasPrefix("405") == true)
        }
    }

    @Test(arguments: ["/../secret.txt", "/docs/../../secret.txt", "/%2e%2e/secret.txt", "/link", "/docs/%2e%2e/%2e%2e/secret.txt"])
    func nothingOutsideTheRootIsServed(path: String) async throws {
        try await offPool {
            let served = try Served()
            let status = try fetch([served.base + path]).first ?? ""
            #expect(status.hasPrefix("404"), "\(path): \(status)")
        }
    }

    @Test func largeFileArrivesIntactOverSendfile() async throws {
        try await offPool {
            let served = try Served()
            let out = served.root.deletingLastPathComponent().appendingPathComponent("download")
            let result = try ChildProcess.run(Self.curl, ["-s", "--noproxy", "*", "-o", out.path, "\(served.base)/big.bin"])
            #expect(result.status == 0)
            #expect(try Data(contentsOf: out) == Data(contentsOf: served.root.appendingPathComponent("big.bin")))
        }
    }

    /// Pipelined requests for a `sendfile` body, read in pieces of every size, slowly, through
    /// a small receive buffer: each head follows the last body byte exactly, every body is the
    /// file's, nothing comes after the last (Tests/Scripts/pipelined_reader.py). Also 1 MB and
    /// a file kept in memory, deeper.
    @Test(arguments: [("big.bin", 10, 30, "whole"), ("big.bin", 10, 20, "small"), ("big.bin", 10, 20, "random"),
                      ("big.bin", 4, 8, "slow"), ("mid.bin", 16, 200, "random"), ("index.html", 100, 5_000, "random")])
    func pipelinedAnswersFollowEachOtherByteForByte(_ file: String, _ depth: Int, _ total: Int, _ mode: String) async throws {
        try await offPool {
            let served = try Served()
            try Data(TestBytes.make(count: 1_000_000, seed: 7)).write(to: served.root.appendingPathComponent("mid.bin"))
            let port = String(served.base.split(separator: ":").last!)
            let script = CLI.packageRoot.appendingPathComponent("Tests/Scripts/pipelined_reader.py").path
            let run = try ChildProcess.run("/usr/bin/python3", [script, "127.0.0.1", port, "/\(file)",
                                                                served.root.appendingPathComponent(file).path,
                                                                "\(depth)", "\(total)", mode, "\(depth * total)"], timeout: .seconds(120))
            #expect(run.status == 0 && run.stdoutText == "ok \(total)\n", "\(run.stdoutText) \(run.stderrText)")
        }
    }

    /// A broken download resumes where it stopped (`curl -C -` sends a Range), and a cached
    /// copy is revalidated (`curl -z FILE` sends If-Modified-Since).
    @Test func curlResumesABrokenDownloadAndRevalidatesACopy() async throws {
        try await offPool {
            let served = try Served()
            let out = served.root.deletingLastPathComponent().appendingPathComponent("partial")
            let whole = try Data(contentsOf: served.root.appendingPathComponent("big.bin"))
            try whole.prefix(1_234_567).write(to: out) // what a broken transfer left
            let resumed = try ChildProcess.run(Self.curl, ["-sS", "--noproxy", "*", "-C", "-", "-o", out.path,
                                                           "-w", "%{http_code} %{size_download}", "\(served.base)/big.bin"])
            #expect(resumed.stdoutText == "206 \(5_000_000 - 1_234_567)", "\(resumed.stdoutText) \(resumed.stderrText)")
            #expect(try Data(contentsOf: out) == whole)
            _ = try ChildProcess.run("/usr/bin/touch", ["-r", served.root.appendingPathComponent("big.bin").path, out.path])
            let fresh = try ChildProcess.run(Self.curl, ["-sS", "--noproxy", "*", "-z", out.path, "-o", "/dev/null",
                                                         "-w", "%{http_code}", "\(served.base)/big.bin"])
            #expect(fresh.stdoutText == "304")
        }
    }

    /// aria2c splits a download into ranges fetched over several connections at once; wget -c
    /// resumes a partial file. Both must end with the file byte for byte.
    @Test func segmentedAndResumedDownloadsArriveWhole() async throws {
        try await offPool {
            let served = try Served(extra: ["--log"])
            let scratch = served.root.deletingLastPathComponent()
            let whole = try Data(contentsOf: served.root.appendingPathComponent("big.bin"))
            let aria2 = ChildProcess.which("aria2c") ?? "/usr/bin/aria2c"
            let segmented = try ChildProcess.run(aria2, ["-q", "--no-conf", "--all-proxy=", "-x", "4", "-s", "4", "-k", "1M",
                                                         "--file-allocation=none", "-d", scratch.path, "-o", "aria2.bin",
                                                         "\(served.base)/big.bin"], timeout: .seconds(60))
            #expect(segmented.status == 0, "\(segmented.stderrText)")
            #expect(try Data(contentsOf: scratch.appendingPathComponent("aria2.bin")) == whole)
            // The access log is written off the loop, every 100 ms: wait for the lines.
            var ranged: [Substring] = []
            for _ in 0..<200 where ranged.count < 2 {
                ranged = served.output.split(separator: "\n").filter { $0.contains("\"GET /big.bin HTTP/1.1\" 206 ") }
                usleep(10_000)
            }
            #expect(ranged.count >= 2, "aria2c fetched in segments: \(served.output)")

            let partial = scratch.appendingPathComponent("wget.bin")
            try whole.prefix(3_000_001).write(to: partial)
            let wget = ChildProcess.which("wget") ?? "/usr/bin/wget"
            let resumed = try ChildProcess.run(wget, ["-q", "--no-proxy", "-c", "-O", partial.path, "\(served.base)/big.bin"],
                                               timeout: .seconds(60))
            #expect(resumed.status == 0, "\(resumed.stderrText)")
            #expect(try Data(contentsOf: partial) == whole)
        }
    }

    @Test func logsOneLinePerRequestAndExitsCleanlyOnSIGTERM() async throws {
        try await offPool {
            let served = try Served(extra: ["--log"])
            _ = try fetch(["\(served.base)/", "\(served.base)/missing"])
            served.process.kill(SIGTERM)
            #expect(served.process.wait(timeout: .seconds(15)) == .exited(0))
            let lines = served.output.split(separator: "\n")
            #expect(lines.contains { $0.hasSuffix("") && $0.contains("\"GET / HTTP/1.1\" 200 14 ") })
            #expect(lines.contains { $0.contains("\"GET /missing HTTP/1.1\" 404 10 ") })
        }
    }

    @Test func badListenAddressIsAUsageError() async throws {
        try await offPool {
            let result = try CLI.run(["serve", "--listen", "localhost:80"], input: [])
            #expect(result.status == 2)
            #expect(result.stderr.contains("--listen localhost:80"))
        }
    }
}
