/// Eight bytes of a word tested at once (SWAR): each test gives a mask with the high bit set
/// in every byte lane that matches. Exact as to whether any lane matches, and the lowest
/// flagged lane is a real match (borrows only run upwards, past a true one). Shared by the
/// parser's scans and the server's access-log escaping: SPI, not API, and public only so that
/// other modules can inline it (a `package` function's body was not, and each test became a
/// call: the access log's escaping went from 870 to 2,035 instructions per line).
@_spi(ByteScanning) public enum ByteLanes {
    /// 0x01 in every lane (constants, not stored: a stored static read from another module's
    /// inlined code goes through its lazy initializer's check each time).
    @inlinable public static var ones: UInt64 { 0x0101_0101_0101_0101 }
    /// 0x80 in every lane.
    @inlinable public static var highs: UInt64 { 0x8080_8080_8080_8080 }

    /// Lanes equal to `byte`.
    @inlinable @inline(__always)
    public static func equal(_ word: UInt64, _ byte: UInt8) -> UInt64 {
        let difference = word ^ (ones &* UInt64(byte))
        return (difference &- ones) & ~difference & highs
    }

    /// Lanes below `limit` (at most 0x80).
    @inlinable @inline(__always)
    public static func below(_ word: UInt64, _ limit: UInt8) -> UInt64 {
        (word &- ones &* UInt64(limit)) & ~word & highs
    }

    /// Lanes at 0x80 or above.
    @inlinable @inline(__always)
    public static func high(_ word: UInt64) -> UInt64 { word & highs }
}

/// Finding a byte fast without the C library: eight bytes per step (SWAR).
enum ByteSearch {

    /// The index of the first `byte` in `buffer` at or after `start`, or nil.
    @inline(__always)
    static func firstIndex(of byte: UInt8, in buffer: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let base = buffer.baseAddress else { return nil }
        let count = buffer.count
        var index = start
        while index &+ 8 <= count {
            let found = ByteLanes.equal(base.loadUnaligned(fromByteOffset: index, as: UInt64.self), byte)
            if found != 0 { return index &+ (UInt64(littleEndian: found).trailingZeroBitCount >> 3) }
            index &+= 8
        }
        while index < count {
            if base.load(fromByteOffset: index, as: UInt8.self) == byte { return index }
            index &+= 1
        }
        return nil
    }
}
