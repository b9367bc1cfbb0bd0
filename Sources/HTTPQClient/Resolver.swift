import EvLoop
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Name resolution that never blocks a loop thread.
///
/// IP literals are answered at once. Names go to `getaddrinfo` (which reads /etc/hosts and
/// the system's DNS settings) on a resolver thread, and the answer comes back through
/// `loop.execute`. c-ares would avoid the thread; it is not used yet (see Docs/Client.md).
final class Resolver: Sendable {
    /// One resolver thread per process is enough for a client's name lookups.
    static let shared = Resolver()

    private let queue = Mutex<[Job]>([])
    private let wakeup = ResolverSignal()

    private struct Job: Sendable {
        let host: String
        let port: Int
        let loop: EventLoop
        let done: @Sendable (Result<[SocketAddress], ClientError>) -> Void
    }

    private init() {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&thread, nil, { raw in
            Unmanaged<Resolver>.fromOpaque(raw!).takeRetainedValue().work()
        }, context)
        pthread_detach(thread)
    }

    /// Resolves `host` and calls `done` on `loop`'s thread with the addresses, IPv4 and IPv6
    /// in the resolver's order.
    func resolve(host: String, port: Int, on loop: EventLoop,
                 _ done: @escaping @Sendable (Result<[SocketAddress], ClientError>) -> Void) {
        if let literal = SocketAddress(ip: host, port: port) {
            loop.execute { done(.success([literal])) }
            return
        }
        queue.withLock { $0.append(Job(host: host, port: port, loop: loop, done: done)) }
        wakeup.signal()
    }

    /// The resolver thread: take the waiting jobs, look each up, answer on its loop.
    private func work() -> Never {
        while true {
            wakeup.wait()
            let jobs = queue.withLock { jobs -> [Job] in
                let taken = jobs
                jobs.removeAll()
                return taken
            }
            for job in jobs {
                let result = Resolver.lookup(host: job.host, port: job.port)
                job.loop.execute { job.done(result) }
            }
        }
    }

    /// The blocking lookup; only ever called on the resolver thread.
    static func lookup(host: String, port: Int) -> Result<[SocketAddress], ClientError> {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let list else {
            return .failure(.resolveFailed(host: host, reason: String(cString: gai_strerror(status))))
        }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var current: UnsafeMutablePointer<addrinfo>? = list
        while let entry = current {
            if let raw = entry.pointee.ai_addr, let address = SocketAddress(raw, port: port), !addresses.contains(address) {
                addresses.append(address)
            }
            current = entry.pointee.ai_next
        }
        return addresses.isEmpty ? .failure(.resolveFailed(host: host, reason: "no addresses")) : .success(addresses)
    }
}

/// A counting wake-up for the resolver thread.
final class ResolverSignal: @unchecked Sendable {
    private var semaphore = sem_t()
    init() { sem_init(&semaphore, 0, 0) }
    func signal() { sem_post(&semaphore) }
    func wait() { while sem_wait(&semaphore) != 0 && errno == EINTR {} }
}
