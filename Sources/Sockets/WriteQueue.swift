#if canImport(Glibc)
import Glibc
#endif

/// Bytes waiting to be written, kept in chunks with stable addresses so one `writev` can
/// send several; survives partial writes.
package struct WriteQueue: ~Copyable {
    /// An empty queue.
    package init() {}
    private var chunks: [UnsafeMutableRawBufferPointer] = []
    /// How much of the first chunk is already written.
    private var written = 0

    /// Whether everything queued is written.
    package var isEmpty: Bool { chunks.isEmpty }

    /// Queues a copy of `bytes` after what is already queued.
    package mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Queues a copy of `bytes` after what is already queued.
    package mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        chunk.copyMemory(from: bytes)
        chunks.append(chunk)
    }

    /// Queues up to `count` bytes of file `fd` from `offset`, read straight into the queue's
    /// own chunk (no zeroed buffer, no second copy). Returns the bytes read: 0 at end of
    /// file, nil when the read failed (nothing is queued then).
    package mutating func appendFile(_ fd: Int32, offset: Int, count: Int) -> Int? {
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 1)
        switch SystemCalls.pread(fd, into: chunk, at: offset) {
        case .ok(let read) where read > 0:
            // A short read keeps the allocation and counts only what was read (deallocating
            // frees the whole block from its base address).
            chunks.append(UnsafeMutableRawBufferPointer(rebasing: chunk[0..<read]))
            return read
        case .ok:
            chunk.deallocate()
            return 0
        case .wouldBlock, .failed:
            chunk.deallocate()
            return nil
        }
    }

    /// Sends `bytes` straight from the caller's buffer when nothing waits ahead of them;
    /// only what the socket does not take is copied into the queue. A failed write queues
    /// everything, and the next `flush` reports the error.
    package mutating func sendOrQueue(_ bytes: [UInt8], to fd: Int32) {
        guard chunks.isEmpty, !bytes.isEmpty else { return append(bytes) }
        let outcome = bytes.withUnsafeBytes { raw -> SystemCalls.Outcome<Int> in
            var vector = iovec(iov_base: UnsafeMutableRawPointer(mutating: raw.baseAddress), iov_len: raw.count)
            return withUnsafeMutablePointer(to: &vector) { SystemCalls.writev(fd, UnsafeMutableBufferPointer(start: $0, count: 1)) }
        }
        switch outcome {
        case .ok(let sent):
            if sent < bytes.count { bytes.withUnsafeBytes { append(UnsafeRawBufferPointer(rebasing: $0[sent...])) } }
        case .wouldBlock, .failed:
            append(bytes)
        }
    }

    /// `sendOrQueue` for one run of bytes in three buffers (a head, its body and nothing; a
    /// chunk's size line, data and CRLF), in one `writev` from where they are; what the
    /// socket does not take is copied into the queue, in order. A failed write queues
    /// everything, and the next `flush` reports it.
    package mutating func sendOrQueue(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer,
                                      _ third: UnsafeRawBufferPointer, to fd: Int32) {
        var sent = 0
        if chunks.isEmpty {
            var vectors = (iovec(iov_base: UnsafeMutableRawPointer(mutating: first.baseAddress), iov_len: first.count),
                           iovec(iov_base: UnsafeMutableRawPointer(mutating: second.baseAddress), iov_len: second.count),
                           iovec(iov_base: UnsafeMutableRawPointer(mutating: third.baseAddress), iov_len: third.count))
            if case .ok(let count) = withUnsafeMutableBytes(of: &vectors, { SystemCalls.writev(fd, $0.bindMemory(to: iovec.self)) }) {
                sent = count
            }
        }
        appendRest(of: first, after: &sent)
        appendRest(of: second, after: &sent)
        appendRest(of: third, after: &sent)
    }

    /// Queues what of `part` the first `sent` bytes of a write did not cover, and counts
    /// `part` off `sent`.
    private mutating func appendRest(of part: UnsafeRawBufferPointer, after sent: inout Int) {
        if sent >= part.count {
            sent -= part.count
        } else {
            append(UnsafeRawBufferPointer(rebasing: part[sent...]))
            sent = 0
        }
    }

    /// Writes as much as the socket takes. Returns nil on success (written or would block),
    /// or the errno of a failed write.
    package mutating func flush(to fd: Int32) -> Int32? {
        while !chunks.isEmpty {
            let count = min(chunks.count, 16)
            var vectors = [iovec](repeating: iovec(), count: count)
            for index in 0..<count {
                let chunk = chunks[index]
                let skip = index == 0 ? written : 0
                vectors[index] = iovec(iov_base: chunk.baseAddress! + skip, iov_len: chunk.count - skip)
            }
            let outcome = vectors.withUnsafeMutableBufferPointer { SystemCalls.writev(fd, $0) }
            switch outcome {
            case .ok(let sent): consume(sent)
            case .wouldBlock: return nil
            case .failed(let code): return code
            }
        }
        return nil
    }

    /// Writes chunk by chunk through `write` (TLS: one `SSL_write` each), which returns how
    /// many bytes it took, or nil when it can take no more now.
    package mutating func flush(through write: (UnsafeRawBufferPointer) -> Int?) {
        while let chunk = chunks.first {
            guard let sent = write(UnsafeRawBufferPointer(rebasing: chunk[written...])) else { return }
            consume(sent)
        }
    }

    private mutating func consume(_ count: Int) {
        var remaining = count
        while remaining > 0, let first = chunks.first {
            let left = first.count - written
            if remaining >= left {
                remaining -= left
                first.deallocate()
                chunks.removeFirst()
                if chunks.isEmpty { chunks = [] } // an idle connection keeps no buffer
                written = 0
            } else {
                written += remaining
                remaining = 0
            }
        }
    }

    /// Drops everything queued (the connection is closing).
    package mutating func removeAll() {
        for chunk in chunks { chunk.deallocate() }
        chunks.removeAll()
        written = 0
    }

    deinit {
        for chunk in chunks { chunk.deallocate() }
    }
}
