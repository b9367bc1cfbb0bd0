import Sockets
import EvLoop
import HTTPQ
import Logging
import TLS
#if canImport(Glibc)
import Glibc
#endif

/// One non-blocking TCP connection on an `EventLoop` (plain, or TLS for https), holding an
/// httpq `Response` that is fed whenever the socket is readable; its delegate hears every
/// state change and every slice of body bytes.
///
/// Loop-bound: create it and call its methods on the loop's thread (or before the loop
/// runs). Requests are sent one at a time; `send` while one is in flight queues the next.
///
/// Fields marked `@exclusivity(unchecked)` (the core, the driver, queues and buffers) are
/// mutated only through value types' methods that call nothing back, on one thread, so no
/// two accesses overlap; the runtime's check of each cost ~80 instructions, some 50 per
/// request through the pool. `response` keeps its check: reads of it are lent in place
/// under it, where an unchecked field is copied out first.
public final class Connection: @unchecked Sendable {
    /// The loop the connection lives on.
    public let loop: EventLoop
    /// The host as given (name or IP literal) and the port.
    public let host: String
    public let port: Int
    /// Whether the connection speaks TLS (https).
    public let usesTLS: Bool
    /// The proxy a `CONNECT` tunnel to `host:port` goes through (TLS then runs inside it).
    public let proxy: Proxy?
    /// The Unix domain socket connected to instead of `host:port`, if any.
    public let socketPath: String?
    /// Where the socket connects: the proxy, the Unix socket, or the host itself (as errors name it).
    var connectHost: String { proxy?.host ?? socketPath.map { "unix:\($0)" } ?? host }
    var connectPort: Int { proxy?.port ?? (socketPath == nil ? port : 0) }
    /// The proxy's answer to CONNECT, while it arrives.
    var tunnelAnswer = Response(answering: "CONNECT")
    /// Who hears about responses. Held until the connection closes.
    /// (Loop-confined, as every stored property here: `@exclusivity(unchecked)` on the ones
    /// read or changed per response spares the runtime's access checks, two calls each —
    /// nine a proxied request in `process` alone.)
    @exclusivity(unchecked) public var delegate: ConnectionDelegate?
    let options: ConnectionOptions

    /// Where the connection is on its way up (the core's phase).
    var phase: ClientConnectionCore.Phase { core.phase }
    /// The addresses the host resolved to, tried in order.
    var addresses: [SocketAddress] = []
    var fd: Int32 = -1
    var watcher: IOWatcher?
    @exclusivity(unchecked) var writes = WriteQueue()
    /// The TLS session, from the handshake on.
    var tls: TLSStream?
    /// Readiness over plain or TLS (want-read/want-write crossing), shared with the server.
    @exclusivity(unchecked) var driver = ReadinessDriver()
    /// The socket as the reading and writing code sees it.
    var channel: Channel { Channel(fd: fd, tls: tls) }

    @exclusivity(unchecked) var queued: [(request: Request, body: UploadBody?)] = []
    /// The rules of the exchanges: the request in flight, reuse, pause, silence.
    @exclusivity(unchecked) var core = ClientConnectionCore()
    @exclusivity(unchecked) var response: Response
    /// Whether any byte of the current response has arrived (decides retries and errors).
    public var responseStarted: Bool { core.responseStarted }
    /// Whether the connection can carry another request after the current one.
    public var isReusable: Bool { core.isReusable }
    /// Bytes read while paused, delivered on resume.
    @exclusivity(unchecked) var pendingInput: [UInt8] = []
    /// `process` is on the stack: a completion inside it must not process again.
    @exclusivity(unchecked) var processing = false

    /// The streamed body being sent, if any.
    @exclusivity(unchecked) var upload: Upload?
    /// Numbers uploads, so a writer of an ended one is not heard.
    @exclusivity(unchecked) var uploadsStarted = 0
    var connectTimer: ScheduledTimer?
    /// Connection attempts still racing, by address index (happy eyeballs), and the delay
    /// after which the next address joins.
    @exclusivity(unchecked) var attempts: [Int: (fd: Int32, watcher: IOWatcher)] = [:]
    var attemptTimer: ScheduledTimer?
    /// Per request, so a pooled timer (no object or libev struct allocated each time).
    @exclusivity(unchecked) var requestTimer: ScheduledCallback?
    var idleTimer: ScheduledTimer?

