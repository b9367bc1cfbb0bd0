/// How the end of a message body is found (RFC 9112 §6.3), decided once the head is read.
public enum BodyFraming: Hashable, Sendable {
    /// No body: a request without length fields; 1xx, 204 and 304 responses; responses to
    /// HEAD; 2xx responses to CONNECT.
    case none
    /// Exactly this many bytes (`Content-Length`).
    case length(Int)
    /// `Transfer-Encoding: chunked`: chunks, a zero-size chunk, trailers.
    case chunked
    /// A response body that ends when the connection closes.
    case untilClose
}

/// What a parser reports as it consumes bytes, one event at a time.
public enum MessageEvent: Hashable, Sendable {
    /// The message entered `.headers` (start line read) or `.body` (head read).
    case stateChanged(State)
    /// Decoded body bytes (chunk framing removed): this range of the input just given.
    case body(Range<Int>)
    /// The message is complete; bytes after it belong to the next message.
    case complete
}

/// The facts about framing gathered while the fields are read, so the head is not scanned twice.
struct FramingFacts {
    var contentLength: Int?
    var transferEncodingSeen = false
    var lastCodingIsChunked = false
    var chunkedCount = 0

    /// Framing of a request (RFC 9112 §6.3, with the smuggling cases refused).
    func requestFraming(at offset: Int) throws(HTTPQError) -> BodyFraming {
        if transferEncodingSeen {
            if contentLength != nil { throw HTTPQError(.contentLengthWithTransferEncoding, at: offset) }
            guard lastCodingIsChunked, chunkedCount == 1 else { throw HTTPQError(.invalidTransferEncoding, at: offset) }
            return .chunked
        }
        if let contentLength, contentLength > 0 { return .length(contentLength) }
        return .none
    }

    /// Framing of a response to a request with `method` (nil: unknown, treated as GET).
    func responseFraming(status: Int, answering method: String?, at offset: Int) throws(HTTPQError) -> BodyFraming {
        if method == "HEAD" || (100..<200).contains(status) || status == 204 || status == 304 { return .none }
        if method == "CONNECT" && (200..<300).contains(status) { return .none }
        if transferEncodingSeen {
            if chunkedCount > 1 { throw HTTPQError(.invalidTransferEncoding, at: offset) }
            return lastCodingIsChunked ? .chunked : .untilClose
        }
        if let contentLength { return contentLength > 0 ? .length(contentLength) : .none }
        return .untilClose
    }
}
