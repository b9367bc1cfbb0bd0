/// An HTTP/1.1 request: built from fields, or fed bytes as they arrive.
///
/// ```swift
/// var request = Request()
/// try request.feed("GET /get HTTP/1.1\r\nHost: httpbin.org\r\n\r\n".utf8)
/// request.state        // .body
/// request.isComplete   // true
/// ```
public struct Request: Sendable {
    var parser: MessageParser

    /// Creates an empty request to be fed bytes (state `.top`).
    public init(limits: Limits = .default, leniency: Leniency = []) {
        parser = MessageParser(role: .request, limits: limits, leniency: leniency)
    }

    /// Makes this an empty request to be fed the next message of a connection (state
    /// `.top`), with the same limits, leniency and `keepsBody`. Unlike a fresh `Request()`, it
    /// keeps the storage its head, fields and body grew to, so parsing message after message
    /// into one value allocates nothing for them (storage a copy still shares stays with the
    /// copy).
    public mutating func reset() {
        parser.reset(role: .request)
    }

    /// Creates a complete request from its fields, like httpq's constructor.
    ///
    /// `Request(method: "GET", target: "/get", version: "HTTP/1.1", headers: ["Host": "httpbin.org"]).raw`
    /// is `GET /get HTTP/1.1\r\nHost: httpbin.org\r\n\r\n`.
    public init(method: String, target: String, version: String = "HTTP/1.1",
                headers: Headers = [:], body: [UInt8] = [], trailers: Headers = [:]) {
        parser = MessageParser(complete: .request, method: method, target: target, version: version, status: 0,
                               reason: "", headers: headers, body: body, trailers: trailers)
    }

    /// The method (`GET`, `POST`, ...), case-sensitive as sent.
    public var method: String { get { parser.method } set { parser.method = newValue } }
    /// The request target as sent (`/path?query`, an absolute URL, `host:port`, or `*`).
    public var target: String { get { parser.target } set { parser.target = newValue } }
    /// `HTTP/1.1` or `HTTP/1.0`.
    public var version: String { get { parser.version } set { parser.version = newValue } }
    /// The header fields, in order.
    public var headers: Headers { get { parser.headers } set { parser.headers = newValue } }
    /// The trailer fields of a chunked body.
    public var trailers: Headers { get { parser.trailers } set { parser.trailers = newValue } }
    /// The decoded body kept so far (chunk framing removed); empty when `keepsBody` is false.
    public var body: [UInt8] { get { parser.body } set { parser.body = newValue } }
    /// Whether body bytes are kept in `body` (true) or only reported as events (false).
    public var keepsBody: Bool { get { parser.keepsBody } set { parser.keepsBody = newValue } }

    /// Where the request is in the state machine.
    public var state: State { parser.state }
    /// Whether the whole request, body included, has been read.
    public var isComplete: Bool { parser.isComplete }
    /// The head bytes received so far (start line and fields), as httpq's `buffer` shows them;
    /// for a request built from its fields, its head as it would be sent now.
    public var buffer: [UInt8] { parser.headIsDerived ? Serializer.head(startLine: startLine, headers: headers) : parser.head }
    /// The request line as bytes, with its method, target and version, lent to `body`: the
    /// line as received (without its line end), or for a request built from its fields (or
    /// one whose line has not ended) the line those fields make. What an access log writes.
    package func withRequestLineBytes<R>(_ body: (RequestLineBytes) -> R) -> R {
        guard !parser.headIsDerived, parser.state != .top else {
            return RequestLineBytes.with(method: method, target: target, version: version, body)
        }
        // (No `Optional<R>` on the way: this is not specialized in other modules, and making
        // that type's metadata at run time cost ~250 instructions a call.)
        return parser.head.withUnsafeBufferPointer { head in
            // The parsed parts are the line's bytes, one space apart (RFC 9112 §3, as the
            // parser takes it): their lengths place the line without scanning it, checked
            // against the bytes (~30 instructions where finding the line end and both spaces
            // cost ~250 a logged request).
            let methodEnd = method.utf8.count, targetEnd = methodEnd + 1 + target.utf8.count
            let end = targetEnd + 1 + version.utf8.count
            if end < head.count, head[methodEnd] == Grammar.space, head[targetEnd] == Grammar.space,
               head[end] == Grammar.cr || head[end] == Grammar.lf {
                return body(RequestLineBytes(line: UnsafeBufferPointer(rebasing: head[..<end]), methodEnd: methodEnd, targetEnd: targetEnd))
            }
            if let lineFeed = ByteSearch.firstIndex(of: Grammar.lf, in: UnsafeRawBufferPointer(head), from: 0) {
                let end = lineFeed > 0 && head[lineFeed - 1] == Grammar.cr ? lineFeed - 1 : lineFeed
                if let line = RequestLineBytes(line: UnsafeBufferPointer(rebasing: head[..<end])) { return body(line) }
            }
            return RequestLineBytes.with(method: method, target: target, version: version, body)
        }
    }

