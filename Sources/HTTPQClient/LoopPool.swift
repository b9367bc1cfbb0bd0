import EvLoop
import HTTPQ

/// The client's connections on one loop, per host. Loop-confined.
///
/// Two limits hold at once: connections per host and connections in total. A request
/// that finds its host under both opens a connection; one whose host is at its own limit
/// waits for that host's next free connection; one blocked only by the total limit takes
/// the next slot freed anywhere, and an idle kept-alive connection of another host is
/// closed to make that slot (idle connections never starve a host that has work) — when
/// it has no connection, or more requests waiting than connections (`needsAnotherSlot`);
/// otherwise it waits for its own, for `patience` at most.
///
/// Its collections are `@exclusivity(unchecked)` for the reason `Connection` gives.
final class LoopPool: @unchecked Sendable {
    /// Connections are shared only by requests to the same host, port and scheme, through
    /// the same proxy. Plain http through a proxy is keyed by the proxy alone (every origin
    /// shares its connections); https through one, by origin (each tunnel is to one origin).
    struct HostKey: Hashable {
        let host: String
        let port: Int
        let usesTLS: Bool
        var proxy: Proxy? = nil
        /// A Unix domain socket connected to instead of host and port.
        var socketPath: String? = nil
    }

    /// One host's connections and queue.
    final class HostPool {
        @exclusivity(unchecked) var idle: [PooledConnection] = []
        var open = 0
        /// A FIFO: slots before `waitingHead` are taken (emptied, so a finished request and
        /// its delegate are not kept), compacted once they are the larger part.
        @exclusivity(unchecked) var waiting: [PendingRequest?] = []
        var waitingHead = 0
        /// Requests in `waiting` that already ended (deadline passed): skipped when popped.
        var abandoned = 0
        /// Requests in the queue that have not ended.
        var waitingCount: Int { waiting.count - waitingHead - abandoned }
        var hasWaiting: Bool { waitingCount > 0 }

        /// Whether the host should take a slot from another host (close one of its idle
        /// connections, or the next one released) when the total limit is reached: when it
        /// has no connection, or more requests waiting than connections open. A host whose
        /// few waiting requests its own connections will carry a round trip from now waits
        /// for them: taking a slot costs a connect, and the host it was taken from needs one
        /// back soon (with a cap of 100 over 100 hosts in turn, stealing for a host whose one
        /// connection was busy made ~4,300 connections for 5,000 requests instead of 100).
        var needsAnotherSlot: Bool { open == 0 || waitingCount > open }

        /// When the oldest request still in the queue was queued (loop time), if any.
        var oldestWaitingSince: Double? {
            waiting[waitingHead...].lazy.compactMap { $0 }.first { !$0.finished }?.queuedAt
        }

        /// The oldest waiting request that has not ended.
        func popWaiting() -> PendingRequest? {
            while waitingHead < waiting.count {
                let task = waiting[waitingHead]
                waiting[waitingHead] = nil
                waitingHead += 1
                if waitingHead == waiting.count {
                    // A short queue keeps its storage: emptied and refilled per request (a
                    // gateway's one request at a time), it was an allocation each.
                    waiting.removeAll(keepingCapacity: waiting.capacity <= 16)
                    waitingHead = 0
                } else if waitingHead > 64 && waitingHead * 2 > waiting.count {
                    waiting.removeFirst(waitingHead)
                    waitingHead = 0
                }
                if let task, task.finished {
                    abandoned -= 1
                    continue
                }
                if let task { return task }
            }
            abandoned = 0
            return nil
        }
    }

