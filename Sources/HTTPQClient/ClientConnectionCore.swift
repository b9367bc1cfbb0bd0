import HTTPQ

/// The rules of one client connection's exchanges, as a value: the request in flight, whether
/// any of its response arrived, whether the connection can carry another request, whether the
/// consumer paused reading, and when the peer last sent anything. Each event returns what the
/// connection must do; `Connection` performs it (sockets, timers, the delegate). No sockets,
/// no loop, no clock: time comes in as numbers (`ClientConnectionCoreTests`).
struct ClientConnectionCore: Sendable {
    /// What the connection remembers of the request in flight.
    struct InFlight: Hashable, Sendable {
        /// The method, which decides whether the response has a body (HEAD).
        let method: String
        /// Whether the request asked to switch protocols (`Connection: upgrade`).
        let asksUpgrade: Bool
    }

    /// What the connection must do.
    enum Action: Hashable, Sendable {
        case none
        /// End the request (and any queued behind it) with this error, and close.
        case fail(ClientError)
        /// Close quietly: nothing was in flight.
        case close
        /// A close-delimited body ended with the connection: complete the response.
        case finishCloseDelimited
        /// An interim (1xx) response: pass it on and read the final one.
        case interim
        /// The final response: hand it over; then reuse the connection or close it.
        case complete(reusable: Bool)
        /// Check the silence again after this many seconds.
        case rearmIdleTimer(after: Double)
    }

    /// Where the connection is on its way up, and whether it is down.
    enum Phase: Hashable, Sendable {
        /// The host name is being resolved.
        case resolving
        /// TCP connecting, happy-eyeballs style (RFC 8305): attempts `0..<next` were started,
        /// `open` of them still race.
        case connecting(next: Int, open: Int)
        /// TCP to the proxy is up; its answer to `CONNECT` is awaited (under the connect timeout).
        case tunneling
        /// TCP is up; the TLS handshake is under way (still under the connect timeout).
        case handshaking
        /// Ready for requests.
        case connected
        case closed
    }

    /// What the connection must do on its way up.
    enum ConnectAction: Hashable, Sendable {
        /// Start an attempt to the address at this index (earlier ones go on racing); when
        /// `more` addresses remain, ask `nextAttemptDue` after the attempt delay.
        case connect(index: Int, more: Bool)
        /// Ask the proxy to `CONNECT` to the origin.
        case openTunnel
        /// Start the TLS handshake.
        case startTLS
        /// Ready: stop the connect timer, send what waits.
        case established
        /// No address could be connected to (or none was found): fail with this error.
        case fail(ClientError)
        case none
    }

    private(set) var phase = Phase.resolving
    /// How many addresses the name resolved to.
    private var addressCount = 0

    /// The request on the wire, if any.
    private(set) var inFlight: InFlight?
    /// Whether any byte of the current response arrived (decides retries and errors).
    private(set) var responseStarted = false
    /// Whether the connection can carry another request after the current one.
    private(set) var isReusable = true
    /// The consumer asked not to be given more body for now.
    private(set) var paused = false
    /// Loop time of the last byte read or body byte written (or of the last check while
    /// paused): what the idle timeout measures silence from.
    private(set) var lastRead: Double = 0
    /// A streamed request body is still being sent.
    private(set) var uploading = false

    // MARK: Connecting

    /// The name resolved to `count` addresses: connect to the first.
    mutating func resolved(count: Int, host: String, port: Int) -> ConnectAction {
        guard phase == .resolving else { return .none }
        addressCount = count
        guard count > 0 else {
            return .fail(.resolveFailed(host: host, reason: "no addresses"))
        }
        return startAttempt(next: 0, open: 0)
    }

    /// The attempt delay passed with no winner: the next address joins the race (RFC 8305
    /// §5: the earlier attempts are not abandoned).
    mutating func nextAttemptDue() -> ConnectAction {
        guard case .connecting(let next, let open) = phase, next < addressCount else { return .none }
        return startAttempt(next: next, open: open)
    }

    /// An attempt failed (`errno`; `refused`: the peer said so): the next address starts at
    /// once; with none left and none racing, the error that says why (refused if the last
    /// failure was a refusal, else unreachable).
    mutating func attemptFailed(errno code: Int32, refused: Bool, host: String, port: Int) -> ConnectAction {
        guard case .connecting(let next, let open) = phase else { return .none }
        if next < addressCount { return startAttempt(next: next, open: open - 1) }
        phase = .connecting(next: next, open: open - 1)
        guard open - 1 == 0 else { return .none } // others still race
        return .fail(refused ? .connectionRefused(host: host, port: port)
                     : .unreachable(host: host, port: port, errno: code))
    }

    private mutating func startAttempt(next: Int, open: Int) -> ConnectAction {
        phase = .connecting(next: next + 1, open: open + 1)
        return .connect(index: next, more: next + 1 < addressCount)
    }

    /// TCP is up (the first attempt to connect wins; the connection closes the others): a
    /// tunnel through the proxy first, or the handshake, or ready.
    mutating func tcpConnected(usesTLS: Bool, tunnels: Bool = false) -> ConnectAction {
        guard case .connecting = phase else { return .none }
        if tunnels {
            phase = .tunneling
            return .openTunnel
        }
        return usesTLS ? startHandshake() : ready()
    }

