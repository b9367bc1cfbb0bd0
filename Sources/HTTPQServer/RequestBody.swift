import Locks
import EvLoop
import HTTPQ

/// The body of a request given to a streaming handler, read as it arrives: ask for one part
/// at a time with `read`, or `collect` it whole, or iterate it (`for try await bytes in body`).
///
/// Backpressure: the server reads from the socket only while a `read` is outstanding, so a
/// handler that writes slices somewhere slow holds at most one slice (and one socket read) per
/// request. A client that sent `Expect: 100-continue` hears `100 Continue` at the first `read`;
/// a handler that answers without reading lets the server close the connection after the
/// answer instead of reading a body nobody wants.
///
/// Safe from any thread: calls hop onto the connection's loop. Callbacks run on that loop,
/// always on a later turn than the `read` that asked (never inside it).
public final class RequestBody: @unchecked Sendable {
    /// The loop that owns the connection.
    public let loop: EventLoop
    private weak var connection: ServerConnection?
    /// What arrived that the handler has not asked for yet: at most one slice, then the end.
    private var held: [Part] = []
    private var waiting: (@Sendable (Result<Part, RequestBodyError>) -> Void)?
    private var failure: RequestBodyError?
    private var ended = false

    /// One step of a body.
    public enum Part: Sendable, Equatable {
        /// Decoded body bytes (chunk framing removed).
        case bytes([UInt8])
        /// The body is complete; a chunked body's trailer fields, if any.
        case end(trailers: Headers)
    }

    /// A body read from `connection`; or, with `ended`, one already complete: `body` then
    /// its only slice.
    init(connection: ServerConnection?, loop: EventLoop, ended: Bool = false, body: [UInt8] = []) {
        self.connection = connection
        self.loop = loop
        if ended {
            held = body.isEmpty ? [.end(trailers: [:])] : [.bytes(body), .end(trailers: [:])]
            self.ended = true
        }
    }

    /// Asks for the next part; `onPart` gets it (or why the body cannot be read) on the loop.
    /// Ask again after each `.bytes` until `.end`. One `read` at a time.
    public func read(_ onPart: @escaping @Sendable (Result<Part, RequestBodyError>) -> Void) {
        onLoop { [self] in
            precondition(waiting == nil, "RequestBody.read called while an earlier read is outstanding")
            if !held.isEmpty {
                let part = held.removeFirst()
                loop.execute { onPart(.success(part)) }
                // After a held slice, reading goes on for the next one.
                if case .bytes = part, !ended { connection?.bodyWanted() }
                return
            }
            if let failure {
                loop.execute { onPart(.failure(failure)) }
                return
            }
            if ended { // read past the end: the end again (the connection has moved on)
                loop.execute { onPart(.success(.end(trailers: [:]))) }
                return
            }
            waiting = onPart
            connection?.bodyWanted()
        }
    }

    /// Reads the whole body into memory; more than `maxBytes` fails with `tooLarge` (the
    /// server then answers 413 if the handler has not answered, and closes).
    public func collect(upTo maxBytes: Int, _ completion: @escaping @Sendable (Result<([UInt8], trailers: Headers), RequestBodyError>) -> Void) {
        collectMore(into: Collector(limit: maxBytes), limit: maxBytes, completion)
    }

    private func collectMore(into collector: Collector, limit: Int,
                             _ completion: @escaping @Sendable (Result<([UInt8], trailers: Headers), RequestBodyError>) -> Void) {
        read { [self] result in
            switch result {
            case .failure(let error):
                completion(.failure(error))
            case .success(.end(let trailers)):
                completion(.success((collector.bytes, trailers)))
            case .success(.bytes(let bytes)):
                guard collector.bytes.count + bytes.count <= limit else {
                    connection?.streamedBodyTooLarge(limit: limit)
                    return completion(.failure(.tooLarge(limit: limit)))
                }
                collector.bytes.append(contentsOf: bytes)
                collectMore(into: collector, limit: limit, completion)
            }
        }
    }

