import HTTPQ

/// What the `Client` tells the caller of `execute`, on the loop's thread. The same
/// contract as `ConnectionDelegate`: each request ends in exactly one of `didComplete` or
/// `didFail`; body slices are valid only during the call.
public protocol RequestDelegate: AnyObject {
    /// The response entered `state`.
    func request(didChange state: State, of response: Response)
    /// A slice of the decoded body, valid only during the call.
    func request(didReceiveBody bytes: RawSpan)
    /// The whole response arrived.
    func request(didComplete response: Response)
    /// The request failed.
    func request(didFail error: ClientError)
    /// The request got a connection; `control` pauses and resumes reading its response
    /// (backpressure). Called again for each redirect followed (a new connection). Optional.
    func request(didStartWith control: ReadControl)
    /// `response` (a redirect, its body skipped) is followed to `url`; the answer comes from
    /// there. Hops may run on other loops, one at a time. Optional.
    func request(didRedirect response: Response, to url: HTTPURL)
}

extension RequestDelegate {
    public func request(didStartWith control: ReadControl) {}
    public func request(didRedirect response: Response, to url: HTTPURL) {}
    public func request(didChange state: State, of response: Response) {}
    public func request(didReceiveBody bytes: RawSpan) {}
}

/// A delegate made of closures, for the common cases.
public final class CompletionDelegate: RequestDelegate {
    let completion: (Result<Response, ClientError>) -> Void
    /// Calls `completion` once with the response or the error.
    public init(_ completion: @escaping (Result<Response, ClientError>) -> Void) { self.completion = completion }
    public func request(didComplete response: Response) { completion(.success(response)) }
    public func request(didFail error: ClientError) { completion(.failure(error)) }
}

/// Backpressure for one request's response: pause reading while the consumer is behind.
/// Safe from any thread (the calls hop to the connection's loop).
public final class ReadControl: Sendable {
    private let box: UncheckedBox<Connection>

    init(_ connection: Connection) { box = UncheckedBox(connection) }

    /// Stops reading the response (TCP flow control then holds the server back).
    public func pause() {
        let connection = box.value
        if connection.loop.isInLoop { connection.pauseReading() } else { connection.loop.execute { connection.pauseReading() } }
    }

    /// Resumes reading.
    public func resume() {
        let connection = box.value
        if connection.loop.isInLoop { connection.resumeReading() } else { connection.loop.execute { connection.resumeReading() } }
    }
}
