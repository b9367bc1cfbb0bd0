/// Decodes a body coded with one or more content codings, slice by slice as it arrives:
/// each decoded piece is handed on during the call (64 KiB at most; memory stays flat
/// whatever the size), and `DecodingLimits` bound the total and the expansion.
///
/// ```swift
/// let decoder = try ContentDecoder(contentEncoding: "gzip")
/// try decoder.decode(slice) { piece in sink.write(piece) }
/// try decoder.finish() // throws if the stream was cut short
/// ```
///
/// A class: it owns the C libraries' stream state, which must not move.
public final class ContentDecoder {
    /// The codings in the order they are undone (the reverse of the header's).
    public let codings: [ContentCoding]
    private let stages: [any StreamDecoder]
    private let limits: DecodingLimits
    private var bytesIn = 0
    private var bytesOut = 0

    /// A decoder for a `Content-Encoding` value (`gzip`, `br`, `gzip, br`, ...); nil when it
    /// names no coding (`identity`, empty). Throws `unsupported` for one it cannot decode.
    public convenience init?(contentEncoding: String, limits: DecodingLimits = DecodingLimits()) throws(DecodingError) {
        let applied = try ContentCoding.list(contentEncoding)
        guard !applied.isEmpty else { return nil }
        self.init(undoing: applied, limits: limits)
    }

    /// A decoder undoing `applied` (in the order they were applied).
    public init(undoing applied: [ContentCoding], limits: DecodingLimits = DecodingLimits()) {
        codings = applied.reversed()
        stages = codings.map { coding -> any StreamDecoder in
            switch coding {
            case .gzip, .deflate: ZlibDecoder(coding)
            case .br: BrotliStreamDecoder()
            }
        }
        self.limits = limits
    }

    /// Decodes `input`, handing each decoded piece to `emit` (valid only during the call).
    public func decode(_ input: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) -> Void) throws(DecodingError) {
        bytesIn += input.count
        try run(stage: 0, input, emit)
    }

    /// The body ended: throws `truncated` if a stream did not (an empty body is fine).
    public func finish() throws(DecodingError) {
        for stage in stages { try stage.finish() }
    }

    /// Coded bytes taken in and decoded bytes handed out so far.
    public var counts: (input: Int, output: Int) { (bytesIn, bytesOut) }

    /// Feeds `input` to stage `index`, and what it produces to the next, then out.
    private func run(stage index: Int, _ input: UnsafeRawBufferPointer, _ emit: (UnsafeRawBufferPointer) -> Void) throws(DecodingError) {
        guard index < stages.count else {
            bytesOut += input.count
            if bytesOut > limits.maxBytes { throw .tooLarge(limit: limits.maxBytes) }
            if bytesOut > limits.ratioGrace && bytesOut / max(1, bytesIn) > limits.maxRatio {
                throw .ratioExceeded(limit: limits.maxRatio)
            }
            emit(input)
            return
        }
        try stages[index].decode(input) { piece throws(DecodingError) in
            try run(stage: index + 1, piece, emit)
        }
    }
}

/// One coding's streaming decoder (a zlib or brotli stream).
protocol StreamDecoder: AnyObject {
    /// Decodes `input`, passing each decoded piece on.
    func decode(_ input: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws(DecodingError) -> Void) throws(DecodingError)
    /// Throws `truncated` unless the stream ended (or never started).
    func finish() throws(DecodingError)
}

/// The size of each decoded piece.
let decodedPieceSize = 65_536
