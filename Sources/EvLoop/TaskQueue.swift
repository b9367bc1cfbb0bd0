import CEv
#if canImport(Glibc)
import Glibc
#endif

/// One piece of work waiting for the loop. A closure, an object, a job or a pinned task's
/// slot sit in the queue as they are: an enum's payload keeps a closure's own representation, where an array of
/// bare closures would wrap each one in a reabstraction thunk (a second allocation).
enum PendingWork: Sendable {
    case closure(@Sendable () -> Void)
    case task(any LoopTask)
    case job(UnownedJob)
    /// A job of a task that prefers the loop as its task executor, not isolated to it.
    case taskJob(UnownedJob)
    /// A task pinned on the loop (`PinnedTask`): named by its slot, so nothing is retained.
    case pinned(index: Int32, generation: UInt32)
    /// A `ScheduledTimer`'s slot firing: the handle decides (cancelled, one-shot, repeating).
    case timer(ScheduledTimer)

    /// Does the work, on `loop`'s thread.
    consuming func run(on loop: EventLoop) {
        switch consume self {
        case .closure(let body): body()
        case .task(let task): task.run()
        case .job(let job): loop.runJob(job)
        case .taskJob(let job): loop.runTaskJob(job)
        case .pinned(let index, let generation): loop.runPinned(index: index, generation: generation)
        case .timer(let timer): timer.fire()
        }
    }
}

/// Work submitted from any thread, waiting for the loop: a buffer behind a lock
/// (`QueueLock`, which ThreadSanitizer sees), and the loop's own buffer, which trade places at each
/// drain, so a steady stream of `execute` reuses their storage instead of allocating.
///
/// Plain buffers rather than arrays: submitting is a lock, a store and an unlock, as in C;
/// draining moves each item out once (an array's iteration copies each item and destroys
/// it twice, and every append checks uniqueness). That halved an `execute`.
final class TaskQueue: @unchecked Sendable {
    private let lock = QueueLock()
    // Guarded by `lock`.
    private var pending: UnsafeMutablePointer<PendingWork>
    private var count = 0
    private var capacity: Int
    private var wakeupPending = false
    // The loop's buffer (loop-confined); absent while a drain runs, so a drain nested in
    // a task (a hosted loop invoked from a task) takes a buffer of its own.
    private var spare: (buffer: UnsafeMutablePointer<PendingWork>, capacity: Int)?

    private static let initialCapacity = 64
    /// A batch buffer grown past this is freed after its drain instead of kept.
    private static let keptCapacity = 4_096

    init() {
        pending = Self.allocateBuffer(Self.initialCapacity)
        capacity = Self.initialCapacity
        spare = (Self.allocateBuffer(Self.initialCapacity), Self.initialCapacity)
    }

    deinit {
        pending.deinitialize(count: count)
        free(pending)
        if let spare { free(spare.buffer) }
    }

    /// Queues `work`; true when the loop must be woken (no wake-up is on its way: one
    /// wake-up serves a whole batch). Any thread.
    @inline(__always)
    func append(_ work: consuming PendingWork) -> Bool {
        lock.lock()
        if count == capacity { grow() }
        (pending + count).initialize(to: work)
        count += 1
        let mustWake = !wakeupPending
        wakeupPending = true
        lock.unlock()
        return mustWake
    }

    /// Whether work is waiting (for a host deciding how long to sleep). Any thread.
    var isEmpty: Bool {
        lock.lock()
        defer { lock.unlock() }
        return count == 0
    }

    /// Runs everything queued so far, in order, each exactly once; work queued meanwhile
    /// waits for the next drain. Loop's thread.
    func drain(_ run: (consuming PendingWork) -> Void) {
        let replacement = spare ?? (Self.allocateBuffer(Self.initialCapacity), Self.initialCapacity)
        spare = nil
        lock.lock()
        let batch = pending, batchCount = count, batchCapacity = capacity
        (pending, capacity, count) = (replacement.buffer, replacement.capacity, 0)
        wakeupPending = false
        lock.unlock()
        for index in 0..<batchCount { run((batch + index).move()) }
        if batchCapacity <= Self.keptCapacity, spare == nil {
            spare = (batch, batchCapacity)
        } else {
            free(batch)
        }
    }

    /// A buffer from `malloc` (so that `grow` can `realloc` it; freed with `free`).
    private static func allocateBuffer(_ capacity: Int) -> UnsafeMutablePointer<PendingWork> {
        mallocated(PendingWork.self, count: capacity, for: "the loop's task queue")
    }

    /// Doubles the submitters' buffer (the lock is held), with `realloc`, which often grows
    /// in place (a new buffer and a copy cost a tenth of an `execute` when the loop lags
    /// behind its submitters). `PendingWork` moves bitwise: a closure, an object reference
    /// with its witness table, or a job pointer.
    private func grow() {
        let bytes = MemoryLayout<PendingWork>.stride * capacity * 2
        guard let larger = realloc(pending, bytes) else { fatalError("out of memory for the loop's task queue") }
        pending = larger.bindMemory(to: PendingWork.self, capacity: capacity * 2)
        capacity *= 2
    }
}

extension EventLoop {
    /// Runs `task` on the loop's thread, soon. Safe from any thread; closures submitted
    /// from one thread run in the order submitted, each exactly once.
    public func execute(_ task: @escaping @Sendable () -> Void) {
        submit(.closure(task))
    }

    /// Runs `task.run()` on the loop's thread, soon, without allocating (see `LoopTask`).
    /// Safe from any thread; ordered with closures and other tasks submitted from the same
    /// thread.
    public func execute(_ task: some LoopTask) {
        submit(.task(task))
    }

    /// Queues `work` and wakes the loop if no wake-up is on its way.
    @inline(__always)
    func submit(_ work: consuming PendingWork) {
        if tasks.append(work) { ev_async_send(raw, wakeup) }
    }

    /// Runs everything submitted so far, in one batch; what is submitted meanwhile runs in the next.
    func drainTasks() {
        tasks.drain { $0.run(on: self) }
    }

    /// Called by the async watcher: stop requests and submitted closures.
    func wokenUp() {
        drainTasks()
        if stopRequested.load(ordering: .acquiring) { ev_break(raw, Int32(EVBREAK_ALL)) }
    }
}
