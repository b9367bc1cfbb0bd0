/// The HTTP/1.1 rules both the client and the server need, kept once here as pure functions
/// (h11's `_connection.py` in spirit): whether a connection persists, whether a status
/// carries content, and what a request's `Expect` asks for.
public enum HTTPRules {
    /// Whether a response with `status` carries content (RFC 9110 §6.4.1: never 1xx, 204, 304).
    /// A response to HEAD, or a 2xx to CONNECT, carries none either, whatever its status.
    public static func statusHasContent(_ status: Int) -> Bool {
        !(100..<200).contains(status) && status != 204 && status != 304
    }

    /// What a request's `Expect` field asks of the server (RFC 9110 §10.1.1).
    public enum Expectation: Hashable, Sendable {
        /// Nothing to do: no `Expect`, no body to wait for, or HTTP/1.0 (which must ignore it).
        case none
        /// Send `100 Continue` before reading the body.
        case continueBeforeBody
        /// An expectation the server cannot meet: answer 417 with this value.
        case unsupported(String)
    }
}

extension Request {
    /// Whether the connection may carry another request after this one (RFC 9112 §9.3):
    /// HTTP/1.1 unless `Connection: close`, HTTP/1.0 only with `keep-alive`, and never after
    /// CONNECT (what follows its head is a tunnel, not a request).
    public var keepsConnectionAlive: Bool {
        if method == "CONNECT" { return false }
        if version == "HTTP/1.0" { return headers.containsToken("keep-alive", in: "Connection") }
        return !headers.containsToken("close", in: "Connection")
    }

    /// What this request's `Expect` asks for, once its head is complete: only a request that
    /// has a body to wait for, in HTTP/1.1 or later, expects anything.
    public var expectation: HTTPRules.Expectation {
        guard version != "HTTP/1.0", let value = headers["Expect"] else { return .none }
        switch framing {
        case .length(let length)? where length > 0: break
        case .chunked?: break
        default: return .none
        }
        return value.lowercased() == "100-continue" ? .continueBeforeBody : .unsupported(value)
    }
}

extension Request {
    /// What a server decides on once the head is in: framing, `Expect`, keep-alive.
    ///
    /// `mutating` without mutating anything: the request is read in place through `inout`.
    /// A server keeps the request it parses in a class or behind a pointer, and a
    /// non-mutating call there copies the whole request first (every field retained and
    /// released: two copies were ~1,000 instructions of a small-file answer).
    package mutating func headFacts() -> (framing: BodyFraming?, expectation: HTTPRules.Expectation, keepsAlive: Bool) {
        (framing, expectation, keepsConnectionAlive)
    }
}

extension Response {
    /// Whether the connection may carry another request after this response (RFC 9112 §9.3):
    /// HTTP/1.1 unless `Connection: close`, HTTP/1.0 only with `keep-alive`; never after a
    /// close-delimited body, nor after a response with both length fields (Transfer-Encoding
    /// won, RFC 9112 §6.3, but the message may be an attempt at response splitting), nor after
    /// a `101` (what follows is another protocol).
    public var keepsConnectionAlive: Bool {
        if framing == .untilClose || status == 101 || parser.hadBothLengthFields { return false }
        let headers = self.headers
        if headers.containsToken("close", in: "Connection") { return false }
        return version != "HTTP/1.0" || headers.containsToken("keep-alive", in: "Connection")
    }
}
