import HTTPQ

/// The rules of one server connection, as a value: where it is (handshake, idle, reading a
/// request, answering one, lingering, closed), which deadline holds, and whether it must close
/// after the current answer. Each event returns what the connection must do; the I/O class
/// (`ServerConnection`) only performs it. No sockets, no loop, no clock: time comes in as
/// numbers, so every transition is tested without either (`ServerConnectionCoreTests`).
struct ServerConnectionCore: Sendable {
    enum Phase: Hashable, Sendable {
        /// TLS handshake under way, on the header deadline (a client that never finishes it is
        /// cut off like one that never sends a head).
        case handshaking
        /// Kept alive, waiting for the first byte of the next request.
        case idle
        /// Reading a request head (header deadline) or body (idle deadline per read).
        case reading
        /// A streaming handler has the head and reads the body as it asks for it: reading runs
        /// (on the idle deadline) while it has asked, and pauses while a slice waits for it.
        case streaming
        /// The handler has the request; bytes that arrive meanwhile wait (pipelining).
        case responding
        /// The last answer is out and the write side is shut: reading and discarding until the
        /// peer closes (bounded), so a reset cannot destroy what was sent.
        case lingering
        case closed
    }

    /// The waits, in loop seconds.
    struct Timeouts: Hashable, Sendable {
        var header: Double
        var idle: Double
        /// How long a lingering close drains before it gives up.
        var linger: Double = 2
    }

    /// What the connection must do.
    enum Action: Hashable, Sendable {
        /// Nothing more.
        case none
        /// Answer with this status and message, then close (the answer's `Connection: close`
        /// and the close follow from `closeAfterResponse`).
        case respondWithError(status: Int, message: String)
        /// Write `100 Continue` before reading the body.
        case sendContinue
        /// Hand the complete request to the handler.
        case dispatch
        /// Hand the head to the streaming handler; the body follows as it asks.
        case dispatchHead
        /// The streaming handler asks for the body: read on (writing `100 Continue` first when
        /// the client waits for it).
        case readBody(sendContinue: Bool)
        /// Stop reading (a half-closed client waits for its answer).
        case stopReading
        /// Wait for writability: the socket took less than was queued.
        case watchWritable
        /// Tell the responder everything written so far has gone (it may write more).
        case notifyDrained
        /// The answer is written; the connection is idle again: resume reading and process
        /// pipelined bytes that waited.
        case startNextRequest
        /// The answer is written and the connection ends: shut the write side and drain.
        case lingerThenClose
        /// Close now.
        case close
    }

    private(set) var phase: Phase
    /// Loop time at which the current wait gives up (`.infinity` while the handler answers).
    private(set) var deadline: Double
    /// Close once the current answer is written.
    private(set) var closeAfterResponse = false
    /// The peer closed its side while its request was answered.
    private(set) var peerClosedReading = false
    /// The responder has queued its last byte; the answer ends once it is written.
    private(set) var responseComplete = false
    /// The answer's head is queued: an error can no longer be answered, only closed on.
    private(set) var responseStarted = false
    /// The client waits for `100 Continue` before its body; sent when the handler asks for it.
    private(set) var continuePending = false
    /// The streaming handler has asked for the body of the current request.
    private(set) var bodyAskedFor = false

    /// Whether an answer started now must say `Connection: close`: the connection closes
    /// after it, or a streaming handler answers without having asked for the body (which
    /// will not be read, so the connection cannot carry another request).
    var answerMustClose: Bool { answerMustClose(endsNow: false) }

    /// The same for an answer that ends with its head (a whole body, a file): given while the
    /// body is still being read, it leaves the rest unread, so it closes the connection too.
    func answerMustClose(endsNow: Bool) -> Bool {
        closeAfterResponse || (phase == .streaming && (!bodyAskedFor || endsNow))
    }
    let timeouts: Timeouts

    /// A connection just accepted: idle (no byte yet) but on the header deadline; with TLS,
    /// handshaking on it.
    init(now: Double, timeouts: Timeouts, usesTLS: Bool) {
        self.timeouts = timeouts
        phase = usesTLS ? .handshaking : .idle
        deadline = now + timeouts.header
    }

    /// Whether the connection reads (and parses) what arrives in this phase.
    var parsesInput: Bool { phase == .idle || phase == .reading || phase == .streaming }

    // MARK: Reading

