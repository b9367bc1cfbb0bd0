import Foundation
import Histogram
import HistogramLog
import Testing
import TestSupport

/// The V2 encoding against itself and against HdrHistogram's Python port (PyPI `hdrhistogram`),
/// an independent implementation of the same format.
@Suite struct HistogramEncodingTests {
    /// Latency-like values: most small, a long tail, some zeros and a few at the top.
    static func sample(seed: UInt64, count: Int, lowest: UInt64 = 1, highest: UInt64 = 600_000_000,
                       digits: SignificantDigits = .three) -> (Histogram<UInt64>, [UInt64]) {
        var random = SplitMix64(seed: seed)
        var histogram = Histogram<UInt64>(lowestDiscernibleValue: lowest, highestTrackableValue: highest, numberOfSignificantValueDigits: digits)
        var values: [UInt64] = []
        for index in 0..<count {
            let value: UInt64 = switch index % 10 {
            case 0: 0
            case 9: UInt64.random(in: highest / 2...highest, using: &random)
            default: UInt64.random(in: 1...2_000, using: &random) << UInt64.random(in: 0...12, using: &random)
            }
            values.append(value)
            histogram.record(value)
        }
        return (histogram, values)
    }

    static let layouts: [(UInt64, UInt64, SignificantDigits)] = [
        (1, 600_000_000, .three), (1, 3_600_000_000, .two), (1_000, 60_000_000_000, .three), (1, 1 << 40, .five), (1, 2, .zero),
    ]

    @Test(arguments: 0..<layouts.count)
    func decodingGivesBackEveryCounter(layout: Int) throws {
        let (lowest, highest, digits) = Self.layouts[layout]
        let (histogram, values) = Self.sample(seed: UInt64(layout) + 1, count: 5_000, lowest: lowest, highest: highest, digits: digits)
        for encoded in [HistogramEncoding.encode(histogram), HistogramEncoding.encodeCompressed(histogram)] {
            let decoded = try HistogramEncoding.decode(encoded)
            #expect(decoded.totalCount == histogram.totalCount)
            #expect(decoded.lowestDiscernibleValue == lowest)
            #expect(decoded.numberOfSignificantValueDigits == digits)
            #expect(decoded.maxRecorded == histogram.max || decoded.max == histogram.max)
            for value in Set(values) where value <= highest {
                #expect(decoded.countForValue(value) == histogram.countForValue(value))
            }
            for percentile in [0.0, 50, 90, 99, 99.9, 100] {
                #expect(histogram.valuesAreEquivalent(decoded.valueAtPercentile(percentile), histogram.valueAtPercentile(percentile)))
            }
        }
    }

    @Test func anEmptyHistogramRoundTrips() throws {
        let empty = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
        let decoded = try HistogramEncoding.decode(HistogramEncoding.encodeCompressed(empty))
        #expect(decoded.totalCount == 0)
    }

    @Test func pythonReadsOursAndWeReadPythons() throws {
        guard HdrPython.isAvailable else {
            Issue.record("PyPI hdrhistogram is missing at \(HdrPython.path) (scripts/setup.sh creates it)")
            return
        }
        let (histogram, values) = Self.sample(seed: 42, count: 20_000)
        let ours = Data(HistogramEncoding.encodeCompressed(histogram)).base64EncodedString()
        let script = """
        import sys
        from hdrh.histogram import HdrHistogram
        mine = HdrHistogram.decode(sys.argv[1])
        print(mine.get_total_count(), mine.get_max_value(), *[mine.get_value_at_percentile(p) for p in (50, 90, 99, 99.9)])
        theirs = HdrHistogram(1, 600000000, 3)
        for line in sys.stdin:
            theirs.record_value(int(line))
        print(theirs.encode().decode())
        """
        let output = try HdrPython.run(script, [ours], input: Array(values.map(String.init).joined(separator: "\n").utf8))
        let lines = output.split(separator: "\n")
        try #require(lines.count == 2)
        let numbers = lines[0].split(separator: " ").compactMap { UInt64($0) }
        try #require(numbers.count == 6)
        #expect(numbers[0] == histogram.totalCount)
        #expect(histogram.valuesAreEquivalent(numbers[1], histogram.maxRecorded))
        for (index, percentile) in [50.0, 90, 99, 99.9].enumerated() {
            #expect(histogram.valuesAreEquivalent(numbers[2 + index], histogram.valueAtPercentile(percentile)), "p\(percentile)")
        }
        let theirs = try HistogramEncoding.decode(Array(try #require(Data(base64Encoded: String(lines[1])))))
        #expect(theirs.totalCount == histogram.totalCount)
        for value in Set(values) { #expect(theirs.countForValue(value) == histogram.countForValue(value)) }
    }

    /// Broken, hostile or foreign bytes get a typed error naming what is wrong, never a trap.
    @Test func badEncodingsAreNamed() throws {
        let (histogram, _) = Self.sample(seed: 7, count: 1_000)
        let plain = HistogramEncoding.encode(histogram)
        let compressed = HistogramEncoding.encodeCompressed(histogram)
        func error(_ bytes: [UInt8]) -> HistogramLogError? {
            do { _ = try HistogramEncoding.decode(bytes); return nil } catch { return error }
        }
        #expect(error([]) == .truncated("no room for the cookie"))
        #expect(error([0x1c, 0x84, 0x93, 0x01, 0, 0, 0, 0]) == .unknownEncoding(cookie: 0x1c84_9301))
        if case .truncated = error(Array(plain.prefix(30))) {} else { Issue.record("a cut header: \(String(describing: error(Array(plain.prefix(30)))))") }
        if case .truncated = error(Array(plain.dropLast(3))) {} else { Issue.record("a cut payload") }
        if case .truncated = error(Array(compressed.dropLast(5))) {} else { Issue.record("a cut compressed payload") }
        var corrupt = compressed
        corrupt[12] ^= 0xff
        if case .badCompression = error(corrupt) {} else { Issue.record("corrupt zlib: \(String(describing: error(corrupt)))") }
        var digits = plain
        digits[15] = 9
        #expect(error(digits) == .badHeader("9 significant digits (0 to 5)"))
        var lowest = plain
        for index in 16..<24 { lowest[index] = 0 }
        if case .badHeader = error(lowest) {} else { Issue.record("lowest 0") }
        // A payload claiming a run of 2^39 empty counters, then a count: past any range.
        var header = Array(plain.prefix(40))
        let payload: [UInt8] = [0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x02]
        header[4...7] = [0, 0, 0, UInt8(payload.count)]
        if case .badPayload = error(header + payload) {} else { Issue.record("a huge run: \(String(describing: error(header + payload)))") }
    }
}
