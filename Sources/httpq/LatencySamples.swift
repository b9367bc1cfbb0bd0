import Histogram

/// One host's fetch latencies (microseconds) for the summary table: kept exactly while few,
/// in an HdrHistogram once many.
///
/// Why not a histogram from the first: a crawl touches most hosts a handful of times, and a
/// histogram of 1 µs to 10 min at 3 digits is ~20,000 counters (160 KB, zeroed page by page)
/// walked from the start for every percentile, through generic code. With 2,000 hosts that
/// was most of `fetch`'s CPU (5,000 URLs: 2.7 s of CPU, curl 1.1 s). A few hundred values
/// sort in microseconds, and their percentiles are exact.
struct LatencySamples {
    /// Values kept exactly up to this many (32 KiB, a fifth of one histogram); past it, they
    /// move into a histogram. At 256, ten hosts of 500 fetches each went to histograms, and
    /// the summary's 30 percentiles were 10% of the whole run (a million instructions each).
    static let exactLimit = 4_096

    private var exact: [UInt64] = []
    private var histogram: Histogram<UInt64>?

    var count: Int { histogram.map { Int($0.totalCount) } ?? exact.count }

    mutating func record(_ micros: UInt64) {
        if histogram != nil {
            histogram!.record(micros)
            return
        }
        exact.append(micros)
        if exact.count > Self.exactLimit {
            var moved = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
            for value in exact { moved.record(value) }
            histogram = moved
            exact = []
        }
    }

    /// The values at `percentiles` (0 to 100), in order; nil when nothing was recorded.
    /// Exact values by nearest rank (as HdrHistogram ranks), or HdrHistogram's.
    func values(at percentiles: [Double]) -> [UInt64]? {
        if let histogram { return percentiles.map { histogram.valueAtPercentile($0) } }
        guard !exact.isEmpty else { return nil }
        let sorted = exact.sorted()
        return percentiles.map { percentile in
            let rank = max(1, Int((percentile / 100 * Double(sorted.count)).rounded()))
            return sorted[min(rank, sorted.count) - 1]
        }
    }
}
