import Workloads
import CPeers
import Dispatch
import EvLoop
import Foundation
import HTTPQ
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

// Side-by-side figures in one run: each contender does the same work, timed the same way
// (monotonic clock, median of `runs` runs, alternating contenders), printed as a table with
// ratios. `swift run -c release Compare [runs]` from Benchmarks/ (see Docs/Performance.md).

let runs = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1])! : 5

func seconds(_ body: () -> Void) -> Double {
    var start = timespec(), end = timespec()
    clock_gettime(CLOCK_MONOTONIC, &start)
    body()
    clock_gettime(CLOCK_MONOTONIC, &end)
    return Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) * 1e-9
}

/// Runs every contender `runs` times, alternating, and returns each one's median seconds.
func medians(_ contenders: [(String, () -> Void)]) -> [(String, Double)] {
    var samples = Array(repeating: [Double](), count: contenders.count)
    for (_, body) in contenders { body() } // warm-up
    for _ in 0..<runs {
        for (index, (_, body)) in contenders.enumerated() { samples[index].append(seconds(body)) }
    }
    return contenders.enumerated().map { index, contender in
        let sorted = samples[index].sorted()
        return (contender.0, sorted[sorted.count / 2])
    }
}

func format(_ value: Double, digits: Int = 0) -> String { String(format: "%.\(digits)f", value) }

func row(_ cells: [String]) { print("| " + cells.joined(separator: " | ") + " |") }

// MARK: Parser

print("## Parser: messages per second (median of \(runs))\n")
row(["message", "feed", "HTTPQ msg/s", "HTTPQ MB/s", "llhttp msg/s", "llhttp MB/s", "HTTPQ / llhttp"])
row(["---", "---", "---:", "---:", "---:", "---:", "---:"])
for (name, bytes) in Messages.all {
    for piece in [0, 10] {
        let count = piece == 0 ? 200_000 : 20_000
        let results = medians([
            ("HTTPQ", { parseWithHTTPQ(bytes, piece: piece, count: count) }),
            ("llhttp", {
                let parsed = bytes.withUnsafeBufferPointer { peer_llhttp_parse($0.baseAddress, $0.count, piece, count) }
                precondition(parsed == count)
            }),
        ])
        let rates: [Double] = results.map { Double(count) / $0.1 }
        let size = Double(bytes.count)
        let label: String = name + " (\(bytes.count) B)"
        var cells: [String] = [label, piece == 0 ? "whole" : "10 B"]
        cells.append(format(rates[0]))
        cells.append(format(rates[0] * size / 1e6))
        cells.append(format(rates[1]))
        cells.append(format(rates[1] * size / 1e6))
        cells.append(format(rates[0] / rates[1], digits: 2))
        row(cells)
    }
}

// MARK: Reactor

let operations = 100_000
let evThread = try EventLoopThread()
let nio = MultiThreadedEventLoopGroup(numberOfThreads: 1)

print("\n## Reactor: operations per second (median of \(runs); \(operations) per run)\n")
row(["work", "EvLoop ops/s", "libev C ops/s", "NIO ops/s", "EvLoop cost / C cost", "EvLoop / NIO rate"])
row(["---", "---:", "---:", "---:", "---:", "---:"])
let pingRounds = 20_000
let executeResults = medians([
    ("EvLoop", { ReactorWork.evLoopExecute(evThread.loop, count: operations) }),
    ("C", { precondition(peer_libev_execute(operations) == operations) }),
    ("NIO", { ReactorWork.nioExecute(nio.next(), count: operations) }),
])
let executeTaskResults = medians([
    ("EvLoop", { ReactorWork.evLoopExecuteTasks(evThread.loop, count: operations) }),
    ("C", { precondition(peer_libev_execute(operations) == operations) }),
    ("NIO", { ReactorWork.nioExecute(nio.next(), count: operations) }),
])
let executePinnedResults = medians([
    ("EvLoop", { ReactorWork.evLoopExecutePinned(evThread.loop, count: operations) }),
    ("C", { precondition(peer_libev_execute(operations) == operations) }),
    ("NIO", { ReactorWork.nioExecute(nio.next(), count: operations) }),
])
let timerResults = medians([
    ("EvLoop", { ReactorWork.evLoopTimers(count: operations) }),
    ("C", { precondition(peer_libev_timers(operations) == operations) }),
    ("NIO", { ReactorWork.nioTimers(nio.next(), count: operations) }),
])
let timerTaskResults = medians([
    ("EvLoop", { ReactorWork.evLoopTimerTasks(count: operations) }),
    ("C", { precondition(peer_libev_timers(operations) == operations) }),
    ("NIO", { ReactorWork.nioTimers(nio.next(), count: operations) }),
])
let callbackResults = medians([
    ("EvLoop", { ReactorWork.evLoopCallbacks(count: operations) }),
    ("C", { precondition(peer_libev_timers(operations) == operations) }),
    ("NIO", { ReactorWork.nioTimers(nio.next(), count: operations) }),
])
let callbackTaskResults = medians([
    ("EvLoop", { ReactorWork.evLoopCallbackTasks(count: operations) }),
    ("C", { precondition(peer_libev_timers(operations) == operations) }),
    ("NIO", { ReactorWork.nioTimers(nio.next(), count: operations) }),
])
let pingResults = medians([
    ("EvLoop", { ReactorWork.evLoopPingPong(rounds: pingRounds) }),
    ("C", { precondition(peer_libev_pingpong(pingRounds) == pingRounds) }),
])
let reactorRows: [(String, [(String, Double)], Int)] = [
    ("execute, closure (hop from another thread)", executeResults, operations),
    ("execute, LoopTask (hop from another thread)", executeTaskResults, operations),
    ("execute, pinned LoopTask (hop from another thread)", executePinnedResults, operations),
    ("timers, closure (schedule + fire, zero delay)", timerResults, operations),
    ("timers, LoopTask (schedule + fire, zero delay)", timerTaskResults, operations),
    ("pooled timers (scheduleCallback), closure", callbackResults, operations),
    ("pooled timers (scheduleCallback), LoopTask", callbackTaskResults, operations),
    ("socketpair ping-pong (round trips)", pingResults, pingRounds),
]
for (name, results, count) in reactorRows {
    let rates: [Double] = results.map { Double(count) / $0.1 }
    var cells: [String] = [name, format(rates[0]), format(rates[1])]
    cells.append(rates.count > 2 ? format(rates[2]) : "n/a")
    cells.append(format(rates[1] / rates[0], digits: 2))
    cells.append(rates.count > 2 ? format(rates[0] / rates[2], digits: 2) : "n/a")
    row(cells)
}
try evThread.shutdown()
try nio.syncShutdownGracefully()
