import Benchmark
import BenchmarkMessages
import CPeers
import HTTPQ

/// HTTPQ beside llhttp (C, the parser inside Node.js and SwiftNIO), parsing M1-M3 whole and in 10-byte
/// feeds. Each iteration parses 1,000 messages; throughput is messages per second.
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
                bytes.withUnsafeBytes { buffer in
                    for _ in benchmark.scaledIterations {
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
                        blackHole(response)
                    }
                }
            }

            Benchmark("llhttp \(name) \(label)") { benchmark in
                let count = benchmark.scaledIterations.count
                let parsed = bytes.withUnsafeBufferPointer {
                    peer_llhttp_parse($0.baseAddress, $0.count, piece, count)
                }
                precondition(parsed == count, "llhttp parsed \(parsed) of \(count)")
            }
        }
    }
}
