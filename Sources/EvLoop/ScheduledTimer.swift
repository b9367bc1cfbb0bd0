import CEv

/// A timer on the loop, created by `EventLoop.schedule(after:repeating:_:)`.
/// A timer cancelled before it fires never runs.
public final class ScheduledTimer: Watcher, @unchecked Sendable {
    let timer: UnsafeMutablePointer<ev_timer>
    private var handler: PendingWork?
    /// Whether the timer fires again after each period.
    public let isRepeating: Bool

    init(loop: EventLoop, after: Duration, repeating: Duration?, handler: PendingWork) {
        self.handler = handler
        isRepeating = repeating != nil
        timer = allocateWatcherStruct(ev_timer.self)
        super.init(loop: loop)
        cev_timer_init(timer, timerCallback, after.seconds, repeating?.seconds ?? 0)
        cev_set_data(timer, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit { freeWatcherStruct(timer) }

    override func startWatcher() { ev_timer_start(loop.raw, timer) }
    override func stopWatcher() { ev_timer_stop(loop.raw, timer) }

    /// Seconds until the timer fires next (loop's thread only; 0 when inactive).
    public var remaining: Double {
        loop.preconditionInLoop()
        return isLinked ? cev_timer_remaining(loop.raw, timer) : 0
    }

    func fire() {
        guard !isRepeating else {
            guard !isCancelled, let handler else { return }
            handler.run(on: loop)
            return
        }
        // A one-shot timer, which libev has already stopped: its handler is taken out (it
        // never fires again; no copy to retain), and the loop lets go of the timer after the
        // callback (which may cancel it: then it is already gone from the list).
        if let handler = handler.take(), !isCancelled { handler.run(on: loop) }
        loop.active.remove(self)
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
        schedule(after: delay, repeating: period, work: .closure(body))
    }

    /// Runs `task.run()` on the loop's thread after `delay`, and then every `period` if
    /// given, with no closure to allocate (see `LoopTask`). Safe from any thread; returns a
    /// handle to cancel it.
    @discardableResult
    public func schedule(after delay: Duration, repeating period: Duration? = nil,
                         _ task: some LoopTask) -> ScheduledTimer {
        schedule(after: delay, repeating: period, work: .task(task))
    }

    private func schedule(after delay: Duration, repeating period: Duration?, work: PendingWork) -> ScheduledTimer {
        precondition(period.map { $0 > .zero } ?? true, "a repeating timer needs a positive period")
        let timer = ScheduledTimer(loop: self, after: max(delay, .zero), repeating: period, handler: work)
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
    /// (From the 128-bit count of attoseconds by its two halves: `components` divides
    /// 128-bit integers (about 230 instructions) and `Double(Int128)` takes a generic path
    /// (about 500); this is a dozen.)
    package var seconds: Double {
        let attoseconds = self.attoseconds
        let high = Double(Int64(truncatingIfNeeded: attoseconds >> 64))
        let low = Double(UInt64(truncatingIfNeeded: attoseconds))
        return (high * 18_446_744_073_709_551_616.0 + low) * 1e-18
    }
}
