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
    func drainTasks() {
        let batch = tasks.withLock { queue -> [@Sendable () -> Void] in
            queue.wakeupPending = false
            if queue.pending.isEmpty { return [] }
            let batch = queue.pending
            queue.pending = []
            return batch
        }
        for task in batch { task() }
    }

    /// Called by the async watcher: stop requests and submitted closures.
    func wokenUp() {
        drainTasks()
        if stopRequested.load(ordering: .acquiring) { ev_break(raw, Int32(EVBREAK_ALL)) }
    }
}
