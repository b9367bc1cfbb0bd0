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
