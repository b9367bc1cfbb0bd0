import Testing
@testable import HTTPQ

/// The eight-bytes-at-a-time scan agrees with the byte-at-a-time definition, for every byte
/// value in every lane of a word and with every byte that may follow it.
@Suite struct GrammarTests {
    @Test func firstInvalidFieldValueByteIsFoundAfterAnyRun() {
        for length in 0..<20 {
            for value in 0...255 {
                for next: UInt8 in [0x0D, 0x00, 0x41] {
                    let bytes = [UInt8](repeating: 0x78, count: length) + [UInt8(value), next] + [UInt8](repeating: 0x79, count: 8)
                    let found = bytes.withUnsafeBytes { Grammar.firstInvalidFieldValueByte($0, 0..<$0.count) }
                    let expected = bytes.firstIndex { !Grammar.fieldValue.contains($0) }
                    #expect(found == expected, "byte \(value) then \(next) after \(length)")
                }
            }
        }
        // Tabs are allowed wherever they fall, and the range's end is respected.
        let tabs = Array("a\tb\t\t\tcdefgh\tij\u{7F}".utf8)
        #expect(tabs.withUnsafeBytes { Grammar.firstInvalidFieldValueByte($0, 0..<$0.count) } == tabs.count - 1)
        #expect(tabs.withUnsafeBytes { Grammar.firstInvalidFieldValueByte($0, 0..<($0.count - 1)) } == nil)
    }
}