    /// The delegate it had when it closed (weak: closing breaks any cycle through it), for a
    /// request sent after the close.
    weak var formerDelegate: ConnectionDelegate?

    /// Whether a failed call's errno means the peer went away (as opposed to the system failing).
    static func isPeerGone(_ code: Int32) -> Bool { code == ECONNRESET || code == EPIPE }

    /// Called once when the connection closes, for whoever pools it.
    var onClose: (() -> Void)?
    /// Set by `Client.upgrade`: a `101` to a request that asked to upgrade hands the
    /// connection over (HTTP ends; the delegate hears nothing more).
    var onSwitch: ((Response, UpgradedConnection) -> Void)?

    /// Connects to `host:port` (a name is resolved off the loop's thread), with TLS when
    /// `usesTLS` (certificates checked as `options.tls` says), and calls `delegate` for each
    /// request sent. With `proxy`, TCP goes to the proxy, which is asked to `CONNECT` to
    /// `host:port`; TLS (if any) then runs end to end through the tunnel. Throws only for
    /// arguments that can never work.
    ///
    /// With `socketPath`, the connection goes to that Unix domain socket instead (no name
    /// is resolved; `host` is still what the Host field and TLS name).
    public init(loop: EventLoop, host: String, port: Int, usesTLS: Bool = false, proxy: Proxy? = nil,
                socketPath: String? = nil, delegate: ConnectionDelegate?,
                options: ConnectionOptions = ConnectionOptions()) throws(ClientError) {
        guard (1...65535).contains(port) else { throw .invalidURL("\(host):\(port)", reason: "port out of range") }
        guard !host.isEmpty else { throw .invalidURL(":\(port)", reason: "empty host") }
        loop.preconditionInLoop()
        SystemCalls.guardAgainstBrokenPipes() // OpenSSL's alerts and future sendfile uploads
        self.loop = loop
        self.host = host
        self.port = port
        self.usesTLS = usesTLS
        self.proxy = proxy
        self.socketPath = socketPath
        self.delegate = delegate
        self.options = options
        response = Response()
        connectTimer = loop.schedule(after: options.connectTimeout) { [weak self] in
            self?.fail(.timedOut(.connect))
        }
        if let socketPath {
            guard let address = SocketAddress(unixPath: socketPath) else {
                throw .invalidURL(socketPath, reason: "not a usable Unix socket path (at most \(SocketAddress.maxUnixPathBytes) bytes)")
            }
            loop.execute { [weak self] in // as a resolver would: on a later turn
                guard let self, case .resolving = self.phase else { return }
                self.addresses = [address]
                self.perform(self.core.resolved(count: 1, host: self.connectHost, port: 0))
            }
            return
        }
        AresResolver.resolve(host: connectHost, port: connectPort, servers: options.dnsServers, on: loop) { [weak self] result in
            guard let self, case .resolving = self.phase else { return }
            switch result {
            case .success(let addresses):
                self.addresses = SocketAddress.interleavedByFamily(addresses)
                self.perform(self.core.resolved(count: addresses.count, host: self.connectHost, port: self.connectPort))
            case .failure(let error): self.fail(error)
            }
        }
    }

    deinit {
        if fd >= 0 { SystemCalls.close(fd) }
    }

    /// Whether no request is in flight or queued.
    public var isIdle: Bool { core.inFlight == nil && queued.isEmpty }
    /// Whether the connection is closed (by either side or by an error).
    public var isClosed: Bool { if case .closed = phase { true } else { false } }

    /// Sends `request` now, or after the ones before it; with `body`, that body is sent
    /// as it is produced (framed by its length, or chunked) instead of `request.body`.
    public func send(_ request: consuming Request, body: UploadBody? = nil) {
        loop.preconditionInLoop()
        // A body in the request itself goes out framed, or not at all: a request that cannot
        // be is refused alone, and the connection goes on.
        if body == nil, let refusal = RequestBodyFraming.frame(&request) { return refuse(refusal) }
        sendFramed(request, body: body)
    }

