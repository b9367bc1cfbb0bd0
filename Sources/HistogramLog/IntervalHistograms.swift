import Histogram

/// Latencies recorded into one histogram per interval of a run (by the time each was
/// recorded), for an interval log. Recording touches only the current interval's histogram;
/// runs recorded apart (one per loop, one per machine) add up interval by interval.
public struct IntervalHistograms: Sendable {
    /// Seconds per interval.
    public let length: Double
    private var current: (index: Int, histogram: Histogram<UInt64>)?
    private var finished: [Int: Histogram<UInt64>] = [:]

    public init(length: Double = 1) {
        precondition(length > 0, "an interval must last")
        self.length = length
    }

    /// Records `value` in the interval holding `elapsed` (seconds since the run began).
    public mutating func record(_ value: UInt64, at elapsed: Double) {
        let index = Swift.max(0, Int(elapsed / length))
        if current?.index != index {
            flush()
            current = (index, Self.empty())
        }
        current!.histogram.record(value)
    }

    /// Adds another recorder's intervals to this one's.
    public mutating func add(_ other: IntervalHistograms) {
        flush()
        for (index, histogram) in other.all { finished[index, default: Self.empty()].add(histogram) }
    }

    /// The intervals as a log that began at `startTime` (seconds since the epoch) and lasted
    /// `elapsed` seconds (the last interval is cut there).
    public func log(startTime: Double, elapsed: Double, comments: [String] = []) -> HistogramLog {
        let intervals = all.sorted { $0.key < $1.key }.map { index, histogram in
            let start = Double(index) * length
            return HistogramLog.Interval(start: startTime + start, length: Swift.max(0.001, Swift.min(length, elapsed - start)),
                                         histogram: histogram)
        }
        return HistogramLog(startTime: startTime, intervals: intervals, comments: comments)
    }

    private var all: [Int: Histogram<UInt64>] {
        var all = finished
        if let current { all[current.index, default: Self.empty()].add(current.histogram) }
        return all
    }

    private mutating func flush() {
        guard let current else { return }
        finished[current.index, default: Self.empty()].add(current.histogram)
        self.current = nil
    }

    /// Microseconds from 1 µs to 1 hour at 3 digits: the layout `load` and `fetch` use.
    public static func empty() -> Histogram<UInt64> {
        Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
    }
}
