import Foundation
import Testing
import TestSupport

/// `httpq load` run as a process against nginx.
@Suite struct LoadCommandTests {
    @Test func loadsAServerAndReportsLikeWrk() async throws {
        try await offPool {
            let nginx = try Nginx(files: ["index.html": Array(repeating: UInt8(ascii: "x"), count: 600)])
            let result = try ChildProcess.run(CLI.executable, ["load", "-c", "8", "-d", "1", "-t", "2",
                                                               "http://127.0.0.1:\(nginx.port)/index.html"], timeout: .seconds(30))
            #expect(result.status == 0, "\(result.stderrText)")
            let text = result.stdoutText
            #expect(text.contains("2 threads and 8 connections"))
            let rate = text.split(separator: "\n").first { $0.hasPrefix("Requests/sec: ") }
                .flatMap { Double($0.dropFirst("Requests/sec: ".count)) } ?? 0
            #expect(rate > 100, "\(text)")
            #expect(text.contains("Errors: none"), "\(text)")
            #expect(text.contains("Latency   p50 "))
            #expect(text.contains("CPU per request: "))
            withExtendedLifetime(nginx) {}
        }
    }

    /// The request body is framed by the client's rule: `--data` with a PUT stores exactly its
    /// bytes request after request, and a `-H Content-Length` that is not the body's size is
    /// refused before the run starts (sent, the server would read the rest as a request).
    @Test func aBodyIsFramedOnceAndAWrongLengthRefusedAtStart() async throws {
        try await offPool {
            let served = try ServeCommandTests.Served(extra: ["--allow-put"])
            let stored = try ChildProcess.run(CLI.executable, ["load", "-c", "2", "-d", "0.5", "-X", "PUT", "--data", "hello",
                                                               "\(served.base)/put.txt"], timeout: .seconds(30))
            #expect(stored.status == 0 && stored.stdoutText.contains("Errors: none"), "\(stored.stdoutText) \(stored.stderrText)")
            #expect(try Data(contentsOf: served.root.appendingPathComponent("put.txt")) == Data("hello".utf8))
            let refused = try ChildProcess.run(CLI.executable, ["load", "-c", "1", "-d", "0.5", "--data", "abc", "-H", "Content-Length: 10",
                                                                "\(served.base)/put.txt"], timeout: .seconds(30))
            #expect(refused.status != 0)
            #expect(refused.stderrText.contains("its Content-Length (10) is not its body's size (3 bytes)"), "\(refused.stderrText)")
        }
    }

    @Test func aRefusedServerIsCountedAndExitsOne() async throws {
        try await offPool {
            let result = try ChildProcess.run(CLI.executable, ["load", "-c", "2", "-d", "0.5", "http://127.0.0.1:\(refusedPort())/"],
                                              timeout: .seconds(30))
            #expect(result.status == 1)
            #expect(result.stdoutText.contains("Errors: refused "), "\(result.stdoutText)")
        }
    }

    /// wrk2's README example, scripted: the server is stopped (SIGSTOP) for a second in the
    /// middle of a run at a fixed rate. The latency from each request's intended send time
    /// shows the stall at p99; the latency from the actual send (what a closed loop sees)
    /// does not, since only the C requests in flight waited.
    @Test func anOpenLoopShowsAStallThatTheClosedLoopHides() async throws {
        try await offPool {
            let served = try ServeCommandTests.Served()
            let url = served.base + "/index.html"
            let pid = served.process.pid
            let stopper = Thread {
                usleep(1_500_000)
                kill(pid, SIGSTOP)
                usleep(1_000_000)
                kill(pid, SIGCONT)
            }
            stopper.start()
            let result = try ChildProcess.run(CLI.executable, ["load", "-R", "400", "-c", "8", "-d", "4", "--json", url],
                                              timeout: .seconds(60))
            kill(pid, SIGCONT)
            #expect(result.status == 0, "\(result.stderrText)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any], "\(result.stdoutText)")
            let corrected = try #require(report["latency_ms"] as? [String: Double])
            let uncorrected = try #require(report["latency_uncorrected_ms"] as? [String: Double])
            // (Bounds loose enough for a machine busy with other tests: the uncorrected p99 is
            // a few milliseconds when idle, but reached 510 ms once under the whole suite, so
            // the two are compared at p90, where a quarter of the run's sends fall behind the
            // stall: hundreds of milliseconds corrected, a few uncorrected.)
            #expect(try #require(corrected["p99"]) > 600, "\(result.stdoutText)")
            #expect(try #require(corrected["max"]) > 850, "\(result.stdoutText)")
            #expect(try #require(corrected["p90"]) > 300, "\(result.stdoutText)")
            #expect(try #require(uncorrected["p90"]) < corrected["p90"]! / 4, "\(result.stdoutText)")
            #expect(try #require(uncorrected["max"]) > 850, "the C requests in flight did wait: \(result.stdoutText)")
            // The rate held: about 400/s over 4 s, the stalled second's requests sent late, not
            // dropped. Those still in flight when the time is up count as unfinished (under the
            // whole parallel suite 1,250 had been answered once).
            let requests = try #require(report["requests"] as? Int)
            let unfinished = try #require(report["unfinished"] as? Int)
            #expect((1_300...1_700).contains(requests + unfinished), "\(result.stdoutText)")
            // Answered: more than the stall's second held back (670 of ~1,600 once, with the whole
            // suite on two cores: the sum above is what shows the rate held).
            #expect(requests > 400, "\(result.stdoutText)")
            #expect(report["target_rate"] as? Double == 400)
        }
    }

