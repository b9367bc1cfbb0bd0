import Testing
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

@Suite struct ExampleTests {
    @Test func issueExampleRunsAsWritten() throws {
        try example()
    }

    @Test func loopTaskExampleRunsAsWritten() throws {
        let loop = try EventLoop()
        loopTaskExample(loop)
        loop.releaseWatchers()
    }
}
