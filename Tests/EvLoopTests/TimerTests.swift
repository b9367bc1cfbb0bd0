import Testing
import TestSupport
import EvLoop
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

@Suite struct TimerTests {
    @Test func timersFireInDeadlineOrderAndCancelledNeverRun() throws {
        try expectTimersFireInDeadlineOrderAndCancelledNeverRun(
            schedule: { loop, delay, body in loop.schedule(after: delay, body) }, cancel: { $0.cancel() })
    }

    @Test func repeatingTimerRunsUntilCancelledInsideItsCallback() throws {
        try expectARepeatingTimerStopsWhenCancelledInsideItsWork(
            schedule: { loop, delay, period, body in loop.schedule(after: delay, repeating: period, body) },
            cancel: { $0.cancel() }, isActive: { $0.isActive })
    }

    @Test func hundredThousandTimersAllFireOnceInOrder() throws {
        try expectHundredThousandTimersFireOnceInOrder { loop, delay, body in loop.schedule(after: delay, body) }
    }

    @Test func cancelFromAnotherThreadBeforeItFires() throws {
        let thread = try EventLoopThread()
        let fired = Shared(false)
        // Long enough that a starved test thread cannot see it fire before cancelling.
        let timer = thread.loop.schedule(after: .seconds(5)) { fired.update { $0 = true } }
        timer.cancel()
        // Queued after the cancel from this thread, so it runs after it: the timer is gone.
        let count = Shared(-1)
        let counted = DispatchSemaphore(value: 0)
        thread.loop.execute { count.update { $0 = thread.loop.activeWatcherCount }; counted.signal() }
        counted.wait()
        try thread.shutdown()
        #expect(!fired.value)
        #expect(count.value == 0)
    }

    /// A one-shot timer's handle goes stale when it fires; the slot of the loop's pool it had
    /// serves the next timer, which the old handle must not cancel (or report as its own).
    @Test func aFiredHandleLeavesTheTimerThatReusedItsSlotAlone() throws {
        let loop = try EventLoop()
        defer { retire(loop) }
        let first = loop.schedule(after: .zero) { loop.stop() }
        #expect(first.isActive && first.remaining >= 0)
        loop.run()
        #expect(!first.isActive && first.remaining == 0)
        let fired = Shared(false)
        let second = loop.schedule(after: .milliseconds(1)) { fired.update { $0 = true }; loop.stop() }
        first.cancel()
        #expect(!first.isActive)
        try #require(second.isActive, "the stale handle cancelled the timer in its old slot") // else run() would never end
        loop.run()
        #expect(fired.value)
        #expect(loop.activeWatcherCount == 0)
    }

    /// A repeating timer whose work holds its own handle (to cancel itself later) is let go,
    /// handle and work, by `releaseWatchers`: the loop's slot held the handle, the handle the
    /// work, the work the handle.
    @Test func releaseWatchersLetsGoOfATimerThatHoldsItself() throws {
        let loop = try EventLoop()
        weak var released: ScheduledTimer?
        do {
            let holder = Shared<ScheduledTimer?>(nil)
            let timer = loop.schedule(after: .seconds(60), repeating: .seconds(60)) { holder.value?.cancel() }
            holder.update { $0 = timer }
            released = timer
        }
        #expect(released != nil && loop.activeWatcherCount == 1)
        loop.releaseWatchers()
        #expect(released == nil)
        #expect(loop.activeWatcherCount == 0)
    }

    @Test func loopTimeAdvances() throws {
        let loop = try EventLoop()
        defer { retire(loop) }
        let start = loop.now
        loop.schedule(after: .milliseconds(15)) { loop.stop() }
        loop.run()
        #expect(loop.now - start >= 0.014)
    }

    @Test func timeUntilNextTimerTellsAHostWhenToCallAgain() throws {
        let loop = try EventLoop()
        defer { retire(loop) }
        #expect(loop.timeUntilNextTimer == nil)
        loop.schedule(after: .milliseconds(500)) {}
        let soon = loop.schedule(after: .milliseconds(40)) {}
        let wait = try #require(loop.timeUntilNextTimer)
        #expect(wait > 0.02 && wait <= 0.041)
        soon.cancel()
        #expect((loop.timeUntilNextTimer ?? 0) > 0.4)
        loop.execute {}
        #expect(loop.timeUntilNextTimer == 0)
    }
}
