import Benchmark
import BenchmarkMessages
import CPeers
import HTTPQ
import NIOCore
import NIOEmbedded
import NIOHTTP1

/// HTTPQ beside llhttp (C) and NIOHTTP1's decoder, parsing M1-M3 whole and in 10-byte
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

            Benchmark("NIOHTTP1 \(name) \(label)") { benchmark in
                // NIO's decoder pairs each response with a request it saw written, so each
                // message costs NIO one encoded request head too (noted in Docs/Performance.md).
                let channel = EmbeddedChannel()
                try channel.pipeline.syncOperations.addHTTPClientHandlers()
                var buffer = channel.allocator.buffer(capacity: bytes.count)
                let step = piece == 0 ? bytes.count : piece
                let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/get")
                for _ in benchmark.scaledIterations {
                    try channel.writeOutbound(HTTPClientRequestPart.head(head))
                    try channel.writeOutbound(HTTPClientRequestPart.end(nil))
                    while let sent = try channel.readOutbound(as: ByteBuffer.self) { blackHole(sent) }
                    var offset = 0
                    while offset < bytes.count {
                        let end = min(offset + step, bytes.count)
                        buffer.clear()
                        buffer.writeBytes(bytes[offset..<end])
                        try channel.writeInbound(buffer)
                        offset = end
                    }
                    while let part = try channel.readInbound(as: HTTPClientResponsePart.self) { blackHole(part) }
                }
                _ = try channel.finish()
            }
        }
    }
}
