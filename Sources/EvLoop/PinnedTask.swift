/// A handle on a `LoopTask` pinned on its loop by `EventLoop.pin(_:)`: the loop holds the
/// task in a table, and the handle names its slot. A value: copying it allocates nothing,
/// and once the task is unpinned the handle is stale, so running or unpinning it does nothing.
///
/// Why: `execute(_:)` with a `LoopTask` retains the task on the submitting thread and
/// releases it on the loop's, so every hop writes the object's reference count from both
/// threads, and the cache line holding it moves between cores each time (in the reactor
/// benchmark, that write decided the rate: 17–20 million hops a second with it, 42–64
/// million without). A pinned task is held by the loop alone: submitting it writes
/// nothing but the queue. For work handed to a loop many times from other threads (a
/// producer feeding a connection, a batch collector).
public struct PinnedTask: Sendable {
    /// The loop the task is pinned on.
    public let loop: EventLoop
    let index: Int32
    let generation: UInt32

    /// Runs the task's `run()` on the loop's thread, soon. Safe from any thread; ordered with
    /// other work submitted from the same thread. Once the task is unpinned (before the loop
    /// gets to it, too), it does not run.
    @inline(__always)
    public func execute() {
        loop.submit(.pinned(index: index, generation: generation))
    }

    /// Lets go of the task: the loop releases it, and work submitted through this handle
    /// that has not started will not run. Safe from any thread (off the loop's thread it
    /// takes effect on the loop's next turn) and from inside the task's own `run()`.
    public func unpin() {
        if loop.isInLoopOrIdle {
            loop.unpin(index: index, generation: generation)
        } else {
            let (loop, index, generation) = (loop, index, generation)
            loop.execute { loop.unpin(index: index, generation: generation) }
        }
    }

    /// Whether the task is still pinned (loop's thread only).
    public var isPinned: Bool {
        loop.preconditionInLoop()
        return loop.pinnedTasks.task(index, generation) != nil
    }
}

extension EventLoop {
    /// Pins `task` on this loop, for `PinnedTask.execute()` to run it from any thread with
    /// nothing retained per call. The loop holds the task until `unpin()` or until the loop
    /// lets go of its watchers (`releaseWatchers()`, or its end). A pinned task does not
    /// keep `run()` from returning.
    ///
    /// **The loop's thread only** (or while nobody runs the loop): the table is not locked.
    /// From another thread, pin inside `execute { }` and hand the handle over.
    public func pin(_ task: some LoopTask) -> PinnedTask {
        precondition(isInLoopOrIdle, "pin called off the loop's thread; pin inside execute { } there")
        let (index, generation) = pinnedTasks.add(task)
        return PinnedTask(loop: self, index: index, generation: generation)
    }

    /// Runs the task a `PinnedTask` submitted, if it is still pinned.
    @inline(__always)
    func runPinned(index: Int32, generation: UInt32) {
        pinnedTasks.task(index, generation)?.run()
    }

    /// Unpins the task in slot `index` if `generation` still names it.
    func unpin(index: Int32, generation: UInt32) {
        let task = pinnedTasks.remove(index, generation)
        _ = consume task // released after the table is consistent (its deinit may pin again)
    }

    /// Lets go of every pinned task (the loop is going away, or its owner asked).
    func unpinAll() {
        let tasks = pinnedTasks.removeAll()
        _ = consume tasks
    }
}
