/// Bounds on what decoding may produce, so a small hostile body (a decompression bomb: a few
/// KiB that inflate to gigabytes) ends in a typed error instead of filling memory or disk.
public struct DecodingLimits: Sendable, Hashable {
    /// Decoded bytes at most, in total.
    public var maxBytes: Int
    /// Decoded bytes at most per coded byte, checked once `ratioGrace` bytes have come out
    /// (a short, very repetitive body may expand far more, harmlessly).
    public var maxRatio: Int
    /// Output allowed before the ratio is checked.
    public var ratioGrace: Int

    /// Defaults: 1 GiB out, 100 times the input past the first MiB (text compresses 3–10x,
    /// a run of zeros 1,000x; bombs are built on the second).
    public init(maxBytes: Int = 1 << 30, maxRatio: Int = 100, ratioGrace: Int = 1 << 20) {
        self.maxBytes = maxBytes
        self.maxRatio = maxRatio
        self.ratioGrace = ratioGrace
    }
}
