import EvLoop
import HTTPQ

/// Fetches across many hosts at once: a pool of keep-alive connections per host, limits on
/// connections in total and per host, a FIFO queue per host, idle expiry, and one retry of
/// an idempotent request whose pooled connection turned out to be closed.
///
/// Safe from any thread; each host's connections live on one of the client's loops, and
/// delegates are called there.
public final class Client: Sendable {
    /// Limits and timeouts.
    public struct Configuration: Sendable {
        /// Connections open at once, in total (shared evenly by the loops).
        public var maxConnections: Int
        /// Connections open at once to one host:port.
        public var maxConnectionsPerHost: Int
        /// How long an idle pooled connection is kept.
        public var idleTimeout: Duration
        /// Options of every connection (timeouts, keeping bodies, limits).
        public var connection: ConnectionOptions
        /// Which redirects are followed (default: up to 10, never from https to http).
        public var redirects: RedirectPolicy
        /// Whether responses are asked for compressed and decoded (default: off).
        public var decompression: Decompression
        /// Which proxy each URL goes through (default: none; `.environment()` reads curl's variables).
        public var proxy: ProxySettings

        /// Defaults: 512 connections, 8 per host, 60 s idle, up to 10 redirects followed.
        public init(maxConnections: Int = 512, maxConnectionsPerHost: Int = 8, idleTimeout: Duration = .seconds(60),
                    connection: ConnectionOptions = ConnectionOptions(), redirects: RedirectPolicy = .follow(),
                    decompression: Decompression = .off, proxy: ProxySettings = .none) {
            self.maxConnections = maxConnections
            self.maxConnectionsPerHost = maxConnectionsPerHost
            self.idleTimeout = idleTimeout
            self.connection = connection
            self.redirects = redirects
            self.decompression = decompression
            self.proxy = proxy
        }
    }

    /// The loops the client runs on.
    public let loops: [EventLoop]
    let pools: [LoopPool]
    /// The configuration it was made with.
    public let configuration: Configuration

    /// A client on `loops` (each run by someone: an `EventLoopThread`, a group, or you).
    public init(loops: [EventLoop], configuration: Configuration = Configuration()) {
        precondition(!loops.isEmpty, "a client needs at least one loop")
        self.loops = loops
        self.configuration = configuration
        let share = max(1, configuration.maxConnections / loops.count)
        pools = loops.map { LoopPool(loop: $0, configuration: configuration, maxConnections: share) }
    }

    /// Sends `request` to `url`'s host; `delegate` hears the response on the loop's thread.
    /// The request's target and a missing Host header are taken from `url`.
    ///
    /// `deadline` bounds the whole request: the wait for a connection slot, resolving,
    /// connecting, TLS and every byte of the response. When it passes, the request fails with
    /// `timedOut(.request)` (a waiting one leaves its host's queue; a running one closes its
    /// connection). Without it, only the connection's own timeouts apply.
    /// `options` override the configuration's redirects and decompression for this request.
    public func execute(_ request: Request, to url: HTTPURL, deadline: ContinuousClock.Instant? = nil,
                        options: RequestOptions? = nil, delegate: RequestDelegate) {
        _ = start(request, to: url, deadline: deadline, options: options, delegate: delegate)
    }

    /// Sends `request` with `body` streamed after its head (a file, a sequence, a producer:
    /// `UploadBody`) instead of `request.body`; otherwise as `execute(_:to:deadline:delegate:)`.
    /// A request with a body that cannot be replayed is never retried on a fresh connection.
    public func execute(_ request: Request, body: UploadBody, to url: HTTPURL, deadline: ContinuousClock.Instant? = nil,
                        options: RequestOptions? = nil, delegate: RequestDelegate) {
        _ = start(request, body: body, to: url, deadline: deadline, options: options, delegate: delegate)
    }