    /// The proxy answered CONNECT with `status`: a 2xx opens the tunnel (TLS next, or ready);
    /// anything else fails with `proxyRefused`.
    mutating func tunnelAnswered(status: Int, usesTLS: Bool, proxy: String) -> ConnectAction {
        guard phase == .tunneling else { return .none }
        guard (200..<300).contains(status) else { return .fail(.proxyRefused(proxy: proxy, status: status)) }
        return usesTLS ? startHandshake() : ready()
    }

    private mutating func startHandshake() -> ConnectAction {
        phase = .handshaking
        return .startTLS
    }

    private mutating func ready() -> ConnectAction {
        phase = .connected
        return .established
    }

    /// The TLS handshake is done: ready.
    mutating func handshakeFinished() -> ConnectAction {
        guard phase == .handshaking else { return .none }
        phase = .connected
        return .established
    }

    // MARK: Requests

    /// A request goes on the wire.
    mutating func requestSent(method: String, asksUpgrade: Bool, asksToClose: Bool, now: Double) {
        inFlight = InFlight(method: method, asksUpgrade: asksUpgrade)
        responseStarted = false
        if asksToClose { isReusable = false }
        lastRead = now
    }

    /// The connection ended: nothing is in flight any more.
    mutating func closed() {
        phase = .closed
        inFlight = nil
        uploading = false
    }

    // MARK: Streamed request bodies

    /// A streamed body follows the head.
    mutating func uploadStarted() { uploading = true }

    /// Body bytes went out: a slow upload is progress, not silence.
    mutating func uploadProgressed(now: Double) { lastRead = now }

    /// The whole body is written.
    mutating func uploadFinished() { uploading = false }

    // MARK: Reading

    mutating func pause() { paused = true }

    /// Resumes; true when it was paused (what was held back must now be delivered).
    mutating func resume() -> Bool {
        defer { paused = false }
        return paused
    }

    /// Bytes arrived. Without a request in flight nobody asked for them: the connection
    /// cannot be trusted with another request.
    mutating func bytesArrived(now: Double) -> Action {
        lastRead = now
        guard inFlight != nil else {
            isReusable = false
            return .fail(.cancelled)
        }
        responseStarted = true
        return .none
    }

    /// Why the request fails when reading failed with `errno`: the peer leaving (`peerGone`,
    /// a reset) says where the response was cut; anything else is the system's failure.
    func readFailed(errno code: Int32, peerGone: Bool, inBody: Bool) -> ClientError {
        guard peerGone else { return .systemCallFailed(call: "read", errno: code) }
        return responseStarted && inBody ? .closedMidBody : .closedBeforeHead
    }

    /// Why the request fails when writing failed with `errno`.
    func writeFailed(errno code: Int32, peerGone: Bool) -> ClientError {
        guard peerGone else { return .systemCallFailed(call: "writev", errno: code) }
        return responseStarted ? .closedMidBody : .closedBeforeHead
    }

    /// The peer closed. A close-delimited body it ends is complete — but over TLS only with
    /// `close_notify` (`announced`): a bare TCP close may be an attacker's cut (RFC 8446 §6.1).
    mutating func peerClosed(announced: Bool, framing: BodyFraming?, inBody: Bool) -> Action {
        guard inFlight != nil else { return .close } // an idle connection closed by the server
        if responseStarted, framing == .untilClose {
            isReusable = false
            return announced ? .finishCloseDelimited : .fail(.tls(.closedWithoutNotify))
        }
        return .fail(responseStarted && inBody ? .closedMidBody : .closedBeforeHead)
    }

    /// A whole message arrived: an interim one is passed on; a `101` nobody asked for is no
    /// answer; a final one ends the request, and the connection is reused only when the
    /// response allows it (`keepsAlive`), nothing followed it, and no tunnel began.
    mutating func messageComplete(status: Int, isInformational: Bool, keepsAlive: Bool, extraBytes: Bool) -> Action {
        guard let request = inFlight else { return .none }
        if isInformational && status != 101 { return .interim }
        if status == 101 {
            isReusable = false
            if !request.asksUpgrade { return .fail(.unexpectedSwitchingProtocols) }
        }
        if request.method == "CONNECT" && (200..<300).contains(status) { isReusable = false } // a tunnel now
        if !keepsAlive || extraBytes { isReusable = false }
        if uploading { // answered before the body was all sent: the body is cut short
            isReusable = false
            uploading = false
        }
        inFlight = nil
        return .complete(reusable: isReusable)
    }

    // MARK: Silence

    /// The idle timer fired: past `limit` seconds of silence the request fails, else the timer
    /// is set again for what remains. Not reading is the consumer's choice, not the peer's
    /// stall: while paused the silence does not count.
    mutating func idleCheck(now: Double, limit: Double) -> Action {
        guard inFlight != nil else { return .none }
        if paused { lastRead = now }
        let idle = now - lastRead
        if idle >= limit { return .fail(.timedOut(.idleRead)) }
        return .rearmIdleTimer(after: max(0.001, limit - idle))
    }
}
