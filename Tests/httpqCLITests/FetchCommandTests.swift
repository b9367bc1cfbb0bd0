import Foundation
import Testing
import Codings
import TestSupport

/// `httpq fetch` and `httpq demo` run as processes against real servers on loopback.
@Suite struct FetchCommandTests {
    /// 20 virtual hosts (127.0.2.1 ... 127.0.2.20, one nginx), 100 files each.
    static func virtualHosts(hosts: Int = 20, files: Int = 100) throws -> (Nginx, [String], [String: [UInt8]]) {
        var content: [String: [UInt8]] = [:]
        var urls: [String] = []
        for host in 1...hosts {
            for file in 0..<files {
                let size = 100 + (host * 7_919 + file * 104_729) % 20_000
                content["127.0.2.\(host)/files/\(file).bin"] = TestBytes.make(count: size, seed: host * 1_000 + file)
            }
            content["127.0.2.\(host)/index.html"] = Array("host \(host)\n".utf8)
        }
        let nginx = try Nginx(files: content, extraConfig: "location = /old { return 301 /index.html; }",
                              addresses: (1...hosts).map { "127.0.2.\($0)" }, rootPerAddress: true)
        for host in 1...hosts {
            urls += (0..<files).map { "http://127.0.2.\(host):\(nginx.port)/files/\($0).bin" }
            urls.append("http://127.0.2.\(host):\(nginx.port)/")
        }
        return (nginx, urls, content)
    }

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("httpq-fetch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func thousandsOfURLsAcrossVirtualHostsArriveByteForByte() async throws {
        try await offPool {
            let (nginx, urls, content) = try Self.virtualHosts()
            let directory = try Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let list = directory.appendingPathComponent("urls.txt")
            try (urls.joined(separator: "\n") + "\n").write(to: list, atomically: true, encoding: .utf8)
            let output = directory.appendingPathComponent("out")
            let result = try ChildProcess.run(CLI.executable, ["fetch", "--urls", list.path, "--output", output.path,
                                                               "--concurrency", "64", "--per-host", "4"], timeout: .seconds(120))
            #expect(result.status == 0, "\(result.stderrText)")
            #expect(result.stdoutText.contains("\(urls.count) fetches from 20 hosts"))
            #expect(result.stdoutText.contains("\(urls.count) ok, 0 failed"))
            var compared = 0
            for (path, bytes) in content {
                let parts = path.split(separator: "/", maxSplits: 1)
                let stored = output.appendingPathComponent("\(parts[0]):\(nginx.port)/\(parts[1])")
                if (try? Data(contentsOf: stored)) == Data(bytes) { compared += 1 }
            }
            #expect(compared == content.count)
            withExtendedLifetime(nginx) {}
        }
    }

    /// `fetch --json | head -n 1`: the reader leaves after one line, and fetch ends by SIGPIPE
    /// as a filter does (status 141), long before its 50,000 URLs are done. Before, its writes
    /// failed unseen: it fetched every URL and exited 0 with most of its output lost. Output
    /// to a full disk ends it with status 1, saying so.
    @Test func outputThatCannotBeWrittenEndsTheFetch() async throws {
        try await offPool {
            let (nginx, urls, _) = try Self.virtualHosts(hosts: 1, files: 1)
            let directory = try Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let list = directory.appendingPathComponent("urls.txt")
            try (Array(repeating: urls[0], count: 50_000).joined(separator: "\n") + "\n").write(to: list, atomically: true, encoding: .utf8)
            let script = "\"$0\" fetch --json --urls \"$1\" 2>/dev/null | head -n 1 > /dev/null; echo \"${PIPESTATUS[0]}\""
            let piped = try ChildProcess.run("/bin/bash", ["-c", script, CLI.executable, list.path], timeout: .seconds(60))
            #expect(piped.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "141", "\(piped.stdoutText) \(piped.stderrText)")

            for arguments in [["fetch", "--json", urls[0]], ["fetch", urls[0]]] {
                let script = "exec \"$0\" \"$@\" > /dev/full"
                let full = try ChildProcess.run("/bin/sh", ["-c", script, CLI.executable] + arguments)
                #expect(full.status == 1, "\(arguments)")
                #expect(full.stderrText.contains("writing standard output failed: No space left on device"), "\(full.stderrText)")
            }
            withExtendedLifetime(nginx) {}
        }
    }

