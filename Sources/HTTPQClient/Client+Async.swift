import HTTPQ

extension Client {
    /// Fetches `url` with GET and returns the whole response (body kept in `body`).
    public func get(_ url: String, headers: Headers = [:]) async throws(ClientError) -> Response {
        try await execute(Request(method: "GET", target: "/", headers: headers), to: url)
    }

    /// Sends `request` to `url` and returns the whole response.
    public func execute(_ request: Request, to url: String) async throws(ClientError) -> Response {
        let result: Result<Response, ClientError> = await withCheckedContinuation { continuation in
            let once = ResumeOnce(continuation)
            execute(request, to: url, delegate: CompletionDelegate { once.resume($0) })
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
