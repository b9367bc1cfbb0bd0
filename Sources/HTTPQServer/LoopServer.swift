import EvLoop
import HTTPQ
import Sockets
#if canImport(Glibc)
import Glibc
#endif

/// The part of a `Server` that lives on one loop: its listeners, the connections it
/// accepted, one sweeper timer for every timeout, and the cached `Date` line.
/// Confined to its loop's thread.
final class LoopServer: @unchecked Sendable {
    /// The handler every connection of this loop answers with.
    let handling: Server.Handling
    /// Whether the handler reads request bodies itself (`RequestBody`).
    let streams: Bool
    let loop: EventLoop
    let configuration: ServerConfiguration
    /// The timeouts in loop seconds, converted once (deadlines are set on every read).
    let headerTimeout: Double
    let idleTimeout: Double
    /// Read per request, so held here rather than read out of `configuration` each time (a
    /// field of a struct this large, read through the class, was copied whole: two copies of
    /// `ServerConfiguration` per request, 2% of the server's CPU with a log on).
    let accessLog: (@Sendable (consuming AccessLogEntry) -> Void)?
    /// The log this loop formats lines for (`ServerConfiguration.accessLogWriter`), and its
    /// loop-confined formatting state.
    let accessLogWriter: AccessLog?
    @exclusivity(unchecked) var accessLogLines = AccessLogLines()
    let maxBodyBytes: Int
    let maxStreamedBodyBytes: Int
    let maxBufferedBytesPerLoop: Int
    /// Whether a finished response is recorded (an access log or metrics): only then is
    /// each request timed.
    let observesResponses: Bool
    private var listeners: [IOWatcher] = []
    private var connections: [ObjectIdentifier: ServerConnection] = [:]
    private var sweeper: ScheduledTimer?
    private var acceptPause: ScheduledTimer?
    // `@exclusivity(unchecked)`: loop-confined, never mutated re-entrantly (see ServerConnection).
    @exclusivity(unchecked) private var date = HTTPDate()
    private(set) var isShuttingDown = false
    /// Request bytes the connections of this loop hold now (bodies and pipelined input),
    /// against `configuration.maxBufferedBytesPerLoop`.
    @exclusivity(unchecked) var bufferedBytes = 0
    private var drained: (() -> Void)?
    private var graceTimer: ScheduledTimer?

    /// The server's instruments (nil: no metrics backend).
    let metrics: ServerMetrics?

    init(server: Server, loop: EventLoop) {
        self.handling = server.handling
        metrics = server.metrics
        if case .streaming = server.handling { streams = true } else { streams = false }
        self.loop = loop
        self.configuration = server.configuration
        headerTimeout = server.configuration.headerTimeout.seconds
        idleTimeout = server.configuration.idleTimeout.seconds
        accessLog = server.configuration.accessLog
        accessLogWriter = server.configuration.accessLogWriter
        maxBodyBytes = server.configuration.maxBodyBytes
        maxStreamedBodyBytes = server.configuration.maxStreamedBodyBytes
        maxBufferedBytesPerLoop = server.configuration.maxBufferedBytesPerLoop
        observesResponses = server.metrics != nil || server.configuration.accessLog != nil
            || server.configuration.accessLogWriter != nil
    }

    deinit {
        // Reached when the loop let go of a server that was never shut down (its thread was):
        // nothing can fire any more, so only descriptors are left to give back.
        for listener in listeners { SystemCalls.close(listener.fileDescriptor) }
    }

    /// `Server: NAME\r\n`, or nothing.
    lazy var serverLine: [UInt8] = configuration.serverName.map { Array("Server: \($0)\r\n".utf8) } ?? []

    /// The `Date: ...\r\n` line for now.
    var dateLine: [UInt8] { date.line(at: loop.now) }

    /// Storage for response heads, reused from answer to answer on this loop: a head is
    /// built, written (or queued: the queue then keeps that buffer, and the next head gets a
    /// fresh one), and given back. A `malloc` and `free` per response otherwise.
    @exclusivity(unchecked) private var spareHead: [UInt8] = []