    /// `headers.withRawValues(first, second, body)` without making the `Headers` value
    /// (an access log asks for `Referer` and `User-Agent` per request).
    package func withRawFieldValues<R>(
        _ first: StaticString, _ second: StaticString,
        _ body: (UnsafeBufferPointer<UInt8>?, UnsafeBufferPointer<UInt8>?) -> R
    ) -> R {
        withRawFieldValues(first, second, "") { first, second, _ in body(first, second) }
    }

    /// `withRawFieldValues` for three names (the access log adds `Authorization`, for the user).
    package func withRawFieldValues<R>(
        _ first: StaticString, _ second: StaticString, _ third: StaticString,
        _ body: (UnsafeBufferPointer<UInt8>?, UnsafeBufferPointer<UInt8>?, UnsafeBufferPointer<UInt8>?) -> R
    ) -> R {
        if let override = parser.headersOverride { return override.withRawValues(first, second, third, body) }
        return Headers.withRawValues(first, second, third, bytes: parser.head, entries: parser.headerEntries, body)
    }

    /// How the body ends; nil until the head is complete.
    public var framing: BodyFraming? { parser.framing }
    /// The error that stopped parsing, if any; later feeds throw it again.
    public var error: HTTPQError? { parser.failure }

    /// Feeds bytes as they arrive. Returns how many belong to this request: when it
    /// completes, the rest begin the next one (pipelining). Throws on malformed input.
    @discardableResult
    public mutating func feed<Bytes: Sequence<UInt8>>(_ bytes: Bytes) throws(HTTPQError) -> Int {
        try parser.feedAll(bytes)
    }

    /// Feeds raw memory (the fast path for socket buffers); see `feed(_:)`.
    @discardableResult
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) throws(HTTPQError) -> Int {
        try parser.feedAll(bytes)
    }

    /// Feeds an array slice; see `feed(_:)`.
    @discardableResult
    public mutating func feed(_ bytes: ArraySlice<UInt8>) throws(HTTPQError) -> Int {
        try parser.feedAll(bytes)
    }

    /// Feeds an array; see `feed(_:)`.
    @discardableResult
    public mutating func feed(_ bytes: [UInt8]) throws(HTTPQError) -> Int {
        try parser.feedAll(bytes[...])
    }

    /// Consumes bytes up to the next event (state change, body slice, completion), for
    /// callers that stream. See `MessageEvent`.
    public mutating func consume(_ bytes: UnsafeRawBufferPointer) throws(HTTPQError) -> (consumed: Int, event: MessageEvent?) {
        try parser.consume(bytes)
    }

    /// Says that input has ended; throws `unexpectedEnd` if the request is unfinished.
    public mutating func finish() throws(HTTPQError) { try parser.finish() }

    /// Parses one whole request; throws if it is malformed or incomplete.
    public static func parse<Bytes: Sequence<UInt8>>(_ bytes: Bytes, limits: Limits = .default) throws(HTTPQError) -> Request {
        var request = Request(limits: limits)
        try request.feed(bytes)
        try request.finish()
        return request
    }

    /// The request line without CRLF, in its parts.
    var startLine: StartLineParts { StartLineParts(method, target, version) }

    /// Only the head as bytes to send (start line, fields, empty line): for a body sent
    /// apart, as its fields frame it.
    public var rawHead: [UInt8] { Serializer.head(startLine: startLine, headers: headers) }

    /// The request as bytes to send.
    public var raw: [UInt8] { Serializer.message(startLine: startLine, headers: headers, body: body, trailers: trailers) }
}

extension Request: CustomStringConvertible {
    /// httpq's arrow form: `→ ` before each line.
    public var description: String { Serializer.arrowForm(raw, arrow: "→ ") }
}

extension Request: Equatable {
    /// Requests are equal when their start lines, fields and bodies are.
    public static func == (lhs: Request, rhs: Request) -> Bool {
        lhs.method == rhs.method && lhs.target == rhs.target && lhs.version == rhs.version
            && lhs.headers == rhs.headers && lhs.body == rhs.body && lhs.trailers == rhs.trailers
    }
}