    let loop: EventLoop
    let configuration: Client.Configuration
    let maxConnections: Int
    @exclusivity(unchecked) var hosts: [HostKey: HostPool] = [:]
    var openConnections = 0
    var sweeper: ScheduledTimer?
    var isShutDown = false
    /// Hosts with at least one idle connection: where a slot can be taken from.
    @exclusivity(unchecked) private var hostsWithIdle: [HostKey: HostPool] = [:]
    /// Hosts whose waiting requests are held back by the total limit only, in the order
    /// they were blocked (a set beside it for membership).
    @exclusivity(unchecked) private var blocked: [HostKey] = []
    @exclusivity(unchecked) private var blockedSet: Set<HostKey> = []
    /// Hosts waiting for their own busy connections at the total limit (`needsAnotherSlot`
    /// false), looked at again once `patience` has passed, and the timer that does it.
    @exclusivity(unchecked) private var patient: Set<HostKey> = []
    private var patienceTimer: ScheduledCallback?

    /// How long a request waits for its host's busy connections before it may take a slot
    /// that has sat idle as long: a round trip on a LAN is far shorter (no slot changes
    /// hands in a busy fetch), and a request behind a slow one is not held back for good
    /// while other hosts' connections sit unused.
    static let patience = 0.2

    init(loop: EventLoop, configuration: Client.Configuration, maxConnections: Int) {
        self.loop = loop
        self.configuration = configuration
        self.maxConnections = maxConnections
    }

    /// A new request: an idle connection, a new one, or the host's queue.
    func enqueue(_ task: PendingRequest) {
        guard !isShutDown else {
            task.finished = true
            task.delegate.request(didFail: .cancelled)
            return
        }
        let key = task.key
        let pool = hosts[key] ?? { let pool = HostPool(); hosts[key] = pool; return pool }()
        armDeadline(task, key)
        task.queuedAt = loop.now
        pool.waiting.append(task)
        dispatch(key, pool)
    }

    /// Starts waiting requests while connections are available.
    func dispatch(_ key: HostKey, _ pool: HostPool) {
        while pool.hasWaiting {
            if let connection = popIdle(key, pool) {
                guard let task = pool.popWaiting() else { return pushIdle(connection, key, pool) }
                connection.run(task)
            } else if pool.open < configuration.maxConnectionsPerHost && openConnections < maxConnections {
                guard let task = pool.popWaiting() else { return }
                guard let connection = open(key, pool, for: task) else { continue }
                connection.run(task)
            } else if pool.open < configuration.maxConnectionsPerHost, let idleFor = slotTakingAllowed(pool),
                      let victim = anyIdleConnection(except: key, idleFor: idleFor) {
                // The total limit is reached and another host sits on an idle connection:
                // close it (its slot comes back through `closed`, which dispatches again).
                let open = openConnections
                victim.connection?.close()
                if openConnections == open { // it was closed already: never pick it again
                    if let other = hosts[victim.key] { removeIdle(victim, victim.key, other) }
                    return block(key)
                }
            } else {
                if pool.open < configuration.maxConnectionsPerHost {
                    if pool.needsAnotherSlot || waitedPatiently(pool) { block(key) } else { waitPatiently(key) }
                }
                return
            }
        }
    }

    func open(_ key: HostKey, _ pool: HostPool, for task: PendingRequest) -> PooledConnection? {
        let pooled = PooledConnection(pool: self, key: key, hostPool: pool)
        do {
            let connection = try Connection(loop: loop, host: key.host, port: key.port, usesTLS: key.usesTLS,
                                            proxy: key.usesTLS ? key.proxy : nil, socketPath: key.socketPath, delegate: pooled,
                                            options: configuration.connection)
            pooled.connection = connection
            connection.onClose = { [unowned self, unowned pooled] in self.closed(pooled) }
        } catch {
            task.end()
            task.delegate.request(didFail: error)
            return nil
        }
        pool.open += 1
        openConnections += 1
        startSweeper()
        return pooled
    }

    /// A connection finished a request and can take another.
    func release(_ connection: PooledConnection) {
        let pool = connection.hostPool
        if let next = pool.popWaiting() {
            connection.run(next)
        } else if hasBlockedWork() {
            connection.connection?.close() // a host blocked by the total limit needs the slot
        } else {
            connection.idleSince = loop.now
            pushIdle(connection, connection.key, pool)
        }
    }