    /// An empty buffer for a head, with the capacity the last one had.
    func takeHeadStorage() -> [UInt8] {
        var head: [UInt8] = []
        swap(&head, &spareHead)
        head.removeAll(keepingCapacity: true)
        return head
    }

    /// Gives a head's buffer back once it is written or queued (kept up to 4 KiB).
    func giveBack(head: consuming [UInt8]) {
        if head.capacity <= 4096 { spareHead = head }
    }

    func attach(listeners fds: [Int32]) {
        listeners = fds.map { fd in
            // The listener's watcher holds this object: a started server serves until it is
            // shut down (or its loop is), whoever else lets go of it.
            loop.watch(fileDescriptor: fd, for: .read) { [self] _ in acceptAll(from: fd) }
        }
        // One timer per loop checks every connection's deadline: resetting a deadline is a
        // store, not a timer restart, on every request.
        let tick = min(configuration.headerTimeout, configuration.idleTimeout, .seconds(1)) / 4
        sweeper = loop.schedule(after: tick, repeating: tick) { [unowned self] in sweep() }
    }

    /// Accepts until the backlog is empty. Out of descriptors (EMFILE, ENFILE) the listeners
    /// pause for 100 ms instead of spinning on a readiness that cannot be served.
    private func acceptAll(from listener: Int32) {
        for _ in 0..<256 {
            switch SystemCalls.accept(listener) {
            case .ok(let fd):
                let connection = ServerConnection(fd: fd, home: self)
                connections[ObjectIdentifier(connection)] = connection
                if let metrics {
                    metrics.connections.increment()
                    metrics.openConnections.increment()
                }
                connection.start()
            case .wouldBlock:
                return
            case .failed(let code) where code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM:
                configuration.logger?.warning("accept failed; pausing 100 ms", metadata: ["error": "\(SystemCalls.describe(code))"])
                pauseAccepting()
                return
            case .failed:
                return
            }
        }
    }

    private func pauseAccepting() {
        guard acceptPause == nil else { return }
        for listener in listeners { listener.interest = [] }
        acceptPause = loop.schedule(after: .milliseconds(100)) { [unowned self] in
            acceptPause = nil
            guard !isShuttingDown else { return }
            for listener in listeners { listener.interest = .read }
        }
    }

    // MARK: Parsers

    @exclusivity(unchecked) private var spareParsers: [RequestParser] = []

    /// A parser in its initial state, from the pool when one is spare.
    func takeParser() -> RequestParser {
        spareParsers.popLast() ?? RequestParser(configuration, streams: streams)
    }

    /// Gives back a parser whose request was taken (the pool keeps at most 256).
    func recycle(_ parser: RequestParser) {
        if spareParsers.count < 256 { spareParsers.append(parser) }
    }

    func closed(_ connection: ServerConnection) {
        connections[ObjectIdentifier(connection)] = nil
        metrics?.openConnections.decrement()
        if isShuttingDown && connections.isEmpty { finishShutdown() }
    }

    private func sweep() {
        let now = loop.now
        for connection in connections.values where connection.deadline <= now {
            connection.deadlinePassed()
        }
    }

    // MARK: Shutdown

    func shutdown(gracePeriod: Duration, drained: @escaping () -> Void) {
        guard !isShuttingDown else { return }
        isShuttingDown = true
        self.drained = drained
        configuration.logger?.info("shutting down", metadata: ["connections": "\(connections.count)", "grace": "\(gracePeriod)"])
        for listener in listeners {
            listener.cancel()
            SystemCalls.close(listener.fileDescriptor)
        }
        listeners = []
        acceptPause?.cancel()
        for connection in Array(connections.values) { connection.serverIsShuttingDown() }
        if connections.isEmpty { return finishShutdown() }
        graceTimer = loop.schedule(after: gracePeriod) { [unowned self] in
            for connection in Array(connections.values) { connection.close() }
        }
    }

    private func finishShutdown() {
        configuration.logger?.debug("loop drained")
        sweeper?.cancel()
        graceTimer?.cancel()
        sweeper = nil
        graceTimer = nil
        let drained = self.drained
        self.drained = nil
        drained?()
    }
}
