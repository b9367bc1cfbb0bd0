// AsyncHTTPClient as a closed-loop load generator, the peer `httpq load` is compared with:
// C requests in flight on ONE NIO event-loop thread, each sending the next when its
// response completes, for S seconds (futures API: AHC's cheapest path).
//   AHCLoad URL CONNECTIONS SECONDS
// Prints "Requests/sec: N" and "CPU per request: X µs" like `httpq load`.
import AsyncHTTPClient
import Dispatch
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

let arguments = CommandLine.arguments
guard arguments.count == 4, let connections = Int(arguments[2]), let seconds = Double(arguments[3]) else {
    print("usage: AHCLoad URL CONNECTIONS SECONDS")
    exit(2)
}
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
var configuration = HTTPClient.Configuration()
configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
let client = HTTPClient(eventLoopGroupProvider: .shared(group), configuration: configuration)
let request = try HTTPClient.Request(url: arguments[1])
let loop = group.next()

/// Counters touched only on the one event loop.
final class Totals: @unchecked Sendable {
    var requests = 0
    var errors = 0
    var running = 0
}
let totals = Totals()
let finished = DispatchSemaphore(value: 0)
let deadline = NIODeadline.now() + .nanoseconds(Int64(seconds * 1e9))

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

@Sendable func next() {
    guard NIODeadline.now() < deadline else {
        totals.running -= 1
        if totals.running == 0 { finished.signal() }
        return
    }
    client.execute(request: request, eventLoop: .delegate(on: loop)).whenComplete { result in
        switch result {
        case .success: totals.requests += 1
        case .failure: totals.errors += 1
        }
        next()
    }
}

let cpuBefore = cpuSeconds()
let started = NIODeadline.now()
loop.execute {
    totals.running = connections
    for _ in 0..<connections { next() }
}
finished.wait()
let elapsed = Double((NIODeadline.now() - started).nanoseconds) / 1e9
let cpu = cpuSeconds() - cpuBefore
print("AsyncHTTPClient \(connections) connections, \(totals.requests) requests in \(elapsed)s, \(totals.errors) errors")
print("Requests/sec: \(Double(totals.requests) / elapsed)")
print("CPU per request: \(totals.requests > 0 ? cpu / Double(totals.requests) * 1e6 : 0) µs")
try? await client.shutdown()
try? await group.shutdownGracefully()
