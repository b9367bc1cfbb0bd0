import Sockets
import EvLoop
import HTTPQ
#if canImport(Glibc)
import Glibc
#endif

extension Connection {
    /// Readiness: connect or handshake, or flush pending writes and then read.
    func ready(_ events: IOEvents) {
        if case .handshaking = phase { return continueHandshake() }
        if events.contains(.write) {
            if readNeedsWritable {
                readNeedsWritable = false
                readInput()
            }
            flush()
        }
        guard events.contains(.read) || events.contains(.error), !isClosed else { return }
        if writeNeedsReadable { flush() }
        readInput()
    }

    /// Reads a few times at most, for fairness: a plain socket until a short read, TLS while
    /// it holds bytes it already took from the socket (those are never signalled).
    func readInput() {
        let buffer = loop.sharedReadBuffer
        for round in 0..<(tls == nil ? 4 : 16) {
            guard !paused, !isClosed, tls == nil || round == 0 || channel.hasBufferedInput else { return }
            switch channel.read(into: buffer) {
            case .end:
                return endOfInput()
            case .endWithoutNotify:
                return endOfInput(announced: false)
            case .bytes(let count):
                lastRead = loop.now
                process(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                if count < buffer.count && tls == nil { return }
            case .wouldBlock:
                return
            case .needsWritable:
                readNeedsWritable = true
                return updateInterest()
            case .failed(.system(let code)) where code == ECONNRESET || code == EPIPE:
                return fail(responseStarted && response.state == .body ? .closedMidBody : .closedBeforeHead)
            case .failed(.system(let code)):
                return fail(.systemCallFailed(call: "read", errno: code))
            case .failed(.tls(let error)):
                return fail(.tls(error))
            }
        }
        // Stopped for fairness with bytes still inside TLS: the socket will not say so.
        if channel.hasBufferedInput { readLater() }
    }

    /// Reads again on the loop's next turn.
    func readLater() {
        loop.execute { [weak self] in
            guard let self, !self.isClosed, !self.paused else { return }
            self.readInput()
        }
    }

    /// Feeds bytes to the response, one event at a time, telling the delegate.
    func process(_ input: UnsafeRawBufferPointer) {
        processing = true
        defer { processing = false }
        var offset = 0
        // Loop until the parser has nothing more to say: completion is reported by its own
        // event, possibly after the last byte was consumed.
        while offset < input.count || (inFlight != nil && response.isComplete) {
            guard !isClosed else { return }
            if paused {
                pendingInput.append(contentsOf: input[offset...])
                return
            }
            guard inFlight != nil else {
                // Bytes nobody asked for: the connection cannot be trusted with another request.
                isReusable = false
                fail(.cancelled)
                return
            }
            if offset < input.count { responseStarted = true }
            let step: (consumed: Int, event: MessageEvent?)
            do {
                step = try response.consume(UnsafeRawBufferPointer(rebasing: input[offset...]))
            } catch {
                fail(.protocolError(error))
                return
            }
            let start = offset
            offset += step.consumed
            guard let event = step.event else { break }
            switch event {
            case .stateChanged(let state):
                delegate?.connection(self, didChange: state, of: response)
            case .body(let range):
                let slice = UnsafeRawBufferPointer(rebasing: input[(start + range.lowerBound)..<(start + range.upperBound)])
                delegate?.connection(self, didReceiveBody: slice.bytes)
            case .complete:
                responseComplete(extraBytes: offset < input.count)
            }
        }
    }

    /// The peer closed: completes a close-delimited body, or fails the request. Over TLS, a
    /// close without close_notify cannot end a close-delimited body: it may be an attacker's
    /// cut (RFC 8446 §6.1), so the request fails with `tls(.closedWithoutNotify)`.
    func endOfInput(announced: Bool = true) {
        guard inFlight != nil else {
            fail(.cancelled) // an idle connection closed by the server: no request to fail
            return
        }
        if responseStarted, response.framing == .untilClose {
            isReusable = false
            if !announced { return fail(.tls(.closedWithoutNotify)) }
            if (try? response.finish()) != nil {
                responseComplete(extraBytes: false)
                if !isClosed { fail(.cancelled) }
                return
            }
        }
        fail(responseStarted && response.state == .body ? .closedMidBody : .closedBeforeHead)
    }

    /// A whole message arrived: an interim one is passed on, a final one ends the request.
    func responseComplete(extraBytes: Bool) {
        guard let request = inFlight else { return }
        if response.isInformational && response.status != 101 {
            delegate?.connection(self, didReceiveInformational: response)
            response = Response(answering: request.method, limits: options.limits)
            response.keepsBody = options.keepsBody
            return
        }
        // After a 101 the bytes are another protocol's: never HTTP again on this connection,
        // and a 101 nobody asked for is no answer at all.
        if response.status == 101 {
            isReusable = false
            if !request.asksUpgrade { return fail(.unexpectedSwitchingProtocols) }
        }
        if request.method == "CONNECT" && (200..<300).contains(response.status) { isReusable = false } // a tunnel now
        let finished = response
        // An idle connection keeps no message: the next request starts a fresh Response.
        response = Response()
        inFlight = nil
        requestTimer?.cancel(); requestTimer = nil
        // The idle timer stays: it stops itself when it finds no request in flight, and a
        // next request only moves `lastRead` (no timer restart per request).
        if !finished.keepsConnectionAlive || extraBytes { isReusable = false }
        options.logger?.trace("response", metadata: ["host": "\(host)", "status": "\(finished.status)", "reusable": "\(isReusable)"])
        delegate?.connection(self, didComplete: finished)
        guard !isClosed else { return }
        // Not reusable: close the one way there is (requests queued behind fail `cancelled`;
        // with none, nobody hears of a failure).
        if !isReusable { return fail(.cancelled) }
        if inFlight == nil && !queued.isEmpty { startNext() }
    }
}
