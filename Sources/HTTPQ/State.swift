/// Where a message is in httpq's state machine: `.top -> .headers -> .body`.
///
/// A fresh message starts at `.top`. The state only moves forward: `.headers` once the
/// start line has been read, `.body` once the whole head (start line and fields) has been
/// read. Whether the body is also finished is `isComplete` on the message.
public enum State: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Reading the start line (request line or status line).
    case top
    /// Reading header fields.
    case headers
    /// The head is complete; body bytes (if any) follow.
    case body

    /// The lowercase name, as `httpq parse` prints it.
    public var description: String { rawValue }
}
