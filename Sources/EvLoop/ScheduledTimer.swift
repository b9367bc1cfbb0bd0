import CEv

/// A timer on the loop, created by `EventLoop.schedule(after:repeating:_:)`.
/// A timer cancelled before it fires never runs.
///
/// The timer itself lives in the loop's pool of timer slots, as `scheduleCallback`'s do (libev's
/// struct and the work side by side, reused): this object is the handle, which the slot holds
/// while the timer is scheduled (a discarded handle still fires). One allocation per timer,
/// the handle, where it used to be two (the handle and a `malloc`ed libev struct) and a link
/// in the loop's list of watchers.
public final class ScheduledTimer: Watcher, @unchecked Sendable {
    /// What the timer runs; let go once it can never run again (fired once, or cancelled).
    private var handler: PendingWork?
    /// Whether the timer fires again after each period.
    public let isRepeating: Bool
    private let delay: Double
    private let period: Double
    /// The slot in the loop's pool and its generation, once started (loop's thread).
    private var index: Int32 = -1
    private var generation: UInt32 = 0

    init(loop: EventLoop, after delay: Duration, repeating: Duration?, handler: consuming PendingWork) {
        self.handler = handler
        isRepeating = repeating != nil
        self.delay = max(0, delay.seconds)
        period = repeating?.seconds ?? 0
        super.init(loop: loop)
    }

    /// Takes a slot and starts the timer there, unless cancelled meanwhile (loop's thread).
    func start() {
        guard !isCancelled, index < 0 else { return }
        let slot = loop.timerSlots.take()
        cev_timer_init(TimerSlots.timer(in: slot), slotTimerCallback, delay, period)
        slot.pointee.work = .timer(self)
        ev_timer_start(loop.raw, TimerSlots.timer(in: slot))
        (index, generation) = (slot.pointee.index, slot.pointee.generation)
    }

    /// Whether the timer will still fire (loop's thread only).
    public override var isActive: Bool {
        loop.preconditionInLoop()
        return slot != nil
    }

    /// Seconds until the timer fires next (loop's thread only; 0 when inactive).
    public var remaining: Double {
        loop.preconditionInLoop()
        guard let slot else { return 0 }
        return cev_timer_remaining(loop.raw, TimerSlots.timer(in: slot))
    }

    /// The slot while this timer holds it (a one-shot timer's is given back as it fires).
    private var slot: UnsafeMutablePointer<TimerSlot>? {
        guard index >= 0 else { return nil }
        let slot = loop.timerSlots.slot(index)
        return slot.pointee.generation == generation && slot.pointee.work != nil ? slot : nil
    }

    /// libev fired the slot (`EventLoop.fireCallback`, which has already given a one-shot
    /// timer's slot back).
    func fire() {
        guard !isRepeating else {
            // A copy: the handler may cancel its own timer, which lets go of it.
            guard !isCancelled, let handler else { return }
            handler.run(on: loop)
            return
        }
        // A one-shot timer never fires again: its handler is taken out (no copy to retain).
        if let handler = handler.take(), !isCancelled { handler.run(on: loop) }
    }

    /// Cancelled (`Watcher.cancel`, on the loop's thread): stops the slot's timer and lets go
    /// of the handler (a handler that captures its own timer would otherwise keep it).
    override func releaseHandler() {
        handler = nil
        if index >= 0 { loop.cancelCallback(index: index, generation: generation) }
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

    private func schedule(after delay: Duration, repeating period: Duration?, work: consuming PendingWork) -> ScheduledTimer {
        precondition(period.map { $0 > .zero } ?? true, "a repeating timer needs a positive period")
        let timer = ScheduledTimer(loop: self, after: delay, repeating: period, handler: work)
        if isInLoopOrIdle {
            timer.start()
        } else {
            execute { timer.start() }
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
