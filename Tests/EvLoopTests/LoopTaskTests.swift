import Testing
import TestSupport
import EvLoop
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Records each run of one object, with the closures around it, in one log.
final class RecordingTask: LoopTask, @unchecked Sendable {
    let name: String
    let log: Shared<[String]>
    let loop: EventLoop
    init(_ name: String, log: Shared<[String]>, loop: EventLoop) { self.name = name; self.log = log; self.loop = loop }
    func run() {
        precondition(loop.isInLoop, "a LoopTask ran off its loop's thread")
        log.update { $0.append(name) }
    }
}

/// `execute` and `schedule` with an object instead of a closure (`LoopTask`): the same
/// guarantees as closures — on the loop's thread, exactly once per submission, in order
/// with closures from the same thread — and the loop holds the object only while it waits.
@Suite struct LoopTaskTests {
    @Test func tasksAndClosuresFromOneThreadRunInTheOrderSubmitted() throws {
        let thread = try EventLoopThread()
        let log = Shared<[String]>([])
        let task = RecordingTask("task", log: log, loop: thread.loop)
        var expected: [String] = []
        for index in 0..<3_000 { // past the queue's first buffers, so it grows while the loop drains
            if index % 3 == 1 {
                thread.loop.execute(task)
                expected.append("task")
            } else {
                thread.loop.execute { log.update { $0.append("closure \(index)") } }
                expected.append("closure \(index)")
            }
        }
        try thread.shutdown()
        #expect(log.value == expected)
    }

    @Test func fromSeveralThreadsEachSubmissionRunsOnce() throws {
        let thread = try EventLoopThread()
        let producers = 4, perProducer = 25_000
        let log = Shared<[String]>([])
        let tasks = (0..<producers).map { RecordingTask("\($0)", log: log, loop: thread.loop) }
        DispatchQueue.concurrentPerform(iterations: producers) { producer in
            for _ in 0..<perProducer { thread.loop.execute(tasks[producer]) }
        }
        try thread.shutdown()
        let counts = Dictionary(grouping: log.value, by: { $0 }).mapValues(\.count)
        #expect(counts == Dictionary(uniqueKeysWithValues: (0..<producers).map { ("\($0)", perProducer) }))
    }

    @Test func theLoopHoldsATaskUntilItHasRunAndNoLonger() throws {
        let thread = try EventLoopThread()
        let log = Shared<[String]>([])
        weak var weakTask: RecordingTask?
        let gate = DispatchSemaphore(value: 0)
        thread.loop.execute { gate.wait() } // the loop is busy: the task waits in the queue
        do {
            let task = RecordingTask("held", log: log, loop: thread.loop)
            weakTask = task
            thread.loop.execute(task)
        }
        #expect(weakTask != nil, "the queue holds the task the caller dropped")
        gate.signal()
        try thread.shutdown()
        #expect(log.value == ["held"])
        #expect(weakTask == nil, "the task is let go once it has run")
    }

    @Test func workStillQueuedWhenALoopIsDroppedIsReleased() throws {
        weak var weakLoop: EventLoop?
        var task = CountingTask()
        do {
            let loop = try EventLoop()
            weakLoop = loop
            for _ in 0..<100 { loop.execute(task) } // never run: nobody runs the loop
            #expect(!isKnownUniquelyReferenced(&task))
        }
        #expect(weakLoop == nil)
        #expect(task.runs == 0)
        #expect(isKnownUniquelyReferenced(&task), "a dropped loop releases the work it never ran")
    }

    @Test func timersRunTasksOnceRepeatedlyOrNotAtAllWhenCancelled() throws {
        let loop = try EventLoop()
        defer { retire(loop) }
        let log = Shared<[String]>([])
        weak var weakOnce: RecordingTask?
        do {
            let once = RecordingTask("once", log: log, loop: loop)
            weakOnce = once
            loop.schedule(after: .milliseconds(5), once)
        }
        let repeating = RecordingTask("repeating", log: log, loop: loop)
        let ticker = loop.schedule(after: .milliseconds(1), repeating: .milliseconds(2), repeating)
        let cancelled = loop.schedule(after: .milliseconds(3), RecordingTask("cancelled", log: log, loop: loop))
        cancelled.cancel()
        // Stops once the ticker has run three times and the one-shot once (not at a fixed time:
        // a loop thread starved past a fixed stop saw one tick; a late timer fires once).
        loop.schedule(after: .milliseconds(5), repeating: .milliseconds(5)) {
            let runs = log.value
            if runs.filter({ $0 == "repeating" }).count >= 3 && runs.contains("once") { ticker.cancel(); loop.stop() }
        }
        loop.schedule(after: .seconds(10)) { ticker.cancel(); loop.stop() } // a bound, if it never gets there
        loop.run()
        let runs = log.value
        #expect(runs.filter { $0 == "once" }.count == 1)
        #expect(runs.filter { $0 == "repeating" }.count >= 3, "\(runs)")
        #expect(!runs.contains("cancelled"))
        #expect(weakOnce == nil, "a one-shot timer lets go of its task once fired")
    }
}
