import Foundation

/// Python with PyPI's `hdrhistogram` (module `hdrh`), HdrHistogram's Python port: an
/// independent reader and writer of the V2 encoding and the interval log. `scripts/setup.sh`
/// puts it in a virtual environment at `.build-venv` (not in the repository).
public enum HdrPython {
    public static let path: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build-venv/bin/python").path
    }()

    /// Whether the environment is there with `hdrh` importable.
    public static var isAvailable: Bool {
        guard FileManager.default.isExecutableFile(atPath: path) else { return false }
        return (try? ChildProcess.run(path, ["-c", "import hdrh"]))?.status == 0
    }

    /// Runs `script` with `arguments`; returns standard output, or throws with standard error.
    public static func run(_ script: String, _ arguments: [String] = [], input: [UInt8] = []) throws -> String {
        let output = try ChildProcess.run(path, ["-c", script] + arguments, input: input)
        guard output.status == 0 else { throw HdrPythonFailure(message: output.stderrText) }
        return output.stdoutText
    }
}

extension HdrPython {
    /// What HdrHistogram's own log reader makes of interval logs, all added together.
    public struct LogSummary: Sendable {
        public var intervals: Int
        /// The first log's `StartTime`, seconds since the epoch.
        public var startTime: Double
        public var count: UInt64
        /// p50, p90, p99 and p99.9, in the logs' units.
        public var p50, p90, p99, p999: UInt64
        public var max: UInt64
    }

    /// Reads `paths` with `hdrh.log.HistogramLogReader`, adding every interval into one histogram.
    public static func readLogs(_ paths: [String]) throws -> LogSummary {
        let script = """
        import sys
        from hdrh.histogram import HdrHistogram
        from hdrh.log import HistogramLogReader
        total = HdrHistogram(1, 3600000000, 3)
        intervals, start = 0, None
        for name in sys.argv[1:]:
            reader = HistogramLogReader(name, total)
            while reader.add_next_interval_histogram(total):
                intervals += 1
            start = reader.get_start_time_sec() if start is None else start
        print(intervals, start, total.get_total_count(), *[total.get_value_at_percentile(p) for p in (50, 90, 99, 99.9)], total.get_max_value())
        """
        let fields = try run(script, paths).split(whereSeparator: \.isWhitespace)
        guard fields.count == 8, let intervals = Int(fields[0]), let start = Double(fields[1]) else {
            throw HdrPythonFailure(message: "unexpected output: \(fields)")
        }
        let numbers = fields[2...].compactMap { UInt64($0) }
        guard numbers.count == 6 else { throw HdrPythonFailure(message: "unexpected output: \(fields)") }
        return LogSummary(intervals: intervals, startTime: start, count: numbers[0], p50: numbers[1], p90: numbers[2],
                          p99: numbers[3], p999: numbers[4], max: numbers[5])
    }
}

public struct HdrPythonFailure: Error, CustomStringConvertible {
    public let message: String
    public var description: String { "python hdrh failed: \(message)" }
}
