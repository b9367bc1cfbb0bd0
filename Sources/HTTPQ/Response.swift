/// An HTTP/1.1 response: built from fields, or fed bytes as they arrive.
///
/// A response must know the method it answers, since a response to HEAD has no body:
/// `Response(answering: "HEAD")`. A 1xx interim response is a message of its own; feed
/// the bytes after it to a fresh `Response` for the final one.
public struct Response: Sendable {
    var parser: MessageParser

    /// Creates an empty response to be fed bytes (state `.top`), answering `method`.
    public init(answering method: String = "GET", limits: Limits = .default, leniency: Leniency = []) {
        parser = MessageParser(role: .response(answering: method), limits: limits, leniency: leniency)
    }

    /// Makes this an empty response to be fed the next message of a connection (state
    /// `.top`), answering `method`, with the same limits, leniency and `keepsBody`. Unlike a
    /// fresh `Response(answering:)`, it keeps the storage its head, fields and body grew to,
    /// so parsing message after message into one value allocates nothing for them (storage
    /// a copy still shares stays with the copy).
    public mutating func reset(answering method: String = "GET") {
        parser.reset(role: .response(answering: method))
    }

    /// Creates a complete response from its fields, like httpq's constructor.
    public init(version: String = "HTTP/1.1", status: Int, reason: String,
                headers: Headers = [:], body: [UInt8] = [], trailers: Headers = [:]) {
        parser = MessageParser(complete: .response(answering: "GET"), method: "", target: "", version: version,
                               status: status, reason: reason, headers: headers, body: body, trailers: trailers)
    }

    /// `HTTP/1.1` or `HTTP/1.0`.
    public var version: String { get { parser.version } set { parser.version = newValue } }
    /// The three-digit status code.
    public var status: Int { get { parser.status } set { parser.status = newValue } }
    /// The reason phrase; may be empty or contain spaces (`Not Found`).
    public var reason: String { get { parser.reason } set { parser.reason = newValue } }
    /// The header fields, in order.
    public var headers: Headers { get { parser.headers } set { parser.headers = newValue } }
    /// The trailer fields of a chunked body.
    public var trailers: Headers { get { parser.trailers } set { parser.trailers = newValue } }
    /// The decoded body kept so far (chunk framing removed); empty when `keepsBody` is false.
    public var body: [UInt8] { get { parser.body } set { parser.body = newValue } }
    /// Whether body bytes are kept in `body` (true) or only reported as events (false).
    public var keepsBody: Bool { get { parser.keepsBody } set { parser.keepsBody = newValue } }

    /// Where the response is in the state machine.
    public var state: State { parser.state }
    /// Whether the whole response, body included, has been read.
    public var isComplete: Bool { parser.isComplete }
    /// The head bytes received so far (status line and fields), as httpq's `buffer` shows them;
    /// for a response built from its fields, its head as it would be sent now.
    public var buffer: [UInt8] { parser.headIsDerived ? Serializer.head(startLine: startLine, headers: headers) : parser.head }
    /// How the body ends; nil until the head is complete.
    public var framing: BodyFraming? { parser.framing }
    /// The error that stopped parsing, if any; later feeds throw it again.
    public var error: HTTPQError? { parser.failure }
    /// Whether this is a 1xx interim response (a final response follows it).
    public var isInformational: Bool { (100..<200).contains(status) }

    /// Feeds bytes as they arrive. Returns how many belong to this response: when it
    /// completes, the rest begin the next one. Throws on malformed input.
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

    /// Says that input has ended: completes a close-delimited body; throws
    /// `unexpectedEnd` if the response is otherwise unfinished.
    public mutating func finish() throws(HTTPQError) { try parser.finish() }

    /// Parses one whole response (input end completes a close-delimited body).
    public static func parse<Bytes: Sequence<UInt8>>(
        _ bytes: Bytes, answering method: String = "GET", limits: Limits = .default
    ) throws(HTTPQError) -> Response {
        var response = Response(answering: method, limits: limits)
        try response.feed(bytes)
        try response.finish()
        return response
    }

    /// The status line without CRLF, in its parts (an empty reason still has its space).
    var startLine: StartLineParts { StartLineParts(version, String(status), reason) }

    /// Only the head as it would be sent: status line, fields, empty line (no body).
    public var rawHead: [UInt8] { Serializer.head(startLine: startLine, headers: headers) }

    /// The response as bytes to send.

    public var raw: [UInt8] { Serializer.message(startLine: startLine, headers: headers, body: body, trailers: trailers) }
}

extension Response: CustomStringConvertible {
    /// httpq's arrow form: `← ` before each line.
    public var description: String { Serializer.arrowForm(raw, arrow: "← ") }
}

extension Response: Equatable {
    /// Responses are equal when their status lines, fields and bodies are.
    public static func == (lhs: Response, rhs: Response) -> Bool {
        lhs.version == rhs.version && lhs.status == rhs.status && lhs.reason == rhs.reason
            && lhs.headers == rhs.headers && lhs.body == rhs.body && lhs.trailers == rhs.trailers
    }
}
