import Foundation
import Testing
import TestSupport

/// What Docs/Distributed.md promises, run locally: shards of one URL list fetched at once by
/// separate processes add up (by `httpq merge` and by copying their `--output` trees) to one
/// run over the whole list; logs from load generators running side by side merge exactly.
@Suite struct DistributedTests {
    /// `JOB_COMPLETION_INDEX`-style shards 0..<4 of 12 hosts' URLs (some missing, 404) run at
    /// once: no URL twice, none lost, a host in one shard only; `merge` gives one run's totals,
    /// and its percentiles are the shards' histograms added (checked with PyPI hdrhistogram).
    @Test func fourShardsAtOnceAddUpToOneRun() async throws {
        try await offPool {
            let (nginx, found, content) = try FetchCommandTests.virtualHosts(hosts: 12, files: 40)
            let urls = found + (1...12).map { "http://127.0.2.\($0):\(nginx.port)/missing" }
            let directory = try FetchCommandTests.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let list = directory.appendingPathComponent("urls.txt").path
            try (urls.shuffled().joined(separator: "\n") + "\n").write(toFile: list, atomically: true, encoding: .utf8)

            // One run over everything.
            let whole = try ChildProcess.run(CLI.executable, ["fetch", "--urls", list, "--hdr-log", "\(directory.path)/whole.hlog",
                                                              "--output", "\(directory.path)/whole"], timeout: .seconds(120))
            #expect(whole.status == 0, "a 404 is an answer, not a failure: \(whole.stderrText)")

            // Four shards at once, each with its own log and output tree.
            let shards = try (0..<4).map { index in
                let out = open("\(directory.path)/shard\(index).out", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                defer { close(out) }
                return try ChildProcess(CLI.executable, ["fetch", "--urls", list, "--shard", "\(index)/4",
                                                         "--hdr-log", "\(directory.path)/shard\(index).hlog",
                                                         "--output", "\(directory.path)/shard\(index)"], stdout: out)
            }
            for shard in shards { #expect(shard.wait(timeout: .seconds(120)) != .timedOut) }
            let outputs = try (0..<4).map { try String(contentsOfFile: "\(directory.path)/shard\($0).out", encoding: .utf8) }

            // Each host appears in exactly one shard's table.
            for host in 1...12 {
                let holders = outputs.filter { $0.contains("127.0.2.\(host):\(nginx.port) ") }
                #expect(holders.count == 1, "host 127.0.2.\(host) in \(holders.count) shards")
            }

            let merged = try Self.mergeJSON((0..<4).map { "\(directory.path)/shard\($0).hlog" })
            let single = try Self.mergeJSON(["\(directory.path)/whole.hlog"])
            #expect(merged["requests"] as? Int == urls.count)
            #expect(single["requests"] as? Int == urls.count)
            #expect(merged["status"] as? [String: Int] == ["200": found.count, "404": 12])
            #expect(merged["status"] as? [String: Int] == single["status"] as? [String: Int])
            #expect(merged["recorded"] as? Int == urls.count)
            #expect(merged["errors"] as? [String: Int] == [:])

            // The shards' trees merge by copying into the single run's tree, byte for byte.
            var copied = 0
            for (path, bytes) in content {
                let parts = path.split(separator: "/", maxSplits: 1)
                let relative = "\(parts[0]):\(nginx.port)/\(parts[1])"
                let holders = (0..<4).filter { FileManager.default.fileExists(atPath: "\(directory.path)/shard\($0)/\(relative)") }
                #expect(holders.count == 1, "\(relative) stored by \(holders.count) shards")
                if let index = holders.first,
                   (try? Data(contentsOf: URL(fileURLWithPath: "\(directory.path)/shard\(index)/\(relative)"))) == Data(bytes),
                   (try? Data(contentsOf: URL(fileURLWithPath: "\(directory.path)/whole/\(relative)"))) == Data(bytes) {
                    copied += 1
                }
            }
            #expect(copied == content.count)

            // merge's percentiles are those of the shards' intervals added, as HdrHistogram's
            // own reader adds them.
            guard HdrPython.isAvailable else {
                Issue.record("PyPI hdrhistogram is missing at \(HdrPython.path) (scripts/setup.sh creates it)")
                return
            }
            let summary = try HdrPython.readLogs((0..<4).map { "\(directory.path)/shard\($0).hlog" })
            #expect(Int(summary.count) == urls.count)
            let latency = try #require(merged["latency_ms"] as? [String: Double])
            for (key, value) in [("p50", summary.p50), ("p90", summary.p90), ("p99", summary.p99), ("max", summary.max)] {
                let theirs = Double(value) / 1_000
                let ours = try #require(latency[key])
                // Both report a value of the same bucket: equal within HdrHistogram's 3 digits.
                #expect(abs(ours - theirs) <= max(0.002, theirs * 0.001), "\(key): merge \(ours) ms, hdrh \(theirs) ms")
            }
            withExtendedLifetime(nginx) {}
        }
    }

    /// Two load generators at once on two URLs, each with its log: `merge` adds their
    /// requests, statuses and latencies, and its rate is over the span both ran.
    @Test func logsOfLoadGeneratorsRunningSideBySideMerge() async throws {
        try await offPool {
            let nginx = try Nginx(files: ["index.html": Array(repeating: UInt8(ascii: "x"), count: 600)])
            let directory = try FetchCommandTests.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let generators = try ["index.html", "missing"].enumerated().map { index, path in
                let out = open("\(directory.path)/load\(index).json", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                defer { close(out) }
                return try ChildProcess(CLI.executable, ["load", "-c", "4", "-d", "1.5", "-R", "500", "--json",
                                                         "--hdr-log", "\(directory.path)/load\(index).hlog",
                                                         "http://127.0.0.1:\(nginx.port)/\(path)"], stdout: out)
            }
            for generator in generators { #expect(generator.wait(timeout: .seconds(60)) == .exited(0)) }
            let reports = try (0..<2).map { index in
                try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(directory.path)/load\(index).json")))
                    as? [String: Any])
            }
            let merged = try Self.mergeJSON((0..<2).map { "\(directory.path)/load\($0).hlog" })
            let requests = reports.compactMap { $0["requests"] as? Int }
            #expect(merged["requests"] as? Int == requests.reduce(0, +))
            #expect(merged["status"] as? [String: Int] == ["200": requests[0], "404": requests[1]])
            // The span is from the earlier start to the later end (each ran 1.5 s; how far
            // apart they started depends on the machine), and the rate is over it.
            let duration = try #require(merged["duration_s"] as? Double)
            #expect(duration >= 1.4 && duration < 10, "both ran for 1.5 s, side by side: \(duration)")
            let rate = try #require(merged["rate"] as? Double)
            #expect(abs(rate - Double(requests.reduce(0, +)) / duration) < 1, "\(rate)")
            withExtendedLifetime(nginx) {}
        }
    }

    /// Tagged intervals are another series: `merge` adds the untagged ones, or those of
    /// `--tag T`, never both (as HdrHistogram's HistogramLogProcessor and its -tag).
    @Test func tagsAreSeriesOfTheirOwn() async throws {
        try await offPool {
            let nginx = try Nginx(files: ["index.html": Array("x".utf8)])
            let directory = try FetchCommandTests.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let log = "\(directory.path)/load.hlog"
            let load = try ChildProcess.run(CLI.executable, ["load", "-c", "2", "-d", "0.5", "--json", "--hdr-log", log,
                                                             "http://127.0.0.1:\(nginx.port)/index.html"], timeout: .seconds(30))
            #expect(load.status == 0)
            var text = try String(contentsOfFile: log, encoding: .utf8)
            let firstInterval = try #require(text.split(separator: "\n").first { $0.first?.isNumber == true })
            text += "Tag=A," + firstInterval + "\n"
            let tagged = "\(directory.path)/tagged.hlog"
            try text.write(toFile: tagged, atomically: true, encoding: .utf8)
            let plain = try Self.mergeJSON([log])
            let untagged = try Self.mergeJSON([tagged])
            let onlyA = try Self.mergeJSON(["--tag", "A", tagged])
            #expect(untagged["recorded"] as? Int == plain["recorded"] as? Int)
            #expect(untagged["intervals"] as? Int == plain["intervals"] as? Int)
            #expect(onlyA["intervals"] as? Int == 1)
            #expect((onlyA["recorded"] as? Int ?? 0) > 0 && (onlyA["recorded"] as? Int ?? 0) <= (plain["recorded"] as? Int ?? 0))
            withExtendedLifetime(nginx) {}
        }
    }

    @Test func unreadableLogsAndBadShardsSayWhy() async throws {
        try await offPool {
            let directory = try FetchCommandTests.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let bad = "\(directory.path)/bad.hlog"
            try "#[StartTime: 1 (seconds since epoch)]\n0.0,1.0,2.0,not-a-histogram!\n".write(toFile: bad, atomically: true, encoding: .utf8)
            let merge = try ChildProcess.run(CLI.executable, ["merge", bad])
            #expect(merge.status == 1)
            #expect(merge.stderrText.contains("bad.hlog: line 2: the histogram is not base64"), "\(merge.stderrText)")
            let missing = try ChildProcess.run(CLI.executable, ["merge", "\(directory.path)/none.hlog"])
            #expect(missing.status == 1 && missing.stderrText.contains("cannot read"), "\(missing.stderrText)")
            for shard in ["4/4", "1/0", "-1/3", "a/b", "2"] {
                let result = try ChildProcess.run(CLI.executable, ["fetch", "--shard=\(shard)", "http://127.0.0.1:1/"])
                #expect(result.status == 2, "--shard \(shard)")
                #expect(result.stderrText.contains("expected K/N with 0 <= K < N"), "\(result.stderrText)")
            }
        }
    }

    static func mergeJSON(_ logs: [String]) throws -> [String: Any] {
        let result = try ChildProcess.run(CLI.executable, ["merge", "--json"] + logs)
        guard result.status == 0 else { throw PeerError.didNotStart("httpq merge", result.stderrText) }
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any], "\(result.stdoutText)")
    }
}
