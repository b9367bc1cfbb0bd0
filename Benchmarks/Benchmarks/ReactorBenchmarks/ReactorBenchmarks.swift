import Benchmark
import CPeers
import EvLoop
import NIOPosix
import Workloads

/// EvLoop beside the same work in C on libev and beside SwiftNIO's EventLoop: execute hops,
/// timers, socketpair ping-pong. Each iteration does 1,000 operations. For ratios measured
/// side by side, run `Compare` (see Docs/Performance.md).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock],
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 1_000
    )
    let evThread = try! EventLoopThread()
    let nio = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    Benchmark("execute EvLoop") { ReactorWork.evLoopExecute(evThread.loop, count: $0.scaledIterations.count) }
    Benchmark("execute EvLoop LoopTask") { ReactorWork.evLoopExecuteTasks(evThread.loop, count: $0.scaledIterations.count) }
    Benchmark("execute EvLoop pinned") { ReactorWork.evLoopExecutePinned(evThread.loop, count: $0.scaledIterations.count) }
    Benchmark("execute libev C") { precondition(peer_libev_execute($0.scaledIterations.count) == $0.scaledIterations.count) }
    Benchmark("execute NIO") { ReactorWork.nioExecute(nio.next(), count: $0.scaledIterations.count) }
    Benchmark("timers EvLoop") { ReactorWork.evLoopTimers(count: $0.scaledIterations.count) }
    Benchmark("timers libev C") { precondition(peer_libev_timers($0.scaledIterations.count) == $0.scaledIterations.count) }
    Benchmark("pooled timers EvLoop") { ReactorWork.evLoopCallbackTasks(count: $0.scaledIterations.count) }
    Benchmark("timers NIO") { ReactorWork.nioTimers(nio.next(), count: $0.scaledIterations.count) }
    Benchmark("pingpong EvLoop") { ReactorWork.evLoopPingPong(rounds: $0.scaledIterations.count) }
    Benchmark("pingpong libev C") { precondition(peer_libev_pingpong($0.scaledIterations.count) == $0.scaledIterations.count) }
}