    /// The TLS handshake is done: idle, still on the header deadline set at accept.
    mutating func handshakeFinished() {
        guard phase == .handshaking else { return }
        phase = .idle
    }

    /// The first byte of a request arrived on an idle connection: the header deadline runs.
    mutating func requestStarted(now: Double) {
        guard phase == .idle else { return }
        phase = .reading
        deadline = now + timeouts.header
    }

    /// The head is complete: refuse a declared body over `maxBodyBytes` (413) and an
    /// expectation that cannot be met (417), or ask for the body (100 Continue).
    mutating func headReceived(now: Double, framing: BodyFraming?, expectation: HTTPRules.Expectation,
                               maxBodyBytes: Int) -> Action {
        guard phase == .reading else { return .none }
        deadline = now + timeouts.idle
        if let refusal = Self.refusal(framing: framing, expectation: expectation, maxBodyBytes: maxBodyBytes) {
            return refuse(refusal.status, refusal.message)
        }
        return expectation == .continueBeforeBody ? .sendContinue : .none
    }

    /// What a head asks that cannot be given, whoever reads the body: a declared body over
    /// the limit (413), an expectation other than `100-continue` (417).
    private static func refusal(framing: BodyFraming?, expectation: HTTPRules.Expectation,
                                maxBodyBytes: Int) -> (status: Int, message: String)? {
        if case .length(let length)? = framing, length > maxBodyBytes {
            return (413, "request body larger than \(maxBodyBytes) bytes\n")
        }
        if case .unsupported(let value) = expectation { return (417, "unsupported expectation: \(value)\n") }
        return nil
    }

    /// The handler has the request (whole, or its head): no deadline of ours while it
    /// answers; the connection closes after the answer if the request did not keep it alive.
    private mutating func handOver(to next: Phase, keepsAlive: Bool, shuttingDown: Bool) {
        phase = next
        deadline = .infinity
        if !keepsAlive || shuttingDown { closeAfterResponse = true }
    }

    /// The head is complete and a streaming handler will read the body. A request without
    /// a body goes on as for a collected one (it completes at once and is dispatched whole).
    /// Otherwise: refused as `headReceived` refuses, or handed to the handler now; `100
    /// Continue` waits until the handler asks for the body, and no deadline of ours runs
    /// until then (the handler decides when).
    mutating func streamingHeadReceived(now: Double, framing: BodyFraming?, expectation: HTTPRules.Expectation,
                                        maxBodyBytes: Int, keepsAlive: Bool, shuttingDown: Bool) -> Action {
        guard phase == .reading else { return .none }
        switch framing {
        case .none?, .length(0)?, nil:
            return headReceived(now: now, framing: framing, expectation: expectation, maxBodyBytes: maxBodyBytes)
        default:
            break
        }
        if let refusal = Self.refusal(framing: framing, expectation: expectation, maxBodyBytes: maxBodyBytes) {
            return refuse(refusal.status, refusal.message)
        }
        continuePending = expectation == .continueBeforeBody
        bodyAskedFor = false
        handOver(to: .streaming, keepsAlive: keepsAlive, shuttingDown: shuttingDown)
        return .dispatchHead
    }

    /// The streaming handler asks for (more of) the body: reading runs on the idle deadline.
    mutating func bodyWanted(now: Double) -> Action {
        guard phase == .streaming else { return .none }
        deadline = now + timeouts.idle
        bodyAskedFor = true
        let sendContinue = continuePending && !responseStarted
        continuePending = false
        return .readBody(sendContinue: sendContinue)
    }

    /// A body slice arrived that the handler has not asked for yet: reading pauses, and no
    /// deadline of ours runs while the handler holds it.
    mutating func bodyHeld() -> Action {
        guard phase == .streaming else { return .none }
        deadline = .infinity
        return .stopReading
    }

    /// Body bytes arrived: the idle deadline starts again.
    mutating func bodyReceived(now: Double) {
        guard phase == .reading || phase == .streaming else { return }
        deadline = now + timeouts.idle
    }

    /// The request is complete: the handler answers it (a streaming one has it already),
    /// with no deadline of ours meanwhile.
    mutating func requestReceived(keepsAlive: Bool, shuttingDown: Bool) -> Action {
        if phase == .streaming {
            phase = .responding
            deadline = .infinity
            return .none
        }
        guard phase == .reading else { return .none }
        handOver(to: .responding, keepsAlive: keepsAlive, shuttingDown: shuttingDown)
        return .dispatch
    }

