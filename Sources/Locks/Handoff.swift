/// A continuation resumed from another thread (an event loop) with a value made there, that
/// hands the value over under a lock as well as through the continuation.
///
/// Why: ThreadSanitizer cannot see the ordering a continuation gives when it is resumed before
/// its task has suspended (that fast path in the concurrency runtime carries no annotation;
/// swiftlang/swift#57803), and then reports the fields of whatever the value refers to as
/// racing — a CI run failed on exactly that, an `UpgradedConnection` made on its loop and read
/// by the task `Client.upgrade` resumed. ThreadSanitizer sees pthread mutexes, so the edge is
/// visible whichever path the runtime takes. The cost: one uncontended lock per call.
///
/// Inlinable: called generically across modules, each handoff made the runtime look up the
/// metadata of `Locked<Value?>`, its storage and `Optional<Value>` (~2,900 instructions, 4%
/// of a request proxied by an async gateway); specialized in the caller, none.
@usableFromInline package struct Handoff<Value: Sendable>: Sendable {
    @usableFromInline let box: Locked<Value?>
    @usableFromInline let continuation: CheckedContinuation<Void, Never>

    @inlinable
    init(box: Locked<Value?>, continuation: CheckedContinuation<Void, Never>) {
        self.box = box
        self.continuation = continuation
    }

    /// Hands `value` to the waiting task. Exactly once, as a continuation.
    @inlinable
    package func resume(returning value: sending Value) {
        // Moved in, not captured: a captured value is copied into the lock's closure.
        var value: Value? = consume value
        box.withLock { swap(&$0, &value) }
        continuation.resume()
    }
}

/// Suspends until `body`'s handoff is resumed, and returns its value (as
/// `withCheckedContinuation`, with the value passed under a lock too; see `Handoff`).
@inlinable
package func withHandoff<Value: Sendable>(isolation: isolated (any Actor)? = #isolation,
                                           _ body: (Handoff<Value>) -> Void) async -> Value {
    let box = Locked<Value?>(nil)
    await withCheckedContinuation(isolation: isolation) { continuation in
        body(Handoff(box: box, continuation: continuation))
    }
    return box.withLock { value in
        // Taken out (a `guard let` copied it, and clearing it then destroyed the original).
        guard let handed = value.take() else { preconditionFailure("a handoff resumed without a value") }
        return handed
    }
}
