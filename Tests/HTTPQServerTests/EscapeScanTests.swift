@testable import HTTPQServer
import Testing
import TestSupport

/// The access log's scan for bytes to escape (SSE2 sixteen at a time on x86-64), against the
/// rule byte by byte: every byte value at every position of fields up to 50 bytes long, from
/// the start and from just before or at the byte, in both modes (nginx's and JSON's).
@Suite struct EscapeScanTests {
    static func isSuspect(_ byte: UInt8, escapingHighBytes: Bool) -> Bool {
        byte == 0x22 || byte == 0x5C || byte < 0x20 || (escapingHighBytes && byte > 0x7E)
    }

    @Test(arguments: [true, false])
    func findsEveryByteValueAtEveryPosition(escapingHighBytes: Bool) {
        var failures = 0
        for length in 1...50 {
            for position in 0..<length {
                for value in 0...255 {
                    var bytes = Array(repeating: UInt8(ascii: "q"), count: length)
                    bytes[position] = UInt8(value)
                    let expected = Self.isSuspect(UInt8(value), escapingHighBytes: escapingHighBytes) ? position : length
                    bytes.withUnsafeBufferPointer { buffer in
                        for start in Set([0, position, min(position + 1, length)]) {
                            let found = EscapeScan.firstSuspect(buffer, from: start, escapingHighBytes: escapingHighBytes)
                            let wanted = start <= position ? expected : length
                            if found != wanted {
                                failures += 1
                                if failures < 10 { Issue.record("byte \(value) at \(position) of \(length) from \(start): \(found), not \(wanted)") }
                            }
                        }
                    }
                }
            }
        }
        #expect(failures == 0)
    }

    /// Random fields: the first suspect byte from random starts, against a walk byte by byte.
    @Test func agreesWithAWalkOnRandomFields() {
        var generator = SplitMix64(seed: 0x5EED)
        for _ in 0..<20_000 {
            let length = Int(generator.next() % 80)
            let bytes = (0..<length).map { _ -> UInt8 in
                // Mostly plain bytes, now and then anything.
                generator.next() % 10 == 0 ? UInt8(truncatingIfNeeded: generator.next()) : UInt8(0x20 + generator.next() % 0x5F)
            }
            let start = length == 0 ? 0 : Int(generator.next() % UInt64(length + 1))
            let high = generator.next() & 1 == 0
            let wanted = bytes[start...].firstIndex { Self.isSuspect($0, escapingHighBytes: high) } ?? length
            let found = bytes.withUnsafeBufferPointer { EscapeScan.firstSuspect($0, from: start, escapingHighBytes: high) }
            #expect(found == wanted, "\(bytes) from \(start), high bytes \(high)")
        }
    }
}
