import Locks

/// Swift concurrency on the loop: the loop as an executor, and awaiting work done on it.
extension EventLoop: SerialExecutor, TaskExecutor {
    /// Runs a job isolated to the loop (of an actor whose `unownedExecutor` is the loop) on
    /// the loop's thread, in submission order (queued as it is: no closure per job).
    public func enqueue(_ job: consuming ExecutorJob) {
        submit(.job(UnownedJob(job)))
    }

    /// Runs a job of a task that prefers the loop (`Task(executorPreference: loop)`) and is
    /// not isolated to an actor. Kept apart from the serial executor's jobs so that it runs
    /// as nonisolated code on its task executor: run as isolated to the loop, each entry into
    /// a nonisolated async function afterwards found itself on another executor and went
    /// through the queue again (4 extra hops per request of an async gateway).
    @_implements(TaskExecutor, enqueue(_:))
    public func enqueueTaskJob(_ job: consuming ExecutorJob) {
        submit(.taskJob(UnownedJob(job)))
    }

    /// Runs a queued job on this loop, as its serial and its task executor.
    func runJob(_ job: UnownedJob) {
        job.runSynchronously(isolatedTo: asUnownedSerialExecutor(), taskExecutor: asUnownedTaskExecutor())
    }

    /// Runs a queued task-executor job on this loop: nonisolated, the loop its task executor.
    func runTaskJob(_ job: UnownedJob) {
        job.runSynchronously(on: asUnownedTaskExecutor())
    }

    /// This loop as an unowned serial executor (for an actor's `unownedExecutor`).
    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// Whether jobs isolated to this executor may run now: on the loop's thread.
    public func isSameExclusiveExecutionContext(other: EventLoop) -> Bool { self === other }

    /// Traps unless called on the loop's thread (lets `assumeIsolated` work on the loop).
    public func checkIsolated() {
        precondition(isInLoop, "not on the EventLoop's thread")
    }

    /// Runs `body` on the loop's thread and returns its result to the awaiting task.
    public func submit<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let result: Result<T, any Error> = await withHandoff { handoff in
            execute { handoff.resume(returning: Result { try body() }) }
        }
        return try result.get()
    }
}