    /// Starts a request and returns what ends it (with `cancelled`, or another error): on the
    /// pool's loop, a waiting request leaves its host's queue and a running one closes its
    /// connection; the delegate hears the error once (a request that already ended is left
    /// alone). Redirects are followed and bodies decoded as `options` (or the configuration)
    /// say, all under the one `deadline`.
    ///
    /// `abort`: the holder of what ends the running hop, when the caller has one (else one is
    /// made if needed). `inline`: the caller is a task job on some loop, not a pool callback,
    /// so on the pool's own loop the first hop is queued at once instead of on the next turn.
    @discardableResult
    func start(_ request: consuming Request, body: UploadBody? = nil, to url: HTTPURL, deadline: ContinuousClock.Instant?,
               options: RequestOptions? = nil, delegate: RequestDelegate, abort given: CancelOnce? = nil,
               inline: Bool = false) -> @Sendable (ClientError) -> Void {
        let redirects = options?.redirects ?? configuration.redirects
        let decompression = options?.decompression ?? configuration.decompression
        guard redirects.follows || decompression.isOn else { // the plain path: nothing stands in between
            let end = startHop(request, body: body, to: url, deadline: deadline, delegate: delegate, inline: inline)
            given?.set(end)
            return end
        }
        var delegate = delegate
        let abort = given ?? CancelOnce()
        // A request with its own Accept-Encoding asked for the coded bytes: it gets them.
        if decompression.isOn && !request.headers.contains("Accept-Encoding") {
            request.headers.add("Accept-Encoding", decompression.acceptEncoding)
            delegate = DecodingDelegate(downstream: delegate, decompression: decompression,
                                        keepsBody: configuration.connection.keepsBody,
                                        maxKeptBytes: configuration.connection.limits.maxBodyBytes, abort: abort)
        }
        if redirects.follows {
            request.target = url.target
            Self.addCredentials(of: url, to: &request) // they go on with every hop that stays at this origin
            let follower = RedirectFollower(client: self, policy: redirects, request: request, body: body, url: url,
                                            deadline: deadline, downstream: delegate, abort: abort)
            follower.start(inline: inline)
        } else {
            abort.set(startHop(request, body: body, to: url, deadline: deadline, delegate: delegate, inline: inline))
        }
        return { abort.fire($0) }
    }

    /// Sends one request to `url` (the first, or a redirect's next hop) and returns what ends it.
    func startHop(_ request: consuming Request, body: UploadBody? = nil, to url: HTTPURL, deadline: ContinuousClock.Instant?,
                  delegate: RequestDelegate, inline: Bool = false) -> @Sendable (ClientError) -> Void {
        // Taken, not borrowed: the caller's request is changed and queued without a copy.
        request.target = url.target
        if !request.headers.contains("Host") { request.headers.add("Host", url.authority) }
        Self.addCredentials(of: url, to: &request)
        // A body in the request itself goes out framed, or not at all.
        if body == nil, let refusal = RequestBodyFraming.frame(&request) { return failAtOnce(refusal, delegate) }
        var key = LoopPool.HostKey(host: url.host, port: url.port, usesTLS: url.usesTLS, socketPath: url.socketPath)
        if url.socketPath == nil, let proxy = configuration.proxy.proxy(for: url) { // a local socket is never proxied
            key.proxy = proxy
            if !url.usesTLS { // absolute form to the proxy (RFC 9112 §3.2.2), on its connections
                key = LoopPool.HostKey(host: proxy.host, port: proxy.port, usesTLS: false, proxy: proxy)
                request.target = "http://\(url.authority)\(url.target)"
                if let authorization = proxy.authorization, !request.headers.contains("Proxy-Authorization") {
                    request.headers.add("Proxy-Authorization", authorization)
                }
            }
        }
        let pool = pool(for: key)
        let task = PendingRequest(request: request, key: key, delegate: delegate)
        task.body = body
        task.deadline = deadline
        if inline && pool.loop.isInLoop { pool.enqueue(task) } else { pool.loop.execute { pool.enqueue(task) } }
        // Weak: whoever keeps this (a redirect chain, a decoder) is the task's own delegate,
        // and a strong capture made a cycle that kept every request alive (a gateway grew
        // 30 MB/s). While the task can be aborted, its queue or its connection holds it.
        return { [weak task] error in
            guard let task else { return }
            pool.loop.execute { pool.abort(task, with: error) }
        }
    }

