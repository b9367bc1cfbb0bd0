import Foundation
import HTTPQ
import HTTPQServer
import Logging
import Testing
import TestSupport

/// Access log lines (nginx's combined, JSON) and the writer thread that keeps them off the loops.
@Suite struct AccessLogTests {
    static let entry = AccessLogEntry(peer: SocketAddress(ip: "::1", port: 5555), method: "GET", target: "/a \"b\"\\c?d=é",
                                      version: "HTTP/1.1", status: 206, bytes: 1234, seconds: 0.0125, time: 1_764_460_201.25,
                                      referer: nil, userAgent: "curl/8.0 \u{1}")

    @Test func combinedIsNginxsLineWithItsEscapes() {
        let line = AccessLogFormat.combined.line(for: Self.entry)
        let pattern = #"^::1 - - \[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] "GET /a \\x22b\\x22\\x5Cc\?d=\\xC3\\xA9 HTTP/1\.1" 206 1234 "-" "curl/8\.0 \\x01"$"#
        #expect(line.range(of: pattern, options: .regularExpression) != nil, "\(line)")
    }

    /// nginx's rule, byte by byte: `"`, `\` and bytes outside 0x20...0x7E as `\xHH`.
    static func nginxEscaped(_ bytes: [UInt8]) -> String {
        bytes.map { byte in
            byte == 0x22 || byte == 0x5C || byte < 0x20 || byte > 0x7E
                ? "\\x" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2) : String(UnicodeScalar(byte))
        }.joined()
    }

    /// The log scans sixteen bytes at a time (eight without SSE2): a byte to escape at every
    /// position of fields of every length up to 50 (the vectors' edges, the tail shorter than
    /// one, read as the field's last sixteen bytes), each kind of byte, in the User-Agent (the
    /// request's own bytes) and the target (a String).
    @Test func escapesAgreeWithNginxsRuleAtEveryPosition() {
        let specials: [UInt8] = [0x00, 0x01, 0x1F, 0x22, 0x5C, 0x7F, 0x20, 0x7E, 0x21, 0x5B, 0x5D, 0x41]
        for length in 1...50 {
            for position in 0..<length {
                for special in specials {
                    var bytes = Array(repeating: UInt8(ascii: "a"), count: length)
                    bytes[position] = special
                    let text = String(decoding: bytes, as: UTF8.self)
                    var entry = Self.entry
                    entry.userAgent = text
                    entry.target = "/" + text
                    let line = AccessLogFormat.combined.line(for: entry)
                    let expected = Self.nginxEscaped(bytes)
                    #expect(line.hasSuffix("\"\(expected)\""), "user agent, byte \(special) at \(position) of \(length): \(line)")
                    #expect(line.contains("\"GET /\(expected) HTTP/1.1\""), "target, byte \(special) at \(position) of \(length): \(line)")
                }
            }
        }
        // JSON's escapes (RFC 8259) over the same fields: parsed back, the text comes back whole.
        for length in [1, 7, 8, 9, 15, 16, 17, 20, 31, 32, 33, 47, 48, 49] {
            for position in 0..<length {
                for special: UInt8 in [0x00, 0x09, 0x0A, 0x0D, 0x1F, 0x22, 0x5C, 0x7F, 0x41] {
                    var bytes = Array(repeating: UInt8(ascii: "a"), count: length)
                    bytes[position] = special
                    var entry = Self.entry
                    entry.userAgent = String(decoding: bytes, as: UTF8.self)
                    let line = AccessLogFormat.json.line(for: entry)
                    let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                    #expect(object?["user_agent"] as? String == entry.userAgent, "byte \(special) at \(position) of \(length): \(line)")
                }
            }
        }
        // The request line is scanned whole first, and its parts copied as they are when it
        // holds nothing to escape: a special byte anywhere in the target takes the escaping path.
        for length in [1, 7, 8, 9, 15, 16, 17, 33] {
            for position in 0..<length {
                for special: UInt8 in [0x01, 0x09, 0x22, 0x5C, 0x7F, 0x41] {
                    var bytes = Array(repeating: UInt8(ascii: "a"), count: length)
                    bytes[position] = special
                    var entry = Self.entry
                    entry.target = "/" + String(decoding: bytes, as: UTF8.self)
                    let line = AccessLogFormat.json.line(for: entry)
                    let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                    #expect(object?["target"] as? String == entry.target, "byte \(special) at \(position) of \(length): \(line)")
                    #expect(object?["method"] as? String == "GET" && object?["version"] as? String == "HTTP/1.1", "\(line)")
                }
            }
        }
        // Two bytes to escape in one field, at every pair of positions: the scan goes on after
        // the first, from inside a vector or the overlapping tail.
        for length in [17, 23, 33] {
            for first in 0..<length {
                for second in first..<length {
                    var bytes = Array(repeating: UInt8(ascii: "b"), count: length)
                    bytes[first] = 0x22
                    bytes[second] = 0x01
                    var entry = Self.entry
                    entry.userAgent = String(decoding: bytes, as: UTF8.self)
                    let line = AccessLogFormat.combined.line(for: entry)
                    #expect(line.hasSuffix("\"\(Self.nginxEscaped(bytes))\""), "\(first), \(second) of \(length): \(line)")
                    let object = try? JSONSerialization.jsonObject(with: Data(AccessLogFormat.json.line(for: entry).utf8)) as? [String: Any]
                    #expect(object?["user_agent"] as? String == entry.userAgent, "\(first), \(second) of \(length)")
                }
            }
        }
        // Bytes past 0x7F: a String holds them as UTF-8 (é is C3 A9), escaped byte by byte.
        var entry = Self.entry
        entry.userAgent = "agent/1.0 (é; ü) " + String(repeating: "x", count: 9) + "ß"
        let line = AccessLogFormat.combined.line(for: entry)
        #expect(line.hasSuffix("\"" + Self.nginxEscaped(Array(entry.userAgent!.utf8)) + "\""), "\(line)")
    }

    @Test func jsonIsOneObjectWithEveryField() throws {
        let line = AccessLogFormat.json.line(for: Self.entry)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["time"] as? String == "2025-11-29T23:50:01.250Z")
        #expect(object["remote_addr"] as? String == "::1" && object["status"] as? Int == 206 && object["bytes"] as? Int == 1234)
        #expect(object["target"] as? String == "/a \"b\"\\c?d=é" && object["user_agent"] as? String == "curl/8.0 \u{1}")
        #expect(object["duration_ms"] as? Double == 12.5 && object["referer"] == nil)
    }

    /// `duration_ms` has three decimals, rounded half up at the microsecond.
    @Test func jsonDurationIsMillisecondsWithThreeDecimals() {
        let cases: [(Double, String)] = [
            (0, "0.000"), (0.000_000_4, "0.000"), (0.000_000_5, "0.001"), (0.000_999_6, "1.000"), (0.0125, "12.500"),
            (0.009_999_999, "10.000"), (1.5, "1500.000"), (12.345_678_9, "12345.679"), (-1, "0.000"),
        ]
        for (seconds, text) in cases {
            var entry = Self.entry
            entry.seconds = seconds
            let line = AccessLogFormat.json.line(for: entry)
            #expect(line.contains(",\"duration_ms\":\(text),"), "\(seconds) s: \(line)")
        }
    }

    /// A peer's host is written as a JSON string, escaped (a Unix socket's path may hold
    /// quotes), and each peer gets its own when they alternate.
    @Test func jsonHostIsEscapedAndFollowsThePeer() throws {
        let peers: [(SocketAddress?, String)] = [
            (SocketAddress(unixPath: "/run/a\"b.sock"), "unix:/run/a\"b.sock"), (SocketAddress(ip: "127.0.0.1", port: 1), "127.0.0.1"),
            (SocketAddress(ip: "::1", port: 2), "::1"), (SocketAddress(unixPath: "/run/a\"b.sock"), "unix:/run/a\"b.sock"),
        ]
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hosts-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let log = try AccessLog(path: path, format: .json)
        for (peer, _) in peers {
            var entry = Self.entry
            entry.peer = peer
            log.record(entry)
        }
        log.close()
        let lines = readTextFile(path).split(separator: "\n")
        #expect(lines.count == peers.count)
        for (line, (_, host)) in zip(lines, peers) {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            #expect(object["remote_addr"] as? String == host, "\(line)")
        }
    }

    /// Four threads record 25,000 entries each; after `close` the file has every one, whole.
    @Test func everyRecordedEntryIsWrittenWhole() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("access-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let log = try AccessLog(path: path, format: .json)
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for index in 0..<25_000 {
                var entry = Self.entry
                entry.target = "/\(thread)/\(index)"
                log.record(entry)
            }
        }
        log.close()
        let lines = readTextFile(path).split(separator: "\n")
        #expect(lines.count == 100_000)
        #expect(Set(lines.compactMap { line in line.range(of: #""target":"/\d/\d+""#, options: .regularExpression).map { String(line[$0]) } }).count == 100_000)
    }

    /// The writer formats each client's address once and reuses it: lines from many peers,
    /// interleaved (same address on other ports, IPv6, a Unix socket, none), each name theirs.
    @Test func eachLineNamesItsOwnPeerWhenPeersInterleave() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("peers-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let peers: [(SocketAddress?, String)] = [
            (SocketAddress(ip: "127.0.0.1", port: 1000), "127.0.0.1"), (SocketAddress(ip: "127.0.0.2", port: 1000), "127.0.0.2"),
            (SocketAddress(ip: "127.0.0.1", port: 2000), "127.0.0.1"), (SocketAddress(ip: "::1", port: 1000), "::1"),
            (SocketAddress(ip: "fe80::1", port: 1000), "fe80::1"), (SocketAddress(unixPath: "/run/app.sock"), "unix:/run/app.sock"),
            (nil, "-"),
        ]
        let log = try AccessLog(path: path, format: .combined)
        for index in 0..<7_000 {
            var entry = Self.entry
            entry.peer = peers[(index * 3) % peers.count].0 // a stride that mixes the order
            entry.target = "/\(index)"
            log.record(entry)
        }
        log.close()
        let lines = readTextFile(path).split(separator: "\n")
        #expect(lines.count == 7_000)
        for (index, line) in lines.enumerated() {
            let expected = peers[(index * 3) % peers.count].1
            guard line.hasPrefix(expected + " - - ["), line.contains("\"GET /\(index) HTTP/1.1\"") else {
                Issue.record("line \(index): \(line), expected peer \(expected)")
                return
            }
        }
    }

    /// A queue that cannot take more drops and says so, instead of growing.
    @Test func aFullQueueDropsAndCounts() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dropped-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let log = try AccessLog(path: path, format: .combined, maxPending: 0)
        for _ in 0..<7 { log.record(Self.entry) }
        log.close()
        #expect(readTextFile(path) == "httpq: 7 access log entries dropped (the log could not keep up)\n")
    }

    /// A log that cannot be written (here a full disk: /dev/full) drops its lines and says so
    /// once, not once per batch; a reopen that fails says so and keeps the file it had.
    /// Before, both were silent: a server's log could stop for good with nobody told.
    @Test func aLogThatCannotBeWrittenOrReopenedSaysSo() throws {
        let events = ObservabilityTests.Events()
        let logger = Logger(label: "access-log") { _ in events }
        let full = try AccessLog(path: "/dev/full", format: .combined, flushInterval: .milliseconds(5), logger: logger)
        for _ in 0..<3 {
            for _ in 0..<5 { full.record(Self.entry) }
            usleep(30_000) // several batches, each failing
        }
        full.close()
        let failures = events.lines.withLock { $0 }
        #expect(failures == ["error the access log cannot be written; its lines are dropped until it can"], "\(failures)")

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reopen-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("access.log").path
        let moved = Logger(label: "access-log") { _ in events }
        let log = try AccessLog(path: path, format: .combined, flushInterval: .milliseconds(5), logger: moved)
        try FileManager.default.removeItem(at: directory) // the file's directory is gone: no reopen can succeed
        log.reopen()
        log.record(Self.entry)
        log.close()
        #expect(events.lines.withLock { $0 }.last == "error the access log could not be reopened; still writing to the file it had open")
    }

    @Test func anUnwritablePathIsATypedError() {
        #expect(throws: ServerError.cannotOpenLog(path: "/nonexistent-dir/access.log", errno: ENOENT)) {
            try AccessLog(path: "/nonexistent-dir/access.log")
        }
    }
}

