import Locks
import CEv
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A reactor: one libev loop (epoll underneath on Linux) that runs I/O callbacks, timers,
/// signals and submitted closures on one thread.
///
/// Thread rules: `execute(_:)`, `stop()`, `schedule(after:_:)`, `cancel()` on handles and
/// `execute()` and `unpin()` on a `PinnedTask` may be called from any thread. Everything else
/// (`watch`, changing a watcher's interest, `pin`, `run`) belongs to the loop's thread: the
/// one running it, or any single thread while nobody runs it. Debug builds check this.
public final class EventLoop: @unchecked Sendable {
    /// libev's `struct ev_loop *`. Only EvLoop's internal files see it.
    let raw: OpaquePointer
    /// The backend libev chose or was told to use.
    public let backend: Backend

    let tasks = TaskQueue()
    let wakeup: UnsafeMutablePointer<ev_async>
    /// `pthread_self()` of the thread running the loop, 0 when nobody runs it.
    let owner = Atomic<UInt>(0)
    let stopRequested = Atomic<Bool>(false)
    /// Active watchers, strongly held: the loop keeps what it will call alive.
    let active = WatcherList()
    /// Timers made by `scheduleCallback`, owned by the loop.
    let timerSlots = TimerSlots()
    /// Tasks pinned by `pin(_:)`, owned by the loop.
    let pinnedTasks = PinnedTasks()
    /// Set when a `HostedEventLoop` polls this loop for a host thread.
    weak var hosted: HostedEventLoop?
    private var readBuffer: UnsafeMutableRawBufferPointer?

    /// Creates a loop on `backend`, or on libev's recommended one (epoll on Linux).
    public init(backend: Backend? = nil) throws(EvLoopError) {
        if let backend, !Backend.supported.contains(backend) { throw .backendUnavailable(backend) }
        let flags = UInt32(cev_flag_auto()) | (backend?.flag ?? 0)
        guard let loop = ev_loop_new(flags) else { throw .loopCreationFailed(backend) }
        raw = loop
        self.backend = Backend(flag: ev_backend(loop)) ?? .select
        wakeup = .allocate(capacity: 1)
        cev_async_init(wakeup, wakeupCallback)
        ev_async_start(raw, wakeup)
        ev_set_userdata(raw, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit {
        readBuffer?.deallocate()
        active.stopAll(on: self)
        cancelAllCallbacks()
        unpinAll()
        ev_async_stop(raw, wakeup)
        wakeup.deallocate()
        ev_loop_destroy(raw)
    }

    /// Runs until `stop()` is called (from a callback or any thread).
    public func run() {
        enter()
        defer { leave() }
        while !stopRequested.exchange(false, ordering: .acquiringAndReleasing) {
            ev_run(raw, 0)
        }
    }

    /// Runs one iteration: handles whatever is ready and returns. With `blocking`, first
    /// waits for at least one event (or submitted closure); without, never waits.
    public func runOnce(blocking: Bool) {
        enter()
        defer { leave() }
        ev_run(raw, Int32(blocking ? EVRUN_ONCE : EVRUN_NOWAIT))
    }

    /// Makes `run()` return after the current callback. Safe from any thread.
    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        if isInLoop {
            ev_break(raw, Int32(EVBREAK_ALL))
        } else {
            ev_async_send(raw, wakeup)
        }
    }

    /// The loop's cached time in seconds (libev's `ev_now`), updated once per iteration.
    public var now: Double {
        preconditionInLoop()
        return ev_now(raw)
    }

    /// Whether the caller is on the thread running this loop.
    public var isInLoop: Bool { owner.load(ordering: .acquiring) == UInt(pthread_self()) }

    /// Traps in debug builds unless called on the loop's thread, or while no thread runs it.
    public func preconditionInLoop(file: StaticString = #fileID, line: UInt = #line) {
        assert(isInLoopOrIdle, "EventLoop method called off the loop's thread", file: file, line: line)
    }

    /// The loop's thread, or any thread while nobody runs the loop.
    var isInLoopOrIdle: Bool {
        let current = owner.load(ordering: .acquiring)
        return current == 0 || current == UInt(pthread_self())
    }

    /// A 64 KiB buffer shared by everything on this loop that reads: one read happens at a
    /// time on a loop, so connections need no buffer of their own while idle. Loop's thread only;
    /// its contents are valid until the next read on this loop.
    public var sharedReadBuffer: UnsafeMutableRawBufferPointer {
        preconditionInLoop()
        if let readBuffer { return readBuffer }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        readBuffer = buffer
        return buffer
    }

    /// Stops and lets go of every active watcher, as if each were cancelled, and of every
    /// pinned task: for the end of a loop's life. A watcher holds its loop, and an active
    /// watcher is held by its loop (a pinned task, likewise), so a loop dropped with active
    /// watchers would keep them and itself alive. `EventLoopThread` and `HostedEventLoop` call
    /// this when shut down; call it yourself before dropping a loop you ran with `run()`.
    /// Loop's thread only (or when the loop is not running).
    public func releaseWatchers() {
        preconditionInLoop()
        var all: [Watcher] = []
        active.forEach { all.append($0) }
        for watcher in all { watcher.cancel() }
        cancelAllCallbacks()
        unpinAll()
    }

    /// How many watchers are active (I/O, timers, signals, and timers from
    /// `scheduleCallback`); for tests and diagnostics.
    public var activeWatcherCount: Int {
        preconditionInLoop()
        return active.count + timerSlots.activeCount
    }

    func enter() {
        let me = UInt(pthread_self())
        let previous = owner.exchange(me, ordering: .acquiringAndReleasing)
        precondition(previous == 0 || previous == me, "EventLoop run from two threads at once")
    }

    func leave() {
        owner.store(0, ordering: .releasing)
    }
}

/// `ev_run` until a break (the thread's loop body).
func ev_run_forever(_ loop: EventLoop) {
    ev_run(loop.raw, 0)
}
