import CEv

/// A timer on the loop, created by `EventLoop.schedule(after:repeating:_:)`.
/// A timer cancelled before it fires never runs.
public final class ScheduledTimer: Watcher, @unchecked Sendable {
    let timer: UnsafeMutablePointer<ev_timer>
    private var handler: (@Sendable () -> Void)?
    /// Whether the timer fires again after each period.
    public let isRepeating: Bool

    init(loop: EventLoop, after: Duration, repeating: Duration?, handler: @escaping @Sendable () -> Void) {
        self.handler = handler
        isRepeating = repeating != nil
        timer = .allocate(capacity: 1)
        super.init(loop: loop)
        cev_timer_init(timer, timerCallback, after.seconds, repeating?.seconds ?? 0)
        cev_set_data(timer, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit { timer.deallocate() }

    override func startWatcher() { ev_timer_start(loop.raw, timer) }
    override func stopWatcher() { ev_timer_stop(loop.raw, timer) }

    /// Seconds until the timer fires next (loop's thread only; 0 when inactive).
    public var remaining: Double {
        loop.preconditionInLoop()
        return isLinked ? cev_timer_remaining(loop.raw, timer) : 0
    }

    func fire() {
        // libev has already stopped a one-shot timer; let go of it after the callback.
        defer {
            if !isRepeating {
                loop.active.remove(self)
                handler = nil // a one-shot timer never fires again
            }
        }
        guard !isCancelled, let handler else { return }
        handler()
    }

    override func releaseHandler() {
        handler = nil
    }
}

extension EventLoop {
    /// Runs `body` on the loop's thread after `delay`, and then every `period` if given.
    /// Safe from any thread; returns a handle to cancel it.
    @discardableResult
    public func schedule(after delay: Duration, repeating period: Duration? = nil,
                         _ body: @escaping @Sendable () -> Void) -> ScheduledTimer {
        precondition(period.map { $0 > .zero } ?? true, "a repeating timer needs a positive period")
        let timer = ScheduledTimer(loop: self, after: max(delay, .zero), repeating: period, handler: body)
        if isInLoopOrIdle {
            timer.activate()
        } else {
            execute { timer.activate() }
        }
        return timer
    }
}

extension Duration {
    /// The duration in seconds, as libev's `ev_tstamp` and the loop's `now` count time;
    /// shared by the package's modules (one conversion, not one per module).
    package var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) * 1e-18
    }
}
