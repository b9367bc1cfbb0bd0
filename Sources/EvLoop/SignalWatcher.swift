import CEv

/// A signal delivered on the loop's thread instead of in a signal handler.
/// Created by `EventLoop.onSignal(_:_:)`. One loop at a time may watch a given signal.
public final class SignalWatcher: Watcher, @unchecked Sendable {
    /// The signal number watched.
    public let signal: Int32
    let watcher: UnsafeMutablePointer<ev_signal>
    private var handler: (@Sendable (Int32) -> Void)?

    init(loop: EventLoop, signal: Int32, handler: @escaping @Sendable (Int32) -> Void) {
        self.signal = signal
        self.handler = handler
        watcher = allocateWatcherStruct(ev_signal.self)
        super.init(loop: loop)
        cev_signal_init(watcher, signalCallback, signal)
        cev_set_data(watcher, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit { freeWatcherStruct(watcher) }

    override func startWatcher() { ev_signal_start(loop.raw, watcher) }
    override func stopWatcher() { ev_signal_stop(loop.raw, watcher) }

    func fire() {
        guard !isCancelled, let handler else { return }
        handler(signal)
    }

    override func releaseHandler() {
        handler = nil
    }
}

extension EventLoop {
    /// Runs `handler` on the loop's thread each time `signal` (SIGINT, SIGTERM, ...)
    /// arrives, for graceful shutdown. Safe from any thread; from another thread the watcher
    /// starts on the loop's next turn, and until then the signal keeps its old disposition
    /// (wait for a closure `execute`d after this call before relying on it).
    @discardableResult
    public func onSignal(_ signal: Int32, _ handler: @escaping @Sendable (Int32) -> Void) -> SignalWatcher {
        let watcher = SignalWatcher(loop: self, signal: signal, handler: handler)
        if isInLoopOrIdle {
            watcher.activate()
        } else {
            execute { watcher.activate() }
        }
        return watcher
    }
}
