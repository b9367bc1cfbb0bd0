import EvLoop
import HTTPQ
import Sockets
import TLS
#if canImport(Glibc)
import Glibc
#endif

/// One accepted TCP connection (plain, or TLS once its handshake is done): reads requests into
/// an HTTPQ `Request`, hands each complete one to the handler, writes the answers in order.
/// Its rules (phases, deadlines, when to close) are `ServerConnectionCore`'s: this class
/// performs the actions the core returns, and holds what has identity — the socket, its
/// watcher, the TLS session, the parser, queued bytes, the responder. Reading is here;
/// writing, in ServerConnection+Writing.swift.
/// Confined to its loop's thread.
///
/// Fields marked `@exclusivity(unchecked)` are mutated through methods of value types (the
/// core, the driver, the queue, the pending bytes) that never call back into this class, on
/// one thread: no two accesses can overlap, and the runtime's check of each (two calls,
/// about 80 instructions; some 24 per request) was 14% of a small-file answer's CPU.
final class ServerConnection: @unchecked Sendable {
    let fd: Int32
    /// The client's address, asked of the kernel once (for the access log), not per request.
    lazy var peer: SocketAddress? = SystemCalls.peerAddress(fd)
    unowned let home: LoopServer
    /// `home.loop`, kept here (and `observesResponses`, below): each read through the unowned
    /// `home` is a checked strong retain and a release (~45 instructions), and a request read
    /// them a dozen times (4% of a small-file answer).
    let loop: EventLoop
    var watcher: IOWatcher?
    /// The TLS session, when the server speaks TLS.
    var tls: TLSStream?
    /// Readiness over plain or TLS (want-read/want-write crossing), shared with the client.
    @exclusivity(unchecked) var driver = ReadinessDriver()
    /// The socket as the reading and writing code sees it.
    var channel: Channel { Channel(fd: fd, tls: tls) }
    /// The parser of the request being read: taken from the loop's pool when a request
    /// starts and given back when the connection goes idle, so an idle keep-alive
    /// connection holds no parser (it is most of a connection's memory).
    private var parser: RequestParser?
    /// Where the connection is and what it waits for.
    @exclusivity(unchecked) var core: ServerConnectionCore
    var phase: ServerConnectionCore.Phase { core.phase }
    /// Loop time at which the current wait gives up (the loop server's sweeper reads it).
    var deadline: Double { core.deadline }
    @exclusivity(unchecked) private var pending: [UInt8] = []
    @exclusivity(unchecked) var writes = WriteQueue()
    var file: FileBody?
    private var responder: Responder?
    /// The request line as received, when the parser refused it (for the error's log line).
    private var unparsedLine: [UInt8]?
    /// The body a streaming handler reads, while it is being read.
    private var body: RequestBody?
    /// Body bytes of the streamed request so far (against `maxStreamedBodyBytes`).
    @exclusivity(unchecked) private var streamedBytes = 0
    /// `process` is on the stack: a response finished inside it must not process again.
    var processing = false
    /// What this connection counts in its loop's `bufferedBytes`.
    @exclusivity(unchecked) private var accountedBytes = 0
    /// Who takes the connection once the `101` head is written.
    var upgrade: ((UpgradedConnection) -> Void)?
    /// Whether the request being read leaves the connection open (known from its head).
    private var headKeepsAlive = true
    /// `home.observesResponses`, kept here (see `loop`); beside the other `Bool`, it takes no
    /// word of its own.
    let observesResponses: Bool

    /// A file being sent with `sendfile` after the queued bytes.
    struct FileBody {
        var descriptor: Int32
        var offset: Int
        var remaining: Int
    }

    init(fd: Int32, home: LoopServer) {
        self.fd = fd
        self.home = home
        loop = home.loop
        observesResponses = home.observesResponses
        core = ServerConnectionCore(now: home.loop.now,
                                    timeouts: .init(header: home.headerTimeout, idle: home.idleTimeout),
                                    usesTLS: home.configuration.tls != nil)
    }


    deinit {
        if phase != .closed { SystemCalls.close(fd) }
        if let file { SystemCalls.close(file.descriptor) }
    }