    /// A connection closed (either side): forget it and let a waiting request use the slot.
    func closed(_ connection: PooledConnection) {
        let pool = connection.hostPool
        removeIdle(connection, connection.key, pool)
        pool.open -= 1
        openConnections -= 1
        if pool.hasWaiting { dispatch(connection.key, pool) }
        // Hosts blocked by the total limit, oldest first, while slots remain.
        while openConnections < maxConnections, let key = unblock() {
            if let other = hosts[key] { dispatch(key, other) }
        }
    }

    /// Retries `task` once on a fresh connection.
    func retry(_ task: PendingRequest) {
        task.attempts += 1
        let key = task.key
        guard let pool = hosts[key] else { return }
        armDeadline(task, key) // ending the first attempt stopped it; the deadline still holds
        pool.waiting.insert(task, at: pool.waitingHead)
        // A fresh connection, not another pooled one that may be just as stale.
        if pool.open < configuration.maxConnectionsPerHost && openConnections < maxConnections,
           let connection = open(key, pool, for: task) {
            _ = pool.popWaiting()
            connection.run(task)
        } else {
            dispatch(key, pool)
        }
    }

    // MARK: Deadlines

    /// The request's whole deadline: queueing, connecting, TLS and every byte. When it
    /// passes, a waiting request leaves the queue and a running one closes its connection.
    private func armDeadline(_ task: PendingRequest, _ key: HostKey) {
        guard let deadline = task.deadline, task.timer == nil else { return }
        let delay = max(.zero, deadline - .now)
        task.timer = loop.scheduleCallback(after: delay) { [weak self, weak task] in
            guard let self, let task else { return }
            self.abort(task, with: .timedOut(.request))
        }
    }

    /// Ends `task` now with `error` (its deadline passed, or it was cancelled): a waiting
    /// request leaves its host's queue at once, a running one closes its connection (the
    /// slot comes back through `closed`). Nothing happens to a request that already ended.
    func abort(_ task: PendingRequest, with error: ClientError) {
        guard !task.finished else { return }
        task.aborted = true
        if let id = task.runningOn, let running = busy.first(where: { ObjectIdentifier($0) == id }) {
            running.connection?.fail(error)
        } else { // not running and not ended: in its host's queue
            task.end()
            hosts[task.key]?.abandoned += 1
            task.delegate.request(didFail: error)
        }
    }

    // MARK: Idle connections and blocked hosts

    private func pushIdle(_ connection: PooledConnection, _ key: HostKey, _ pool: HostPool) {
        pool.idle.append(connection)
        if pool.idle.count == 1 { hostsWithIdle[key] = pool }
    }

    private func popIdle(_ key: HostKey, _ pool: HostPool) -> PooledConnection? {
        let connection = pool.idle.popLast()
        if pool.idle.isEmpty { hostsWithIdle[key] = nil }
        return connection
    }

    private func removeIdle(_ connection: PooledConnection, _ key: HostKey, _ pool: HostPool) {
        pool.idle.removeAll { $0 === connection }
        if pool.idle.isEmpty { hostsWithIdle[key] = nil }
    }

    /// An idle connection of some other host, idle for at least `idleFor` seconds (its host's
    /// longest idle): of a host that keeps another connection if one of the first few looked
    /// at does, so taking it leaves no host without a connection (which would take one back
    /// next, and so on). The few: with 2,000 hosts sharing 100 slots, looking at every host
    /// with an idle connection on every URL was a quarter of `fetch`'s instructions.
    private func anyIdleConnection(except key: HostKey, idleFor: Double = 0) -> PooledConnection? {
        var fallback: PooledConnection?
        var looked = 0
        for (other, pool) in hostsWithIdle where other != key {
            guard let connection = pool.idle.first, loop.now - connection.idleSince >= idleFor else { continue }
            if pool.open > 1 { return connection }
            if fallback == nil { fallback = connection }
            looked += 1
            if looked == Self.victimsLookedAt { break }
        }
        return fallback
    }

