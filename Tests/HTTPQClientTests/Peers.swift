import Foundation
import Locks
import HTTPQ
import TestSupport
import EvLoop
import HTTPQClient

/// Runs `body` with a client on a loop thread of its own, then shuts both down.
func withClient<T>(_ configuration: Client.Configuration = .init(),
                   _ body: (Client, EventLoopThread) async throws -> T) async throws -> T {
    let thread = try EventLoopThread()
    let client = Client(loops: [thread.loop], configuration: configuration)
    defer {
        client.shutdown()
        try? thread.shutdown()
    }
    return try await body(client, thread)
}

/// Fetches `url` with a client of its own and waits on this thread (call it in `offPool`):
/// the result and the time it took, measured without the cooperative pool, whose threads
/// other tests may hold, so a timing says what the client did.
func timedFetch(_ url: String, _ configuration: Client.Configuration) throws -> (Result<Response, ClientError>, Duration) {
    let thread = try EventLoopThread()
    let client = Client(loops: [thread.loop], configuration: configuration)
    defer {
        client.shutdown()
        try? thread.shutdown()
    }
    let done = DispatchSemaphore(value: 0)
    let outcome = Locked<Result<Response, ClientError>?>(nil)
    let started = ContinuousClock.now
    client.execute(Request(method: "GET", target: "/"), to: url, delegate: CompletionDelegate { result in
        outcome.withLock { $0 = result }
        done.signal()
    })
    done.wait()
    return (outcome.withLock { $0! }, ContinuousClock.now - started)
}