    func start() {
        if let context = home.configuration.tls {
            do {
                tls = try TLSStream(server: context, fileDescriptor: fd)
            } catch {
                return close()
            }
        }
        watcher = loop.watch(fileDescriptor: fd, for: .read) { [unowned self] events in
            // Any step below may close the connection, and closing lets the loop server
            // forget it: held here until the callback returns, or the next line would read
            // a freed object (a client abandoning a download did exactly that).
            withExtendedLifetime(self) { ready(events) }
        }
    }

    /// Readiness: the handshake, else the driver's steps (writes first: they may free the
    /// pipeline; then reads).
    private func ready(_ events: IOEvents) {
        if phase == .handshaking { return continueHandshake() }
        let steps = driver.ready(readable: events.contains(.read), writable: events.contains(.write))
        if steps.readFirst { readable() }
        if steps.flush && phase != .closed { flush() }
        if steps.read && phase != .closed { readable() }
    }

    /// Drives the TLS handshake on whichever readiness it waits for.
    private func continueHandshake() {
        guard let tls, let watcher else { return }
        switch tls.handshake() {
        case .done:
            core.handshakeFinished() // still on the header deadline set at accept
            watcher.interest = .read
            readable() // the request may have come with the client's last handshake flight
        case .wantRead: watcher.interest = .read
        case .wantWrite: watcher.interest = .write
        case .failed(let error):
            home.configuration.logger?.debug("tls handshake failed", metadata: ["peer": "\(peer?.description ?? "-")", "error": "\(error)"])
            close()
        }
    }

    // MARK: Reading

    /// Reads what the socket (or TLS) has, as far as the driver reads ahead.
    private func readable() {
        guard phase != .closed, isReading else { return }
        let stop = ReadinessDriver.readAvailable(
            from: channel, into: loop.sharedReadBuffer, rounds: tls == nil ? 4 : 16,
            keepReading: { phase != .closed && isReading }, deliver: { received($0) })
        driver.noteRead(stop)
        switch stop {
        case .end, .endWithoutNotify: peerClosed() // no request is delimited by the close
        case .needsWritable: watcher?.interest.insert(.write)
        case .failed: close()
        case .readLater: readLater()
        case .drained, .stopped, .yielded: break
        }
    }

    private var isReading: Bool { watcher?.interest.contains(.read) ?? false }

    /// Reads again on the loop's next turn (TLS holds bytes the socket will not signal).
    private func readLater() {
        loop.execute { [weak self] in
            guard let self, self.phase != .closed, self.isReading else { return }
            self.readable()
        }
    }

    private func received(_ bytes: UnsafeRawBufferPointer) {
        defer { accountBufferedBytes() }
        home.metrics?.bytesReceived.increment(by: bytes.count)
        switch phase {
        case .lingering:
            return // discarded
        case .responding:
            pending.append(contentsOf: bytes)
            if pending.count > 64 * 1024 { setReading(false) } // a pipelining client waits for us
        case .idle, .reading:
            process(bytes)
        case .streaming:
            // Bytes behind a slice the handler has not taken wait behind it, in order.
            if pending.isEmpty && !(body?.holdsPart ?? false) {
                process(bytes)
            } else {
                pending.append(contentsOf: bytes)
                if pending.count > 64 * 1024 { setReading(false) } // a TLS write may have turned reading on
            }
        case .closed, .handshaking: // not read from in these phases
            return
        }
    }

    /// Brings this connection's share of the loop's buffered bytes up to date; a connection
    /// that takes the loop past its budget is answered 503 and closed.
    private func accountBufferedBytes() {
        // Capacity, not count: what the allocator holds is what the budget is for.
        let held = phase == .closed ? 0 : pending.capacity + (parser?.request.body.capacity ?? 0) + (body?.heldBytes ?? 0)
        home.bufferedBytes += held - accountedBytes
        accountedBytes = held
        if held > 0 && home.bufferedBytes > home.maxBufferedBytesPerLoop && responder == nil {
            let action = core.overBudget()
            if action != .none { pending = [] }
            perform(action)
        }
    }