    /// `send` for a request framed already by `RequestBodyFraming.frame` (the client's pools
    /// frame every hop in `startHop`; `httpq load` its requests once): the check is not made again.
    /// Borrowed: the pool's request stays its own (for a retry), and the common case writes
    /// it without a copy (a copy and its destruction were ~900 instructions a request).
    package func sendFramed(_ request: borrowing Request, body: UploadBody? = nil) {
        guard !isClosed else { return refuse(.cancelled) }
        if case .connected = phase, core.inFlight == nil, !processing, queued.isEmpty {
            return start(request, body: body) // the common case: no queue in between
        }
        queued.append((copy request, body))
        if case .connected = phase, core.inFlight == nil, !processing { startNext() }
    }

    /// Tells the delegate that a request given to `send` failed without being sent, on a later
    /// turn (never from inside the call that made it). After a close the delegate was let go;
    /// the one it had hears it.
    private func refuse(_ error: ClientError) {
        let delegate = UncheckedBox((self.delegate ?? formerDelegate) as ConnectionDelegate?)
        loop.execute { [self] in delegate.value?.connection(self, didFail: error) }
    }

    /// Stops reading: no more body slices until `resumeReading()`. The kernel's buffer and
    /// then TCP flow control hold the peer back.
    public func pauseReading() {
        loop.preconditionInLoop()
        core.pause()
        updateInterest()
    }

    /// Resumes reading after `pauseReading()`, delivering anything already read first.
    public func resumeReading() {
        loop.preconditionInLoop()
        guard core.resume() else { return }
        updateInterest()
        // Deliver what was read while paused, and a completion the pause held back.
        if (!pendingInput.isEmpty || (core.inFlight != nil && response.isComplete)) && !processing {
            let input = pendingInput
            pendingInput = []
            input.withUnsafeBytes { process($0) }
        }
        // TLS may hold decrypted bytes the socket will not signal again.
        if channel.hasBufferedInput { readLater() }
    }

    /// Closes the connection; a request in flight or queued fails with `cancelled`.
    public func close() {
        loop.preconditionInLoop()
        fail(.cancelled)
    }

    // MARK: - Connecting

    /// Performs what the core decided on the way up.
    func perform(_ action: ClientConnectionCore.ConnectAction) {
        switch action {
        case .connect(let index, let more):
            if more { // RFC 8305 §5: the next address joins the race if this one has not won by then
                attemptTimer?.cancel()
                attemptTimer = loop.schedule(after: options.attemptDelay) { [weak self] in
                    guard let self else { return }
                    self.perform(self.core.nextAttemptDue())
                }
            }
            connect(index)
        case .openTunnel: openTunnel()
        case .startTLS: startTLS()
        case .established: established()
        case .fail(let error): fail(error)
        case .none: break
        }
    }

    /// Opens a socket and starts connecting it to the address at `index` (the attempt the
    /// core chose); earlier attempts go on racing.
    func connect(_ index: Int) {
        let address = addresses[index]
        guard case .ok(let socket) = SystemCalls.tcpSocket(family: address.family) else {
            return perform(core.attemptFailed(errno: errno, refused: false, host: connectHost, port: connectPort))
        }
        options.logger?.trace("connecting", metadata: ["host": "\(host)", "address": "\(address)", "attempt": "\(index + 1)"])
        switch SystemCalls.connect(socket, to: address) {
        case .ok:
            won(socket)
        case .wouldBlock:
            // Held through the callback: a failure closes the connection, and its pool may
            // then let go of it while this frame still reads it.
            let watcher = loop.watch(fileDescriptor: socket, for: .write) { [unowned self] _ in
                withExtendedLifetime(self) { attemptFinished(index) }
            }
            attempts[index] = (socket, watcher)
        case .failed(let code):
            SystemCalls.close(socket)
            perform(core.attemptFailed(errno: code, refused: code == ECONNREFUSED, host: connectHost, port: connectPort))
        }
    }

