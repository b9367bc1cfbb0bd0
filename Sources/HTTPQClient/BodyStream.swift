import Locks
import EvLoop
import HTTPQ

/// A response whose body arrives as an `AsyncSequence` of chunks, with backpressure: when
/// more than `highWater` bytes wait unread, the connection stops reading until the
/// consumer has taken them.
public struct StreamedResponse: Sendable {
    /// The status line and fields (the body is empty: it is in `body`).
    public let head: Response
    /// The decoded body, chunk by chunk.
    public let body: BodyStream
}

/// The body of a `StreamedResponse`. Iterate it once.
public final class BodyStream: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    struct State {
        var chunks: [[UInt8]] = []
        var buffered = 0
        var finished: ClientError?? = nil      // .some(nil): ended; .some(error): failed
        var waiter: CheckedContinuation<Void, Never>?
        var paused = false
        var control: ReadControl?
    }

    let state = Locked(State())
    let highWater: Int

    init(highWater: Int) { self.highWater = highWater }

    // Producer side, on the loop.
    func append(_ bytes: [UInt8]) {
        let (waiter, control) = state.withLock { state -> (CheckedContinuation<Void, Never>?, ReadControl?) in
            state.chunks.append(bytes)
            state.buffered += bytes.count
            var pauseWith: ReadControl?
            if state.buffered > highWater && !state.paused {
                state.paused = true
                pauseWith = state.control
            }
            defer { state.waiter = nil }
            return (state.waiter, pauseWith)
        }
        control?.pause()
        waiter?.resume()
    }

    func finish(_ error: ClientError?) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.finished = .some(error)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// The next chunk, nil at the end; throws the request's error.
    func next() async throws(ClientError) -> [UInt8]? {
        while true {
            enum Step { case chunk([UInt8], ReadControl?), end, failed(ClientError), wait }
            let step = state.withLock { state -> Step in
                if !state.chunks.isEmpty {
                    let chunk = state.chunks.removeFirst()
                    state.buffered -= chunk.count
                    var resumeWith: ReadControl?
                    if state.paused && state.buffered <= highWater / 2 {
                        state.paused = false
                        resumeWith = state.control
                    }
                    return .chunk(chunk, resumeWith)
                }
                switch state.finished {
                case .some(.none): return .end
                case .some(.some(let error)): return .failed(error)
                case .none: return .wait
                }
            }
            switch step {
            case .chunk(let chunk, let control):
                control?.resume()
                return chunk
            case .end: return nil
            case .failed(let error): throw error
            case .wait:
                await withCheckedContinuation { continuation in
                    let ready = state.withLock { state -> Bool in
                        if !state.chunks.isEmpty || state.finished != nil { return true }
                        state.waiter = continuation
                        return false
                    }
                    if ready { continuation.resume() }
                }
            }
        }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let stream: BodyStream
        public mutating func next() async throws(ClientError) -> [UInt8]? { try await stream.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(stream: self) }
}

/// Feeds a `BodyStream` from the loop and hands the head to the awaiting task.
final class StreamingDelegate: RequestDelegate, @unchecked Sendable {
    let stream: BodyStream
    var headContinuation: Handoff<Result<Response, ClientError>>?

    init(stream: BodyStream, head: Handoff<Result<Response, ClientError>>) {
        self.stream = stream
        headContinuation = head
    }

    func request(didStartWith control: ReadControl) { stream.state.withLock { $0.control = control } }

    func request(didChange state: State, of response: Response) {
        guard state == .body else { return }
        headContinuation?.resume(returning: .success(response))
        headContinuation = nil
    }

    func request(didReceiveBody bytes: RawSpan) {
        stream.append(bytes.withUnsafeBytes { Array($0) })
    }

    func request(didComplete response: Response) {
        headContinuation?.resume(returning: .success(response))
        headContinuation = nil
        stream.finish(nil)
    }

    func request(didFail error: ClientError) {
        headContinuation?.resume(returning: .failure(error))
        headContinuation = nil
        stream.finish(error)
    }
}

extension Client {
    /// Sends `request` to `url` and returns once the head has arrived; the body follows as
    /// an `AsyncSequence` with backpressure (reading pauses past `highWater` unread bytes).
    /// Use a client whose `connection.keepsBody` is false for constant memory.
    public func stream(_ request: Request, to url: String, highWater: Int = 256 * 1024) async throws(ClientError) -> StreamedResponse {
        let body = BodyStream(highWater: highWater)
        let head: Result<Response, ClientError> = await withHandoff { handoff in
            execute(request, to: url, delegate: StreamingDelegate(stream: body, head: handoff))
        }
        return StreamedResponse(head: try head.get(), body: body)
    }
}
