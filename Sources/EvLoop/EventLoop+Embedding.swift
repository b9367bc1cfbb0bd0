#if canImport(Glibc)
import Locks
import Glibc
#endif
import CEv

/// Driving the loop from a host that has its own loop (see Docs/Embedding.md).
extension EventLoop {
    /// Seconds until the earliest active timer fires; 0 when closures are waiting to run;
    /// nil when there is no timer (the host then waits for I/O or `execute` only).
    /// Loop's thread only. A host calls `runOnce(blocking: false)` again after this long.
    public var timeUntilNextTimer: Double? {
        preconditionInLoop()
        if !tasks.isEmpty { return 0 }
        var earliest: Double?
        timerSlots.forEachActive { slot in // every timer: `schedule`'s and `scheduleCallback`'s
            let remaining = max(0, cev_timer_remaining(raw, TimerSlots.timer(in: slot)))
            earliest = min(earliest ?? remaining, remaining)
        }
        return earliest
    }
}

/// libev's recipe for running callbacks on a host's thread: a poller thread waits in
/// epoll, and when callbacks are due it calls `notify`; the host then calls
/// `invokePending()` on its own thread, where every callback runs. The two threads share
/// the loop under one lock (`ev_set_invoke_pending_cb`, `ev_set_loop_release_cb`).
public final class HostedEventLoop: @unchecked Sendable {
    /// The loop. Add watchers inside `withLoop(_:)`; `execute(_:)` works from anywhere.
    public let loop: EventLoop
    let lock = ConditionLock()
    let notify: @Sendable () -> Void
    /// Guarded by `lock`.
    var shuttingDown = false
    private var poller: PosixThread?
    /// A pipe the poller watches, written once by `shutdown()`: a wake-up that does not
    /// depend on callbacks having run (the host may have stopped invoking them).
    private let shutdownPipe: (read: Int32, write: Int32)
    private var shutdownWatcher: IOWatcher?

    /// Starts polling. `notify` runs on the poller thread whenever callbacks are due; it
    /// must only wake the host (post to its queue, write to its pipe), never block.
    public init(backend: Backend? = nil, notify: @escaping @Sendable () -> Void) throws(EvLoopError) {
        loop = try EventLoop(backend: backend)
        self.notify = notify
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw .loopCreationFailed(backend) }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        shutdownPipe = (fds[0], fds[1])
        loop.hosted = self
        shutdownWatcher = loop.watch(fileDescriptor: fds[0], for: .read) { _ in }
        ev_set_invoke_pending_cb(loop.raw, hostedInvokePending)
        ev_set_loop_release_cb(loop.raw, hostedRelease, hostedAcquire)
        let loop = self.loop, lock = self.lock
        poller = try PosixThread(name: "EvLoop-poller") { [unowned self] in
            lock.lock()
            loop.enter()
            while !self.shuttingDown { ev_run(loop.raw, 0) }
            loop.leave()
            lock.unlock()
        }
    }

    deinit {
        if poller != nil { shutdown() }
    }

    /// Runs the callbacks that are due, on the calling (host) thread.
    public func invokePending() {
        lock.withLock {
            let previous = loop.owner.exchange(UInt(pthread_self()), ordering: .acquiringAndReleasing)
            ev_invoke_pending(loop.raw)
            loop.owner.store(previous, ordering: .releasing)
            lock.signal()
        }
    }

    /// Runs `body` with the loop locked and owned by the calling thread, so it may add or
    /// change watchers; then wakes the poller to notice them.
    public func withLoop<T>(_ body: (EventLoop) throws -> T) rethrows -> T {
        defer { ev_async_send(loop.raw, loop.wakeup) }
        return try lock.withLock {
            let previous = loop.owner.exchange(UInt(pthread_self()), ordering: .acquiringAndReleasing)
            defer { loop.owner.store(previous, ordering: .releasing) }
            return try body(loop)
        }
    }

    /// Stops polling, joins the poller, runs the closures already submitted here, and
    /// releases the watchers still active.
    public func shutdown() {
        lock.withLock {
            shuttingDown = true
            ev_break(loop.raw, Int32(EVBREAK_ALL))
            lock.signal()
        }
        var byte: UInt8 = 1
        _ = write(shutdownPipe.write, &byte, 1)
        poller?.join()
        poller = nil
        withLoop { loop in
            shutdownWatcher?.cancel()
            shutdownWatcher = nil
            loop.drainTasks()
            loop.releaseWatchers()
        }
        close(shutdownPipe.read)
        close(shutdownPipe.write)
    }

    /// The poller's side of the handshake: hand the pending callbacks to the host, wait.
    func handOff() {
        while ev_pending_count(loop.raw) > 0 && !shuttingDown {
            notify()
            lock.wait()
        }
        // Break from the poller itself too: a break set before this ev_run began is reset by it.
        if shuttingDown { ev_break(loop.raw, Int32(EVBREAK_ALL)) }
    }
}

private func hostedLoop(_ raw: OpaquePointer?) -> HostedEventLoop {
    Unmanaged<EventLoop>.fromOpaque(ev_userdata(raw)!).takeUnretainedValue().hosted!
}

func hostedInvokePending(_ raw: OpaquePointer?) { hostedLoop(raw).handOff() }
func hostedRelease(_ raw: OpaquePointer?) { hostedLoop(raw).lock.unlock() }
func hostedAcquire(_ raw: OpaquePointer?) { hostedLoop(raw).lock.lock() }
