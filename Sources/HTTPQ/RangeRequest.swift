/// What a `Range` field asks of a representation of `size` bytes (RFC 9110 §14.2), decided as
/// nginx decides it where the RFC leaves a choice, so the two answer alike:
/// - a unit other than `bytes` (or none): ignored, the whole representation (the RFC's MUST);
/// - a malformed range (not digits, a sign, a number past `Int.max`, no `-`, trailing bytes):
///   the field is rejected, 416 (the RFC's "MAY ignore or reject"; nginx and Go reject);
/// - a range whose last byte comes before its first (`5-2`) or that starts past the end
///   contributes nothing; with nothing left, 416;
/// - a range from the first byte of an empty representation: ignored, 200 with nothing (a
///   download resumed at 0 of an empty file is not an error; nginx answers so);
/// - empty list elements are skipped (RFC 9110 §5.6.1; nginx rejects them).
public enum RangeRequest: Hashable, Sendable {
    /// No usable `Range`: answer 200 with everything.
    case whole
    /// One satisfiable range: answer 206 with it.
    case single(Range<Int>)
    /// Several satisfiable ranges, in the order asked.
    case multiple([Range<Int>])
    /// No range can be satisfied, or the field is malformed: answer 416 with
    /// `Content-Range: bytes */size`.
    case unsatisfiable

    /// Evaluates the field value `value` (nil: no field) against `size`.
    public static func evaluate(_ value: String?, size: Int) -> RangeRequest {
        guard let value else { return .whole }
        var field = value
        return field.withUTF8 { evaluate(RangeBytes($0), size: size) }
    }

    private static func evaluate(_ bytes: RangeBytes, size: Int) -> RangeRequest {
        var bytes = bytes
        bytes.skipSpaces()
        guard bytes.skipUnit() else { return .whole }
        bytes.skipSpaces()
        if bytes.atEnd { return .whole } // `bytes=` and nothing: nothing asked
        var satisfiable: [Range<Int>] = []
        var sawSpec = false
        while true {
            bytes.skipSpaces()
            if bytes.skip(UInt8(ascii: ",")) { continue } // an empty list element
            if bytes.atEnd { break }
            sawSpec = true
            let first = bytes.number()
            bytes.skipSpaces()
            guard bytes.skip(UInt8(ascii: "-")) else { return .unsatisfiable }
            bytes.skipSpaces()
            let last = bytes.number()
            bytes.skipSpaces()
            guard bytes.atEnd || bytes.skip(UInt8(ascii: ",")) else { return .unsatisfiable }
            switch (first, last) {
            case (.overflow, _), (_, .overflow), (.none, .none):
                return .unsatisfiable
            case (.none, .value(let length)): // the last `length` bytes
                if size == 0 { return .whole }
                if length > 0 { satisfiable.append(Swift.max(0, size - length)..<size) }
            case (.value(let first), .none):
                if size == 0 && first == 0 { return .whole }
                if first < size { satisfiable.append(first..<size) }
            case (.value(let first), .value(let last)):
                guard last >= first else { continue } // `5-2`: no bytes
                if size == 0 && first == 0 { return .whole }
                if first < size { satisfiable.append(first..<Swift.min(last, size - 1) + 1) }
            }
        }
        guard sawSpec else { return .unsatisfiable } // `bytes=,`: no range at all
        switch satisfiable.count {
        case 0: return .unsatisfiable
        case 1: return .single(satisfiable[0])
        default: return .multiple(satisfiable)
        }
    }
}

/// A run of digits in a range: none, its value, or one too large for an `Int`.
private enum RangeNumber {
    case none
    case value(Int)
    case overflow
}

/// A cursor over a `Range` field's bytes.
private struct RangeBytes {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    var atEnd: Bool { index == bytes.count }

    mutating func skipSpaces() {
        while index < bytes.count && (bytes[index] == 32 || bytes[index] == 9) { index += 1 }
    }

    mutating func skip(_ byte: UInt8) -> Bool {
        guard index < bytes.count && bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// `bytes=`, the unit in any case.
    mutating func skipUnit() -> Bool {
        let unit: StaticString = "bytes="
        guard bytes.count - index >= unit.utf8CodeUnitCount else { return false }
        for offset in 0..<unit.utf8CodeUnitCount {
            let expected = unit.utf8Start[offset]
            let byte = bytes[index + offset]
            guard byte == expected || (expected != UInt8(ascii: "=") && byte | 0x20 == expected) else { return false }
        }
        index += unit.utf8CodeUnitCount
        return true
    }

    /// A run of ASCII digits.
    mutating func number() -> RangeNumber {
        let start = index
        var value = 0
        var overflowed = false
        while index < bytes.count && bytes[index] >= 48 && bytes[index] <= 57 {
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int(bytes[index] - 48))
            overflowed = overflowed || overflow1 || overflow2
            value = sum
            index += 1
        }
        if index == start { return .none }
        return overflowed ? .overflow : .value(value)
    }
}

extension String {
    /// Without leading and trailing spaces and tabs (RFC 9110's OWS).
    var trimmingOWS: Substring { self[...].trimmingOWS }
}

extension Substring {
    /// Without leading and trailing spaces and tabs (RFC 9110's OWS).
    var trimmingOWS: Substring {
        let text = self
        guard let first = text.firstIndex(where: { $0 != " " && $0 != "\t" }),
              let last = text.lastIndex(where: { $0 != " " && $0 != "\t" }) else { return text[text.endIndex...] }
        return text[first...last]
    }
}
