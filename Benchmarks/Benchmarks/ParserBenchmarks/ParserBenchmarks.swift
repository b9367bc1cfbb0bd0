import Benchmark
import CPeers
import Workloads

/// HTTPQ beside llhttp (C, the parser inside Node.js and SwiftNIO), parsing M1-M3 whole and
/// in 10-byte feeds. Each iteration parses 1,000 messages; throughput is messages per second.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 1_000
    )

    for (name, bytes) in Messages.all {
        for piece in [0, 10] {
            let label = piece == 0 ? "whole" : "10B"
            Benchmark("HTTPQ \(name) \(label)") { benchmark in
                parseWithHTTPQ(bytes, piece: piece, count: benchmark.scaledIterations.count)
            }
            Benchmark("llhttp \(name) \(label)") { benchmark in
                let count = benchmark.scaledIterations.count
                let parsed = bytes.withUnsafeBufferPointer { peer_llhttp_parse($0.baseAddress, $0.count, piece, count) }
                precondition(parsed == count, "llhttp parsed \(parsed) of \(count)")
            }
        }
    }
}
