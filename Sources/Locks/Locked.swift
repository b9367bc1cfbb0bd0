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
@usableFromInline package struct Locked<Value>: @unchecked Sendable {
    /// The value and its mutex in one allocation (a `ManagedBuffer`: the value as its header,
    /// the mutex as its one element, both at stable addresses). A class holding a pointer to
    /// each was three allocations per lock, and a client request makes two locks.
    @usableFromInline final class Storage: ManagedBuffer<Value, pthread_mutex_t> {
        deinit {
            _ = withUnsafeMutablePointerToElements { pthread_mutex_destroy($0) }
        }
    }

    /// Shared by every copy: copies of a `Locked` are the same lock.
    @usableFromInline let storage: Storage

    /// A lock around `value`. Inlinable, as the rest: a generic call across modules made
    /// the runtime look up `Storage`'s metadata for the value's type on every lock created
    /// (~450 instructions; two per client request).
    @inlinable
    package init(_ value: Value) {
        storage = unsafeDowncast(Storage.create(minimumCapacity: 1) { _ in value }, to: Storage.self)
        _ = storage.withUnsafeMutablePointerToElements { pthread_mutex_init($0, nil) }
    }

    /// Runs `body` with the value, holding the lock. (The value is reached through a
    /// pointer: the mutex already makes each access exclusive, and a stored property would
    /// add the runtime's dynamic exclusivity check to every `withLock`.)
    @inlinable
    package func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        try storage.withUnsafeMutablePointers { value, mutex in
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            return try body(&value.pointee)
        }
    }
}
