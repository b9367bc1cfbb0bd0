/// Test bodies that are not repetitive at any short period, made at memcpy speed: a
/// 4,093-byte block (a prime length, so chunk and buffer boundaries never line up with it)
/// tiled from an offset. Per-byte generation is far too slow under the sanitizers.
public enum TestBytes {
    private static let block: [UInt8] = {
        var state: UInt32 = 0x9E37_79B9
        return (0..<4_093).map { _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: state >> 24)
        }
    }()

    /// `count` bytes starting at `seed`'s offset into the tiled block.
    public static func make(count: Int, seed: Int = 0) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var start = seed.magnitude % UInt(block.count)
        while out.count < count {
            let take = Swift.min(block.count - Int(start), count - out.count)
            out.append(contentsOf: block[Int(start)..<(Int(start) + take)])
            start = 0
        }
        return out
    }
}
