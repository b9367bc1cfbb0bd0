/// Finding a byte fast without the C library: eight bytes per step (SWAR).
enum ByteSearch {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// The index of the first `byte` in `buffer` at or after `start`, or nil.
    @inline(__always)
    static func firstIndex(of byte: UInt8, in buffer: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let base = buffer.baseAddress else { return nil }
        let count = buffer.count
        var index = start
        let pattern = ones &* UInt64(byte)
        while index &+ 8 <= count {
            let word = base.loadUnaligned(fromByteOffset: index, as: UInt64.self) ^ pattern
            let found = (word &- ones) & ~word & highs
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
