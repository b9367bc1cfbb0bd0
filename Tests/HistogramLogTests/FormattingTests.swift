import Foundation
@testable import HistogramLog
import Testing

/// The printf and trimming helpers that replaced Foundation's in the tool give what
/// Foundation gave (it is linked here, in the tests, to compare).
@Suite struct FormattingTests {
    @Test(arguments: [0, 0.0005, 0.0015, 1, 2.5, 99.999, 100, 1_796_085_224.9625, -3.14159, 1e300])
    func printfMatchesStringFormat(_ value: Double) {
        #expect(printfFormatted("%.3f", value) == String(format: "%.3f", value))
        #expect(printfFormatted("%7.3f%%", value) == String(format: "%7.3f%%", value))
    }

    @Test(arguments: ["", "  ", "\t x \t", "a b", " #[StartTime: 1.0 ]  ", "é "])
    func trimmingBlanksMatchesFoundationOnSpacesAndTabs(_ text: String) {
        #expect(trimmedBlanks(text) == text.trimmingCharacters(in: .whitespaces))
    }
}
