/// Size limits the parser enforces; exceeding one is an `HTTPQError`, never a crash or
/// unbounded memory.
public struct Limits: Hashable, Sendable {
    /// Largest head (start line, fields, final empty line) in bytes. Also bounds trailers.
    public var maxHeadBytes: Int
    /// Most header fields in one head (and, separately, trailer fields).
    public var maxFieldCount: Int
    /// Longest single line (start line, field line, chunk-size line) in bytes.
    public var maxLineBytes: Int
    /// Largest body kept in `body` when the message keeps its body. Streaming (not keeping)
    /// has no limit.
    public var maxBodyBytes: Int

    /// Creates limits; the defaults are the ones of `Limits.default`.
    public init(
        maxHeadBytes: Int = 80 * 1024,
        maxFieldCount: Int = 128,
        maxLineBytes: Int = 16 * 1024,
        maxBodyBytes: Int = 64 * 1024 * 1024
    ) {
        self.maxHeadBytes = maxHeadBytes
        self.maxFieldCount = maxFieldCount
        self.maxLineBytes = maxLineBytes
        self.maxBodyBytes = maxBodyBytes
    }

    /// 80 KiB heads, 128 fields, 16 KiB lines, 64 MiB kept bodies.
    public static let `default` = Limits()
}

/// Named opt-outs from strict parsing. The default is none: strict.
public struct Leniency: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    /// Creates a set from its raw bits.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Accept a line ending in LF alone (RFC 9112 §2.2 allows recipients to).
    public static let bareLineFeed = Leniency(rawValue: 1 << 0)
}