    /// Tells `delegate` of `error` on a later turn (never from inside the call that made the
    /// request), for a request refused before it was queued; the returned end does nothing.
    private func failAtOnce(_ error: ClientError, _ delegate: RequestDelegate) -> @Sendable (ClientError) -> Void {
        let box = UncheckedBox(delegate)
        loops[0].execute { box.value.request(didFail: error) }
        return { _ in }
    }

    /// `user:password@` in the URL: Basic authorization, unless the request has its own.
    /// A redirect keeps it only while it stays at the origin (`RedirectChain.nextRequest`).
    static func addCredentials(of url: HTTPURL, to request: inout Request) {
        if let user = url.user, !request.headers.contains("Authorization") {
            request.headers.add("Authorization", BasicCredentials.authorization(user: user, password: url.password ?? ""))
        }
    }

    /// Sends `request` to the `url` string; `delegate` hears the response. An unusable URL fails at once.
    public func execute(_ request: Request, to url: String, deadline: ContinuousClock.Instant? = nil,
                        options: RequestOptions? = nil, delegate: RequestDelegate) {
        do {
            execute(request, to: try HTTPURL(url), deadline: deadline, options: options, delegate: delegate)
        } catch {
            let box = UncheckedBox(delegate)
            loops[0].execute { box.value.request(didFail: error) }
        }
    }

    /// Closes every connection; requests in flight or queued fail with `cancelled`.
    public func shutdown() {
        for pool in pools { pool.loop.execute { pool.shutdown() } }
    }

    func pool(for key: LoopPool.HostKey) -> LoopPool {
        pools.count == 1 ? pools[0] : pools[abs(key.hashValue % pools.count)] // (hashing a key costs ~150 instructions)
    }
}

/// A value handed between threads whose use is confined to one loop by construction.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// One request waiting for, or running on, a connection.
final class PendingRequest: @unchecked Sendable {
    let request: Request
    /// Which connections may carry it (host, port, scheme, proxy).
    let key: LoopPool.HostKey
    let delegate: RequestDelegate
    /// A body sent as it is produced instead of `request.body`.
    /// (Loop-confined, as all of it after `init`: unchecked, no runtime access checks per request.)
    @exclusivity(unchecked) var body: UploadBody?
    @exclusivity(unchecked) var attempts = 0
    /// Ended: completed, failed, timed out or cancelled (a queue skips it).
    @exclusivity(unchecked) var finished = false
    /// Ended on purpose (cancelled, deadline): never retried.
    @exclusivity(unchecked) var aborted = false
    /// When the whole request must be over (nil: no such limit).
    @exclusivity(unchecked) var deadline: ContinuousClock.Instant?
    /// Fires at `deadline` (loop-confined; a pooled timer: one per request, no allocation).
    @exclusivity(unchecked) var timer: ScheduledCallback?
    /// The pooled connection running the request, while it runs, by identity (found among
    /// the pool's busy connections on abort). A weak reference gave every pooled connection a
    /// side table, and each of its retains and releases then took the runtime's slow path.
    @exclusivity(unchecked) var runningOn: ObjectIdentifier?
    /// When it joined its host's queue (loop time), for the pool's patience.
    @exclusivity(unchecked) var queuedAt: Double = 0

    init(request: Request, key: LoopPool.HostKey, delegate: RequestDelegate) {
        self.request = request
        self.key = key
        self.delegate = delegate
    }

    /// Marks the request ended and stops its deadline.
    func end() {
        finished = true
        runningOn = nil
        timer?.cancel()
        timer = nil
    }

    /// RFC 9110 §9.2.2: these may be retried when the connection died before an answer.
    var isIdempotent: Bool { ["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"].contains(request.method) }

    /// Whether the request can go again on a fresh connection: idempotent, and its body
    /// (if streamed) can be sent again from the start.
    var isRetryable: Bool { isIdempotent && (body?.isReplayable ?? true) }
}
