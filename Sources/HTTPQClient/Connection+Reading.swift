import Sockets
import TLS
import EvLoop
import HTTPQ
#if canImport(Glibc)
import Glibc
#endif

extension Connection {
    /// Readiness: the handshake, else the driver's steps (pending writes first, then reads).
    func ready(_ events: IOEvents) {
        if case .handshaking = phase { return continueHandshake() }
        if case .tunneling = phase { return continueTunnel(events) }
        let steps = driver.ready(readable: events.contains(.read) || events.contains(.error), writable: events.contains(.write))
        if steps.readFirst { readInput() }
        if steps.flush && !isClosed { flush() }
        if steps.read && !isClosed { readInput() }
    }

    /// Reads what the socket (or TLS) has, as far as the driver reads ahead (a few reads at
    /// most, for fairness).
    func readInput() {
        guard !core.paused, !isClosed else { return }
        let stop = ReadinessDriver.readAvailable(
            from: channel, into: loop.sharedReadBuffer, rounds: tls == nil ? 4 : 16,
            keepReading: { !core.paused && !isClosed }, deliver: { process($0) })
        driver.noteRead(stop)
        switch stop {
        case .end: endOfInput()
        case .endWithoutNotify: endOfInput(announced: false)
        case .needsWritable: updateInterest()
        case .failed(.system(let code)):
            fail(core.readFailed(errno: code, peerGone: Self.isPeerGone(code), inBody: response.state == .body))
        case .failed(.tls(let error)): fail(.tls(error))
        case .readLater: readLater() // stopped for fairness with bytes still inside TLS
        case .drained, .stopped, .yielded: break
        }
    }

    /// Reads again on the loop's next turn.
    func readLater() {
        loop.execute { [weak self] in
            guard let self, !self.isClosed, !self.core.paused else { return }
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
        while offset < input.count || (core.inFlight != nil && response.isComplete) {
            guard !isClosed else { return }
            if core.paused {
                pendingInput.append(contentsOf: input[offset...])
                return
            }
            // Bytes nobody asked for fail the connection: it cannot be trusted with another request.
            if offset < input.count, case .fail(let error) = core.bytesArrived(now: loop.now) { return fail(error) }
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
                if let delegate { tell(delegate, state, &response) }
            case .body(let range):
                let slice = UnsafeRawBufferPointer(rebasing: input[(start + range.lowerBound)..<(start + range.upperBound)])
                delegate?.connection(self, didReceiveBody: slice.bytes)
            case .complete:
                if response.status == 101, let onSwitch, core.inFlight?.asksUpgrade == true {
                    return switchProtocols(rest: Array(input[offset...]), onSwitch)
                }
                responseComplete(extraBytes: offset < input.count)
            }
        }
    }

    /// Lends the response to the delegate. Through `inout` the compiler knows nobody else
    /// touches it during the call and passes it in place; passed from the stored property,
    /// it was copied first (every field retained and released), twice per response.
    private func tell(_ delegate: ConnectionDelegate, _ state: State, _ response: inout Response) {
        delegate.connection(self, didChange: state, of: response)
    }

    /// The peer closed: completes a close-delimited body, or fails the request. Over TLS, a
    /// close without close_notify cannot end a close-delimited body: it may be an attacker's
    /// cut (RFC 8446 §6.1), so the request fails with `tls(.closedWithoutNotify)`.
    func endOfInput(announced: Bool = true) {
        switch core.peerClosed(announced: announced, framing: response.framing, inBody: response.state == .body) {
        case .finishCloseDelimited:
            if (try? response.finish()) != nil {
                responseComplete(extraBytes: false)
                if !isClosed { fail(.cancelled) }
                return
            }
            fail(response.state == .body ? .closedMidBody : .closedBeforeHead)
        case .fail(let error):
            fail(error)
        default:
            fail(.cancelled) // an idle connection closed by the server: no request to fail
        }
    }

    /// A whole message arrived: an interim one is passed on, a final one ends the request.
    func responseComplete(extraBytes: Bool) {
        guard let request = core.inFlight else { return }
        // Read in place: each getter called through `self.response` copied the whole response.
        let (status, isInformational, keepsAlive) = withUnsafeMutablePointer(to: &response) {
            ($0.pointee.status, $0.pointee.isInformational, $0.pointee.keepsConnectionAlive)
        }
        let action = core.messageComplete(status: status, isInformational: isInformational,
                                          keepsAlive: keepsAlive, extraBytes: extraBytes)
        switch action {
        case .interim:
            delegate?.connection(self, didReceiveInformational: response)
            response = Response(answering: request.method, limits: options.limits)
            response.keepsBody = options.keepsBody
        case .fail(let error):
            fail(error)
        case .complete(let reusable):
            // An answer before the whole body was sent (a 413, a redirect): the rest is not
            // sent, and the connection, its body cut short, is not reused.
            abandonUpload()
            // Moved out, not copied; an idle connection keeps no message: the next request
            // starts a fresh Response.
            var finished = Response()
            swap(&finished, &response)
            requestTimer?.cancel(); requestTimer = nil
            // The idle timer stays: it stops itself when it finds no request in flight, and a
            // next request only moves the time of the last read (no timer restart per request).
            options.logger?.trace("response", metadata: ["host": "\(host)", "status": "\(finished.status)", "reusable": "\(reusable)"])
            delegate?.connection(self, didComplete: finished)
            guard !isClosed else { return }
            // Not reusable: close the one way there is (requests queued behind fail `cancelled`;
            // with none, nobody hears of a failure).
            if !core.isReusable { return fail(.cancelled) }
            if core.inFlight == nil && !queued.isEmpty { startNext() }
        default:
            break
        }
    }
}
