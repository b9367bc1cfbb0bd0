import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The task queue's lock: a count of holders and waiters, with a semaphore for the
/// contended case only (a "benaphore").
///
/// Why not a pthread mutex: uncontended, this lock and unlock are one atomic add each,
/// where glibc's `pthread_mutex_lock` and `unlock` cost 57 instructions together (the
/// mutex type's dispatch, the owner and the user count) around the same exchange: over a
/// quarter of an `execute`. Contended, a waiter sleeps in the kernel as on a mutex.
/// ThreadSanitizer sees both paths: these atomics are compiled in this module (and so
/// instrumented), and it intercepts `sem_wait` and `sem_post`. (The standard library's
/// `Mutex` locks through futexes the sanitizer cannot see; see `Locked`.)
struct QueueLock: ~Copyable {
    /// Threads holding or waiting for the lock: 0 free, 1 held, more held with waiters.
    private let holders = Atomic<Int>(0)
    private let waiters: UnsafeMutablePointer<sem_t>

    init() {
        waiters = .allocate(capacity: 1)
        sem_init(waiters, 0, 0)
    }

    deinit {
        sem_destroy(waiters)
        waiters.deallocate()
    }

    @inline(__always)
    func lock() {
        if holders.wrappingAdd(1, ordering: .acquiringAndReleasing).oldValue > 0 {
            // Held: the holder's unlock posts once for each waiter it sees.
            while sem_wait(waiters) != 0 { precondition(errno == EINTR, "sem_wait failed: errno \(errno)") }
        }
    }

    @inline(__always)
    func unlock() {
        if holders.wrappingSubtract(1, ordering: .acquiringAndReleasing).oldValue > 1 { sem_post(waiters) }
    }
}
