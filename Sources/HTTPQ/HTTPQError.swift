/// Everything that can be wrong with an HTTP/1.1 message, and the byte where it was found.
///
/// `offset` counts from the first byte of the message (leading empty lines before a
/// request included), so a person can find the fault in a capture.
public struct HTTPQError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong.
    public enum Kind: Hashable, Sendable {
        /// The request method is empty or holds a byte that is not a token character.
        case invalidMethod
        /// The request target is empty or holds a space, control or non-ASCII byte.
        case invalidTarget
        /// The start line does not have the shape `METHOD SP TARGET SP VERSION` or
        /// `VERSION SP STATUS SP REASON`.
        case malformedStartLine
        /// The version is not `HTTP/DIGIT.DIGIT`.
        case invalidVersion
        /// A well-formed version this parser does not speak (anything but HTTP/1.x).
        case unsupportedVersion
        /// The status code is not three digits.
        case invalidStatus
        /// The reason phrase holds a control character.
        case invalidReason
        /// A field name is empty or holds a byte that is not a token character.
        case invalidFieldName
        /// Whitespace between a field name and its colon (RFC 9112 §5.1: must be rejected).
        case whitespaceBeforeColon
        /// A field line without a colon.
        case missingColon
        /// A field value holds a control character (NUL, bare CR, DEL, ...).
        case invalidFieldValue
        /// A field line starts with whitespace (obsolete line folding, RFC 9112 §5.2).
        case obsoleteLineFolding
        /// A line ends in LF without CR, and `Leniency.bareLineFeed` is not set.
        case bareLineFeed
        /// The head (start line and fields) is larger than the limit.
        case headTooLarge(limit: Int)
        /// One line is longer than the limit.
        case lineTooLong(limit: Int)
        /// More header or trailer fields than the limit.
        case tooManyFields(limit: Int)
        /// `Content-Length` is not a plain decimal number (sign, spaces inside, empty, overflow).
        case invalidContentLength
        /// Two `Content-Length` values disagree.
        case conflictingContentLength
        /// A request carries both `Content-Length` and `Transfer-Encoding` (smuggling).
        case contentLengthWithTransferEncoding
        /// A request's `Transfer-Encoding` does not end in `chunked`, or names `chunked` twice.
        case invalidTransferEncoding
        /// A request names a transfer coding other than `chunked` (RFC 9112 §6.1: answer 501).
        case unsupportedTransferCoding
        /// An HTTP/1.0 message carries `Transfer-Encoding` (RFC 9112 §6.1: its framing is faulty).
        case transferEncodingInHTTP10
        /// An HTTP/1.1 request without a `Host` field (RFC 9112 §3.2).
        case missingHost
        /// A request with more than one `Host` field (RFC 9112 §3.2).
        case multipleHosts
        /// A `Host` value that is not `host[:port]` (RFC 9110 §7.2, RFC 3986 §3.2.2).
        case invalidHost
        /// A request target whose form the method does not allow (RFC 9112 §3.2): `*` is for
        /// OPTIONS only, CONNECT takes `host:port` only, others `/path` or `scheme://...`.
        case invalidTargetForm
        /// A chunk-size line is not hexadecimal digits (optionally followed by extensions).
        case invalidChunkSize
        /// A chunk size does not fit in 63 bits.
        case chunkSizeTooLarge
        /// Chunk data is not followed by CRLF.
        case missingChunkTerminator
        /// The body kept in memory would be larger than the limit.
        case bodyTooLarge(limit: Int)
        /// Input ended before the message was complete.
        case unexpectedEnd(State)
    }

    /// What was wrong.
    public var kind: Kind
    /// The byte offset, from the message's first byte, where the fault was found.
    public var offset: Int

    /// Creates an error of `kind` found at `offset`.
    public init(_ kind: Kind, at offset: Int) {
        self.kind = kind
        self.offset = offset
    }

    /// A sentence a person can act on, ending with the byte offset.
    public var description: String { "\(kind.message) (at byte \(offset))" }
}

extension HTTPQError.Kind {
    /// The human half of an error's description.
    public var message: String {
        switch self {
        case .invalidMethod: "invalid request method"
        case .invalidTarget: "invalid request target"
        case .malformedStartLine: "malformed start line"
        case .invalidVersion: "invalid HTTP version"
        case .unsupportedVersion: "unsupported HTTP version (only HTTP/1.x)"
        case .invalidStatus: "invalid status code (must be three digits)"
        case .invalidReason: "control character in reason phrase"
        case .invalidFieldName: "invalid character in field name"
        case .whitespaceBeforeColon: "whitespace between field name and colon"
        case .missingColon: "field line without a colon"
        case .invalidFieldValue: "control character in field value"
        case .obsoleteLineFolding: "obsolete line folding (field line starts with whitespace)"
        case .bareLineFeed: "line ends in LF without CR"
        case .headTooLarge(let limit): "head larger than \(limit) bytes"
        case .lineTooLong(let limit): "line longer than \(limit) bytes"
        case .tooManyFields(let limit): "more than \(limit) fields"
        case .invalidContentLength: "invalid Content-Length"
        case .conflictingContentLength: "conflicting Content-Length values"
        case .contentLengthWithTransferEncoding: "request has both Content-Length and Transfer-Encoding"
        case .invalidTransferEncoding: "Transfer-Encoding of a request must end in a single chunked"
        case .unsupportedTransferCoding: "Transfer-Encoding names a coding other than chunked (not implemented)"
        case .transferEncodingInHTTP10: "Transfer-Encoding in an HTTP/1.0 message (faulty framing)"
        case .missingHost: "an HTTP/1.1 request needs a Host field"
        case .multipleHosts: "more than one Host field"
        case .invalidHost: "Host is not host[:port]"
        case .invalidTargetForm: "request target form not allowed for this method"
        case .invalidChunkSize: "invalid chunk size or chunk extension"
        case .chunkSizeTooLarge: "chunk size too large"
        case .missingChunkTerminator: "chunk data not followed by CRLF"
        case .bodyTooLarge(let limit): "body larger than \(limit) bytes"
        case .unexpectedEnd(let state): "input ended before the message was complete (in \(state))"
        }
    }
}
