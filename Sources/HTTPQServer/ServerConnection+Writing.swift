import Sockets

/// Writing a response, called by the `Responder`: bytes straight to the socket when nothing
/// waits ahead of them, files by `sendfile` (or through the queue under TLS), and what
/// follows once everything is out (the next request, a close, or an upgrade's hand-over).
extension ServerConnection {
    /// Whether `closing` must be forced on the response being started (server shutdown or a
    /// client that asked for it).
    /// `endsNow`: the answer's head comes with its whole body (`send`, `sendFile`).
    func mustClose(endsNow: Bool) -> Bool { core.answerMustClose(endsNow: endsNow) || home.isShuttingDown }

    func markClosing() { core.mustCloseAfterResponse() }

    /// The responder queued the answer's head: errors can no longer be answered.
    func responseHeadQueued() { core.responseHeadQueued() }

    /// Whether everything queued so far is written.
    var isDrained: Bool { writes.isEmpty && file == nil }

    /// Queues `bytes`; when nothing waits ahead of them they go straight to the socket from
    /// the caller's buffer, and only what the socket did not take is copied.
    func enqueue(_ bytes: [UInt8]) {
        guard file == nil, phase != .closed else { return writes.append(bytes) }
        channel.sendOrQueue(bytes, &writes)
    }

    /// `enqueue` for one run of bytes in up to three buffers (a head and its body; a chunk's
    /// size line, data and CRLF), written from where they are (`Channel.sendOrQueue`).
    func enqueue(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer,
                 _ third: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) {
        guard file == nil, phase != .closed else {
            writes.append(first)
            writes.append(second)
            return writes.append(third)
        }
        channel.sendOrQueue(first, second, third, &writes)
    }

    func enqueueFile(_ body: FileBody) {
        file = body
    }

    /// Writes what the socket takes; waits for writability for the rest. Once everything
    /// is out: the next request (or the close) if the response has ended, else the
    /// responder hears it may write more.
    func flush() {
        guard phase != .closed else { return }
        guard flushQueue() else { return }
        if tls != nil, file != nil {
            guard sendFileThroughTLS() else { return }
        }
        if writes.isEmpty, var body = file {
            while body.remaining > 0 {
                switch SystemCalls.sendfile(to: fd, from: body.descriptor, offset: &body.offset, count: min(body.remaining, 1 << 20)) {
                case .ok(0):
                    body.remaining = 0 // the file shrank under us: the body is short, so close
                    core.mustCloseAfterResponse()
                case .ok(let sent):
                    body.remaining -= sent
                case .wouldBlock:
                    file = body
                    return waitForWritable()
                case .failed:
                    return close()
                }
            }
            SystemCalls.close(body.descriptor)
            file = nil
        }
        guard writes.isEmpty else { return waitForWritable() }
        if let watcher, watcher.interest.contains(.write) {
            watcher.interest.remove(.write)
        }
        if let handOver = upgrade {
            // Inside `process`, the bytes behind the request are not yet set aside: after it.
            guard !processing else {
                // (Closed meanwhile — a reset, the grace period's end — there is nothing to hand
                // over: its descriptor is gone, and its number may already be another socket's.)
                return loop.execute { [self] in if let handOver = upgrade, phase != .closed { detach(handOver) } }
            }
            return detach(handOver)
        }
        perform(core.drained(now: loop.now))
    }

    /// Writes the queue; false when the connection closed on a failure.
    func flushQueue() -> Bool {
        let outcome = channel.flush(&writes)
        driver.noteFlush(outcome)
        switch outcome {
        case .done, .wouldBlock: return true
        case .needsReadable:
            setReading(true)
            return true
        case .failed:
            close()
            return false
        }
    }

    /// TLS cannot use `sendfile`: the file goes through the queue in 64 KiB pieces, read as
    /// the socket drains (one piece queued at a time). False when the connection closed.
    func sendFileThroughTLS() -> Bool {
        guard var body = file else { return true }
        while writes.isEmpty && body.remaining > 0 {
            guard let count = writes.appendFile(body.descriptor, offset: body.offset, count: min(body.remaining, 65_536)),
                  count > 0 else {
                body.remaining = 0 // the file shrank (or failed) under us: the body is short, so close
                core.mustCloseAfterResponse()
                break
            }
            body.offset += count
            body.remaining -= count
            guard flushQueue() else { return false }
        }
        if body.remaining == 0 && writes.isEmpty {
            SystemCalls.close(body.descriptor)
            file = nil
        } else {
            file = body
        }
        return true
    }

    func waitForWritable() {
        perform(core.writeBlocked(now: loop.now))
    }

    /// The responder has queued its last byte.
    func responseEnded() {
        core.responseEnded()
        flush()
    }
}
