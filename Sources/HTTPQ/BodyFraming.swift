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
    /// A coding other than `chunked` was named (gzip, identity, ...).
    var otherCodingSeen = false
    /// Codings named in all `Transfer-Encoding` lines (none: an empty field, which is no list).
    var codingCount = 0
    var hostCount = 0
    var hostIsInvalid = false

    /// Framing of a request (RFC 9112 §6.3), with the smuggling cases refused: both length
    /// fields, Transfer-Encoding in HTTP/1.0, any coding but one `chunked`; and the Host
    /// rules of RFC 9112 §3.2, which a server must enforce before it reads a body.
    func requestFraming(method: String, version: String, at offset: Int) throws(HTTPQError) -> BodyFraming {
        let framing = try requestBodyFraming(method: method, version: version, at: offset)
        if hostCount > 1 { throw HTTPQError(.multipleHosts, at: offset) }
        if hostCount == 0 && version != "HTTP/1.0" { throw HTTPQError(.missingHost, at: offset) }
        if hostIsInvalid { throw HTTPQError(.invalidHost, at: offset) }
        return framing
    }

    private func requestBodyFraming(method: String, version: String, at offset: Int) throws(HTTPQError) -> BodyFraming {
        // RFC 9110 §9.3.6: a CONNECT request has no content; what follows its head is the tunnel.
        if method == "CONNECT" { return .none }
        if transferEncodingSeen {
            if version == "HTTP/1.0" { throw HTTPQError(.transferEncodingInHTTP10, at: offset) }
            if contentLength != nil { throw HTTPQError(.contentLengthWithTransferEncoding, at: offset) }
            if otherCodingSeen { throw HTTPQError(.unsupportedTransferCoding, at: offset) }
            guard lastCodingIsChunked, chunkedCount == 1 else { throw HTTPQError(.invalidTransferEncoding, at: offset) }
            return .chunked
        }
        if let contentLength, contentLength > 0 { return .length(contentLength) }
        return .none
    }

    /// Framing of a response to a request with `method` (nil: unknown, treated as GET).
    func responseFraming(status: Int, version: String, answering method: String?, at offset: Int) throws(HTTPQError) -> BodyFraming {
        // (The lengths first: a String comparison cost two percent of parsing a small response.)
        let length = method?.utf8.count ?? 0
        if (length == 4 && method == "HEAD") || !HTTPRules.statusHasContent(status) { return .none }
        if length == 7 && method == "CONNECT" && (200..<300).contains(status) { return .none }
        if transferEncodingSeen {
            if version == "HTTP/1.0" { throw HTTPQError(.transferEncodingInHTTP10, at: offset) }
            if chunkedCount > 1 || codingCount == 0 { throw HTTPQError(.invalidTransferEncoding, at: offset) }
            return lastCodingIsChunked ? .chunked : .untilClose
        }
        if let contentLength { return contentLength > 0 ? .length(contentLength) : .none }
        return .untilClose
    }
}
