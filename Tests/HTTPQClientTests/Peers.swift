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
