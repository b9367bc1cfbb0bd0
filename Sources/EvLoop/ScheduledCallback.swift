import CEv

/// A handle on a timer made by `EventLoop.scheduleCallback(after:repeating:_:)`: a slot in
/// the loop's timer pool and the generation it was given. A value: copying it allocates
/// nothing, and once the timer has fired (one-shot) or been cancelled the handle is stale,
/// so cancelling it again, or after its slot went to another timer, does nothing.
public struct ScheduledCallback: Sendable {
    /// The loop the timer runs on.
    public let loop: EventLoop
    let index: Int32
    let generation: UInt32

    /// Stops the timer for good: work that has not started will not run. Safe from any
    /// thread (off the loop's thread it takes effect on the loop's next turn, so a timer due
    /// meanwhile may still run), and inside the timer's own work.
    public func cancel() {
        if loop.isInLoopOrIdle {
            loop.cancelCallback(index: index, generation: generation)
        } else {
            let (loop, index, generation) = (loop, index, generation)
            loop.execute { loop.cancelCallback(index: index, generation: generation) }
        }
    }

    /// Whether the timer will still fire (loop's thread only).
    public var isActive: Bool {
        loop.preconditionInLoop()
        let slot = loop.timerSlots.slot(index)
        return slot.pointee.generation == generation && slot.pointee.work != nil
    }
}

extension EventLoop {
    /// Runs `task.run()` after `delay`, and then every `period` if given, from a timer the
    /// loop owns: no object and no allocation per timer (the loop's pool of timer slots is
    /// reused), where `schedule(after:_:)` makes a `ScheduledTimer` object each time. For
    /// timers made per request or per event on the loop's thread.
    ///
    /// **The loop's thread only** (or while nobody runs the loop): the pool is not locked. From
    /// other threads use `schedule(after:_:)`. The loop holds `task` until the timer fires
    /// (one-shot) or is cancelled.
    @discardableResult
    public func scheduleCallback(after delay: Duration, repeating period: Duration? = nil,
                                 _ task: some LoopTask) -> ScheduledCallback {
        scheduleCallback(after: delay, repeating: period, work: .task(task))
    }

    /// Runs `body` after `delay`, and then every `period` if given, from a timer the loop
    /// owns (see `scheduleCallback(after:repeating:_:)` with a `LoopTask`; a closure that
    /// captures anything still allocates its context). The loop's thread only.
    @discardableResult
    public func scheduleCallback(after delay: Duration, repeating period: Duration? = nil,
                                 _ body: @escaping @Sendable () -> Void) -> ScheduledCallback {
        scheduleCallback(after: delay, repeating: period, work: .closure(body))
    }

    private func scheduleCallback(after delay: Duration, repeating period: Duration?,
                                  work: consuming PendingWork) -> ScheduledCallback {
        precondition(isInLoopOrIdle, "scheduleCallback called off the loop's thread; use schedule(after:) there")
        precondition(period.map { $0 > .zero } ?? true, "a repeating timer needs a positive period")
        let slot = timerSlots.take()
        let timer = TimerSlots.timer(in: slot)
        cev_timer_init(timer, slotTimerCallback, max(0, delay.seconds), period?.seconds ?? 0)
        slot.pointee.work = consume work
        ev_timer_start(raw, timer)
        return ScheduledCallback(loop: self, index: slot.pointee.index, generation: slot.pointee.generation)
    }

    /// libev fired the timer in `slot`. A one-shot timer (libev has stopped it) gives its
    /// slot back before its work runs, so the work may schedule again, and reuse the slot.
    func fireCallback(_ slot: UnsafeMutablePointer<TimerSlot>) {
        if slot.pointee.isRepeating {
            // A copy: the work may cancel its own timer, which empties the slot.
            let work = slot.pointee.work
            work?.run(on: self)
        } else {
            let work = slot.pointee.work.take()
            timerSlots.giveBack(slot)
            work?.run(on: self)
        }
    }

    /// Stops the timer in slot `index` if it is still the one `generation` named.
    func cancelCallback(index: Int32, generation: UInt32) {
        let slot = timerSlots.slot(index)
        guard slot.pointee.generation == generation, slot.pointee.work != nil else { return }
        ev_timer_stop(raw, TimerSlots.timer(in: slot))
        let work = slot.pointee.work.take()
        timerSlots.giveBack(slot)
        _ = consume work // released after the slot is free (its deinit may schedule again)
    }

    /// Stops every pooled timer and lets go of its work (the loop is going away, or
    /// `releaseWatchers`); a `ScheduledTimer` is cancelled as its handle would be, so a
    /// handler that captures its own timer is let go too.
    func cancelAllCallbacks() {
        // Collected first: cancelling changes the slots being walked.
        var started: [(index: Int32, generation: UInt32, timer: ScheduledTimer?)] = []
        timerSlots.forEachActive { slot in
            var timer: ScheduledTimer?
            if case .timer(let handle)? = slot.pointee.work { timer = handle }
            started.append((slot.pointee.index, slot.pointee.generation, timer))
        }
        for (index, generation, timer) in started {
            if let timer { timer.cancel() } else { cancelCallback(index: index, generation: generation) }
        }
    }
}
