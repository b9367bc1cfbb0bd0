import BenchmarkMessages
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
            ("HTTPQ", {
                bytes.withUnsafeBytes { buffer in
                    for _ in 0..<count {
                        var response = Response()
                        response.keepsBody = false
                        let step = piece == 0 ? buffer.count : piece
                        var offset = 0
                        while offset < buffer.count {
                            let end = min(offset + step, buffer.count)
                            _ = try? response.feed(UnsafeRawBufferPointer(rebasing: buffer[offset..<end]))
                            offset = end
                        }
                        precondition(response.isComplete)
                    }
                }
            }),
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

final class Counter: @unchecked Sendable {
    var value = 0
    func increment() -> Int { value += 1; return value }
}

let operations = 100_000
let evThread = try EventLoopThread()
let nio = MultiThreadedEventLoopGroup(numberOfThreads: 1)

func evLoopExecute() {
    let counter = Counter(), done = DispatchSemaphore(value: 0)
    for _ in 0..<operations { evThread.loop.execute { if counter.increment() == operations { done.signal() } } }
    done.wait()
}
func nioExecute() {
    let loop = nio.next(), counter = Counter(), done = DispatchSemaphore(value: 0)
    for _ in 0..<operations { loop.execute { if counter.increment() == operations { done.signal() } } }
    done.wait()
}
func evLoopTimers() {
    let loop = try! EventLoop(), counter = Counter()
    for _ in 0..<operations { loop.schedule(after: .zero) { if counter.increment() == operations { loop.stop() } } }
    loop.run()
}
func nioTimers() {
    let loop = nio.next(), done = DispatchSemaphore(value: 0)
    loop.execute {
        let counter = Counter()
        for _ in 0..<operations { loop.scheduleTask(in: .zero) { if counter.increment() == operations { done.signal() } } }
    }
    done.wait()
}
func evLoopPingPong(_ rounds: Int) {
    var fds: [Int32] = [0, 0]
    precondition(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds) == 0)
    let (a, b) = (fds[0], fds[1])
    let loop = try! EventLoop(), counter = Counter()
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

print("\n## Reactor: operations per second (median of \(runs); \(operations) per run)\n")
row(["work", "EvLoop ops/s", "libev C ops/s", "NIO ops/s", "EvLoop cost / C cost", "EvLoop / NIO rate"])
row(["---", "---:", "---:", "---:", "---:", "---:"])
let pingRounds = 20_000
let executeResults = medians([
    ("EvLoop", evLoopExecute),
    ("C", { precondition(peer_libev_execute(operations) == operations) }),
    ("NIO", nioExecute),
])
let timerResults = medians([
    ("EvLoop", evLoopTimers),
    ("C", { precondition(peer_libev_timers(operations) == operations) }),
    ("NIO", nioTimers),
])
let pingResults = medians([
    ("EvLoop", { evLoopPingPong(pingRounds) }),
    ("C", { precondition(peer_libev_pingpong(pingRounds) == pingRounds) }),
])
let reactorRows: [(String, [(String, Double)], Int)] = [
    ("execute (hop from another thread)", executeResults, operations),
    ("timers (schedule + fire, zero delay)", timerResults, operations),
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
