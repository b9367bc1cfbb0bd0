/// How a request that carries its whole body (`Request.body`) is framed on the wire (RFC 9112
/// §6): a body sent without `Content-Length` or chunking is read by the server as the start
/// of the next request — the client's side of request smuggling.
public enum RequestBodyFraming: Equatable, Sendable {
    /// Framed as it stands: `Transfer-Encoding` ending in `chunked` (the serializer chunks the
    /// body), a `Content-Length` equal to the body's size, or no body on a method that
    /// defines none (GET, HEAD, DELETE, ...).
    case framed
    /// Needs `Content-Length: n` added: a body, or a method that defines one (POST, PUT,
    /// PATCH: RFC 9110 §8.6 says a user agent should send `Content-Length: 0` then).
    case addContentLength(Int)
    /// Says a length other than its body's (or lengths that disagree).
    case contentLengthMismatch(declared: String, actual: Int)
    /// Names a transfer coding other than `chunked` last: the end of the body could not be found.
    case transferCodingWithoutChunked(String)

    /// The framing `request` needs to be sent with its body as it is.
    public init(of request: borrowing Request) {
        let count = request.body.count
        // One pass over the fields' bytes for both names, and no `Headers` made, in the
        // common case of neither (this runs for every request a client sends; through
        // `headers.contains` it cost ~900 instructions a proxied request).
        let (hasCodings, hasLength) = request.withRawFieldValues("Transfer-Encoding", "Content-Length") { ($0 != nil, $1 != nil) }
        if hasCodings {
            let headers = request.headers
            self = headers.isChunked ? .framed : .transferCodingWithoutChunked(headers.values(for: "Transfer-Encoding").joined(separator: ", "))
        } else if hasLength {
            let headers = request.headers
            self = headers.contentLength == count
                ? .framed : .contentLengthMismatch(declared: headers.values(for: "Content-Length").joined(separator: ", "), actual: count)
        } else if count > 0 || Self.definesContent(request.method) {
            self = .addContentLength(count)
        } else {
            self = .framed
        }
    }

    /// Whether requests of `method` are defined to carry content (RFC 9110 §9.3): POST, PUT,
    /// PATCH. (Compared, not hashed: this runs for every request a client sends.)
    static func definesContent(_ method: String) -> Bool {
        method == "POST" || method == "PUT" || method == "PATCH"
    }
}
