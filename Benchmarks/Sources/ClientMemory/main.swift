import CPeers
import EvLoop
import HTTPQ
import HTTPQClient
#if canImport(Glibc)
import Glibc
#endif

// Client memory, against a running server (scripts/client-memory.sh starts nginx):
//   ClientMemory PORT CONNECTIONS
// 1. bytes of heap per idle pooled connection (malloc's in-use bytes, before and after);
// 2. resident memory while streaming /big (1 GiB) with the body not kept: sampled every
//    64 MiB, reported as growth after the first 64 MiB.

func heapInUse() -> Int { Int(peer_heap_in_use()) }

func residentKiB() -> Int {
    guard let file = fopen("/proc/self/status", "r") else { return -1 }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, 256, file) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.hasPrefix("VmRSS:") { return Int(text.split(separator: " ")[1]) ?? -1 }
    }
    return -1
}

let port = Int(CommandLine.arguments[1])!
let count = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2])! : 1000
let thread = try EventLoopThread()
let client = Client(loops: [thread.loop], configuration: .init(
    maxConnections: count * 2, maxConnectionsPerHost: count,
    connection: ConnectionOptions(keepsBody: false)))

// Warm up: the resolver thread, the loop's read buffer, the pool's tables.
_ = try await client.get("http://127.0.0.1:\(port)/small")
let before = heapInUse()
try await withThrowingTaskGroup(of: Void.self) { group in
    for _ in 0..<count {
        group.addTask { _ = try await client.get("http://127.0.0.1:\(port)/small") }
    }
    try await group.waitForAll()
}
let open = try await thread.loop.submit { client.loops.count }
_ = open
let after = heapInUse()
print("idle pooled connections: \(count) (plus 1 warm-up)")
print("heap per idle pooled connection: \((after - before) / count) bytes (malloc in-use bytes, kernel socket buffers not included)")

// Streaming 1 GiB without keeping it.
let streamed = try await client.stream(Request(method: "GET", target: "/"), to: "http://127.0.0.1:\(port)/big")
precondition(streamed.head.status == 200, "GET /big answered \(streamed.head.status)")
var total = 0
var nextSample = 64 << 20
var baseline = 0
var peakGrowth = 0
for try await chunk in streamed.body {
    total += chunk.count
    if total >= nextSample {
        let rss = residentKiB()
        if baseline == 0 { baseline = rss } else { peakGrowth = max(peakGrowth, rss - baseline) }
        nextSample += 64 << 20
    }
}
print("streamed: \(total) bytes; resident at 64 MiB: \(baseline) KiB; largest growth after that: \(peakGrowth) KiB")
client.shutdown()
try thread.shutdown()
