import CEv

/// Closures submitted from any thread, waiting for the loop. Guarded by `EventLoop.tasks`.
struct TaskQueue {
    var pending: [@Sendable () -> Void] = []
    /// Whether an `ev_async_send` is already on its way; one wake-up serves a whole batch.
    var wakeupPending = false
}

extension EventLoop {
    /// Runs `task` on the loop's thread, soon. Safe from any thread; closures submitted
    /// from one thread run in the order submitted, each exactly once.
    public func execute(_ task: @escaping @Sendable () -> Void) {
        let mustWake = tasks.withLock { queue in
            queue.pending.append(task)
            if queue.wakeupPending { return false }
            queue.wakeupPending = true
            return true
        }
        if mustWake { ev_async_send(raw, wakeup) }
    }

    /// Runs everything submitted so far, in one batch; what is submitted meanwhile runs in the next.
    /// Two arrays take turns (the submitters' and the loop's), so a steady stream of
    /// `execute` reuses their storage instead of growing a new array for every batch.
    func drainTasks() {
        var batch = spareTasks
        spareTasks = []
        tasks.withLock { queue in
            queue.wakeupPending = false
            swap(&queue.pending, &batch)
        }
        for task in batch { task() }
        if batch.capacity <= 4_096 {
            batch.removeAll(keepingCapacity: true)
            spareTasks = batch
        }
    }

    /// Called by the async watcher: stop requests and submitted closures.
    func wokenUp() {
        drainTasks()
        if stopRequested.load(ordering: .acquiring) { ev_break(raw, Int32(EVBREAK_ALL)) }
    }
}
