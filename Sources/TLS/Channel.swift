import Sockets
#if canImport(Glibc)
import Glibc
#endif

/// A connected socket, plain or under TLS: the client and the server read and write through
/// it without caring which. Plain reads and writes are the system calls themselves; TLS ones
/// go through the session, which may need the other readiness than the one asked for.
package struct Channel {
    /// The socket.
    package let fd: Int32
    /// The TLS session over it, once established; nil for plain TCP.
    package let tls: TLSStream?

    /// A channel over `fd`, under `tls` when given.
    package init(fd: Int32, tls: TLSStream?) {
        self.fd = fd
        self.tls = tls
    }

    /// Why a read or a write could not go on.
    package enum Failure: Equatable {
        /// The socket failed with this errno (ECONNRESET and EPIPE mean the peer went away).
        case system(Int32)
        /// The TLS session failed.
        case tls(TLSError)
    }

    /// What a read got.
    package enum ReadOutcome: Equatable {
        case bytes(Int)
        /// The peer closed (TCP end of stream, or TLS close_notify).
        case end
        /// TLS only: the TCP stream ended without close_notify. Whatever the protocol above
        /// frames itself is intact; what the close delimits may be cut short.
        case endWithoutNotify
        /// Nothing now: wait for readability.
        case wouldBlock
        /// Nothing now: TLS must write before it can read on (wait for writability).
        case needsWritable
        case failed(Failure)
    }

    /// What a flush left.
    package enum FlushOutcome: Equatable {
        /// Everything written.
        case done
        /// Some left: wait for writability.
        case wouldBlock
        /// Some left: TLS must read before it can write on.
        case needsReadable
        case failed(Failure)
    }

    /// Reads (or decrypts) into `buffer`.
    package func read(into buffer: UnsafeMutableRawBufferPointer) -> ReadOutcome {
        guard let tls else {
            switch SystemCalls.read(fd, into: buffer) {
            case .ok(0): return .end
            case .ok(let count): return .bytes(count)
            case .wouldBlock: return .wouldBlock
            case .failed(let code): return .failed(.system(code))
            }
        }
        switch tls.read(into: buffer) {
        case .ok(let count): return .bytes(count)
        case .closed: return .end
        case .closedWithoutNotify: return .endWithoutNotify
        case .wantRead: return .wouldBlock
        case .wantWrite: return .needsWritable
        case .systemError(let code): return .failed(.system(code))
        case .failed(let error): return .failed(.tls(error))
        }
    }

    /// Whether TLS holds decrypted bytes the socket will not signal: a reader that stopped
    /// before `wouldBlock` must come back for them.
    package var hasBufferedInput: Bool { tls?.hasBufferedInput ?? false }

    /// Writes as much of `queue` as the socket takes.
    package func flush(_ queue: inout WriteQueue) -> FlushOutcome {
        guard let tls else {
            if let code = queue.flush(to: fd) { return .failed(.system(code)) }
            return queue.isEmpty ? .done : .wouldBlock
        }
        var stopped = FlushOutcome.done
        queue.flush { chunk in
            switch tls.write(chunk) {
            case .ok(let sent): return sent
            case .wantWrite: stopped = .wouldBlock
            case .wantRead: stopped = .needsReadable
            case .closed, .closedWithoutNotify: stopped = .failed(.system(EPIPE))
            case .systemError(let code): stopped = .failed(.system(code))
            case .failed(let error): stopped = .failed(.tls(error))
            }
            return nil
        }
        return stopped
    }

    /// Sends `bytes` straight from the caller's buffer when nothing waits ahead of them;
    /// only what the socket did not take is queued. A failure queues everything, and the
    /// next `flush` reports it.
    package func sendOrQueue(_ bytes: [UInt8], _ queue: inout WriteQueue) {
        guard let tls else { return queue.sendOrQueue(bytes, to: fd) }
        guard queue.isEmpty, !bytes.isEmpty else { return queue.append(bytes) }
        bytes.withUnsafeBytes { raw in
            if case .ok(let sent) = tls.write(raw) {
                if sent < raw.count { queue.append(UnsafeRawBufferPointer(rebasing: raw[sent...])) }
            } else {
                queue.append(raw) // the retry must offer the same bytes first: it will
            }
        }
    }

    /// `sendOrQueue` for one run of bytes in up to three buffers (a head and its body; a
    /// chunk's size line, data and CRLF): over TCP one `writev` from where the buffers are
    /// (a body was copied behind its head first: a 16 KiB answer once more); over TLS joined
    /// first, so the run is one record as one buffer made it.
    package func sendOrQueue(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer,
                             _ third: UnsafeRawBufferPointer, _ queue: inout WriteQueue) {
        guard tls == nil else {
            // One buffer of the run's size, each part copied in once (`Array(a) + Array(b)`
            // made three arrays and copied twice, per answer over TLS).
            var joined: [UInt8] = []
            joined.reserveCapacity(first.count + second.count + third.count)
            joined.append(contentsOf: first)
            joined.append(contentsOf: second)
            joined.append(contentsOf: third)
            return sendOrQueue(joined, &queue)
        }
        queue.sendOrQueue(first, second, third, to: fd)
    }

    /// The same for two buffers (a head and its body).
    package func sendOrQueue(_ head: UnsafeRawBufferPointer, _ body: UnsafeRawBufferPointer, _ queue: inout WriteQueue) {
        sendOrQueue(head, body, UnsafeRawBufferPointer(start: nil, count: 0), &queue)
    }

    /// Ends TLS politely (close_notify) before the socket is shut or closed; nothing for TCP.
    package func closeTLS() { tls?.close() }
}
