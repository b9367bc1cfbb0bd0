import Foundation
import Histogram
import HistogramLog
import Testing
import TestSupport

/// The interval log, written and read here and by HdrHistogram's Python port.
@Suite struct HistogramLogTests {
    static func log() -> HistogramLog {
        var log = HistogramLog(startTime: 1_764_460_800.25, comments: ["made by a test"])
        for second in 0..<4 {
            let (histogram, _) = HistogramEncodingTests.sample(seed: UInt64(100 + second), count: 2_000 * (second + 1))
            log.intervals.append(.init(start: log.startTime + Double(second), length: 1, histogram: histogram))
        }
        return log
    }

    /// `log` written to `ours.hlog` in a new temporary directory (the caller removes it).
    static func written(_ log: HistogramLog) throws -> (directory: URL, path: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hdrlog-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("ours.hlog").path
        try log.text().write(toFile: path, atomically: true, encoding: .utf8)
        return (directory, path)
    }

    @Test func readingWhatWeWroteGivesTheSameIntervals() throws {
        let log = Self.log()
        let read = try HistogramLog(text: log.text())
        #expect(read.startTime == log.startTime)
        #expect(read.comments == ["made by a test"])
        #expect(read.intervals.count == 4)
        for (mine, theirs) in zip(log.intervals, read.intervals) {
            #expect(abs(mine.start - theirs.start) < 0.001)
            #expect(theirs.length == 1)
            #expect(theirs.histogram.totalCount == mine.histogram.totalCount)
            #expect(theirs.histogram.valueAtPercentile(99) == mine.histogram.valueAtPercentile(99))
        }
        #expect(read.total.totalCount == 20_000)
        #expect(read.span == log.startTime...(log.startTime + 4))
    }

    @Test func pythonReadsOurLogAndWeReadPythons() throws {
        guard HdrPython.isAvailable else {
            Issue.record("PyPI hdrhistogram is missing at \(HdrPython.path) (scripts/setup.sh creates it)")
            return
        }
        let log = Self.log()
        let (directory, ours) = try Self.written(log)
        defer { try? FileManager.default.removeItem(at: directory) }
        let theirs = directory.appendingPathComponent("theirs.hlog").path
        let summary = try HdrPython.readLogs([ours])
        #expect(summary.intervals == 4)
        #expect(abs(summary.startTime - log.startTime) < 0.001)
        #expect(summary.count == log.total.totalCount)
        #expect(log.total.valuesAreEquivalent(summary.p99, log.total.valueAtPercentile(99)))

        // And a log its writer made.
        _ = try HdrPython.run("""
        import sys
        from hdrh.histogram import HdrHistogram
        from hdrh.log import HistogramLogWriter
        with open(sys.argv[1], "w") as out:
            writer = HistogramLogWriter(out)
            writer.output_log_format_version()
            out.write("#[StartTime: 1764460800.000 (seconds since epoch), Sun Nov 30 00:00:00 UTC 2025]\\n")  # (hdrh 0.10 writes this line wrongly)
            writer.output_legend()
            for second in range(3):
                h = HdrHistogram(1, 600000000, 3)
                for value in range(1, 1001):
                    h.record_value(value * (second + 1))
                writer.output_interval_histogram(h, second + 0.5, second + 1.5)
        """, [theirs])

        let read = try HistogramLog(text: String(contentsOfFile: theirs, encoding: .utf8))
        #expect(read.intervals.count == 3)
        #expect(read.total.totalCount == 3_000)
        #expect(abs(read.intervals[0].start - 1_764_460_800.5) < 0.001)
        #expect(read.total.valuesAreEquivalent(read.total.maxRecorded, 3_000))
    }

    @Test(arguments: [
        ("0.0,1.0,2.0", "line 1: expected [Tag=T,]start,length,max,histogram"),
        ("0.0,1.0,2.0,@@@", "line 1: the histogram is not base64"),
        ("#[StartTime: 5 (seconds since epoch)]\nTag=A,x,1.0,2.0,AAAA", "line 2: expected [Tag=T,]start,length,max,histogram"),
        ("0.0,1.0,2.0,HISTFAAAAA==", "line 1: encoded histogram cut short: no room for the compressed length"),
        ("0.0,1.0,2.0,HISTAAAAAAAA", "line 1: not an HdrHistogram V2 encoding"),
    ])
    func badLinesAreNamed(text: String, message: String) {
        do {
            _ = try HistogramLog(text: text)
            Issue.record("read")
        } catch {
            #expect(error.description.hasPrefix(String(message.prefix(30))), "\(error)")
        }
    }
}
