import Locks

/// Swift concurrency on the loop: the loop as an executor, and awaiting work done on it.
extension EventLoop: SerialExecutor, TaskExecutor {
    /// Runs a job on the loop's thread, in submission order (queued as it is: no closure
    /// is allocated per job).
    public func enqueue(_ job: consuming ExecutorJob) {
        submit(.job(UnownedJob(job)))
    }

    /// Runs a queued job on this loop, as its serial and its task executor.
    func runJob(_ job: UnownedJob) {
        job.runSynchronously(isolatedTo: asUnownedSerialExecutor(), taskExecutor: asUnownedTaskExecutor())
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
