import EvLoop

/// Ends a loop a test ran by hand: one more non-blocking turn (for work queued on the last
/// one, such as a resolver closing its channel), then every watcher still active let go, so
/// the loop and what its watchers hold are freed (LeakSanitizer checks).
public func retire(_ loop: EventLoop) {
    loop.runOnce(blocking: false)
    loop.releaseWatchers()
}
