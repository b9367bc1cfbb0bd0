import Testing
import Locks
import TestSupport
import EvLoop
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// A value shared between a loop thread and the test, under a lock.
final class Shared<Value: Sendable>: Sendable {
    private let storage: Locked<Value>
    init(_ value: Value) { storage = Locked(value) }
    var value: Value { storage.withLock { $0 } }
    func update<T>(_ body: (inout Value) -> T) -> T { storage.withLock { body(&$0) } }
}

/// The descriptor count once the runtime has opened what it opens lazily (libdispatch
/// creates its epoll and eventfd descriptors on first use, from its own threads).
func settledDescriptorCount() -> Int {
    let group = DispatchGroup()
    for _ in 0..<4 { DispatchQueue.global().async(group: group) { usleep(1_000) } }
    group.wait()
    usleep(50_000)
    return openDescriptorCount()
}

/// A connected pair of non-blocking UNIX stream sockets.
func socketPair() -> (Int32, Int32) {
    var fds: [Int32] = [0, 0]
    let result = socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds)
    precondition(result == 0, "socketpair failed")
    return (fds[0], fds[1])
}

func writeByte(_ fd: Int32, _ byte: UInt8 = 0x2A) {
    var byte = byte
    precondition(write(fd, &byte, 1) == 1)
}

func readByte(_ fd: Int32) -> UInt8? {
    var byte: UInt8 = 0
    return read(fd, &byte, 1) == 1 ? byte : nil
}

/// The calling thread's pthread id.
func currentThread() -> UInt { UInt(pthread_self()) }

/// 100,000 timers at random deadlines within 50 ms, made by `schedule` (a timer API under
/// test): each fires once, in deadline order, and none is left active. `schedule` gets the
/// loop, the delay and the body to run.
func expectHundredThousandTimersFireOnceInOrder(
    _ schedule: (EventLoop, Duration, @escaping @Sendable () -> Void) -> Void
) throws {
    let loop = try EventLoop()
    defer { retire(loop) }
    let count = 100_000
    let state = Shared((fired: 0, lastDeadline: 0, outOfOrder: 0))
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<count {
        let deadline = Int.random(in: 0..<50, using: &generator)
        schedule(loop, .milliseconds(deadline)) {
            state.update { value in
                value.fired += 1
                if deadline < value.lastDeadline { value.outOfOrder += 1 }
                value.lastDeadline = max(value.lastDeadline, deadline)
            }
        }
    }
    #expect(loop.activeWatcherCount == count)
    schedule(loop, .milliseconds(80)) { loop.stop() }
    loop.run()
    #expect(state.value.fired == count)
    #expect(state.value.outOfOrder == 0)
    #expect(loop.activeWatcherCount == 0)
}

/// A task that counts its runs (loop's thread only).
/// A task that holds its loop: the cycle loop -> task -> loop that `releaseWatchers` breaks.
final class HoldsLoop: LoopTask, @unchecked Sendable {
    let loop: EventLoop
    init(loop: EventLoop) { self.loop = loop }
    func run() {}
}

final class CountingTask: LoopTask, @unchecked Sendable {
    var runs = 0
    func run() { runs += 1 }
}

/// A timer repeating every millisecond, made by `schedule` (a timer API under test), cancels
/// itself from inside its fifth run: it runs exactly five times and is no longer active.
func expectARepeatingTimerStopsWhenCancelledInsideItsWork<Handle: Sendable>(
    schedule: @escaping @Sendable (EventLoop, Duration, Duration?, @escaping @Sendable () -> Void) -> Handle,
    cancel: @escaping @Sendable (Handle) -> Void,
    isActive: (Handle) -> Bool
) throws {
    let loop = try EventLoop()
    defer { retire(loop) }
    let ticks = Shared(0)
    let holder = Shared<Handle?>(nil)
    let timer = schedule(loop, .milliseconds(1), .milliseconds(1)) {
        if ticks.update({ $0 += 1; return $0 }) == 5 {
            if let handle = holder.value { cancel(handle) }
            _ = schedule(loop, .milliseconds(20), nil) { loop.stop() }
        }
    }
    holder.update { $0 = timer }
    loop.run()
    #expect(ticks.value == 5)
    #expect(!isActive(timer))
    #expect(loop.activeWatcherCount == 0)
}

/// Five timers at 10–50 ms made by `schedule` (a timer API under test), the third cancelled at
/// once: four are active, they fire in deadline order, the cancelled one never, and none is
/// left active.
func expectTimersFireInDeadlineOrderAndCancelledNeverRun<Handle>(
    schedule: (EventLoop, Duration, @escaping @Sendable () -> Void) -> Handle,
    cancel: (Handle) -> Void
) throws {
    let loop = try EventLoop()
    defer { retire(loop) }
    let fired = Shared<[Int]>([])
    for (index, delay) in [50, 10, 40, 20, 30].enumerated() {
        let timer = schedule(loop, .milliseconds(delay)) { fired.update { $0.append(delay) } }
        if index == 2 { cancel(timer) }
    }
    #expect(loop.activeWatcherCount == 4)
    _ = schedule(loop, .milliseconds(60)) { loop.stop() }
    loop.run()
    #expect(fired.value == [10, 20, 30, 50])
    #expect(loop.activeWatcherCount == 0)
}
