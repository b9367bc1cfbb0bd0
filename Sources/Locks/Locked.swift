#if canImport(Glibc)
import Glibc
#endif

/// A value behind a pthread mutex, for the package's own shared state (the server's
/// lifecycle, the client's stream buffers, the command-line tool's counters; the loop's task
/// queue has a mutex of its own, see EvLoop's `TaskQueue`).
///
/// Why not `Synchronization.Mutex`: on Linux it locks through futexes inside the standard
/// library, which ThreadSanitizer cannot see, so every contended `withLock` is reported as a
/// race and the sanitizer run in CI would be noise. ThreadSanitizer intercepts pthread
/// mutexes; the uncontended cost is the same one atomic exchange.
package final class Locked<Value>: @unchecked Sendable {
    @usableFromInline let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    /// The value, behind a pointer rather than in a stored `var`: the mutex already makes
    /// each access exclusive, and a stored property would add the runtime's dynamic
    /// exclusivity check (two calls into the runtime) to every `withLock`.
    @usableFromInline let value: UnsafeMutablePointer<Value>

    /// A lock around `value`.
    package init(_ value: Value) {
        self.value = .allocate(capacity: 1)
        self.value.initialize(to: value)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        value.deinitialize(count: 1)
        value.deallocate()
    }

    /// Runs `body` with the value, holding the lock.
    @inlinable
    package func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value.pointee)
    }
}