    /// Fewer fetches in flight than hosts: each host's connection is kept for its next URL
    /// (the pool holds four times `--concurrency`, and at least 256, as a browser's socket
    /// pool does) instead of being closed for another host's. Before, the pool was bounded by
    /// `--concurrency` itself: 200 URLs over 10 hosts at `--concurrency 3` made a connection
    /// per URL; with four times it alone, 40 hosts at 3 still made one per URL or nearly.
    @Test(arguments: [10, 40])
    func fewerInFlightThanHostsStillReusesEachHostsConnection(hosts: Int) async throws {
        try await offPool {
            let servers = try (0..<hosts).map { _ in
                try ScriptedServer.keepAlive(answering: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            }
            defer { servers.forEach { $0.stop() } }
            let urls = (0..<(hosts * 20)).map { "http://127.0.0.1:\(servers[$0 % servers.count].port)/\($0)" }
            let result = try ChildProcess.run(CLI.executable, ["fetch", "--urls", "-", "--concurrency", "3"],
                                              input: Array(urls.joined(separator: "\n").utf8))
            #expect(result.status == 0, "\(result.stderrText)")
            #expect(result.stdoutText.contains("\(urls.count) ok, 0 failed"), "\(result.stdoutText)")
            let accepted = servers.map(\.connectionsAccepted)
            #expect(accepted.reduce(0, +) <= hosts * 3 / 2, "connections per host: \(accepted)")
        }
    }

    /// A URL list as people write them: spaces and tabs around URLs, CRLF line ends, blank
    /// lines, `#` comments (also indented), from a file and from standard input.
    @Test func urlListsToleratePaddingCommentsAndCRLF() async throws {
        try await offPool {
            let (nginx, urls, _) = try Self.virtualHosts(hosts: 1, files: 2)
            let text = "  \(urls[0])  \r\n\t# a comment\r\n\r\n   \n\t\(urls[1])\t\n# \(urls[2])\n"
            let directory = try Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let list = directory.appendingPathComponent("urls.txt")
            try text.write(to: list, atomically: true, encoding: .utf8)
            for arguments in [["--urls", list.path], ["--urls", "-"]] {
                let result = try ChildProcess.run(CLI.executable, ["fetch", "--json"] + arguments, input: Array(text.utf8))
                #expect(result.status == 0, "\(result.stderrText)")
                let fetched = result.stdoutText.split(separator: "\n").compactMap {
                    (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["url"] as? String
                }
                #expect(fetched.sorted() == [urls[0], urls[1]].sorted(), "\(arguments): \(fetched)")
            }
            withExtendedLifetime(nginx) {}
        }
    }

    /// The per-host percentiles agree with the fetches' own times (`--json`), both while a
    /// host's latencies are kept exactly (3 fetches) and once they are in a histogram (400).
    @Test func perHostPercentilesMatchTheFetchTimes() async throws {
        try await offPool {
            let (nginx, _, _) = try Self.virtualHosts(hosts: 2, files: 1)
            let few = (0..<3).map { _ in "http://127.0.2.1:\(nginx.port)/index.html" }
            let many = (0..<400).map { _ in "http://127.0.2.2:\(nginx.port)/index.html" }
            let result = try ChildProcess.run(CLI.executable, ["fetch", "--json", "--concurrency", "4"] + few + many, timeout: .seconds(60))
            #expect(result.status == 0, "\(result.stderrText)")
            var times: [String: [Double]] = [:]
            for object in result.stdoutText.split(separator: "\n").compactMap({ try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }) {
                guard let url = object["url"] as? String, let ms = object["ms"] as? Double else { continue }
                times[String(url.split(separator: "/")[1].split(separator: ":")[0]), default: []].append(ms)
            }
            for (host, count) in [("127.0.2.1", 3), ("127.0.2.2", 400)] {
                let row = try #require(result.stderrText.split(separator: "\n").first { $0.hasPrefix("\(host):") }, "\(result.stderrText)")
                let columns = row.split(separator: " ")
                #expect(columns[1] == "\(count)", "\(row)")
                let table = columns.suffix(3).compactMap { Double($0) }
                try #require(table.count == 3, "\(row)")
                #expect(table[0] <= table[1] && table[1] <= table[2], "\(row)")
                let sorted = try #require(times[host]).sorted()
                try #require(sorted.count == count)
                for (index, percentile) in [50.0, 90, 99].enumerated() {
                    let rank = max(1, Int((percentile / 100 * Double(count)).rounded()))
                    let expected = sorted[rank - 1]
                    // Exact to the table's 0.01 ms for 3 values; HdrHistogram's 0.1% for 400.
                    #expect(abs(table[index] - expected) <= max(0.011, expected * 0.002), "p\(percentile) of \(host): \(row)")
                }
            }
            withExtendedLifetime(nginx) {}
        }
    }

    @Test func badURLsFailAloneAndTheExitStatusSaysSo() async throws {
        try await offPool {
            let (nginx, urls, _) = try Self.virtualHosts(hosts: 3, files: 10)
            let dns = try Dnsmasq()
            let refused = "http://127.0.0.1:\(refusedPort())/x"
            let unresolvable = "http://no-such-host.invalid/x"
            let result = try ChildProcess.run(CLI.executable, ["fetch", "--json", "--dns-server", dns.servers, "--timeout", "10",
                                                               refused, unresolvable, "ftp://example/"] + urls,
                                              timeout: .seconds(60))
            #expect(result.status == 1)
            let objects = result.stdoutText.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            #expect(objects.count == urls.count + 3)
            let byURL = Dictionary(objects.map { ($0["url"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
            #expect(urls.allSatisfy { byURL[$0]?["status"] as? Int == 200 })
            #expect((byURL[refused]?["error"] as? String)?.contains("refused") == true)
            #expect((byURL[unresolvable]?["error"] as? String)?.contains("could not resolve") == true)
            #expect((byURL["ftp://example/"]?["error"] as? String)?.contains("invalid URL") == true)
            #expect(byURL[refused]?["status"] is NSNull)
            // The contract's keys, in order.
            let first = result.stdoutText.split(separator: "\n").first.map(String.init) ?? ""
            #expect(first.range(of: #"^\{"url": ".*", "status": (null|\d+), "bytes": \d+, "ms": [0-9.e-]+, "error": (null|".*")\}$"#,
                                options: .regularExpression) != nil, "\(first)")
            #expect(result.stderrText.contains("errors: invalid-url 1, refused 1, resolve 1"))
            withExtendedLifetime((nginx, dns)) {}
        }
    }

    @Test func redirectsAreFollowedWithLocationOnly() async throws {
        try await offPool {
            let (nginx, _, _) = try Self.virtualHosts(hosts: 1, files: 1)
            let old = "http://127.0.2.1:\(nginx.port)/old"
            let plain = try ChildProcess.run(CLI.executable, ["fetch", "--json", old])
            #expect(plain.stdoutText.contains(#""status": 301"#))
            let followed = try ChildProcess.run(CLI.executable, ["fetch", "--json", "-L", old])
            #expect(followed.stdoutText.contains(#""status": 200, "bytes": 7"#), "\(followed.stdoutText)")
            withExtendedLifetime(nginx) {}
        }
    }

    /// --compressed asks nginx (gzip on) for gzip and stores and counts the decoded bytes;
    /// without it nginx sends the file as it is. Same bytes on disk either way.
    @Test func compressedStoresTheDecodedBody() async throws {
        try await offPool {
            let text = Array((0..<4_000).map { "row \($0) of a table that compresses well\n" }.joined().utf8)
            let nginx = try Nginx(files: ["table.txt": text], extraConfig: "gzip on; gzip_types text/plain; gzip_min_length 0;")
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("compressed-\(getpid())")
            defer { try? FileManager.default.removeItem(at: directory) }
            for flag in [["--compressed"], []] {
                let out = directory.appendingPathComponent(flag.isEmpty ? "plain" : "decoded")
                let result = try ChildProcess.run(CLI.executable, ["fetch", "--json", "--output", out.path] + flag
                                                  + ["http://127.0.0.1:\(nginx.port)/table.txt"])
                #expect(result.status == 0, "\(result.stderrText)")
                #expect(result.stdoutText.contains(#""bytes": \#(text.count)"#), "\(result.stdoutText)")
                let stored = try Data(contentsOf: out.appendingPathComponent("127.0.0.1:\(nginx.port)/table.txt"))
                #expect([UInt8](stored) == text)
            }
            // An origin that gzips whatever was asked: only --compressed decodes (and asks).
            let coded = ContentEncoder.encode(text, as: .gzip)
            let origin = try RecordingOrigin(bytes: { _ in
                Array("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: \(coded.count)\r\n\r\n".utf8) + coded
            })
            defer { origin.stop() }
            for flag in [["--compressed"], []] {
                let out = directory.appendingPathComponent(flag.isEmpty ? "raw" : "undone")
                let result = try ChildProcess.run(CLI.executable, ["fetch", "--output", out.path] + flag
                                                  + ["http://127.0.0.1:\(origin.port)/t.txt"])
                #expect(result.status == 0, "\(result.stderrText)")
                let stored = [UInt8](try Data(contentsOf: out.appendingPathComponent("127.0.0.1:\(origin.port)/t.txt")))
                #expect(stored == (flag.isEmpty ? coded : text))
            }
            #expect(origin.received.map { $0.has("Accept-Encoding") } == [true, false])
            withExtendedLifetime(nginx) {}
        }
    }

    @Test func progressBarOnlyOnATerminal() async throws {
        try await offPool {
            let (nginx, urls, _) = try Self.virtualHosts(hosts: 2, files: 50)
            let piped = try ChildProcess.run(CLI.executable, ["fetch"] + urls)
            #expect(piped.status == 0)
            #expect(!piped.stdoutText.contains("\u{1B}") && !piped.stderrText.contains("\u{1B}"))
            // Under a pseudo-terminal (Python's pty), the bar is drawn on standard error.
            let script = "import pty, sys; sys.exit(pty.spawn(sys.argv[1:]) >> 8)"
            let python = ChildProcess.which("python3") ?? "/usr/bin/python3"
            let terminal = try ChildProcess.run(python, ["-c", script, CLI.executable, "fetch"] + urls, timeout: .seconds(60))
            #expect(terminal.status == 0, "\(terminal.stderrText)")
            #expect(terminal.stdoutText.contains("\u{1B}[2K["), "no progress bar drawn")
            #expect(terminal.stdoutText.contains("\(urls.count)/\(urls.count)"))
            #expect(terminal.stdoutText.contains("\(urls.count) fetches from 2 hosts"))
            withExtendedLifetime(nginx) {}
        }
    }

    @Test func demoFetchesFromItsOwnHostsAndChecksEveryBody() async throws {
        try await offPool {
            let result = try ChildProcess.run(CLI.executable, ["demo", "--hosts", "5", "--urls-per-host", "40", "--concurrency", "16"],
                                              timeout: .seconds(120))
            #expect(result.status == 0, "\(result.stderrText)")
            #expect(result.stdoutText.contains("all 200 bodies verified byte for byte"))
            #expect((1...5).allSatisfy { result.stdoutText.contains("127.0.1.\($0):") })
            #expect(result.stdoutText.contains("200 fetches from 5 hosts"))
        }
    }

    @Test func noURLsIsAUsageError() async throws {
        try await offPool {
            let result = try CLI.run(["fetch"], input: [])
            #expect(result.status == 2)
        }
    }

    /// `--data` is framed by the client (`Content-Length` added), and a `-H Content-Length`
    /// that is not the body's size fails that fetch saying why, with nothing sent.
    @Test func aBodyIsFramedAndAWrongLengthFailsTheFetch() async throws {
        try await offPool {
            let served = try ServeCommandTests.Served(extra: ["--allow-put"])
            let url = "\(served.base)/posted.txt"
            let stored = try ChildProcess.run(CLI.executable, ["fetch", "-X", "PUT", "--data", "twelve bytes", url], timeout: .seconds(30))
            #expect(stored.status == 0 && stored.stdoutText.contains("1 ok, 0 failed"), "\(stored.stdoutText) \(stored.stderrText)")
            #expect(try Data(contentsOf: served.root.appendingPathComponent("posted.txt")) == Data("twelve bytes".utf8))
            let refused = try ChildProcess.run(CLI.executable, ["fetch", "--json", "-X", "PUT", "--data", "abc", "-H", "Content-Length: 10", url],
                                               timeout: .seconds(30))
            #expect(refused.stderrText.contains("0 ok, 1 failed") && refused.stderrText.contains("errors: invalid-request 1"),
                    "\(refused.stderrText)")
            #expect(refused.stdoutText.contains("its Content-Length (10) is not its body's size (3 bytes)"), "\(refused.stdoutText)")
            #expect(try Data(contentsOf: served.root.appendingPathComponent("posted.txt")) == Data("twelve bytes".utf8))
        }
    }
}
