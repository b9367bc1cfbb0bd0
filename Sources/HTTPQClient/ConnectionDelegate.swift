import HTTPQ

/// What a `Connection` tells its owner, always on the connection's loop thread.
///
/// The contract (what AsyncHTTPClient's delegate history taught):
/// - For each request, `didChange` is called once for `.headers` and once for `.body`, in
///   that order; then `didReceiveBody` zero or more times; then exactly one of `didComplete`
///   or `didFail`. Never both, never twice.
/// - Callbacks are not re-entered: calling `send`, `pauseReading` or `close` from inside a
///   callback is safe and takes effect after it returns.
/// - The body slice is valid only during the call; copy what you keep.
/// - After `pauseReading()` no further `didReceiveBody` arrives until `resumeReading()`.
public protocol ConnectionDelegate: AnyObject {
    /// The response entered `state` (`.headers` once the status line is read, `.body` once
    /// the head is complete).
    func connection(_ connection: Connection, didChange state: State, of response: Response)
    /// A slice of the decoded body (chunk framing removed), valid only during the call.
    func connection(_ connection: Connection, didReceiveBody bytes: RawSpan)
    /// The whole response arrived.
    func connection(_ connection: Connection, didComplete response: Response)
    /// The request failed; `error` is a `ClientError`.
    func connection(_ connection: Connection, didFail error: any Error)
    /// A 1xx interim response arrived (the final response follows). Optional.
    func connection(_ connection: Connection, didReceiveInformational response: Response)
}

extension ConnectionDelegate {
    /// By default interim responses are skipped.
    public func connection(_ connection: Connection, didReceiveInformational response: Response) {}
}
