import Dispatch
import EvLoop
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// The reactor workloads, shared by the package-benchmark suite and `Compare`.
public enum ReactorWork {
    /// `count` closures handed to `loop` (running on another thread) with `execute`.
    public static func evLoopExecute(_ loop: EvLoop.EventLoop, count: Int) {
        let counter = Counter(), done = DispatchSemaphore(value: 0)
        for _ in 0..<count { loop.execute { if counter.increment() == count { done.signal() } } }
        done.wait()
    }

    /// The same work as `LoopTask`s: one object submitted `count` times (C's function and
    /// argument), so no closure context is allocated per call.
    public static func evLoopExecuteTasks(_ loop: EvLoop.EventLoop, count: Int) {
        let task = CountingTask(target: count)
        for _ in 0..<count { loop.execute(task) }
        task.done.wait()
    }

    /// The same with the task pinned on the loop (`EventLoop.pin`): each hop names the
    /// task's slot, so the submitting thread writes nothing but the queue (no reference count).
    public static func evLoopExecutePinned(_ loop: EvLoop.EventLoop, count: Int) {
        let task = CountingTask(target: count)
        let pinned = pinnedOnLoop(task, loop)
        for _ in 0..<count { pinned.execute() }
        task.done.wait()
        pinned.unpin()
    }

    /// Pins `task` on `loop` (running on another thread) and hands the handle back.
    private static func pinnedOnLoop(_ task: CountingTask, _ loop: EvLoop.EventLoop) -> PinnedTask {
        let box = PinnedBox(), ready = DispatchSemaphore(value: 0)
        loop.execute { box.pinned = loop.pin(task); ready.signal() }
        ready.wait() // the semaphore orders the write before the read
        return box.pinned!
    }

    /// The same with a NIO loop.
    public static func nioExecute(_ loop: any NIOCore.EventLoop, count: Int) {
        let counter = Counter(), done = DispatchSemaphore(value: 0)
        for _ in 0..<count { loop.execute { if counter.increment() == count { done.signal() } } }
        done.wait()
    }

    /// `count` zero-delay timers scheduled and fired on a fresh EvLoop run on this thread.
    public static func evLoopTimers(count: Int) {
        let loop = try! EvLoop.EventLoop(), counter = Counter()
        for _ in 0..<count { loop.schedule(after: .zero) { if counter.increment() == count { loop.stop() } } }
        loop.run()
    }

    /// The same with one `LoopTask` for every timer (C's callback and box), so the timer
    /// object is the only allocation per timer besides libev's.
    public static func evLoopTimerTasks(count: Int) {
        let loop = try! EvLoop.EventLoop(), task = CountingTask(target: count, stopping: loop)
        for _ in 0..<count { loop.schedule(after: .zero, task) }
        loop.run()
    }

    /// `count` zero-delay `ScheduledTimer`s one after another: each task run schedules the
    /// next, so one timer is alive at a time (the other shape: no pool growth, no heap of
    /// 200,000 timers in libev).
    public static func evLoopTimerChain(count: Int) {
        let loop = try! EvLoop.EventLoop()
        let chain = TimerChain(loop: loop, remaining: count)
        loop.schedule(after: .zero, chain)
        loop.run()
    }

    /// `count` zero-delay pooled timers (`scheduleCallback`), each with a closure.
    public static func evLoopCallbacks(count: Int) {
        let loop = try! EvLoop.EventLoop(), counter = Counter()
        for _ in 0..<count { loop.scheduleCallback(after: .zero) { if counter.increment() == count { loop.stop() } } }
        loop.run()
    }

    /// `count` zero-delay pooled timers running one `LoopTask`: no allocation per timer once
    /// the pool has grown (C allocates its box per timer).
    public static func evLoopCallbackTasks(count: Int) {
        let loop = try! EvLoop.EventLoop(), task = CountingTask(target: count, stopping: loop)
        for _ in 0..<count { loop.scheduleCallback(after: .zero, task) }
        loop.run()
    }

    /// `count` zero-delay `scheduleTask`s on a NIO loop, scheduled from the loop itself.
    public static func nioTimers(_ loop: any NIOCore.EventLoop, count: Int) {
        let done = DispatchSemaphore(value: 0)
        loop.execute {
            let counter = Counter()
            for _ in 0..<count { loop.scheduleTask(in: .zero) { if counter.increment() == count { done.signal() } } }
        }
        done.wait()
    }

    /// `rounds` one-byte round trips over a socketpair, both ends on one EvLoop.
    public static func evLoopPingPong(rounds: Int) {
        var fds: [Int32] = [0, 0]
        precondition(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds) == 0)
        let (a, b) = (fds[0], fds[1])
        let loop = try! EvLoop.EventLoop(), counter = Counter()
        let sideA = loop.watch(fileDescriptor: a, for: .read) { _ in
            var c: UInt8 = 0
            guard read(a, &c, 1) == 1 else { return }
            if counter.increment() == rounds { loop.stop(); return }
            _ = write(a, &c, 1)
        }
        let sideB = loop.watch(fileDescriptor: b, for: .read) { _ in
            var c: UInt8 = 0
            guard read(b, &c, 1) == 1 else { return }
            _ = write(b, &c, 1)
        }
        var byte: UInt8 = 0x78
        _ = write(a, &byte, 1)
        loop.run()
        sideA.cancel(); sideB.cancel()
        close(a); close(b)
    }
}

/// Counts its runs on the loop; at `target`, signals `done` or stops `stopping`.
final class CountingTask: LoopTask, @unchecked Sendable {
    let target: Int
    let done = DispatchSemaphore(value: 0)
    let stopping: EvLoop.EventLoop?
    private var runs = 0
    init(target: Int, stopping: EvLoop.EventLoop? = nil) { self.target = target; self.stopping = stopping }
    func run() {
        runs += 1
        guard runs == target else { return }
        if let stopping { stopping.stop() } else { done.signal() }
    }
}

/// A handle made on the loop and read by the thread that waited for it.
private final class PinnedBox: @unchecked Sendable { var pinned: PinnedTask? }

/// A counter touched from one thread at a time (the loop's).
final class Counter: @unchecked Sendable {
    private var value = 0
    func increment() -> Int { value += 1; return value }
}

/// Schedules the next timer from each run until `remaining` reaches zero.
final class TimerChain: LoopTask, @unchecked Sendable {
    let loop: EvLoop.EventLoop
    var remaining: Int
    init(loop: EvLoop.EventLoop, remaining: Int) { (self.loop, self.remaining) = (loop, remaining) }
    func run() {
        remaining -= 1
        if remaining > 0 { loop.schedule(after: .zero, self) } else { loop.stop() }
    }
}
