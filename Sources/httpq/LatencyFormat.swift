import FoundationEssentials
import HistogramLog
import Histogram

/// How `load` and `merge` print latencies (recorded in microseconds, shown in milliseconds)
/// and counts by key, one way for both.
enum LatencyFormat {
    /// The percentiles of a JSON latency summary (then `max`).
    static let summaryPercentiles: [(String, Double)] = [("p50", 50), ("p90", 90), ("p99", 99), ("p99.9", 99.9), ("p99.99", 99.99)]
    /// The rows of wrk2's distribution table.
    static let distribution: [Double] = [50, 75, 90, 99, 99.9, 99.99, 99.999, 100]

    static func ms(_ micros: UInt64) -> String { format2(Double(micros) / 1_000) + "ms" }

    /// wrk2's `--latency` table under `title`.
    static func table(_ title: String, _ histogram: Histogram<UInt64>) -> [String] {
        ["  \(title)"] + distribution.map { percentile in
            let value = ms(histogram.valueAtPercentile(percentile))
            return " \(printfFormatted("%7.3f%%", percentile)) \(String(repeating: " ", count: max(0, 10 - value.count)))\(value)"
        }
    }

    /// `{"p50": ms, ..., "max": ms}` (zeros when nothing was recorded).
    static func summary(_ histogram: Histogram<UInt64>, into object: inout JSONWriter) {
        let empty = histogram.totalCount == 0
        for (label, percentile) in summaryPercentiles {
            object.double(label, empty ? 0 : Double(histogram.valueAtPercentile(percentile)) / 1_000)
        }
        object.double("max", empty ? 0 : Double(histogram.max) / 1_000)
    }

    /// `key n, key n` in key order.
    static func counts<Key: Comparable>(_ counts: [Key: Int]) -> String {
        counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }

    /// `{"key": n, ...}` in key order.
    static func counts<Key: Comparable>(_ counts: [Key: Int], into object: inout JSONWriter) {
        for (key, count) in counts.sorted(by: { $0.key < $1.key }) { object.number("\(key)", count) }
    }
}
