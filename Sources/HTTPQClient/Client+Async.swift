import Locks
import EvLoop
import HTTPQ

extension Client {
    /// Fetches `url` with GET and returns the whole response (body kept in `body`).
    ///
    /// Cancelling the calling Task ends the request at once: it leaves its host's queue, or
    /// its connection closes (freeing the pool slot), and this throws `ClientError.cancelled`.
    public func get(_ url: String, headers: Headers = [:], deadline: ContinuousClock.Instant? = nil)
        async throws(ClientError) -> Response
    {
        try await execute(Request(method: "GET", target: "/", headers: headers), to: url, deadline: deadline)
    }

    /// Sends `request` to `url` and returns the whole response. `deadline` bounds it as a
    /// whole (queue, connect, TLS, every byte: `timedOut(.request)` past it); cancelling the
    /// calling Task ends it at once with `cancelled`, as `get` says.
    public func execute(_ request: Request, to url: String, deadline: ContinuousClock.Instant? = nil)
        async throws(ClientError) -> Response
    {
        try await execute(request, body: nil, to: url, deadline: deadline)
    }

    /// Sends `request` with `body` streamed after its head (`UploadBody`: a file, an
    /// `AsyncSequence`, a producer) and returns the whole response; deadline and cancellation
    /// as `execute(_:to:deadline:)` says.
    public func execute(_ request: Request, body: UploadBody?, to url: String, deadline: ContinuousClock.Instant? = nil)
        async throws(ClientError) -> Response
    {
        let target = try HTTPURL(url)
        let cancel = CancelOnce()
        let result: Result<Response, ClientError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let once = ResumeOnce(continuation)
                cancel.set(start(request, body: body, to: target, deadline: deadline, delegate: CompletionDelegate { once.resume($0) }))
            }
        } onCancel: {
            cancel.fire()
        }
        return try result.get()
    }
}

/// Resumes a continuation exactly once, whatever calls it.
final class ResumeOnce: @unchecked Sendable {
    private var continuation: CheckedContinuation<Result<Response, ClientError>, Never>?
    init(_ continuation: CheckedContinuation<Result<Response, ClientError>, Never>) { self.continuation = continuation }
    func resume(_ result: Result<Response, ClientError>) {
        continuation?.resume(returning: result)
        continuation = nil
    }
}

/// A Task's cancellation and the request it must end, whichever comes first: the handler
/// can run before the request has started (then the request is ended as soon as it is).
final class CancelOnce: Sendable {
    private struct State {
        var action: (@Sendable () -> Void)?
        var fired = false
    }
    private let state = Locked(State())

    func set(_ action: @escaping @Sendable () -> Void) {
        let fireNow = state.withLock { state -> Bool in
            state.action = action
            return state.fired
        }
        if fireNow { action() }
    }

    func fire() {
        let action = state.withLock { state -> (@Sendable () -> Void)? in
            state.fired = true
            return state.action
        }
        action?()
    }
}