/// An `AccessLog` whose file cannot be opened must not close standard output on its way out
/// (`deinit` runs after a throwing `init`; it closed descriptor 1, which the next socket then
/// got, and the test suite's output went into another test's connection).
@Suite struct AccessLogDescriptorTests {
    @Test func aFailedOpenLeavesStandardOutputOpen() throws {
        for _ in 0..<3 { _ = try? AccessLog(path: "/nonexistent-dir/access.log") }
        #expect(fcntl(STDOUT_FILENO, F_GETFD) != -1, "standard output was closed")
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

/// Lines a loop formats itself (`ServerConfiguration.accessLogWriter`) are the lines the
/// writer formats from entries (`accessLog: log.sink`): one server with both, requests with
/// fields in odd cases, twice, missing, and bytes to escape, in both formats.
@Suite struct AccessLogLinesTests {
    static let requests: [String] = [
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /a%22b?c=\"d\"\\e HTTP/1.1\r\nHost: a\r\nuSeR-aGeNt: agent \"quoted\" \\ back\r\nREFERER: http://r/\r\n\r\n",
        "HEAD /h HTTP/1.1\r\nHost: a\r\nUser-Agent: first\r\nUser-Agent: second\r\nReferer: r1\r\nReferer: r2\r\n\r\n",
        "GET /high HTTP/1.1\r\nHost: a\r\nUser-Agent: caf\u{E9} \t tab\r\nX-Referer: not this\r\nUser-Agentx: nor this\r\n\r\n",
        "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nReferer: " + String(repeating: "r", count: 300) + "\r\n\r\nabc",
        "GET /old HTTP/1.0\r\nUser-Agent: " + String(repeating: "x\"", count: 40) + "\r\n\r\n",
        "GET /auth HTTP/1.1\r\nHost: a\r\nAuthorization: Basic " + BasicCredentials.authorization(user: "us\"er", password: "p:w").dropFirst(6) + "\r\n\r\n",
        "GET /auth HTTP/1.1\r\nHost: a\r\nAuthorization: Basic !!notbase64\r\n\r\n",
        "GARBAGE\r\n\r\n",
        "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n",
    ]

    @Test(arguments: AccessLogFormat.allCases)
    func loopLinesEqualEntryLines(format: AccessLogFormat) throws {
        let directory = FileManager.default.temporaryDirectory
        let entriesPath = directory.appendingPathComponent("entries-\(UUID().uuidString).log").path
        let linesPath = directory.appendingPathComponent("lines-\(UUID().uuidString).log").path
        defer {
            try? FileManager.default.removeItem(atPath: entriesPath)
            try? FileManager.default.removeItem(atPath: linesPath)
        }
        let entries = try AccessLog(path: entriesPath, format: format)
        let lines = try AccessLog(path: linesPath, format: format)
        let server = try TestServer { configuration in
            configuration.accessLog = entries.sink
            configuration.accessLogWriter = lines
        }
        for request in Self.requests {
            let client = try RawClient(port: server.port)
            #expect(client.send(request))
            client.shutdownWrite()
            _ = client.readToEnd()
        }
        server.stop()
        entries.close()
        lines.close()
        let fromEntries = readTextFile(entriesPath), fromLines = readTextFile(linesPath)
        #expect(fromEntries.split(separator: "\n").count == Self.requests.count)
        #expect(fromLines == fromEntries)
        if format == .combined {
            #expect(fromLines.contains("\"http://r/\" \"agent \\x22quoted\\x22 \\x5C back\"\n"), "\(fromLines)")
            #expect(fromLines.contains("\"HEAD /h HTTP/1.1\" 200 0 \"r1\" \"first\""), "\(fromLines)")
            #expect(fromLines.contains("\"-\" \"caf\\xC3\\xA9 \\x09 tab\""), "\(fromLines)")
            #expect(fromLines.contains(" - us\\x22er [") && fromLines.contains("\"GET /auth HTTP/1.1\" 200"), "\(fromLines)")
            #expect(fromLines.contains("\"GARBAGE\" 400 ") && fromLines.contains("\"GET /a b HTTP/1.1\" 400 "), "\(fromLines)")
        } else {
            #expect(fromLines.contains("\"remote_user\":\"us\\\"er\""), "\(fromLines)")
        }
    }

    /// Four threads (as four loops would) record 25,000 lines each, beside entries from a
    /// fifth; after `close` the file has every line whole, none torn or interleaved.
    @Test func everyLineFromManyThreadsIsWrittenWhole() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lines-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let log = try AccessLog(path: path, format: .combined, flushInterval: .milliseconds(5))
        DispatchQueue.concurrentPerform(iterations: 5) { thread in
            for index in 0..<25_000 {
                if thread == 4 {
                    var entry = AccessLogTests.entry
                    entry.target = "/entry/\(index)"
                    log.record(entry)
                } else {
                    let line = Array("line \(thread) \(index) \(String(repeating: "x", count: index % 200))\n".utf8)
                    line.withUnsafeBufferPointer { log.record(line: $0) }
                }
            }
        }
        log.close()
        let lines = readTextFile(path).split(separator: "\n")
        #expect(lines.count == 125_000)
        let own = lines.filter { $0.hasPrefix("line ") }
        #expect(own.count == 100_000)
        #expect(own.allSatisfy { line in
            let parts = line.split(separator: " ")
            guard parts.count >= 3, let index = Int(parts[2]) else { return false }
            return parts.count == (index % 200 == 0 ? 3 : 4) && (parts.count == 3 || parts[3].count == index % 200)
        })
        #expect(Set(own.map { $0.split(separator: " ").prefix(3).joined(separator: " ") }).count == 100_000)
    }

    /// Lines count against `maxPending` as entries do: past it they are dropped and counted.
    @Test func aFullQueueDropsLinesAndCounts() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dropped-lines-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let log = try AccessLog(path: path, format: .combined, maxPending: 2, flushInterval: .milliseconds(500))
        let line = Array("one line\n".utf8)
        for _ in 0..<5 { line.withUnsafeBufferPointer { log.record(line: $0) } }
        log.close()
        #expect(readTextFile(path) == "httpq: 3 access log entries dropped (the log could not keep up)\none line\none line\n")
    }

    /// A full batch is written at once, whatever the interval: the loops then fill the same
    /// few buffers, which stay in the caches (waiting the whole interval let a busy server fill
    /// megabytes between writes). Lines short of a batch wait for the interval; closing writes
    /// them without waiting it out.
    @Test func aFullBatchIsWrittenWithoutWaitingForTheInterval() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("batch-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let log = try AccessLog(path: path, format: .combined, flushInterval: .seconds(60))
        let line = Array((String(repeating: "b", count: 1023) + "\n").utf8)
        for _ in 0..<10 { line.withUnsafeBufferPointer { log.record(line: $0) } }
        usleep(300_000)
        #expect(readTextFile(path).isEmpty, "10 KiB is not a batch: it waits for the interval")
        for _ in 0..<60 { line.withUnsafeBufferPointer { log.record(line: $0) } } // 70 KiB queued
        let deadline = ContinuousClock.now + .seconds(20)
        while readTextFile(path).utf8.count < AccessLog.batchBytes && ContinuousClock.now < deadline { usleep(10_000) }
        #expect(readTextFile(path).utf8.count >= AccessLog.batchBytes, "the batch was written within the minute's interval")
        line.withUnsafeBufferPointer { log.record(line: $0) }
        let closing = ContinuousClock.now
        log.close()
        #expect(ContinuousClock.now - closing < .seconds(10), "close did not wait out the interval")
        #expect(readTextFile(path).utf8.count == 71 * 1024)
    }
}
