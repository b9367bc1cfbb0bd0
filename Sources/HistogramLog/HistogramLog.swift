import FoundationEssentials
import Histogram

/// HdrHistogram's interval log (format 1.3): comment lines, `#[StartTime: ...]` and
/// `#[BaseTime: ...]`, a legend, then one line per interval,
/// `[Tag=T,]start,length,max,base64(V2 compressed histogram)`. HistogramLogProcessor (Java),
/// hdrh (Python) and `httpq merge` read it; logs from many generators add up without loss.
public struct HistogramLog: Sendable {
    /// One interval's histogram and when it was recorded.
    public struct Interval: Sendable {
        /// Seconds since the epoch at which the interval began.
        public var start: Double
        /// Seconds the interval lasted.
        public var length: Double
        public var tag: String?
        public var histogram: Histogram<UInt64>

        public init(start: Double, length: Double, tag: String? = nil, histogram: Histogram<UInt64>) {
            self.start = start
            self.length = length
            self.tag = tag
            self.histogram = histogram
        }
    }

    /// Seconds since the epoch at which recording began (`#[StartTime: ...]`).
    public var startTime: Double
    public var intervals: [Interval]
    /// Comment lines, without their `#`, other than the start and base times.
    public var comments: [String]

    public init(startTime: Double, intervals: [Interval] = [], comments: [String] = []) {
        self.startTime = startTime
        self.intervals = intervals
        self.comments = comments
    }

    /// The log as text. Interval stamps are relative to the start time (written as the base
    /// time too); `maxValueUnitRatio` divides the values for the `Interval_Max` column (1,000
    /// turns microseconds into milliseconds).
    public func text(maxValueUnitRatio: Double = 1_000) -> String {
        var lines = ["#[Histogram log format version 1.3]"]
        lines += comments.map { "#" + $0 }
        lines.append("#[StartTime: \(Self.seconds(startTime)) (seconds since epoch), \(Date(timeIntervalSince1970: startTime))]")
        lines.append("#[BaseTime: \(Self.seconds(startTime)) (seconds since epoch)]")
        lines.append(#""StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram""#)
        for interval in intervals {
            let encoded = Data(HistogramEncoding.encodeCompressed(interval.histogram)).base64EncodedString()
            let max = interval.histogram.totalCount == 0 ? 0 : Double(interval.histogram.max) / maxValueUnitRatio
            lines.append((interval.tag.map { "Tag=\($0)," } ?? "")
                         + "\(Self.seconds(interval.start - startTime)),\(Self.seconds(interval.length)),\(Self.seconds(max)),\(encoded)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Reads a log. Stamps become absolute as HdrHistogram's readers make them: relative to
    /// `#[BaseTime]` when given, else relative to `#[StartTime]` when they are more than a year
    /// before it, else absolute.
    public init(text: String) throws(HistogramLogError) {
        var startTime: Double?
        var baseTime: Double?
        var intervals: [Interval] = []
        var comments: [String] = []
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = trimmedBlanks(raw)
            if line.isEmpty || line.hasPrefix("\"StartTimestamp\"") { continue }
            if line.hasPrefix("#") {
                if let value = Self.stamp(after: "#[StartTime:", in: line) { startTime = value }
                else if let value = Self.stamp(after: "#[BaseTime:", in: line) { baseTime = value }
                else if !line.hasPrefix("#[Histogram log format") { comments.append(String(line.dropFirst())) }
                continue
            }
            var fields = line.split(separator: ",", maxSplits: 4, omittingEmptySubsequences: false).map(String.init)
            var tag: String?
            if fields.first?.hasPrefix("Tag=") == true {
                tag = String(fields.removeFirst().dropFirst(4))
                fields = fields.joined(separator: ",").split(separator: ",", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
            }
            guard fields.count == 4, let stamp = Double(fields[0]), let length = Double(fields[1]), Double(fields[2]) != nil else {
                throw .badLine(number: offset + 1, reason: "expected [Tag=T,]start,length,max,histogram")
            }
            guard let bytes = Data(base64Encoded: fields[3]) else {
                throw .badLine(number: offset + 1, reason: "the histogram is not base64")
            }
            let histogram: Histogram<UInt64>
            do { histogram = try HistogramEncoding.decode(Array(bytes)) } catch {
                throw .badLine(number: offset + 1, reason: error.description)
            }
            let start = startTime ?? stamp
            let base = baseTime ?? (stamp < start - 365 * 24 * 3600 ? start : 0)
            if startTime == nil { startTime = stamp }
            intervals.append(Interval(start: base + stamp, length: length, tag: tag, histogram: histogram))
        }
        self.init(startTime: startTime ?? 0, intervals: intervals, comments: comments)
    }

    /// All intervals added into one histogram (exact: the counters add).
    public var total: Histogram<UInt64> {
        var total = Histogram<UInt64>(numberOfSignificantValueDigits: intervals.first?.histogram.numberOfSignificantValueDigits ?? .three)
        for interval in intervals { total.addValues(of: interval.histogram) }
        return total
    }

    /// The span from the first interval's start to the last one's end, in seconds since the epoch.
    public var span: ClosedRange<Double>? {
        guard let first = intervals.map(\.start).min(), let last = intervals.map({ $0.start + $0.length }).max() else { return nil }
        return first...max(first, last)
    }

    private static func stamp(after prefix: String, in line: String) -> Double? {
        guard line.hasPrefix(prefix) else { return nil }
        return line.dropFirst(prefix.count).split(separator: " ").first.flatMap { Double($0) }
    }

    /// Seconds with three decimals, as HdrHistogram writes them.
    static func seconds(_ value: Double) -> String { printfFormatted("%.3f", value) }
}

extension Histogram where Count == UInt64 {
    /// Adds another histogram's counts value by value, so histograms of different ranges or
    /// precision still add (`add` wants the same layout); exact when the layouts match.
    public mutating func addValues(of other: Histogram<UInt64>) {
        autoResize = true
        if other.totalCount == 0 { return }
        for bucket in other.recordedValues() {
            record(bucket.value, count: bucket.count)
        }
    }
}
