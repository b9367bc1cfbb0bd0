import Testing
import TestSupport
import EvLoop
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

@Suite struct ExecuteTests {
    @Test func fromSeveralThreadsExactlyOnceInPerThreadOrder() throws {
        let thread = try EventLoopThread()
        let producers = 4, perProducer = 20_000
        let seen = Shared([[Int]](repeating: [], count: producers))
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.concurrentPerform(iterations: producers) { producer in
            for sequence in 0..<perProducer {
                thread.loop.execute {
                    if seen.update({ $0[producer].append(sequence); return $0.map(\.count).reduce(0, +) }) == producers * perProducer {
                        done.signal()
                    }
                }
            }
        }
        try #require(done.wait(timeout: .now() + 10) == .success)
        try thread.shutdown()
        for list in seen.value { #expect(list == Array(0..<perProducer)) }
    }

    @Test func runsOnTheLoopThread() throws {
        let thread = try EventLoopThread()
        let loopThread = Shared<UInt>(0)
        let done = DispatchSemaphore(value: 0)
        thread.loop.execute {
            #expect(thread.loop.isInLoop)
            loopThread.update { $0 = currentThread() }
            done.signal()
        }
        try #require(done.wait(timeout: .now() + 10) == .success)
        #expect(loopThread.value != currentThread())
        #expect(!thread.loop.isInLoop)
        try thread.shutdown()
    }

    @Test func shutdownRunsWhatWasAlreadySubmitted() throws {
        let thread = try EventLoopThread()
        let count = Shared(0)
        for _ in 0..<1000 { thread.loop.execute { count.update { $0 += 1 } } }
        try thread.shutdown()
        #expect(count.value == 1000)
    }

    @Test func stopFromAnotherThread() throws {
        let loop = try EventLoop()
        defer { retire(loop) }
        let stopper = Thread { usleep(20_000); loop.stop() }
        stopper.start()
        loop.run() // returns only because of the other thread's stop()
        #expect(!loop.isInLoop)
    }

    @Test func shutdownFromTheLoopThreadIsRefused() throws {
        let thread = try EventLoopThread()
        let result = Shared<EvLoopError?>(nil)
        let done = DispatchSemaphore(value: 0)
        thread.loop.execute {
            do { try thread.shutdown() } catch let error as EvLoopError { result.update { $0 = error } } catch {}
            done.signal()
        }
        try #require(done.wait(timeout: .now() + 10) == .success)
        #expect(result.value == .shutdownFromLoopThread)
        try thread.shutdown()
    }

    @Test func groupOfTwoLoopsOnTwoThreads() throws {
        let group = try EventLoopGroup(count: 2)
        let first = group.next(), second = group.next()
        #expect(first !== second)
        #expect(group.next() === first)
        let threads = Shared<Set<UInt>>([])
        let done = DispatchSemaphore(value: 0)
        for loop in group.loops {
            loop.execute { threads.update { _ = $0.insert(currentThread()) }; done.signal() }
        }
        try #require(done.wait(timeout: .now() + 10) == .success)
        try #require(done.wait(timeout: .now() + 10) == .success)
        #expect(threads.value.count == 2)
        try group.shutdown()
    }
}

/// Foundation-free thread for the tests.
final class Thread: @unchecked Sendable {
    let body: @Sendable () -> Void
    var handle = pthread_t()
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    func start() {
        let box = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&handle, nil, { raw in
            let thread = Unmanaged<Thread>.fromOpaque(raw!).takeRetainedValue()
            thread.body()
            return nil
        }, box)
        pthread_detach(handle)
    }
}
