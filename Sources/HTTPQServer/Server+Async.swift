import EvLoop
import HTTPQ
import Logging

/// A handler written with async/await: the request in, the response out. Its task runs on
/// the connection's loop (the loop is its task executor), so its awaits — a `Client` call
/// on the same loop, say — resume there without a hop to the cooperative pool. The task is
/// cancelled if the connection closes before the answer is complete (the client reset it, a
/// write failed, a shutdown's grace period ended): a `Client` call it awaits then ends with
/// `ClientError.cancelled`.
public typealias AsyncRequestHandler = @Sendable (Request) async throws -> Response

/// As `AsyncRequestHandler`, with the request's body streamed (`RequestBody` is an
/// `AsyncSequence` of byte chunks).
public typealias AsyncStreamingRequestHandler = @Sendable (Request, RequestBody) async throws -> Response

extension Server {
    /// A server whose handler is `async`: each request runs as a task on its connection's
    /// loop, and what it returns is sent. A handler that throws gets `500 Internal Server
    /// Error` sent for it (and the error logged at `.error` if there is a logger).
    ///
    /// ```swift
    /// let server = Server(configuration: .init(addresses: [SocketAddress(ip: "127.0.0.1", port: 0)!]),
    ///                     loops: group.loops) { request in
    ///     try await client.get(upstream + request.target)   // a gateway, written the obvious way
    /// }
    /// ```
    public convenience init(configuration: ServerConfiguration = .init(), loops: [EventLoop],
                            asyncHandler: @escaping AsyncRequestHandler) {
        let logger = configuration.logger
        self.init(configuration: configuration, loops: loops, handler: { request, responder in
            // Immediate: the handler runs now, on this loop's thread, up to its first await;
            // it resumes on the loop (its executor preference), never on the cooperative pool.
            // The request is the responder's (not captured again), and the handler is awaited
            // here rather than through a helper taking a closure: each whole-`Request` copy and
            // each async frame on the way (task memory, past its first slab a `malloc`) counted.
            let task = Task.immediate(executorPreference: responder.loop) {
                do {
                    responder.send(try await asyncHandler(responder.request))
                } catch {
                    responder.send(Self.failure(error, logger))
                }
            }
            responder.cancelsOnClose(task) // a client that leaves first cancels it
        })
    }

    /// A server whose `async` handler reads the request body as it arrives (up to
    /// `configuration.maxStreamedBodyBytes`); otherwise as `init(configuration:loops:asyncHandler:)`.
    public convenience init(configuration: ServerConfiguration = .init(), loops: [EventLoop],
                            asyncStreamingHandler: @escaping AsyncStreamingRequestHandler) {
        let logger = configuration.logger
        self.init(configuration: configuration, loops: loops, streamingHandler: { request, body, responder in
            let task = Task.immediate(executorPreference: responder.loop) {
                do {
                    responder.send(try await asyncStreamingHandler(responder.request, body))
                } catch {
                    responder.send(Self.failure(error, logger))
                }
            }
            responder.cancelsOnClose(task)
        })
    }

    /// The 500 sent for what a handler threw (logged at `.error` when there is a logger).
    private static func failure(_ error: any Error, _ logger: Logger?) -> Response {
        logger?.error("handler failed", metadata: ["error": "\(error)"])
        return Response(status: 500, reason: "Internal Server Error", headers: ["Content-Type": "text/plain; charset=utf-8"],
                        body: Array("internal server error\n".utf8))
    }
}
