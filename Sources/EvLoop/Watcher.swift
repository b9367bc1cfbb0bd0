import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A handle on something the loop watches: a descriptor, a timer, a signal.
///
/// While active, the loop holds the watcher (so a discarded handle still fires); once
/// cancelled, it never fires again. `cancel()` is safe from any thread and inside the
/// watcher's own callback.
public class Watcher: @unchecked Sendable {
    /// The loop this watcher belongs to.
    public let loop: EventLoop
    let cancelled = Atomic<Bool>(false)

    // Links in the loop's list of active watchers (loop-confined).
    var next: Watcher?
    unowned(unsafe) var previous: Watcher?
    var isLinked = false

    init(loop: EventLoop) { self.loop = loop }

    /// Whether the watcher is started and will fire (loop's thread only).
    public var isActive: Bool {
        loop.preconditionInLoop()
        return isLinked
    }

    /// Stops the watcher for good. A callback that has not started yet will not run.
    public func cancel() {
        cancelled.store(true, ordering: .releasing)
        if loop.isInLoopOrIdle {
            deactivate()
            releaseHandler()
        } else {
            loop.execute {
                self.deactivate()
                self.releaseHandler()
            }
        }
    }

    /// Lets go of the callback once the watcher can never fire again: a callback that
    /// captures its own watcher (to cancel itself) would otherwise keep both, and through
    /// the watcher the loop, alive forever. Loop's thread. Overridden.
    func releaseHandler() {}

    var isCancelled: Bool { cancelled.load(ordering: .acquiring) }

    /// Starts the libev watcher and links it (loop's thread). Overridden.
    func startWatcher() {}
    /// Stops the libev watcher (loop's thread). Overridden.
    func stopWatcher() {}

    /// Starts watching unless cancelled; the loop now holds the watcher.
    final func activate() {
        guard !isCancelled, !isLinked else { return }
        startWatcher()
        loop.active.insert(self)
    }

    /// Stops watching; the loop lets go of the watcher.
    final func deactivate() {
        guard isLinked else { return }
        stopWatcher()
        loop.active.remove(self)
    }
}

/// The loop's active watchers: an intrusive doubly linked list, O(1) in and out, which
/// holds each watcher strongly while it is active. A class, not a struct in a `var` of the
/// loop: mutating a struct stored in a class takes the runtime's dynamic exclusivity check
/// on every insert and remove (about 5% of a timer's cost); the list's own fields are
/// simple loads and stores. Loop-confined.
final class WatcherList {
    private(set) var head: Watcher?
    private(set) var count = 0

    func insert(_ watcher: Watcher) {
        watcher.next = head
        watcher.previous = nil
        head?.previous = watcher
        head = watcher
        watcher.isLinked = true
        count += 1
    }

    func remove(_ watcher: Watcher) {
        guard watcher.isLinked else { return }
        if let previous = watcher.previous { previous.next = watcher.next } else { head = watcher.next }
        watcher.next?.previous = watcher.previous
        watcher.next = nil
        watcher.previous = nil
        watcher.isLinked = false
        count -= 1
    }

    /// Every active watcher, for a walk that does not change the list.
    func forEach(_ body: (Watcher) -> Void) {
        var current = head
        while let watcher = current {
            body(watcher)
            current = watcher.next
        }
    }

    /// Stops and releases every active watcher (the loop is going away).
    func stopAll(on loop: EventLoop) {
        while let watcher = head {
            watcher.stopWatcher()
            remove(watcher)
        }
    }
}

/// Storage for one libev watcher struct, from `malloc`: `UnsafeMutablePointer.allocate`
/// went through `posix_memalign` here, a tenth of a zero-delay timer's cost. Freed with
/// `freeWatcherStruct`.
func allocateWatcherStruct<T>(_ type: T.Type) -> UnsafeMutablePointer<T> {
    mallocated(T.self, count: 1, for: "a libev watcher")
}

/// Uninitialised storage for `count` values from `malloc` (so it can be `realloc`ed, and is
/// given back with `free`); traps, naming `what`, when memory is out.
func mallocated<T>(_ type: T.Type, count: Int, for what: String) -> UnsafeMutablePointer<T> {
    guard let raw = malloc(MemoryLayout<T>.stride * count) else { fatalError("out of memory for \(what)") }
    return raw.bindMemory(to: T.self, capacity: count)
}

/// Frees what `allocateWatcherStruct` made.
func freeWatcherStruct<T>(_ pointer: UnsafeMutablePointer<T>) {
    free(pointer)
}
