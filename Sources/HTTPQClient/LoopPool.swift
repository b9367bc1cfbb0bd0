import EvLoop
import HTTPQ

/// The client's connections on one loop, per host. Loop-confined.
final class LoopPool: @unchecked Sendable {
    /// Connections are shared only by requests to the same host, port and scheme.
    struct HostKey: Hashable {
        let host: String
        let port: Int
        let usesTLS: Bool
    }

    /// One host's connections and queue.
    final class HostPool {
        var idle: [PooledConnection] = []
        var open = 0
        /// A FIFO: slots before `waitingHead` are taken (emptied, so a finished request and
        /// its delegate are not kept), compacted once they are the larger part.
        var waiting: [PendingRequest?] = []
        var waitingHead = 0
        var hasWaiting: Bool { waitingHead < waiting.count }

        func popWaiting() -> PendingRequest? {
            guard hasWaiting else { return nil }
            let task = waiting[waitingHead]
            waiting[waitingHead] = nil
            waitingHead += 1
            if waitingHead == waiting.count {
                waiting = []
                waitingHead = 0
            } else if waitingHead > 64 && waitingHead * 2 > waiting.count {
                waiting.removeFirst(waitingHead)
                waitingHead = 0
            }
            return task
        }
    }

    let loop: EventLoop
    let configuration: Client.Configuration
    let maxConnections: Int
    var hosts: [HostKey: HostPool] = [:]
    var openConnections = 0
    var sweeper: ScheduledTimer?
    var isShutDown = false

    init(loop: EventLoop, configuration: Client.Configuration, maxConnections: Int) {
        self.loop = loop
        self.configuration = configuration
        self.maxConnections = maxConnections
    }

    /// A new request: an idle connection, a new one, or the host's queue.
    func enqueue(_ task: PendingRequest) {
        guard !isShutDown else {
            task.delegate.request(didFail: .cancelled)
            return
        }
        let key = HostKey(host: task.host, port: task.port, usesTLS: task.usesTLS)
        let pool = hosts[key] ?? { let pool = HostPool(); hosts[key] = pool; return pool }()
        pool.waiting.append(task)
        dispatch(key, pool)
    }

    /// Starts waiting requests while connections are available.
    func dispatch(_ key: HostKey, _ pool: HostPool) {
        while pool.hasWaiting {
            if let connection = pool.idle.popLast() {
                connection.run(pool.popWaiting()!)
            } else if pool.open < configuration.maxConnectionsPerHost && openConnections < maxConnections {
                let task = pool.popWaiting()!
                guard let connection = open(key, pool, for: task) else { continue }
                connection.run(task)
            } else {
                return
            }
        }
    }

    func open(_ key: HostKey, _ pool: HostPool, for task: PendingRequest) -> PooledConnection? {
        let pooled = PooledConnection(pool: self, key: key)
        do {
            let connection = try Connection(loop: loop, host: key.host, port: key.port, usesTLS: key.usesTLS, delegate: pooled,
                                            options: configuration.connection)
            pooled.connection = connection
            connection.onClose = { [unowned self, unowned pooled] in self.closed(pooled) }
        } catch {
            task.finished = true
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
        guard let pool = hosts[connection.key] else { return }
        if let next = pool.popWaiting() {
            connection.run(next)
        } else {
            connection.idleSince = loop.now
            pool.idle.append(connection)
        }
    }

    /// A connection closed (either side): forget it and let a waiting request use the slot.
    func closed(_ connection: PooledConnection) {
        guard let pool = hosts[connection.key] else { return }
        pool.idle.removeAll { $0 === connection }
        pool.open -= 1
        openConnections -= 1
        if pool.hasWaiting {
            dispatch(connection.key, pool)
        } else {
            // Another host may be waiting for a slot under the total limit.
            for (key, other) in hosts where other.hasWaiting {
                dispatch(key, other)
                if openConnections >= maxConnections { break }
            }
        }
    }

    /// Retries `task` once on a fresh connection.
    func retry(_ task: PendingRequest) {
        task.attempts += 1
        let key = HostKey(host: task.host, port: task.port, usesTLS: task.usesTLS)
        guard let pool = hosts[key] else { return }
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
            while let task = pool.popWaiting() { task.delegate.request(didFail: .cancelled) }
            for connection in pool.idle { connection.connection?.close() }
        }
        // Busy connections: closing fails their request with `cancelled`.
        for connection in Array(busy.values) { connection.connection?.close() }
        sweeper?.cancel()
        sweeper = nil
    }

    /// Connections running a request (for shutdown), O(1) in and out.
    var busy: [ObjectIdentifier: PooledConnection] = [:]
}