    /// A streamed body grew past the limit for streamed bodies.
    mutating func streamedBodyTooLarge(limit: Int) -> Action {
        guard phase == .streaming else { return .none }
        return refuse(413, "request body larger than \(limit) bytes\n")
    }

    /// The request could not be parsed, or its target not used: the status that says why.
    /// `inRequestLine`: the parser had not finished the request line (a line too long there
    /// is the target: 414, as nginx answers; in the fields, 431).
    mutating func requestRefused(_ error: HTTPQError, inRequestLine: Bool = false) -> Action {
        switch error.kind {
        case .lineTooLong where inRequestLine: refuse(414, "request line too long: \(error)\n")
        case .headTooLarge, .lineTooLong, .tooManyFields: refuse(431, "\(error)\n")
        case .bodyTooLarge: refuse(413, "\(error)\n")
        case .unsupportedTransferCoding: refuse(501, "\(error)\n")
        case .unsupportedVersion: refuse(505, "\(error)\n") // HTTP/2.0, HTTP/3.0 as a request line (RFC 9110 §15.6.6)
        default: refuse(400, "\(error)\n")
        }
    }

    /// The loop holds more request bytes than its budget and this connection would add to
    /// them: refused with 503 (only while its request is being read).
    mutating func overBudget() -> Action {
        guard phase == .reading else { return .none }
        return refuse(503, "the server holds too many request bodies; retry later\n")
    }

    /// An error answer: the connection now answers, and closes after. Once an answer has
    /// started (a streaming handler's), there is no other way to say it than to close.
    private mutating func refuse(_ status: Int, _ message: String) -> Action {
        guard !responseStarted else { return close() }
        phase = .responding
        closeAfterResponse = true
        deadline = .infinity
        return .respondWithError(status: status, message: message)
    }

    /// The peer closed its side (end of stream). A request being answered still gets its
    /// answer (half-close), then the connection ends; otherwise it closes now.
    mutating func peerClosed() -> Action {
        guard phase == .responding else { return close() } // mid-body (streaming too): cut short
        peerClosedReading = true
        closeAfterResponse = true
        return .stopReading
    }

    // MARK: Writing

    /// The answer says `Connection: close`, or cannot be framed but by closing.
    mutating func mustCloseAfterResponse() { closeAfterResponse = true }

    /// The socket took less than was queued: wait for writability, on the idle deadline.
    mutating func writeBlocked(now: Double) -> Action {
        deadline = now + timeouts.idle
        return .watchWritable
    }

    /// The answer's head is queued.
    mutating func responseHeadQueued() { responseStarted = true }

    /// The responder has queued its last byte.
    mutating func responseEnded() { responseComplete = true }

    /// Everything queued is written: the answer ends (on to the next request, or the
    /// lingering close), or the responder may write more. An answer that ends before the
    /// streamed body was read leaves the rest unread: the connection closes after it.
    mutating func drained(now: Double) -> Action {
        guard phase == .responding || phase == .streaming else { return .none }
        guard responseComplete else {
            if phase == .responding { deadline = .infinity }
            return .notifyDrained
        }
        if phase == .streaming { closeAfterResponse = true }
        if closeAfterResponse {
            // A half-closed peer has nothing more to send: close at once (the answer was whole,
            // so `responseComplete` stays true for the one who closes).
            if peerClosedReading { return close() }
            responseComplete = false
            responseStarted = false
            phase = .lingering
            deadline = now + timeouts.linger
            return .lingerThenClose
        }
        responseComplete = false
        responseStarted = false
        phase = .idle
        deadline = now + timeouts.idle
        return .startNextRequest
    }

    // MARK: Time and shutdown

    /// The current deadline passed: a request half-received gets 408 (a streamed one too,
    /// unless its answer started); anything else closes.
    mutating func deadlinePassed(requestStarted: Bool) -> Action {
        if (phase == .reading && requestStarted) || phase == .streaming { return refuse(408, "request not received in time\n") }
        return close()
    }

    /// The server is shutting down: an idle or handshaking connection closes now; one with
    /// a request in progress closes after its answer.
    mutating func serverShuttingDown() -> Action {
        switch phase {
        case .idle, .handshaking: return close()
        case .closed: return .none
        default:
            closeAfterResponse = true
            return .none
        }
    }

    /// Closes now (a failure, or the end of a lingering close).
    mutating func close() -> Action {
        guard phase != .closed else { return .none }
        phase = .closed
        return .close
    }
}
