import CoreMetrics
import Locks
import EvLoop
import HTTPQ
import Sockets
import Synchronization

/// Answers one request. Runs on the loop thread of the request's connection; answer through
/// `responder`, now or later (from any thread), exactly once.
public typealias RequestHandler = @Sendable (Request, Responder) -> Void

/// Answers one request whose body it reads itself, as it arrives (`RequestBody`): called
/// once the head is in, with `request.body` empty. Runs on the loop thread of the request's
/// connection; answer through `responder`, now or later (from any thread), exactly once.
public typealias StreamingRequestHandler = @Sendable (Request, RequestBody, Responder) -> Void

/// An HTTP/1.1 server on one or more event loops: each loop accepts on its own listener
/// (`SO_REUSEPORT` spreads connections among them) and owns the connections it accepted.
///
/// ```swift
/// let group = try EventLoopGroup(count: 2)
/// let server = Server(configuration: .init(addresses: [SocketAddress(ip: "127.0.0.1", port: 0)!]),
///                     loops: group.loops) { request, responder in
///     responder.send(Response(status: 200, reason: "OK", body: Array("hello\n".utf8)))
/// }
/// let addresses = try server.start()
/// ```
public final class Server: Sendable {
    /// Where and how it listens, limits and timeouts (fixed once created).
    public let configuration: ServerConfiguration
    let handling: Handling
    private let loops: [EventLoop]
    private let state = Locked(Lifecycle())

    private struct Lifecycle {
        var started = false
        var homes: [LoopServer] = []
        var addresses: [SocketAddress] = []
    }

    /// How requests reach the handler: whole, or head first with the body streamed.
    enum Handling: Sendable {
        /// The server reads each body (up to `maxBodyBytes`) before the handler runs.
        case collected(RequestHandler)
        /// The handler gets the head and reads the body (up to `maxStreamedBodyBytes`).
        case streaming(StreamingRequestHandler)
    }

    /// A server that will answer with `handler` on `loops` once started; each request
    /// reaches it whole, its body read first (up to `configuration.maxBodyBytes`).
    public init(configuration: ServerConfiguration = .init(), loops: [EventLoop], handler: @escaping RequestHandler) {
        precondition(!loops.isEmpty, "a server needs at least one loop")
        self.configuration = configuration
        self.loops = loops
        self.handling = .collected(handler)
        metrics = ServerMetrics.make(configuration.metricsFactory ?? MetricsSystem.factory)
    }

    /// The instruments, when a metrics backend counts (nil: none, and no cost).
    let metrics: ServerMetrics?

    /// Whether the server counts into swift-metrics (a backend was bootstrapped, or a
    /// factory given); without one it makes no instruments and pays nothing per request.
    public var countsMetrics: Bool { metrics != nil }

    /// A server whose handler reads request bodies as they arrive (uploads, proxies): it
    /// gets each request's head and a `RequestBody` (up to `configuration.maxStreamedBodyBytes`).
    ///
    /// ```swift
    /// let server = Server(configuration: .init(addresses: [SocketAddress(ip: "127.0.0.1", port: 0)!]),
    ///                     loops: group.loops) { request, body, responder in
    ///     body.collect(upTo: 1 << 20) { result in
    ///         let count = (try? result.get().0.count) ?? 0
    ///         responder.send(Response(status: 200, reason: "OK", body: Array("\(count) bytes\n".utf8)))
    ///     }
    /// }
    /// ```
    public init(configuration: ServerConfiguration = .init(), loops: [EventLoop],
                streamingHandler: @escaping StreamingRequestHandler) {
        precondition(!loops.isEmpty, "a server needs at least one loop")
        self.configuration = configuration
        self.loops = loops
        self.handling = .streaming(streamingHandler)
        metrics = ServerMetrics.make(configuration.metricsFactory ?? MetricsSystem.factory)
    }

    /// Binds every address (on every loop) and starts accepting. Returns the bound addresses,
    /// with the ports picked for port 0. Call from any thread.
    @discardableResult
    public func start() throws(ServerError) -> [SocketAddress] {
        SystemCalls.guardAgainstBrokenPipes() // sendfile cannot say MSG_NOSIGNAL
        let alreadyStarted = state.withLock { lifecycle in
            defer { lifecycle.started = true }
            return lifecycle.started
        }
        guard !alreadyStarted else { throw .alreadyStarted }
        var perLoop = [[Int32]](repeating: [], count: loops.count)
        var bound: [SocketAddress] = []
        do {
            for address in configuration.addresses {
                var target = address
                for index in loops.indices {
                    // A Unix socket path can be bound once: the other loops watch copies of
                    // the one listener (SO_REUSEPORT is for TCP).
                    if index > 0, target.unixPath != nil, let first = perLoop[0].last {
                        switch SystemCalls.duplicate(first) {
                        case .ok(let copy): perLoop[index].append(copy)
                        case .failed(let code): throw ServerError.cannotListen(address: target.description, call: "fcntl", errno: code)
                        case .wouldBlock: throw ServerError.cannotListen(address: target.description, call: "fcntl", errno: 0)
                        }
                        continue
                    }
                    switch SystemCalls.listener(on: target, backlog: configuration.backlog, reusePort: loops.count > 1) {
                    case .success(let fd):
                        perLoop[index].append(fd)
                        if index == 0, let actual = SystemCalls.localAddress(fd) {
                            target = address.unixPath == nil ? actual : address
                            bound.append(target)
                        }
                    case .failure(let failure):
                        throw ServerError.cannotListen(address: target.description, call: failure.call, errno: failure.code)
                    }
                }
            }
        } catch {
            perLoop.joined().forEach(SystemCalls.close)
            throw error as! ServerError
        }
        let homes = loops.indices.map { LoopServer(server: self, loop: loops[$0]) }
        state.withLock {
            $0.homes = homes
            $0.addresses = bound
        }
        for (home, listeners) in zip(homes, perLoop) {
            home.loop.execute { home.attach(listeners: listeners) }
        }
        for address in bound {
            configuration.logger?.info("listening", metadata: ["address": "\(address)", "loops": "\(loops.count)"])
        }
        return bound
    }

    /// The addresses the server listens on (after `start()`).
    public var addresses: [SocketAddress] { state.withLock { $0.addresses } }

    /// Graceful shutdown: stops accepting, closes idle connections, lets requests in flight
    /// finish (each with `Connection: close`), and force-closes what is left after
    /// `gracePeriod`. `completion` runs once every connection is closed, on some loop thread.
    public func shutdown(gracePeriod: Duration = .seconds(10), completion: @escaping @Sendable () -> Void = {}) {
        let (homes, addresses) = state.withLock { ($0.homes, $0.addresses) }
        guard !homes.isEmpty else { return completion() }
        let remaining = Atomic(homes.count)
        let paths = addresses.compactMap(\.unixPath)
        for home in homes {
            home.loop.execute {
                home.shutdown(gracePeriod: gracePeriod) {
                    guard remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 else { return }
                    paths.forEach { SystemCalls.remove($0) } // the socket files it made go with it
                    completion()
                }
            }
        }
    }

    /// Graceful shutdown, awaited.
    public func shutdown(gracePeriod: Duration = .seconds(10)) async {
        await withCheckedContinuation { continuation in
            shutdown(gracePeriod: gracePeriod) { continuation.resume() }
        }
    }
}