    /// How many hosts' idle connections `anyIdleConnection` weighs before taking the first.
    static let victimsLookedAt = 8

    /// How long another host's connection must have been idle for `pool` to take its slot:
    /// 0 when it needs one, `patience` once its oldest request has waited that long for its
    /// own busy connections; nil while it should wait for them.
    private func slotTakingAllowed(_ pool: HostPool) -> Double? {
        if pool.needsAnotherSlot { return 0 }
        return waitedPatiently(pool) ? Self.patience : nil
    }

    private func waitedPatiently(_ pool: HostPool) -> Bool {
        guard let since = pool.oldestWaitingSince else { return false }
        return loop.now - since >= Self.patience
    }

    /// `key` waits for its own connections; it is dispatched again once `patience` is over.
    private func waitPatiently(_ key: HostKey) {
        patient.insert(key)
        guard patienceTimer == nil else { return }
        patienceTimer = loop.scheduleCallback(after: .milliseconds(Int64(Self.patience * 1000))) { [weak self] in
            self?.patienceOver()
        }
    }

    private func patienceOver() {
        patienceTimer = nil
        let waiting = patient
        patient = []
        for key in waiting {
            if let pool = hosts[key], pool.hasWaiting { dispatch(key, pool) } // may wait again
        }
    }

    private func block(_ key: HostKey) {
        if blockedSet.insert(key).inserted { blocked.append(key) }
    }

    /// Whether a host blocked by the total limit still has requests waiting (hosts whose
    /// requests all ended meanwhile are dropped from the front).
    private func hasBlockedWork() -> Bool {
        while let first = blocked.first, hosts[first].map({ $0.hasWaiting && ($0.needsAnotherSlot || waitedPatiently($0)) }) != true {
            blocked.removeFirst()
            blockedSet.remove(first)
        }
        return !blocked.isEmpty
    }

    private func unblock() -> HostKey? {
        guard !blocked.isEmpty else { return nil }
        let key = blocked.removeFirst()
        blockedSet.remove(key)
        return key
    }

    // MARK: Expiry and shutdown

    /// Closes connections idle for longer than the idle timeout.
    func startSweeper() {
        guard sweeper == nil else { return }
        let period = configuration.idleTimeout / 4
        sweeper = loop.schedule(after: period, repeating: period) { [weak self] in self?.sweep() }
    }

    func sweep() {
        let limit = configuration.idleTimeout.seconds
        for pool in hosts.values {
            for connection in pool.idle where loop.now - connection.idleSince >= limit {
                connection.connection?.close()
            }
        }
        if openConnections == 0 {
            sweeper?.cancel()
            sweeper = nil
        }
    }

    func shutdown() {
        isShutDown = true
        for pool in hosts.values {
            while let task = pool.popWaiting() {
                task.end()
                task.delegate.request(didFail: .cancelled)
            }
            for connection in pool.idle { connection.connection?.close() }
        }
        // Busy connections: closing fails their request with `cancelled`.
        for connection in busy { connection.connection?.close() }
        sweeper?.cancel()
        sweeper = nil
        patienceTimer?.cancel()
        patienceTimer = nil
        patient = []
    }

    /// Connections running a request (for shutdown and aborts), in and out in O(1) by the
    /// index each keeps (`busyIndex`): no hashing per request.
    @exclusivity(unchecked) var busy: [PooledConnection] = []

    func markBusy(_ connection: PooledConnection) {
        guard connection.busyIndex < 0 else { return }
        connection.busyIndex = busy.count
        busy.append(connection)
    }

    func markNotBusy(_ connection: PooledConnection) {
        let index = connection.busyIndex
        guard index >= 0 else { return }
        connection.busyIndex = -1
        let last = busy.removeLast()
        if last !== connection {
            busy[index] = last
            last.busyIndex = index
        }
    }
}