    /// Bytes collected on the loop (confined there, like the body).
    private final class Collector: @unchecked Sendable {
        var bytes: [UInt8] = []
        init(limit: Int) { bytes.reserveCapacity(Swift.min(limit, 64 * 1024)) }
    }

    // MARK: Connection side (on the loop)

    /// Whether the handler has asked for a part not yet given.
    var isWaiting: Bool { waiting != nil }

    /// Whether a part waits for the handler to ask.
    var holdsPart: Bool { !held.isEmpty }

    /// A part arrived: given at once if the handler asked for it, else held. Returns false
    /// when held (the connection then stops reading until the handler asks).
    @discardableResult
    func deliver(_ part: Part) -> Bool {
        if case .end = part {
            ended = true
            connection = nil // nothing more to ask of it: a later read must not touch its next request
        }
        guard let onPart = waiting else {
            held.append(part)
            return false
        }
        waiting = nil
        onPart(.success(part))
        return true
    }

    /// The body cannot be read to its end; a part held is still given first. Nothing once
    /// the end arrived.
    func fail(_ error: RequestBodyError) {
        guard !ended, failure == nil else { return }
        failure = error
        connection = nil
        guard let onPart = waiting else { return }
        waiting = nil
        loop.execute { onPart(.failure(error)) }
    }

    /// Bytes held for the handler (the loop's buffered-bytes budget counts them).
    var heldBytes: Int {
        held.reduce(0) { total, part in if case .bytes(let bytes) = part { total + bytes.capacity } else { total } }
    }

    private func onLoop(_ body: @escaping @Sendable () -> Void) {
        if loop.isInLoop { body() } else { loop.execute(body) }
    }
}

extension RequestBody: AsyncSequence {
    /// A slice of the body.
    public typealias Element = [UInt8]
    /// Why the body could not be read to its end.
    public typealias Failure = RequestBodyError

    /// Iterates the body's slices; the trailers are `trailers` once it ended.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let body: RequestBody
        /// The trailer fields, once the iteration returned nil.
        public private(set) var trailers: Headers = [:]
        private var done = false

        init(body: RequestBody) { self.body = body }

        /// The next slice, nil after the last (then `trailers` holds the trailer fields).
        public mutating func next(isolation actor: isolated (any Actor)?) async throws(RequestBodyError) -> [UInt8]? {
            guard !done else { return nil }
            let body = self.body
            let result: Result<Part, RequestBodyError> = await withHandoff(isolation: actor) { handoff in
                body.read { handoff.resume(returning: $0) }
            }
            switch result {
            case .success(.bytes(let bytes)): return bytes
            case .success(.end(let fields)):
                done = true
                trailers = fields
                return nil
            case .failure(let error):
                done = true
                throw error
            }
        }

        /// The next slice, nil after the last.
        public mutating func next() async throws(RequestBodyError) -> [UInt8]? {
            try await next(isolation: nil)
        }
    }

    /// Reads the body slice by slice (one iteration per body).
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(body: self) }
}

/// Why a streamed request body could not be read to its end.
public enum RequestBodyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The client closed (or reset) the connection before the body ended.
    case peerClosed
    /// The body broke HTTP/1.1 framing (a bad chunk size, ...).
    case malformed(HTTPQError)
    /// The body is longer than the limit (the server's for streamed bodies, or `collect`'s).
    case tooLarge(limit: Int)
    /// No body byte arrived within the server's idle timeout.
    case timedOut
    /// The connection closed for another reason (server shutdown's grace period, a failed write).
    case connectionClosed

    /// What went wrong, in words.
    public var description: String {
        switch self {
        case .peerClosed: "the client closed the connection before the request body ended"
        case .malformed(let error): "the request body is malformed: \(error)"
        case .tooLarge(let limit): "the request body is larger than \(limit) bytes"
        case .timedOut: "no request body byte arrived in time"
        case .connectionClosed: "the connection closed before the request body ended"
        }
    }
}
