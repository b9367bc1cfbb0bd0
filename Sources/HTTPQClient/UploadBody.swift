import EvLoop
import HTTPQ
import Locks
import Sockets

/// A request body sent as it is produced instead of held whole in `Request.body`: from a
/// file (`sendfile` on plain connections: the bytes never enter the process), from an
/// `AsyncSequence` of byte chunks, or pulled from a closure as the connection can take more.
/// With a known `length` the request says `Content-Length`; without one it is chunked.
///
/// Backpressure: the connection asks for the next piece only once the last one is written,
/// so an upload holds one piece in memory whatever its size.
///
/// ```swift
/// let upload = try UploadBody.file("/var/backups/db.tar")
/// let response = try await client.execute(Request(method: "PUT", target: "/"), body: upload,
///                                         to: "http://127.0.0.1:8080/db.tar")
/// ```
public struct UploadBody: Sendable {
    /// The body's size in bytes, when known (`Content-Length`); nil sends it chunked.
    public let length: Int?
    let source: Source

    enum Source: Sendable {
        /// `count` bytes of the file at `path` from `offset`.
        case file(path: String, offset: Int, count: Int)
        /// Calls the closure each time the connection can take more.
        case pull(@Sendable (BodyWriter) -> Void)
    }

    /// Whether the body can be sent again from its start (a request retried on a fresh
    /// connection): a file can; a sequence or a producer once read cannot.
    var isReplayable: Bool { if case .file = source { true } else { false } }

    /// The file at `path`, whole (its size is read now and sent as `Content-Length`); or
    /// `count` bytes from `offset`. Throws `uploadFailed` when it cannot be read.
    public static func file(_ path: String, offset: Int = 0, count: Int? = nil) throws(ClientError) -> UploadBody {
        let size: Int
        switch SystemCalls.openForReading(path) {
        case .ok(let fd):
            defer { SystemCalls.close(fd) }
            guard case .ok(let info) = SystemCalls.status(of: fd), info.isRegular else {
                throw .uploadFailed("\(path) is not a regular file")
            }
            size = info.size
        case .failed(let code): throw .uploadFailed("cannot open \(path): \(SystemCalls.describe(code))")
        case .wouldBlock: throw .uploadFailed("cannot open \(path)")
        }
        guard offset >= 0, offset <= size else { throw .uploadFailed("offset \(offset) is past the end of \(path) (\(size) bytes)") }
        let available = size - offset
        let length = count.map { Swift.min($0, available) } ?? available
        return UploadBody(length: length, source: .file(path: path, offset: offset, count: length))
    }

    /// The chunks of `sequence`, in order; `length` when the total is known.
    public static func stream<Chunks: AsyncSequence & Sendable>(_ sequence: Chunks, length: Int? = nil) -> UploadBody
        where Chunks.Element == [UInt8]
    {
        let pump = SequencePump(sequence)
        return UploadBody(length: length, source: .pull { writer in pump.next(into: writer) })
    }

    /// Bytes produced on demand: `produce` is called on the connection's loop each time
    /// the connection can take more, and must answer (now or later, from any thread) with
    /// `writer.write`, `writer.end` or `writer.fail`. It is not called again before it did.
    public static func pull(length: Int? = nil, _ produce: @escaping @Sendable (BodyWriter) -> Void) -> UploadBody {
        UploadBody(length: length, source: .pull(produce))
    }
}

/// Where a pulled upload body's bytes go. Safe from any thread (calls hop onto the loop);
/// calls after the request ended are ignored.
public final class BodyWriter: Sendable {
    private let box: UncheckedBox<WeakConnection>
    private let upload: Int

    init(_ connection: Connection, upload: Int) {
        box = UncheckedBox(WeakConnection(connection))
        self.upload = upload
    }

    /// Sends `bytes` next (an empty array asks again without sending anything).
    public func write(_ bytes: [UInt8]) { onLoop { $0.uploadWrote(bytes, upload: self.upload) } }

    /// The body is complete.
    public func end() { onLoop { $0.uploadEnded(upload: self.upload) } }

    /// The body cannot be produced: the request fails with `uploadFailed(reason)`.
    public func fail(_ reason: String) { onLoop { $0.uploadFailed(reason, upload: self.upload) } }

    private func onLoop(_ body: @escaping @Sendable (Connection) -> Void) {
        guard let connection = box.value.connection else { return }
        let reference = UncheckedBox(connection)
        if connection.loop.isInLoop { body(connection) } else { connection.loop.execute { body(reference.value) } }
    }
}

/// A connection held weakly: a writer kept by its producer does not keep the connection.
final class WeakConnection {
    weak var connection: Connection?
    init(_ connection: Connection) { self.connection = connection }
}

/// Reads an `AsyncSequence` one element per pull, each in a task of its own (the
/// connection's pulls are serial: one outstanding at a time).
final class SequencePump<Chunks: AsyncSequence & Sendable>: @unchecked Sendable where Chunks.Element == [UInt8] {
    private let sequence: Chunks
    private var iterator: Chunks.AsyncIterator?

    init(_ sequence: Chunks) { self.sequence = sequence }

    func next(into writer: BodyWriter) {
        Task {
            var iterator = self.iterator ?? sequence.makeAsyncIterator()
            do {
                let chunk = try await iterator.next()
                self.iterator = iterator
                if let chunk { writer.write(chunk) } else { writer.end() }
            } catch {
                writer.fail("the body's sequence threw: \(error)")
            }
        }
    }
}
