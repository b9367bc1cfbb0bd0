import Locks
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// An `EventLoop` running on a thread of its own until `shutdown()`.
///
/// Reach it from other threads with `loop.execute(_:)`, `loop.schedule(after:_:)` or
/// `loop.submit(_:)`.
public final class EventLoopThread: Sendable {
    /// The loop, already running when `init` returns.
    public let loop: EventLoop
    private let thread: PosixThread

    /// Creates a loop and starts it on a new thread named `name`.
    public init(name: String = "EvLoop", backend: Backend? = nil) throws(EvLoopError) {
        let loop = try EventLoop(backend: backend)
        let started = ConditionLock()
        nonisolated(unsafe) var running = false
        self.loop = loop
        thread = try PosixThread(name: name) {
            loop.enter()
            started.withLock { running = true; started.signal() }
            while !loop.stopRequested.exchange(false, ordering: .acquiringAndReleasing) {
                ev_run_forever(loop)
            }
            // Run what was submitted before the stop, release the watchers still active (they
            // can never fire again, and each holds the loop: a cycle that would keep both
            // alive), then let go of the thread.
            loop.drainTasks()
            loop.releaseWatchers()
            loop.leave()
        }
        started.withLock { while !running { started.wait() } }
    }

    /// Stops the loop, runs the closures already submitted, releases the watchers still
    /// active (they will never fire), and joins the thread. Call it from any thread but the
    /// loop's own.
    public func shutdown() throws(EvLoopError) {
        if loop.isInLoop { throw .shutdownFromLoopThread }
        loop.stop()
        thread.join()
    }
}

/// N loops on N threads (one per core by default), handed out round-robin; for servers.
public final class EventLoopGroup: Sendable {
    /// The threads, in order.
    public let threads: [EventLoopThread]
    private let cursor = Cursor()

    /// Starts `count` loop threads (default: one per online processor).
    public init(count: Int = EventLoopGroup.processorCount, backend: Backend? = nil) throws(EvLoopError) {
        precondition(count > 0, "a group needs at least one loop")
        var threads: [EventLoopThread] = []
        for index in 0..<count {
            do {
                threads.append(try EventLoopThread(name: "EvLoop-\(index)", backend: backend))
            } catch {
                for thread in threads { try? thread.shutdown() }
                throw error
            }
        }
        self.threads = threads
    }

    /// The loops, in order.
    public var loops: [EventLoop] { threads.map(\.loop) }

    /// The next loop, round-robin. Safe from any thread.
    public func next() -> EventLoop { threads[cursor.next() % threads.count].loop }

    /// Shuts every loop down (see `EventLoopThread.shutdown()`).
    public func shutdown() throws(EvLoopError) {
        for thread in threads { try thread.shutdown() }
    }

    /// The number of online processors.
    public static var processorCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    private final class Cursor: Sendable {
        private let value = Atomic<Int>(0)
        func next() -> Int { value.wrappingAdd(1, ordering: .relaxed).oldValue }
    }
}
