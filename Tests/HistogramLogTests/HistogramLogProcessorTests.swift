import Foundation
import Histogram
import HistogramLog
import Testing
import TestSupport

/// The log read by HdrHistogram's own tool, the Java HistogramLogProcessor (Debian's
/// libhdrhistogram-java): the reader the format is defined by.
@Suite struct HistogramLogProcessorTests {
    static let jar = "/usr/share/java/hdrhistogram.jar"

    @Test func histogramLogProcessorReadsOurLog() throws {
        guard let java = ChildProcess.which("java"), FileManager.default.fileExists(atPath: Self.jar) else {
            Issue.record("java or \(Self.jar) is missing (scripts/setup.sh installs default-jre-headless and libhdrhistogram-java)")
            return
        }
        let log = HistogramLogTests.log()
        let (directory, input) = try HistogramLogTests.written(log)
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("out").path
        let result = try ChildProcess.run(java, ["-cp", Self.jar, "org.HdrHistogram.HistogramLogProcessor",
                                                 "-i", input, "-csv", "-outputValueUnitRatio", "1", "-o", output], timeout: .seconds(120))
        #expect(result.status == 0, "\(result.stderrText)")
        // `#` comments, a legend, then one row per interval:
        // Timestamp, Int_Count, Int_50%, Int_90%, Int_Max, Total_Count, Total_50%, ..., Total_Max
        let rows = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n")
            .filter { !$0.hasPrefix("\"") && !$0.hasPrefix("#") }
        #expect(rows.count == log.intervals.count)
        let last = try #require(rows.last).split(separator: ",").compactMap { Double($0) }
        try #require(last.count == 12, "\(rows)")
        let total = log.total
        #expect(UInt64(last[5]) == total.totalCount)
        // Values as recorded (unit ratio 1), each of the same bucket as ours.
        for (index, percentile) in [(6, 50.0), (7, 90), (8, 99), (9, 99.9)] {
            let theirs = UInt64(last[index])
            #expect(total.valuesAreEquivalent(theirs, total.valueAtPercentile(percentile)),
                    "p\(percentile): \(theirs) vs \(total.valueAtPercentile(percentile))")
        }
        #expect(total.valuesAreEquivalent(UInt64(last[11]), total.maxRecorded))
        for (row, interval) in zip(rows, log.intervals) {
            let count = row.split(separator: ",").compactMap { Double($0) }[1]
            #expect(UInt64(count) == interval.histogram.totalCount)
        }
    }
}
