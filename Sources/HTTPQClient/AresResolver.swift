import Locks
import Sockets
import CAres
import EvLoop
#if canImport(Glibc)
import Glibc
#endif

/// Name resolution driven by the loop: c-ares's sockets are watched by the reactor and its
/// timeouts run on the loop's timers, so no thread ever blocks on DNS.
///
/// IP literals are answered at once. Names follow c-ares's lookup order (`/etc/hosts`, then
/// the servers of /etc/resolv.conf, or `servers` when given, such as "127.0.0.1:5353").
/// A channel lives while queries are pending and is destroyed when the last one ends, so an
/// idle loop holds no resolver sockets.
final class AresResolver: @unchecked Sendable {
    let loop: EventLoop
    let servers: String?
    private var channel: ares_channel?
    private var watchers: [Int32: IOWatcher] = [:]
    private var timer: ScheduledTimer?
    private var pending = 0

    private static let initialized: Bool = ares_library_init(ARES_LIB_INIT_ALL) == ARES_SUCCESS
    private static let registry = Locked<[Key: AresResolver]>([:])
    private struct Key: Hashable {
        let loop: ObjectIdentifier
        let servers: String?
    }

    private init(loop: EventLoop, servers: String?) {
        self.loop = loop
        self.servers = servers
    }

    /// Resolves `host` and calls `done` on `loop`'s thread, always on a later turn of the
    /// loop, never from inside this call (loop's thread only).
    static func resolve(host: String, port: Int, servers: String?, on loop: EventLoop,
                        _ done: @escaping (Result<[SocketAddress], ClientError>) -> Void) {
        if let literal = SocketAddress(ip: host, port: port) {
            let box = UncheckedBox(done)
            loop.execute { box.value(.success([literal])) }
            return
        }
        let key = Key(loop: ObjectIdentifier(loop), servers: servers)
        let resolver = registry.withLock { table in
            if let existing = table[key], existing.loop === loop { return existing }
            let created = AresResolver(loop: loop, servers: servers)
            table[key] = created
            return created
        }
        resolver.start(host: host, port: port, done)
    }

    private func start(host: String, port: Int, _ done: @escaping (Result<[SocketAddress], ClientError>) -> Void) {
        loop.preconditionInLoop()
        guard Self.initialized, let channel = openChannel() else {
            let box = UncheckedBox(done)
            loop.execute { box.value(.failure(.resolveFailed(host: host, reason: "c-ares could not start"))) }
            return
        }
        pending += 1
        var hints = ares_addrinfo_hints()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        let query = Unmanaged.passRetained(Query(resolver: self, host: host, port: port, done: done)).toOpaque()
        ares_getaddrinfo(channel, host, nil, &hints, { raw, status, _, result in
            let query = Unmanaged<Query>.fromOpaque(raw!).takeRetainedValue()
            query.resolver.finished(query, status: status, result: result)
        }, query)
        rearmTimer()
    }

    private func openChannel() -> ares_channel? {
        if let channel { return channel }
        var options = ares_options()
        options.sock_state_cb = { data, fd, readable, writable in
            Unmanaged<AresResolver>.fromOpaque(data!).takeUnretainedValue().socketState(fd, readable != 0, writable != 0)
        }
        options.sock_state_cb_data = Unmanaged.passUnretained(self).toOpaque()
        var created: ares_channel?
        guard ares_init_options(&created, &options, ARES_OPT_SOCK_STATE_CB) == ARES_SUCCESS, let created else { return nil }
        if let servers, ares_set_servers_ports_csv(created, servers) != ARES_SUCCESS {
            ares_destroy(created)
            return nil
        }
        channel = created
        return created
    }

    /// c-ares opened, changed or closed a socket: watch it on the loop.
    private func socketState(_ fd: Int32, _ readable: Bool, _ writable: Bool) {
        var interest: IOEvents = []
        if readable { interest.insert(.read) }
        if writable { interest.insert(.write) }
        if interest.isEmpty {
            watchers.removeValue(forKey: fd)?.cancel()
        } else if let watcher = watchers[fd] {
            watcher.interest = interest
        } else {
            watchers[fd] = loop.watch(fileDescriptor: fd, for: interest) { [unowned self] events in
                guard let channel else { return }
                ares_process_fd(channel, events.contains(.read) ? fd : ARES_SOCKET_BAD,
                                events.contains(.write) ? fd : ARES_SOCKET_BAD)
                rearmTimer()
            }
        }
    }

    /// One loop timer for c-ares's next timeout (retransmits, server failover).
    private func rearmTimer() {
        timer?.cancel()
        timer = nil
        guard let channel, pending > 0 else { return }
        var limit = timeval(tv_sec: 5, tv_usec: 0), next = timeval()
        guard let wait = ares_timeout(channel, &limit, &next) else { return }
        let delay = Duration.seconds(wait.pointee.tv_sec) + .microseconds(wait.pointee.tv_usec)
        timer = loop.schedule(after: delay) { [weak self] in
            guard let self, let channel = self.channel else { return }
            ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD)
            self.rearmTimer()
        }
    }

    private func finished(_ query: Query, status: Int32, result: UnsafeMutablePointer<ares_addrinfo>?) {
        pending -= 1
        var addresses: [SocketAddress] = []
        var node = result?.pointee.nodes
        while let current = node {
            if let raw = current.pointee.ai_addr, let address = SocketAddress(raw, port: query.port),
               !addresses.contains(address) {
                addresses.append(address)
            }
            node = current.pointee.ai_next
        }
        if let result { ares_freeaddrinfo(result) }
        let outcome: Result<[SocketAddress], ClientError>
        if status == ARES_SUCCESS && !addresses.isEmpty {
            outcome = .success(addresses)
        } else {
            let reason = status == ARES_SUCCESS ? "no addresses" : String(cString: ares_strerror(status))
            outcome = .failure(.resolveFailed(host: query.host, reason: reason))
        }
        // Always on a later turn: c-ares answers some queries (a name it refuses at once,
        // /etc/hosts) from inside `ares_getaddrinfo`, which runs inside the caller's
        // initializer, before the caller is ready to hear anything (a request was lost so).
        let done = UncheckedBox(query.done)
        loop.execute { done.value(outcome) }
        // Never destroy a channel from inside its own callback: do it on the next turn.
        if pending == 0 {
            loop.execute { [self] in if pending == 0 { closeChannel() } }
        }
    }

    private func closeChannel() {
        timer?.cancel()
        timer = nil
        if let channel { ares_destroy(channel) } // reports each socket closed through socketState
        channel = nil
        for watcher in watchers.values { watcher.cancel() }
        watchers.removeAll()
        let key = Key(loop: ObjectIdentifier(loop), servers: servers)
        Self.registry.withLock { table in if table[key] === self { table[key] = nil } }
    }

    private final class Query {
        let resolver: AresResolver
        let host: String
        let port: Int
        let done: (Result<[SocketAddress], ClientError>) -> Void
        init(resolver: AresResolver, host: String, port: Int, done: @escaping (Result<[SocketAddress], ClientError>) -> Void) {
            self.resolver = resolver
            self.host = host
            self.port = port
            self.done = done
        }
    }
}
