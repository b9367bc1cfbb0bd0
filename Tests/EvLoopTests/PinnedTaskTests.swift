import Testing
import TestSupport
import Dispatch
import EvLoop
#if canImport(Glibc)
import Glibc
#endif

/// Pinned tasks (`EventLoop.pin`): run on the loop's thread once per `execute()` from any
/// thread; a handle whose task was unpinned runs and unpins nothing, even once its slot
/// holds another task; a task may unpin itself while it runs; the loop lets go of what it holds.
@Suite struct PinnedTaskTests {
    /// Counts its runs, each on its loop's thread.
    final class Tally: LoopTask, @unchecked Sendable {
        let loop: EventLoop
        let target: Int
        let done = DispatchSemaphore(value: 0)
        var runs = 0
        init(loop: EventLoop, target: Int = 0) { self.loop = loop; self.target = target }
        func run() {
            precondition(loop.isInLoop || target == 0, "a pinned task ran off its loop's thread")
            runs += 1
            if runs == target { done.signal() }
        }
    }

    /// Pins `task` on a loop running on another thread, and hands the handle back.
    private func pinned(_ task: some LoopTask, on thread: EventLoopThread) throws -> PinnedTask {
        let handle = Shared<PinnedTask?>(nil)
        let made = DispatchSemaphore(value: 0)
        thread.loop.execute { handle.update { $0 = thread.loop.pin(task) }; made.signal() }
        try #require(made.wait(timeout: .now() + 10) == .success)
        return try #require(handle.value)
    }

    @Test func runsOncePerExecuteFromSeveralThreads() throws {
        let thread = try EventLoopThread()
        let producers = 4, perProducer = 25_000
        let task = Tally(loop: thread.loop, target: producers * perProducer)
        let handle = try pinned(task, on: thread)
        DispatchQueue.concurrentPerform(iterations: producers) { _ in
            for _ in 0..<perProducer { handle.execute() }
        }
        try #require(task.done.wait(timeout: .now() + 20) == .success)
        // Anything beyond the target would run before this, queued after every execute.
        let settled = DispatchSemaphore(value: 0)
        thread.loop.execute { settled.signal() }
        try #require(settled.wait(timeout: .now() + 10) == .success)
        #expect(task.runs == producers * perProducer)
        handle.unpin()
        try thread.shutdown()
    }

    @Test func aStaleHandleRunsAndUnpinsNothingOnceItsSlotHoldsAnotherTask() throws {
        let loop = try EventLoop()
        defer { retire(loop) }
        let first = Tally(loop: loop), second = Tally(loop: loop)
        let old = loop.pin(first)
        old.execute()
        old.unpin() // before the loop got to the execute: it must not run
        loop.runOnce(blocking: false)
        #expect(first.runs == 0)
        #expect(!old.isPinned)
        let new = loop.pin(second) // takes the freed slot
        old.execute()
        old.unpin()
        #expect(new.isPinned, "unpinning the stale handle must not unpin the slot's new task")
        new.execute()
        loop.runOnce(blocking: false)
        #expect(first.runs == 0)
        #expect(second.runs == 1)
        new.unpin()
    }

    @Test func aTaskMayUnpinItselfWhileItRunsAndIsThenLetGo() throws {
        final class Once: LoopTask, @unchecked Sendable {
            var handle: PinnedTask?
            var runs = 0
            func run() {
                runs += 1
                handle?.unpin()
                handle = nil // the table's reference is now the only one... until run returns
            }
        }
        let loop = try EventLoop()
        defer { retire(loop) }
        weak var weakTask: Once?
        let handle: PinnedTask
        do {
            let task = Once()
            weakTask = task
            handle = loop.pin(task)
            task.handle = handle
        }
        #expect(weakTask != nil, "the loop holds a pinned task the caller dropped")
        handle.execute()
        handle.execute()
        loop.runOnce(blocking: false)
        #expect(weakTask == nil, "unpinned from its own run, the task is released once the run returned")
        #expect(!handle.isPinned)
    }

    @Test func unpinFromAnotherThreadTakesEffectOnTheLoopsNextTurn() throws {
        let thread = try EventLoopThread()
        let task = Tally(loop: thread.loop)
        let handle = try pinned(task, on: thread)
        handle.unpin() // off the loop's thread: queued
        handle.execute() // queued after the unpin from the same thread: must not run
        let state = Shared<(Bool, Int)>((true, -1))
        let checked = DispatchSemaphore(value: 0)
        thread.loop.execute { state.update { $0 = (handle.isPinned, task.runs) }; checked.signal() }
        try #require(checked.wait(timeout: .now() + 10) == .success)
        try thread.shutdown()
        #expect(state.value.0 == false)
        #expect(state.value.1 == 0)
    }

    @Test func releaseWatchersAndADroppedLoopLetGoOfPinnedTasks() throws {
        weak var weakLoop: EventLoop?
        do {
            let loop = try EventLoop()
            weakLoop = loop
            _ = loop.pin(HoldsLoop(loop: loop))
            loop.releaseWatchers()
        }
        #expect(weakLoop == nil, "the cycle loop -> pinned task -> loop is broken by releaseWatchers")

        var task = CountingTask()
        do {
            let loop = try EventLoop()
            for _ in 0..<300 { _ = loop.pin(task) }
            #expect(!isKnownUniquelyReferenced(&task))
        }
        #expect(isKnownUniquelyReferenced(&task), "a dropped loop releases the tasks pinned on it")
    }

    @Test func aPinnedTaskDoesNotKeepRunFromReturning() throws {
        let loop = try EventLoop()
        defer { retire(loop) }
        let handle = loop.pin(CountingTask())
        loop.runOnce(blocking: false)
        #expect(loop.activeWatcherCount == 0)
        handle.unpin()
    }
}
