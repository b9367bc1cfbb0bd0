/// Why a coded body could not be decoded; each message says what to look at.
public enum DecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// `Content-Encoding` names a coding httpq cannot decode (`compress`, `zstd`, ...).
    case unsupported(String)
    /// The stream is not valid for its coding; `detail` is the library's message.
    case corrupt(ContentCoding, detail: String)
    /// The body ended before its coded stream did.
    case truncated(ContentCoding)
    /// Bytes followed the end of the coded stream.
    case trailingData(ContentCoding)
    /// Decoding would exceed the output limit (bytes): a decompression bomb, or a limit set too low.
    case tooLarge(limit: Int)
    /// The output grew more than `limit` times the input: a decompression bomb.
    case ratioExceeded(limit: Int)

    public var description: String {
        switch self {
        case .unsupported(let name): "the body is coded with \(name), which httpq cannot decode (gzip, deflate and br can be)"
        case .corrupt(let coding, let detail): "the \(coding.rawValue) body is corrupt: \(detail)"
        case .truncated(let coding): "the \(coding.rawValue) body ended before its compressed stream did"
        case .trailingData(let coding): "bytes follow the end of the \(coding.rawValue) stream"
        case .tooLarge(let limit): "the decoded body is larger than the limit of \(limit) bytes"
        case .ratioExceeded(let limit): "the body expands more than \(limit) times when decoded (a decompression bomb?)"
        }
    }
}
