import Testing
import TestSupport
import Dispatch
import EvLoop
#if canImport(Glibc)
import Glibc
#endif

/// Pooled timers (`scheduleCallback`): the same promises as `schedule(after:)`, and the ones a
/// reused slot could break — a stale handle cancels nothing, work that reschedules from inside
/// its own run gets a slot, a dropped loop lets go of what it never ran.
@Suite struct ScheduledCallbackTests {
    @Test func callbacksFireInDeadlineOrderAndCancelledNeverRun() throws {
        try expectTimersFireInDeadlineOrderAndCancelledNeverRun(
            schedule: { loop, delay, body in loop.scheduleCallback(after: delay, body) }, cancel: { $0.cancel() })
    }

    @Test func aStaleHandleCancelsNothingOnceItsSlotServesAnotherTimer() throws {
        let loop = try EventLoop()
        defer { retire(loop) }
        let log = Shared<[String]>([])
        let first = loop.scheduleCallback(after: .zero) { log.update { $0.append("first") } }
        loop.runOnce(blocking: true)
        #expect(log.value == ["first"])
        #expect(!first.isActive)
        // The freed slot is the next one taken: the second timer lives where the first did.
        let second = loop.scheduleCallback(after: .milliseconds(5)) { log.update { $0.append("second") }; loop.stop() }
        first.cancel()
        first.cancel()
        #expect(second.isActive, "cancelling the first handle again must not stop the second timer")
        loop.schedule(after: .seconds(2)) { loop.stop() } // ends the run if the second was cancelled
        loop.run()
        #expect(log.value == ["first", "second"])
    }

    @Test func workThatSchedulesFromItsOwnRunReusesTheSlotSafely() throws {
        final class Chain: LoopTask, @unchecked Sendable {
            let loop: EventLoop
            var runs = 0
            init(loop: EventLoop) { self.loop = loop }
            func run() {
                runs += 1
                if runs == 1_000 { return loop.stop() }
                loop.scheduleCallback(after: .zero, self) // the slot it just left
            }
        }
        let loop = try EventLoop()
        defer { retire(loop) }
        let chain = Chain(loop: loop)
        loop.scheduleCallback(after: .zero, chain)
        loop.run()
        #expect(chain.runs == 1_000)
        #expect(loop.activeWatcherCount == 0)
    }

    @Test func aRepeatingCallbackRunsUntilCancelledInsideItsOwnRun() throws {
        try expectARepeatingTimerStopsWhenCancelledInsideItsWork(
            schedule: { loop, delay, period, body in loop.scheduleCallback(after: delay, repeating: period, body) },
            cancel: { $0.cancel() }, isActive: { $0.isActive })
    }

    @Test func tasksAreHeldUntilFiredOrCancelledAndThenLetGo() throws {
        let loop = try EventLoop()
        defer { retire(loop) }
        let log = Shared<[String]>([])
        weak var weakFired: RecordingTask?
        weak var weakCancelled: RecordingTask?
        let cancelled: ScheduledCallback
        do {
            let fired = RecordingTask("fired", log: log, loop: loop)
            let dropped = RecordingTask("cancelled", log: log, loop: loop)
            (weakFired, weakCancelled) = (fired, dropped)
            loop.scheduleCallback(after: .milliseconds(2), fired)
            cancelled = loop.scheduleCallback(after: .milliseconds(3), dropped)
        }
        #expect(weakFired != nil && weakCancelled != nil, "the loop holds the tasks the caller dropped")
        cancelled.cancel()
        #expect(weakCancelled == nil, "a cancelled timer lets go of its task at once")
        loop.scheduleCallback(after: .milliseconds(20)) { loop.stop() }
        loop.run()
        #expect(log.value == ["fired"])
        #expect(weakFired == nil, "a one-shot timer lets go of its task once it ran")
    }