    /// The attempt at `index` finished connecting, or failed.
    func attemptFinished(_ index: Int) {
        guard case .connecting = phase, let attempt = attempts.removeValue(forKey: index) else { return }
        attempt.watcher.cancel()
        let code = SystemCalls.pendingError(attempt.fd)
        if code == 0 { return won(attempt.fd) }
        SystemCalls.close(attempt.fd)
        perform(core.attemptFailed(errno: code, refused: code == ECONNREFUSED, host: connectHost, port: connectPort))
    }

    /// `socket` connected first: the other attempts are closed, and it is the connection.
    func won(_ socket: Int32) {
        abandonAttempts()
        fd = socket
        connected()
    }

    /// Closes every attempt still racing and stops the attempt delay.
    func abandonAttempts() {
        attemptTimer?.cancel()
        attemptTimer = nil
        for attempt in attempts.values {
            attempt.watcher.cancel()
            SystemCalls.close(attempt.fd)
        }
        attempts = [:]
    }

    /// TCP is up: on to TLS, or ready for requests.
    func connected() {
        options.logger?.debug("connected", metadata: ["host": "\(host)", "port": "\(port)", "fd": "\(fd)"])
        watcher?.cancel() // the connect watcher, if the connect did not finish at once
        watcher = loop.watch(fileDescriptor: fd, for: usesTLS || proxy != nil ? .write : .read) { [unowned self] events in
            withExtendedLifetime(self) { ready(events) } // as above: `ready` may end in `fail`
        }
        perform(core.tcpConnected(usesTLS: usesTLS, tunnels: proxy != nil))
    }

    /// Starts the TLS session and its handshake.
    func startTLS() {
        do {
            tls = try TLSStream(client: options.tls ?? .system, fileDescriptor: fd, host: host, port: port)
        } catch {
            return fail(.tls(error))
        }
        continueHandshake()
    }

    /// Drives the TLS handshake on whichever readiness it waits for.
    func continueHandshake() {
        guard case .handshaking = phase, let tls else { return }
        switch tls.handshake() {
        case .done:
            options.logger?.debug("tls established", metadata: ["host": "\(host)", "version": "\(tls.version)"])
            perform(core.handshakeFinished())
        case .wantRead: watcher?.interest = .read
        case .wantWrite: watcher?.interest = .write
        case .failed(let error): fail(.tls(error))
        }
    }

    /// Ready for requests (TCP, and TLS if any, are up).
    func established() {
        connectTimer?.cancel()
        connectTimer = nil
        updateInterest()
        if core.inFlight == nil && !queued.isEmpty { startNext() }
    }

    func closeSocket() {
        abandonAttempts()
        watcher?.cancel()
        watcher = nil
        tls?.close() // close_notify when the session is up (best effort, never waits)
        tls = nil
        if fd >= 0 {
            SystemCalls.close(fd)
            fd = -1
        }
    }

    // MARK: - Requests

    func startNext() {
        guard !queued.isEmpty else { return }
        let (request, body) = queued.removeFirst()
        if queued.isEmpty { queued = [] } // an idle connection keeps no buffer
        start(request, body: body)
    }

    /// Puts `request` on the wire and prepares to read its response; a streamed body
    /// follows its head as the socket takes it.
    func start(_ request: borrowing Request, body: UploadBody? = nil) {
        guard let body else { return write(request, body: nil) }
        write(Self.framed(copy request, for: body), body: body)
    }

    /// `start` for a request framed for its body (if any).
    private func write(_ request: borrowing Request, body: UploadBody?) {
        let headers = request.headers
        core.requestSent(method: request.method, asksUpgrade: headers.containsToken("upgrade", in: "Connection"),
                         asksToClose: headers.containsToken("close", in: "Connection"), now: loop.now)
        options.logger?.trace("request", metadata: ["host": "\(host)", "method": "\(request.method)", "target": "\(request.target)"])
        response = Response(answering: request.method, limits: options.limits)
        response.keepsBody = options.keepsBody
        if let limit = options.requestTimeout {
            requestTimer = loop.scheduleCallback(after: limit) { [weak self] in self?.fail(.timedOut(.request)) }
        }
        if idleTimer == nil { armIdleTimer(after: options.idleReadTimeout) }
        if body == nil && !request.body.isEmpty && !request.headers.isChunked {
            // The body goes out from its own storage beside the head, not copied behind it
            // (a chunked one is framed by the serializer, as `raw`).
            let head = request.rawHead
            head.withUnsafeBytes { head in
                request.body.withUnsafeBytes { body in
                    if case .connected = phase { channel.sendOrQueue(head, body, &writes) } else {
                        writes.append(head)
                        writes.append(body)
                    }
                }
            }
        } else {
            let bytes = body == nil ? request.raw : request.rawHead
            if case .connected = phase { channel.sendOrQueue(bytes, &writes) } else { writes.append(bytes) }
        }
        if let body { beginUpload(body) }
        flush()
    }

