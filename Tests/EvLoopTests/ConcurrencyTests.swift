import Testing
import EvLoop
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// An actor whose code runs on an event loop's thread.
actor LoopBoundCounter {
    let loop: EventLoop
    var count = 0
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    init(loop: EventLoop) { self.loop = loop }

    func increment() -> (Int, Bool) {
        count += 1
        return (count, loop.isInLoop)
    }
}

@Suite struct ConcurrencyTests {
    @Test func actorRunsOnTheLoopThread() async throws {
        let thread = try EventLoopThread()
        let counter = LoopBoundCounter(loop: thread.loop)
        for expected in 1...100 {
            let (count, onLoop) = await counter.increment()
            #expect(count == expected && onLoop)
        }
        try thread.shutdown()
    }

    @Test func taskPrefersTheLoopAsTaskExecutor() async throws {
        let thread = try EventLoopThread()
        let onLoop = await withTaskExecutorPreference(thread.loop) {
            thread.loop.isInLoop
        }
        #expect(onLoop)
        try thread.shutdown()
    }

    /// A task that prefers the loop enters a nonisolated async function where it is, without
    /// going through the loop's queue again: run as isolated to the loop, every such entry
    /// was a hop behind whatever was queued (4 per request of an async gateway), so a
    /// closure queued before the call ran first.
    @Test func aTaskPreferringTheLoopCallsNonisolatedFunctionsWithoutRequeueing() async throws {
        let thread = try EventLoopThread()
        let order = Shared<[String]>([])
        await Task(executorPreference: thread.loop) {
            await nothingToAwait() // now running as a job of the loop's queue
            thread.loop.execute { order.update { $0.append("closure queued before the call") } }
            await nothingToAwait()
            order.update { $0.append("after the call") }
            await nothingToAwait()
        }.value
        try await Task.sleep(for: .milliseconds(20)) // the closure has run by now either way
        #expect(order.value == ["after the call", "closure queued before the call"])
        try thread.shutdown()
    }

    @Test func submitReturnsAResultAndAnError() async throws {
        struct Boom: Error {}
        let thread = try EventLoopThread()
        let value = try await thread.loop.submit { thread.loop.isInLoop ? 42 : 0 }
        #expect(value == 42)
        await #expect(throws: Boom.self) { try await thread.loop.submit { throw Boom() } }
        try thread.shutdown()
    }

    @Test func hostedLoopRunsCallbacksOnTheHostThread() throws {
        // The "host" is this test's thread: it waits for notifications and invokes.
        let wake = DispatchSemaphore(value: 0)
        let hosted = try HostedEventLoop { wake.signal() }
        let (a, b) = socketPair()
        defer { close(a); close(b) }
        let host = currentThread()
        let callbackThreads = Shared<[UInt]>([])
        let watcher = hosted.withLoop { loop in
            loop.watch(fileDescriptor: b, for: .read) { _ in
                _ = readByte(b)
                callbackThreads.update { $0.append(currentThread()) }
            }
        }
        hosted.loop.execute { callbackThreads.update { $0.append(currentThread()) } }
        writeByte(a)
        while callbackThreads.value.count < 2 {
            try #require(wake.wait(timeout: .now() + 5) == .success)
            hosted.invokePending()
        }
        #expect(callbackThreads.value == [host, host])
        hosted.withLoop { _ in watcher.cancel() }
        hosted.shutdown()
    }
}

/// A nonisolated async function that never suspends.
nonisolated func nothingToAwait() async {}