    @Test func cancelFromAnotherThreadBeforeItFires() throws {
        let thread = try EventLoopThread()
        let fired = Shared(false)
        let made = DispatchSemaphore(value: 0)
        let handle = Shared<ScheduledCallback?>(nil)
        thread.loop.execute {
            handle.update { $0 = thread.loop.scheduleCallback(after: .seconds(5)) { fired.update { $0 = true } } }
            made.signal()
        }
        made.wait()
        handle.value?.cancel() // off the loop's thread: queued for the loop
        // Queued after the cancel from the same thread, so it runs after it: the timer is gone.
        let count = Shared(-1)
        let counted = DispatchSemaphore(value: 0)
        thread.loop.execute { count.update { $0 = thread.loop.activeWatcherCount }; counted.signal() }
        counted.wait()
        try thread.shutdown()
        #expect(!fired.value)
        #expect(count.value == 0)
    }

    @Test func hundredThousandCallbacksAllFireOnceInOrderAndTheSlotsComeBack() throws {
        try expectHundredThousandTimersFireOnceInOrder { loop, delay, body in loop.scheduleCallback(after: delay, body) }
        let loop = try EventLoop()
        defer { retire(loop) }
        let count = 100_000
        // A second round reuses the pool (and still fires everything once).
        let again = Shared(0)
        for _ in 0..<count { loop.scheduleCallback(after: .zero) { again.update { $0 += 1 } } }
        loop.scheduleCallback(after: .milliseconds(10)) { loop.stop() }
        loop.run()
        #expect(again.value == count)
    }

    @Test func aDroppedLoopLetsGoOfCallbacksItNeverRan() throws {
        weak var weakLoop: EventLoop?
        var task = CountingTask()
        do {
            let loop = try EventLoop()
            weakLoop = loop
            for _ in 0..<300 { loop.scheduleCallback(after: .seconds(60), task) } // more than one chunk
            #expect(!isKnownUniquelyReferenced(&task))
        }
        #expect(weakLoop == nil)
        #expect(task.runs == 0)
        #expect(isKnownUniquelyReferenced(&task), "a dropped loop releases the timers it never fired")
    }

    @Test func releaseWatchersStopsCallbacksThatHoldTheirLoop() throws {
        weak var weakLoop: EventLoop?
        do {
            let loop = try EventLoop()
            weakLoop = loop
            loop.scheduleCallback(after: .seconds(60), repeating: .seconds(60), HoldsLoop(loop: loop))
            loop.releaseWatchers()
            #expect(loop.activeWatcherCount == 0)
        }
        #expect(weakLoop == nil, "the cycle loop -> timer -> task -> loop is broken by releaseWatchers")
    }

    @Test func aHostedLoopFiresThemOnTheHostThreadAndLetsGoAtShutdown() throws {
        let wake = DispatchSemaphore(value: 0)
        let hosted = try HostedEventLoop { wake.signal() }
        let host = currentThread()
        let firedOn = Shared<[UInt]>([])
        weak var weakHeld: CountingTask?
        hosted.withLoop { loop in
            loop.scheduleCallback(after: .milliseconds(2)) { firedOn.update { $0.append(currentThread()) } }
            loop.scheduleCallback(after: .milliseconds(4), repeating: .milliseconds(4)) { firedOn.update { $0.append(currentThread()) } }
            let held = CountingTask()
            weakHeld = held
            loop.scheduleCallback(after: .seconds(60), held) // never due: shutdown must let it go
        }
        while firedOn.value.count < 3 {
            try #require(wake.wait(timeout: .now() + 5) == .success)
            hosted.invokePending()
        }
        #expect(Set(firedOn.value) == [host], "every pooled timer ran on the host's thread")
        hosted.shutdown()
        #expect(weakHeld == nil, "shutdown released the timers still pending")
    }

    @Test func timeUntilNextTimerSeesPooledTimers() throws {
        let loop = try EventLoop()
        defer { retire(loop) }
        #expect(loop.timeUntilNextTimer == nil)
        loop.scheduleCallback(after: .milliseconds(500)) {}
        let soon = loop.scheduleCallback(after: .milliseconds(40)) {}
        let wait = try #require(loop.timeUntilNextTimer)
        #expect(wait > 0.02 && wait <= 0.041)
        soon.cancel()
        #expect((loop.timeUntilNextTimer ?? 0) > 0.4)
    }
}