    func armIdleTimer(after delay: Duration) {
        idleTimer?.cancel()
        idleTimer = loop.schedule(after: delay) { [weak self] in self?.idleTimerFired() }
    }

    /// libev's recommended idle-timeout pattern: one timer, re-armed for what remains
    /// instead of restarted on every read.
    func idleTimerFired() {
        guard !isClosed else {
            idleTimer = nil
            return
        }
        switch core.idleCheck(now: loop.now, limit: options.idleReadTimeout.seconds) {
        case .fail(let error): fail(error)
        case .rearmIdleTimer(let seconds): armIdleTimer(after: .milliseconds(Int64(max(1, seconds * 1000))))
        default: idleTimer = nil // idle: the next request arms it again
        }
    }

    /// Writes what is queued; once the queue is empty, more of a streamed body.
    func flush() {
        guard case .connected = phase, writeQueue() else { return }
        if writes.isEmpty && upload != nil {
            pumpUpload()
            guard !isClosed else { return }
        }
        updateInterest()
    }

    /// Writes the queue; false when that failed (the connection is closed then).
    func writeQueue() -> Bool {
        let outcome = channel.flush(&writes)
        driver.noteFlush(outcome)
        switch outcome {
        case .done, .wouldBlock, .needsReadable: return true
        case .failed(.system(let code)):
            writeFailed(code)
            return false
        case .failed(.tls(let error)):
            fail(.tls(error))
            return false
        }
    }

    /// A write failed with `code`. A server that answers early (413, 401) and closes before
    /// reading the whole request makes the next write fail: what it answered may already be
    /// here, so it is read before the request fails.
    func writeFailed(_ code: Int32) {
        if Self.isPeerGone(code) && core.inFlight != nil && !core.paused {
            readInput()
            guard !isClosed else { return }
        }
        fail(core.writeFailed(errno: code, peerGone: Self.isPeerGone(code)))
    }

    func updateInterest() {
        guard case .connected = phase, let watcher else { return }
        let wanted = driver.interest(wantsInput: !core.paused,
                                     wantsOutput: !writes.isEmpty || upload?.waitsForWritable == true)
        var interest: IOEvents = []
        if wanted.read { interest.insert(.read) }
        if wanted.write { interest.insert(.write) }
        if watcher.interest != interest { watcher.interest = interest }
    }

    // MARK: - Ending

    /// Ends the request in flight (and the queued ones) with `error`, and closes.
    func fail(_ error: ClientError) {
        guard !isClosed else { return }
        // Closed first: whatever runs below (delegates, the pool's hook) sees it closed.
        let failed = (core.inFlight == nil ? 0 : 1) + queued.count
        core.closed()
        if failed > 0 {
            options.logger?.debug("request failed", metadata: ["host": "\(host)", "port": "\(port)", "error": "\(error)"])
        } else {
            options.logger?.trace("closed", metadata: ["host": "\(host)", "port": "\(port)"])
        }
        connectTimer?.cancel(); connectTimer = nil
        requestTimer?.cancel(); requestTimer = nil
        idleTimer?.cancel(); idleTimer = nil
        closeSocket()
        writes.removeAll()
        abandonUpload()
        let delegate = self.delegate
        self.delegate = nil
        formerDelegate = delegate
        queued = []
        for _ in 0..<failed { delegate?.connection(self, didFail: error) }
        let onClose = self.onClose
        self.onClose = nil
        onClose?()
        withExtendedLifetime(delegate) {} // until `onClose` ran: it may refer to the delegate
    }
}