    /// The server stops answering before the end and answers only after the time is up: the
    /// answers arrive late, each worker is then behind schedule, and the sends it owed but
    /// never made are unfinished (they were lost from the count: a run 2,026 sends behind said 0).
    ///
    /// The origin keeps its own clock from the first request it sees (the load's start, within
    /// a send), holds every answer due from 1.0 s until 2.1 s, and records when it really began
    /// to hold. An outside timer (SIGSTOP on `httpq serve` a second after the load's first
    /// connection showed in /proc/net/tcp) proved fragile on a busy CI machine: that file listed
    /// thousands of sockets of other tests, the read came half a second late, the stall ended
    /// before the run did, and nothing was owed.
    @Test func sendsOwedAtTheEndAreUnfinished() async throws {
        try await offPool {
            let timeline = HeldAnswers(holdFrom: .milliseconds(1_000), until: .milliseconds(2_100))
            let origin = try RecordingOrigin { _ in
                timeline.waitIfHeld()
                return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
            }
            let result = try ChildProcess.run(CLI.executable, ["load", "-R", "400", "-c", "2", "-d", "2", "--json",
                                                               "http://127.0.0.1:\(origin.port)/"], timeout: .seconds(60))
            let text = result.stdoutText
            let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any], "\(text)")
            let requests = try #require(report["requests"] as? Int), unfinished = try #require(report["unfinished"] as? Int)
            #expect((700...900).contains(requests + unfinished), "\(text)")
            // The sends from the hold to the end never went: about 400 when the hold begins at
            // 1.0 s (and the two in flight then are unfinished too). Before the fix, 0.
            let heldAt = try #require(timeline.heldAtSeconds, "no answer was held: \(text)")
            let owed = Int((2.0 - heldAt) * 400)
            #expect(owed > 100, "the hold began at \(heldAt) s, too late to owe much")
            #expect(unfinished >= owed / 2, "held from \(heldAt) s, so about \(owed) owed: \(text)")
            #expect(requests < 500, "answers held past the end cannot count: \(text)")
            withExtendedLifetime(origin) {}
        }
    }

    /// Answers held over a span of an origin's own time, counted from its first request.
    final class HeldAnswers: @unchecked Sendable {
        private let holdFrom: Duration, until: Duration
        private let lock = NSLock()
        private var first: ContinuousClock.Instant?
        private var held: Duration?

        init(holdFrom: Duration, until: Duration) { self.holdFrom = holdFrom; self.until = until }

        /// When, in seconds after the first request, an answer was first held.
        var heldAtSeconds: Double? {
            lock.lock(); defer { lock.unlock() }
            return held.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 }
        }

        /// Blocks the answering thread until the hold ends, if this answer falls in it.
        func waitIfHeld() {
            let now = ContinuousClock.now
            lock.lock()
            let start = first ?? now
            first = start
            let since = now - start
            let inHold = since >= holdFrom && since < until
            if inHold, held == nil { held = since }
            lock.unlock()
            guard inHold else { return }
            while ContinuousClock.now < start + until { usleep(5_000) }
        }
    }

    /// A server that takes connections and never answers: no latency to report, so the
    /// open loop says what its schedule owed (`unfinished`: in flight at the end, or due and
    /// never sent), and the run still ends on time with exit status 1.
    @Test func aServerThatNeverAnswersShowsAsUnfinished() async throws {
        try await offPool {
            let silent = try ScriptedServer { _ in usleep(4_000_000) }
            let started = ContinuousClock.now
            let result = try ChildProcess.run(CLI.executable, ["load", "-R", "200", "-c", "4", "-d", "1.5", "--json",
                                                               "http://127.0.0.1:\(silent.port)/"], timeout: .seconds(30))
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(result.status == 1)
            let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any], "\(result.stdoutText)")
            #expect(report["requests"] as? Int == 0)
            // 200/s for 1.5 s: about 300 owed (each connection's first at a random phase).
            let unfinished = try #require(report["unfinished"] as? Int)
            #expect((250...310).contains(unfinished), "\(unfinished)")
            withExtendedLifetime(silent) {}
        }
    }

    /// Method, fields and body reach the server; several URLs are taken in turn; statuses
    /// and errors are counted by code and kind in the JSON object. (1.5 s: in 0.5 s a run
    /// starved by the rest of the suite once made only the first URLs' requests, and no
    /// `refused` was counted.)
    @Test func methodFieldsBodyAndURLsInTurnReachTheServer() async throws {
        try await offPool {
            let origin = try RecordingOrigin { request in
                let status = request.line.contains("/missing") ? "404 Not Found" : "200 OK"
                return "HTTP/1.1 \(status)\r\nContent-Length: 2\r\n\r\nok"
            }
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("httpq-load-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let body = directory.appendingPathComponent("body.json").path
            try Data(#"{"a": 1}"#.utf8).write(to: URL(fileURLWithPath: body))
            let base = "http://127.0.0.1:\(origin.port)"
            let result = try ChildProcess.run(CLI.executable, [
                "load", "-c", "2", "-d", "1.5", "--json", "-X", "PUT", "-H", "X-Trace: 7", "-H", "Content-Type: application/json",
                "--data", "@" + body, base + "/a", base + "/missing", "http://127.0.0.1:\(refusedPort())/b",
            ], timeout: .seconds(30))
            #expect(result.status == 0, "\(result.stderrText)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any], "\(result.stdoutText)")
            let status = try #require(report["status"] as? [String: Int])
            let errors = try #require(report["errors"] as? [String: Int])
            #expect(Set(status.keys) == ["200", "404"])
            #expect(abs((status["200"] ?? 0) - (status["404"] ?? 0)) <= 2, "in turn: \(status)")
            #expect((errors["refused"] ?? 0) > 0, "\(errors)")
            #expect(report["requests"] as? Int == status.values.reduce(0, +))
            for key in ["duration_s", "rate", "bytes", "latency_ms", "latency_uncorrected_ms"] { #expect(report[key] != nil, "\(key)") }
            let received = origin.received
            #expect(received.count >= status.values.reduce(0, +))
            for request in received.prefix(50) {
                #expect(request.line.hasPrefix("PUT /a ") || request.line.hasPrefix("PUT /missing "), "\(request.line)")
                #expect(request.head.contains("X-Trace: 7\r\n") && request.head.contains("Content-Type: application/json\r\n"))
                #expect(request.body == Array(#"{"a": 1}"#.utf8))
            }
        }
    }

    /// `--hdr-log` writes HdrHistogram's interval log: PyPI's hdrhistogram reads it, and its
    /// intervals add up to the run's count; `--latency` prints wrk2's distribution table.
    @Test func theIntervalLogIsReadableByHdrHistogramsOwnReader() async throws {
        try await offPool {
            guard HdrPython.isAvailable else {
                Issue.record("PyPI hdrhistogram is missing at \(HdrPython.path) (scripts/setup.sh creates it)")
                return
            }
            let nginx = try Nginx(files: ["index.html": Array(repeating: UInt8(ascii: "x"), count: 600)])
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("httpq-load-\(UUID().uuidString).hlog").path
            defer { unlink(log) }
            let result = try ChildProcess.run(CLI.executable, ["load", "-c", "4", "-d", "2.5", "-R", "2000", "--latency",
                                                               "--hdr-log", log, "--hdr-interval", "0.5",
                                                               "http://127.0.0.1:\(nginx.port)/index.html"], timeout: .seconds(30))
            #expect(result.status == 0, "\(result.stderrText)")
            let text = result.stdoutText
            for line in ["Latency Distribution (HdrHistogram - Recorded Latency)", " 99.999% ", "100.000% ", "Uncorrected Latency"] {
                #expect(text.contains(line), "\(line): \(text)")
            }
            let requests = try #require(text.split(separator: "\n").first { $0.contains(" requests in ") }
                .flatMap { Int($0.split(separator: " ")[0]) })
            let summary = try HdrPython.readLogs([log])
            #expect((4...6).contains(summary.intervals), "intervals of 0.5 s over 2.5 s: \(summary)")
            #expect(summary.count == UInt64(requests))
            withExtendedLifetime(nginx) {}
        }
    }
}
