import Locks
import EvLoop
import HTTPQ

extension Client {
    /// Fetches `url` with GET and returns the whole response (body kept in `body`).
    ///
    /// Cancelling the calling Task ends the request at once: it leaves its host's queue, or
    /// its connection closes (freeing the pool slot), and this throws `ClientError.cancelled`.
    public func get(_ url: String, headers: Headers = [:], deadline: ContinuousClock.Instant? = nil,
                    options: RequestOptions? = nil) async throws(ClientError) -> Response
    {
        // Straight to the one that does the work: each async call on the way is a frame of task memory.
        try await execute(Request(method: "GET", target: "/", headers: headers), body: nil, to: url, deadline: deadline, options: options)
    }

    /// Sends `request` to `url` and returns the whole response. `deadline` bounds it as a
    /// whole (queue, connect, TLS, every byte: `timedOut(.request)` past it); cancelling the
    /// calling Task ends it at once with `cancelled`, as `get` says. `options` override the
    /// client's redirect policy and decompression for this request.
    public func execute(_ request: consuming Request, to url: String, deadline: ContinuousClock.Instant? = nil,
                        options: RequestOptions? = nil) async throws(ClientError) -> Response
    {
        try await execute(consume request, body: nil, to: url, deadline: deadline, options: options)
    }

    /// Sends `request` with `body` streamed after its head (`UploadBody`: a file, an
    /// `AsyncSequence`, a producer) and returns the whole response; deadline and cancellation
    /// as `execute(_:to:deadline:)` says.
    public func execute(_ request: consuming Request, body: UploadBody?, to url: String, deadline: ContinuousClock.Instant? = nil,
                        options: RequestOptions? = nil) async throws(ClientError) -> Response
    {
        let target = try HTTPURL(url)
        let cancel = CancelOnce()
        // Taken, and moved on into the queue: a copy of a request and its destruction cost
        // ~900 instructions (its strings and arrays retained and released).
        var request: Request? = consume request
        let result: Result<Response, ClientError> = await withTaskCancellationHandler {
            await withHandoff { handoff in
                // Inline: this runs as a task job, never inside a pool's callbacks, so on the
                // pool's own loop (a handler's task) the request can be queued at once.
                start(request.take()!, body: body, to: target, deadline: deadline, options: options,
                      delegate: ResumingDelegate(handoff), abort: cancel, inline: true)
            }
        } onCancel: {
            cancel.fire(.cancelled)
        }
        // Taken apart, not read: `get()` returns a copy of the response (~600 instructions
        // with the original's destruction).
        switch consume result {
        case .success(let response): return response
        case .failure(let error): throw error
        }
    }
}

/// The delegate of an async call: resumes its continuation once with the whole response or
/// the error (one object per call, where a closure delegate and a resume-once box were two).
final class ResumingDelegate: RequestDelegate, @unchecked Sendable {
    /// Resumed once, on the connection's loop (unchecked: no runtime access checks per call).
    @exclusivity(unchecked) private var continuation: Handoff<Result<Response, ClientError>>?
    init(_ continuation: Handoff<Result<Response, ClientError>>) { self.continuation = continuation }
    func request(didComplete response: Response) { resume(.success(response)) }
    func request(didFail error: ClientError) { resume(.failure(error)) }
    private func resume(_ result: Result<Response, ClientError>) {
        continuation?.resume(returning: result)
        continuation = nil
    }
}

/// What ends a request (a Task's cancellation, a body that cannot be decoded) and the hop
/// it must end, whichever comes first: it can fire before the request has started (then
/// the request is ended as soon as it is), and it follows a redirect chain hop by hop.
final class CancelOnce: Sendable {
    private struct State {
        var action: (@Sendable (ClientError) -> Void)?
        var fired: ClientError?
    }
    private let state = Locked(State())

    /// The running hop's abort (the last one set wins).
    func set(_ action: @escaping @Sendable (ClientError) -> Void) {
        let fireNow = state.withLock { state -> ClientError? in
            state.action = action
            return state.fired
        }
        if let fireNow { action(fireNow) }
    }

    /// Ends the running hop, and any set later, with `error` (the first error fired wins).
    func fire(_ error: ClientError = .cancelled) {
        let (action, error) = state.withLock { state -> ((@Sendable (ClientError) -> Void)?, ClientError) in
            if state.fired == nil { state.fired = error }
            return (state.action, state.fired!)
        }
        action?(error)
    }
}
