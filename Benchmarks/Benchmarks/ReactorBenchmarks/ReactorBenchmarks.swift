import Benchmark
import CPeers
import Dispatch
import EvLoop
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// EvLoop beside the same work in C on libev and beside SwiftNIO's EventLoop: execute hops,
/// timers, socketpair ping-pong. Each iteration does 1,000 operations.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock],
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 1_000
    )

    // --- execute: closures from another thread ---
    let evThread = try! EventLoopThread()
    Benchmark("execute EvLoop") { benchmark in
        let count = benchmark.scaledIterations.count
        let counter = Counter()
        let done = DispatchSemaphore(value: 0)
        for _ in 0..<count {
            evThread.loop.execute { if counter.increment() == count { done.signal() } }
        }
        done.wait()
    }
    Benchmark("execute libev C") { benchmark in
        let count = benchmark.scaledIterations.count
        precondition(peer_libev_execute(count) == count)
    }
    let nio = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    Benchmark("execute NIO") { benchmark in
        let count = benchmark.scaledIterations.count
        let loop = nio.next()
        let counter = Counter()
        let done = DispatchSemaphore(value: 0)
        for _ in 0..<count {
            loop.execute { if counter.increment() == count { done.signal() } }
        }
        done.wait()
    }

    // --- timers: scheduled and fired on the loop ---
    Benchmark("timers EvLoop") { benchmark in
        let count = benchmark.scaledIterations.count
        let loop = try EventLoop()
        let counter = Counter()
        for _ in 0..<count {
            loop.schedule(after: .zero) { if counter.increment() == count { loop.stop() } }
        }
        loop.run()
    }
    Benchmark("timers libev C") { benchmark in
        let count = benchmark.scaledIterations.count
        precondition(peer_libev_timers(count) == count)
    }
    Benchmark("timers NIO") { benchmark in
        let count = benchmark.scaledIterations.count
        let loop = nio.next()
        let done = DispatchSemaphore(value: 0)
        loop.execute {
            let counter = Counter()
            for _ in 0..<count {
                loop.scheduleTask(in: .zero) { if counter.increment() == count { done.signal() } }
            }
        }
        done.wait()
    }

    // --- ping-pong over a socketpair on one loop ---
    Benchmark("pingpong EvLoop") { benchmark in
        let rounds = benchmark.scaledIterations.count
        var fds: [Int32] = [0, 0]
        precondition(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds) == 0)
        let (a, b) = (fds[0], fds[1])
        let loop = try EventLoop()
        let counter = Counter()
        var byte: UInt8 = 0x78
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
        _ = write(a, &byte, 1)
        loop.run()
        sideA.cancel(); sideB.cancel()
        close(a); close(b)
    }
    Benchmark("pingpong libev C") { benchmark in
        let rounds = benchmark.scaledIterations.count
        precondition(peer_libev_pingpong(rounds) == rounds)
    }
}

/// A counter touched from one thread at a time (the loop's).
final class Counter: @unchecked Sendable {
    private var value = 0
    func increment() -> Int { value += 1; return value }
}