    private func peerClosed() {
        failBody(.peerClosed)
        perform(core.peerClosed())
    }

    /// Tells a streaming handler its body cannot be read to the end.
    private func failBody(_ error: RequestBodyError) {
        guard let body else { return }
        self.body = nil
        body.fail(error)
    }

    /// Feeds `bytes` to the request parser, answering each complete request in turn.
    private func process(_ bytes: UnsafeRawBufferPointer) {
        processing = true
        defer { processing = false }
        var offset = 0
        // Until the parser has nothing more to say: completion comes as an event of its
        // own, possibly after the last byte was consumed.
        while true {
            if phase == .idle {
                guard offset < bytes.count else { break }
                core.requestStarted(now: loop.now)
            }
            let parser = self.parser ?? home.takeParser()
            self.parser = parser
            guard phase == .reading || phase == .streaming, offset < bytes.count || parser.request.isComplete else { break }
            let start = offset
            let outcome: (consumed: Int, event: MessageEvent?)
            do {
                outcome = try parser.request.consume(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
            } catch {
                if parser.request.state == .top { unparsedLine = Self.requestLine(parser.request.buffer, UnsafeRawBufferPointer(rebasing: bytes[offset...])) }
                return refuse(error)
            }
            offset += outcome.consumed
            guard let event = outcome.event else { break }
            switch event {
            case .stateChanged(.body):
                if !headComplete() { return }
            case .body(let range):
                core.bodyReceived(now: loop.now)
                guard phase == .streaming else { break }
                let slice = UnsafeRawBufferPointer(rebasing: bytes[(start + range.lowerBound)..<(start + range.upperBound)])
                if !streamBody(slice) {
                    // Held until the handler asks: the rest waits, and reading pauses.
                    if phase == .streaming && offset < bytes.count { pending.append(contentsOf: bytes[offset...]) }
                    return
                }
            case .complete:
                dispatch()
            case .stateChanged:
                break
            }
        }
        if offset < bytes.count && phase == .responding {
            pending.append(contentsOf: bytes[offset...])
        }
    }

    /// The head is in: refuse what cannot be served before reading a body, and say
    /// `100 Continue` to a client that waits for it (a streaming handler: when it asks for
    /// the body). False when the request was refused.
    private func headComplete() -> Bool {
        guard let facts = parser?.headFacts() else { return false }
        headKeepsAlive = facts.keepsAlive
        // Host rules (RFC 9112 §3.2) and framing are HTTPQ's: a head that broke them threw.
        let action = home.streams
            ? core.streamingHeadReceived(now: loop.now, framing: facts.framing, expectation: facts.expectation,
                                         maxBodyBytes: home.maxStreamedBodyBytes,
                                         keepsAlive: facts.keepsAlive, shuttingDown: home.isShuttingDown)
            : core.headReceived(now: loop.now, framing: facts.framing, expectation: facts.expectation,
                                maxBodyBytes: home.maxBodyBytes)
        if action == .dispatchHead { return dispatchHead() }
        perform(action)
        if case .respondWithError = action { return false }
        return true
    }

    /// A streamed request's head: the handler gets it now and reads the body as it asks.
    /// False when its target could not be used (refused).
    private func dispatchHead() -> Bool {
        guard var head = parser?.request, case .streaming(let handler) = home.handling else { return false }
        if case .failure(let error) = Result(catching: { () throws(HTTPQError) in try head.useAbsoluteFormTarget() }) {
            refuse(error)
            return false
        }
        streamedBytes = 0
        let body = RequestBody(connection: self, loop: loop)
        self.body = body
        let responder = Responder(connection: self, request: head)
        self.responder = responder
        handler(head, body, responder)
        return phase == .streaming || phase == .responding
    }

    /// Gives a slice of a streamed body to the handler, or holds it; false when held (or
    /// when it took the body past its limit, or the connection closed meanwhile).
    private func streamBody(_ slice: UnsafeRawBufferPointer) -> Bool {
        guard let body else { return true }
        streamedBytes += slice.count
        let limit = home.maxStreamedBodyBytes
        guard streamedBytes <= limit else {
            failBody(.tooLarge(limit: limit))
            perform(core.streamedBodyTooLarge(limit: limit))
            return false
        }
        guard body.deliver(.bytes(Array(slice))) else {
            perform(core.bodyHeld())
            return false
        }
        return phase == .streaming
    }

    /// The streaming handler asks for the body (`RequestBody.read`): reading runs, and
    /// bytes that waited behind a held slice are parsed on a later turn.
    func bodyWanted() {
        perform(core.bodyWanted(now: loop.now))
    }

    /// A streaming handler's own limit (`RequestBody.collect`) was passed: 413 unless it
    /// answered already.
    func streamedBodyTooLarge(limit: Int) {
        failBody(.tooLarge(limit: limit))
        perform(core.streamedBodyTooLarge(limit: limit))
    }

    /// Parses what waited while reading was paused (a held slice, a pipelined request).
    private func processPendingLater() {
        guard !pending.isEmpty else { return }
        loop.execute { [weak self] in
            guard let self, !self.processing, self.core.parsesInput, !self.pending.isEmpty,
                  !(self.body?.holdsPart ?? false) else { return }
            let bytes = self.pending
            self.pending = []
            bytes.withUnsafeBytes { self.process($0) }
            self.accountBufferedBytes()
        }
    }

    /// A complete request: hand it to the handler (a streamed one: the end of its body).
    private func dispatch() {
        guard let parser else { return }
        if phase == .streaming {
            let finished = parser.takeRequest()
            _ = core.requestReceived(keepsAlive: true, shuttingDown: false) // decided at the head
            let body = self.body
            self.body = nil
            body?.deliver(.end(trailers: finished.trailers))
            return
        }
        // The request is put in origin form where it is parsed and moved from there into the
        // responder; the handler reads it there. (Each copy of a `Request` on the way retained
        // and released every field: five of them were 10% of a small-file answer's CPU.)
        let responder: Responder
        do throws(HTTPQError) {
            responder = Responder(connection: self, request: try parser.takeRequestInOriginForm())
        } catch {
            return refuse(error)
        }
        // Whether it keeps the connection depends on its head alone, read when the head came in.
        guard core.requestReceived(keepsAlive: headKeepsAlive, shuttingDown: home.isShuttingDown) == .dispatch else { return }
        self.responder = responder
        // The responder's request lent to the handler, not copied: borrowing a field needs
        // its object alive across the call, which only the extended lifetime promises.
        withExtendedLifetime(responder) {
            switch home.handling {
            case .collected(let handler):
                handler(responder.request, responder)
            case .streaming(let handler):
                handler(responder.request, RequestBody(connection: nil, loop: loop, ended: true), responder)
            }
        }
    }

    /// A malformed request: the status that says why, then close.
    private func refuse(_ error: HTTPQError) {
        home.configuration.logger?.debug("malformed request", metadata: ["peer": "\(peer?.description ?? "-")", "error": "\(error)"])
        failBody(.malformed(error))
        perform(core.requestRefused(error, inRequestLine: parser?.request.state == .top))
    }

    /// The first line of what was received (`head` then `input`), without its line end, at
    /// most 8 KiB: a line the parser refused, for the access log.
    private static func requestLine(_ head: [UInt8], _ input: UnsafeRawBufferPointer) -> [UInt8] {
        var line = Array(head.prefix(8192))
        line.append(contentsOf: input.prefix(8192 - line.count))
        if let lineFeed = line.firstIndex(of: 10) { line.removeSubrange(lineFeed...) }
        if line.last == 13 { line.removeLast() }
        return line
    }

    private func respondWithError(_ status: Int, _ message: String) {
        // A streaming handler that has not answered is cut off: the error is the answer.
        self.responder?.connectionClosed()
        let responder = Responder(connection: self, request: parser?.request ?? Request())
        responder.unparsedRequestLine = unparsedLine
        unparsedLine = nil
        self.responder = responder
        responder.send(Response(status: status, reason: StatusReason.phrase(for: status),
                                headers: ["Content-Type": "text/plain; charset=utf-8"], body: Array(message.utf8)))
    }

    /// Performs what the core decided.
    func perform(_ action: ServerConnectionCore.Action) {
        switch action {
        case .none, .dispatch, .dispatchHead:
            break // dispatching needs the request: `dispatch()` and `dispatchHead()` do it
        case .readBody(let sendContinue):
            if sendContinue {
                writes.append(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
                flush()
            }
            guard phase == .streaming else { return }
            setReading(true)
            processPendingLater()
        case .respondWithError(let status, let message):
            respondWithError(status, message)
        case .sendContinue:
            writes.append(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
            flush()
        case .stopReading:
            setReading(false)
        case .watchWritable:
            if let watcher, !watcher.interest.contains(.write) { watcher.interest.insert(.write) }
        case .notifyDrained:
            responder?.drained()
        case .startNextRequest:
            startNextRequest()
        case .lingerThenClose:
            lingerThenClose()
        case .close:
            closeNow()
        }
    }

    func setReading(_ on: Bool) {
        guard let watcher else { return }
        var interest = watcher.interest
        if on { interest.insert(.read) } else { interest.remove(.read) }
        watcher.interest = interest
        if on && channel.hasBufferedInput { readLater() }
    }

    /// The response is written and the connection is idle again: the next request.
    private func startNextRequest() {
        responder?.finished()
        responder = nil
        body = nil
        streamedBytes = 0
        if let parser {
            home.recycle(parser)
            self.parser = nil
        }
        setReading(true)
        guard !pending.isEmpty, !processing else { return }
        let bytes = pending
        pending = []
        bytes.withUnsafeBytes { process($0) }
    }

    /// Shuts our side once the last response is written, then drains until the peer closes
    /// (bounded): closing with unread input would send a reset that can destroy the response
    /// in the peer's receive buffer.
    private func lingerThenClose() {
        responder?.finished()
        responder = nil
        failBody(.connectionClosed) // answered before its body was read: the rest is discarded
        channel.closeTLS()
        SystemCalls.shutdownWrite(fd)
        pending = []
        setReading(true)
    }

    // MARK: Timeouts and closing

    func deadlinePassed() {
        let started = parser.map { !$0.request.buffer.isEmpty || $0.request.state != .top } ?? false
        failBody(.timedOut)
        perform(core.deadlinePassed(requestStarted: started))
    }

    func serverIsShuttingDown() {
        perform(core.serverShuttingDown())
    }

    /// Closes now, whatever the phase (a failure, the grace period's end).
    func close() {
        perform(core.close())
    }

    /// The handler answered `101` and takes the connection once `head` is written: HTTP
    /// ends here (no more requests are read; bytes that came behind the request are the new
    /// protocol's and go with the connection).
    func switchProtocols(head: [UInt8], handOver: @escaping (UpgradedConnection) -> Void) {
        upgrade = handOver
        core.responseEnded()
        enqueue(head)
        flush()
    }

    /// Hands the socket, its TLS session and the bytes read ahead to `handOver`, and forgets
    /// the connection without closing it: no more deadlines, reads or writes here.
    func detach(_ handOver: (UpgradedConnection) -> Void) {
        upgrade = nil
        watcher?.cancel()
        watcher = nil
        responder?.finished() // the 101 is logged and counted like any answer
        responder = nil
        body = nil
        if let parser {
            home.recycle(parser)
            self.parser = nil
        }
        let initial = pending
        pending = []
        _ = core.close() // closed as far as HTTP goes; the socket lives on in the hand-over
        accountBufferedBytes()
        let upgraded = UpgradedConnection(fd: fd, tls: tls, loop: loop, initialBytes: initial)
        tls = nil
        home.closed(self)
        handOver(upgraded)
    }

    /// Lets go of everything: the watcher, queued bytes, the file, the responder, the socket.
    private func closeNow() {
        upgrade = nil
        watcher?.cancel()
        watcher = nil
        writes.removeAll()
        if let file { SystemCalls.close(file.descriptor) }
        if core.responseComplete { responder?.finished() }
        file = nil
        responder?.connectionClosed()
        responder = nil
        failBody(.connectionClosed)
        pending = []
        accountBufferedBytes()
        SystemCalls.close(fd)
        home.closed(self)
    }
}
