import Testing
import TestSupport
import Foundation
import EvLoop
import Dispatch

// The issue's program, as written, from a user's point of view.
final class Box: @unchecked Sendable { var order: [Int] = []; var count = 0 }

func example() throws {
    let loop = try EventLoop()
    precondition(loop.backend == .epoll)
    let box = Box()
    loop.schedule(after: .milliseconds(30)) { box.order.append(3); loop.stop() }
    loop.schedule(after: .milliseconds(10)) { box.order.append(1) }
    let dropped = loop.schedule(after: .milliseconds(20)) { box.order.append(99) }
    dropped.cancel()
    loop.schedule(after: .milliseconds(20)) { box.order.append(2) }
    loop.run()
    precondition(box.order == [1, 2, 3])

    let thread = try EventLoopThread()
    let done = DispatchSemaphore(value: 0)
    thread.loop.execute { box.count += 1; done.signal() }
    precondition(done.wait(timeout: .now() + 10) == .success, "the loop thread never ran the closure")
    try thread.shutdown()
}

/// Docs/EventLoop.md, "Work without allocating: LoopTask", as written there.
final class Flush: LoopTask, @unchecked Sendable {
    var runs = 0                 // touched on the loop's thread only
    func run() { runs += 1 }
}

func loopTaskExample(_ loop: EventLoop) {
    let flush = Flush()
    loop.execute(flush)                                  // from any thread
    loop.schedule(after: .milliseconds(5), flush)        // a timer running the same object
    loop.schedule(after: .milliseconds(20)) { loop.stop() }
    loop.run()
    precondition(flush.runs == 2, "the task ran \(flush.runs) times")
}

/// Docs/EventLoop.md, "Pooled timers: scheduleCallback", as written there.
final class Resend: LoopTask, @unchecked Sendable {
    let loop: EventLoop
    var sends = 0                // touched on the loop's thread only
    init(loop: EventLoop) { self.loop = loop }
    func run() {
        sends += 1
        if sends < 3 { loop.scheduleCallback(after: .milliseconds(1), self) } // from its own run
    }
}

func scheduledCallbackExample(_ loop: EventLoop) {
    let resend = Resend(loop: loop)
    loop.scheduleCallback(after: .milliseconds(1), resend)  // on the loop's thread (or before run)
    let never = loop.scheduleCallback(after: .milliseconds(2)) { fatalError("cancelled") }
    never.cancel()                                          // from any thread
    runUntil(loop) { resend.sends >= 3 }
    precondition(resend.sends == 3, "the task ran \(resend.sends) times")
}

/// Runs `loop` until `done` holds (checked every millisecond), or for ten seconds. (A stop
/// timer at a fixed 30 ms failed a loaded CI run: with the thread held off past it, the work's
/// timer and the stop were due in one turn and libev ran the stop first.)
func runUntil(_ loop: EventLoop, _ done: @escaping @Sendable () -> Bool) {
    let check = loop.scheduleCallback(after: .milliseconds(1), repeating: .milliseconds(1)) { if done() { loop.stop() } }
    let deadline = loop.scheduleCallback(after: .seconds(10)) { loop.stop() }
    loop.run()
    check.cancel()
    deadline.cancel()
}

/// Docs/EventLoop.md, "Work handed over many times: pin", as written there.
final class Collect: LoopTask, @unchecked Sendable {
    var batches = 0              // touched on the loop's thread only
    func run() { batches += 1 }
}

func pinnedTaskExample(_ loop: EventLoop) {
    let collect = Collect()
    let pinned = loop.pin(collect)                          // on the loop's thread (or before run)
    DispatchQueue.global().async { pinned.execute() }       // from any thread, nothing retained
    runUntil(loop) { collect.batches == 1 }
    pinned.unpin()
    precondition(collect.batches == 1, "the pinned task ran \(collect.batches) times")
}

@Suite struct ExampleTests {
    @Test func pinnedTaskExampleRunsAsWritten() throws {
        let loop = try EventLoop()
        pinnedTaskExample(loop)
        loop.releaseWatchers()
    }

    @Test func scheduledCallbackExampleRunsAsWritten() throws {
        let loop = try EventLoop()
        scheduledCallbackExample(loop)
        #expect(loop.activeWatcherCount == 0)
        loop.releaseWatchers()
    }

    /// Each checked block of Docs/EventLoop.md appears in this file, line by line.
    @Test(arguments: ["ExampleTests.scheduledCallbackExample", "ExampleTests.pinnedTaskExample"])
    func eachCheckedDocBlockIsInThisFile(_ marker: String) throws {
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let blocks = try checkedDocBlocks("EventLoop.md", marker: marker)
        #expect(blocks.count == 1)
        for line in linesMissing(from: source, in: blocks) { Issue.record("not compiled by a test: \(line)") }
    }


    @Test func issueExampleRunsAsWritten() throws {
        try example()
    }

    @Test func loopTaskExampleRunsAsWritten() throws {
        let loop = try EventLoop()
        loopTaskExample(loop)
        loop.releaseWatchers()
    }
}
