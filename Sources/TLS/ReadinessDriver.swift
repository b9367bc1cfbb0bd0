/// The readiness rules of a connection over a `Channel`, plain or TLS, kept once for the
/// client and the server: which readiness to wait for, what to do when it comes, and how
/// far to read ahead.
///
/// TLS crosses the two directions: a read may need the socket writable first (a handshake
/// message or key update to send), a write may need it readable first (one to receive). The
/// driver remembers each crossing and turns it into interest and into the order of steps on
/// the next readiness, so neither side is left waiting for an event that will never come.
///
/// A value: the connection class keeps it, asks it, and performs the steps. The reading loop
/// is a static function, because delivering bytes re-enters the class (which may flush and
/// so note a flush in the driver) while the loop runs.
package struct ReadinessDriver: Sendable, Equatable {
    /// A TLS read stopped until the socket is writable.
    package private(set) var readNeedsWritable = false
    /// A TLS write stopped until the socket is readable.
    package private(set) var writeNeedsReadable = false

    package init() {}

    /// What to do for one readiness, in this order: read (a read that waited for
    /// writability), flush, read.
    package struct Steps: Equatable, Sendable {
        package var readFirst = false
        package var flush = false
        package var read = false

        package init(readFirst: Bool = false, flush: Bool = false, read: Bool = false) {
            self.readFirst = readFirst
            self.flush = flush
            self.read = read
        }
    }

    /// The socket is `readable` and/or `writable`: writes go first (they may free what the
    /// peer waits for), a read that waited for writability goes before them, a write that
    /// waited for readability goes with the read.
    package mutating func ready(readable: Bool, writable: Bool) -> Steps {
        var steps = Steps()
        if writable {
            steps.readFirst = readNeedsWritable
            readNeedsWritable = false
            steps.flush = true
        }
        if readable {
            if writeNeedsReadable { steps.flush = true }
            steps.read = true
        }
        return steps
    }

    /// Which readiness to wait for: reading when the connection wants input or a write
    /// waits on one; writing when bytes are queued (or a file is being sent) or a read waits
    /// on writability.
    package func interest(wantsInput: Bool, wantsOutput: Bool) -> (read: Bool, write: Bool) {
        (wantsInput || writeNeedsReadable, wantsOutput || readNeedsWritable)
    }

    /// Remembers how a reading loop stopped.
    package mutating func noteRead(_ stop: ReadStop) {
        if stop == .needsWritable { readNeedsWritable = true }
    }

    /// Remembers how a flush ended (each flush starts afresh).
    package mutating func noteFlush(_ outcome: Channel.FlushOutcome) {
        writeNeedsReadable = outcome == .needsReadable
    }

    // MARK: Reading

    /// Why a reading loop stopped.
    package enum ReadStop: Equatable, Sendable {
        /// The socket has nothing more now (it will signal readability), or a plain read
        /// came back short.
        case drained
        /// The caller stopped it (`keepReading` said no).
        case stopped
        /// The round limit was reached with bytes still inside TLS, which the socket will not
        /// signal: read again on a later loop turn.
        case readLater
        /// The round limit was reached on a plain socket that may hold more: it stays
        /// readable, so the loop comes back.
        case yielded
        /// TLS must write before it can read on: wait for writability (`noteRead` records it).
        case needsWritable
        /// The peer closed (TCP end of stream, or TLS close_notify).
        case end
        /// TLS only: the TCP stream ended without close_notify.
        case endWithoutNotify
        case failed(Channel.Failure)
    }

    /// Reads into `buffer` and hands each read to `deliver`, for at most `rounds` reads
    /// (fairness among connections): a plain socket until a read comes back short; TLS
    /// while the session holds bytes it took from the socket. Checks `keepReading` before
    /// every read but the first (a delivery may pause or close the connection).
    package static func readAvailable(
        from channel: Channel, into buffer: UnsafeMutableRawBufferPointer, rounds: Int,
        keepReading: () -> Bool, deliver: (UnsafeRawBufferPointer) -> Void
    ) -> ReadStop {
        let usesTLS = channel.tls != nil
        for round in 0..<rounds {
            if round > 0 {
                guard keepReading() else { return .stopped }
                if usesTLS && !channel.hasBufferedInput { return .drained }
            }
            switch channel.read(into: buffer) {
            case .bytes(let count):
                deliver(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                if !usesTLS && count < buffer.count { return .drained }
            case .end: return .end
            case .endWithoutNotify: return .endWithoutNotify
            case .wouldBlock: return .drained
            case .needsWritable: return .needsWritable
            case .failed(let failure): return .failed(failure)
            }
        }
        guard keepReading() else { return .stopped }
        return usesTLS ? (channel.hasBufferedInput ? .readLater : .drained) : .yielded
    }
}
