import Foundation

/// Runs each job on a thread of its own: a test that blocks (raw sockets, child processes,
/// sleeps) then blocks that thread instead of one of the cooperative pool's few threads
/// (two on this machine), which the async tests running beside it need.
public final class DedicatedThreadExecutor: TaskExecutor {
    public static let shared = DedicatedThreadExecutor()

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        Thread.detachNewThread { job.runSynchronously(on: executor) }
    }
}

/// Runs blocking test code off the cooperative pool, in the same task (so `#expect` still
/// reports to the test).
public func offPool<T>(_ body: () throws -> T) async throws -> T {
    try await withTaskExecutorPreference(DedicatedThreadExecutor.shared) { try body() }
}
