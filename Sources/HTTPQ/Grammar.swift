/// The RFC 9110/9112 character classes, spelled as named 256-bit sets (h11's `_abnf.py`
/// in spirit). Membership is two shifts and a mask: no tables to load, no branches.
struct ByteSet: Sendable {
    let w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    @inline(__always)
    func contains(_ byte: UInt8) -> Bool {
        let word: UInt64
        switch byte >> 6 {
        case 0: word = w0
        case 1: word = w1
        case 2: word = w2
        default: word = w3
        }
        return (word >> UInt64(byte & 63)) & 1 == 1
    }
}

enum Grammar {
    /// `tchar` as a 256-entry table of ASCII '0'/'1': one load per byte, no branches, and a
    /// StaticString costs no lazy initialisation.
    private static let tokenTable: StaticString = "0000000000000000000000000000000001011111001101101111111111000000011111111111111111111111111000111111111111111111111111111110101000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"

    /// Whether `byte` is a `tchar` (fast path for names and methods).
    @inline(__always)
    static func isToken(_ byte: UInt8) -> Bool { tokenTable.utf8Start[Int(byte)] == 0x31 }

    /// The index of the first byte in `bytes[range]` that may not appear in a field value
    /// (controls other than HTAB, and DEL), or nil: in a well-formed field line scanned to
    /// its end, the CR. Eight bytes per step.
    @inline(__always)
    static func firstInvalidFieldValueByte(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        var index = range.lowerBound
        let end = range.upperBound
        while index &+ 8 <= end {
            let word = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            // A byte below 0x20, or DEL. The lowest flagged byte is exact; a tab is allowed, so
            // go on after it.
            let found = ByteLanes.below(word, 0x20) | ByteLanes.equal(word, 0x7F)
            if found != 0 {
                let at = index &+ (found.trailingZeroBitCount >> 3)
                if base.load(fromByteOffset: at, as: UInt8.self) != tab { return at }
                index = at &+ 1
                continue
            }
            index &+= 8
        }
        while index < end {
            if !fieldValue.contains(base.load(fromByteOffset: index, as: UInt8.self)) { return index }
            index &+= 1
        }
        return nil
    }

    /// `field-vchar / SP / HTAB` including obs-text: everything but controls and DEL.
    static let fieldValue = ByteSet(
        w0: 0xFFFF_FFFF_0000_0200, w1: 0x7FFF_FFFF_FFFF_FFFF,
        w2: 0xFFFF_FFFF_FFFF_FFFF, w3: 0xFFFF_FFFF_FFFF_FFFF)
    /// Visible ASCII (`VCHAR`): the bytes of a request target.
    static let target = ByteSet(w0: 0xFFFF_FFFE_0000_0000, w1: 0x7FFF_FFFF_FFFF_FFFF, w2: 0, w3: 0)

    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A
    static let semicolon: UInt8 = 0x3B
    static let comma: UInt8 = 0x2C

    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool { byte == space || byte == tab }

    /// The value of a hexadecimal digit, or nil.
    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt64? {
        switch byte {
        case 0x30...0x39: UInt64(byte &- 0x30)
        case 0x41...0x46: UInt64(byte &- 0x41 &+ 10)
        case 0x61...0x66: UInt64(byte &- 0x61 &+ 10)
        default: nil
        }
    }

    @inline(__always)
    static func isAlpha(_ byte: UInt8) -> Bool { (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A }

    /// Byte-for-byte comparison with an ASCII literal (methods are case-sensitive).
    @inline(__always)
    static func equalsExactly(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        for index in 0..<bytes.count where bytes[index] != literal.utf8Start[index] { return false }
        return true
    }

    /// ASCII case-insensitive comparison of raw bytes with a lowercase ASCII literal.
    @inline(__always)
    static func equalsLowercase(_ bytes: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        let literal = lowercase.utf8Start
        for index in 0..<bytes.count where bytes[index] | 0x20 != literal[index] {
            // `| 0x20` folds letters; a non-letter only matches when equal as written.
            if bytes[index] != literal[index] { return false }
        }
        return true
    }
}
