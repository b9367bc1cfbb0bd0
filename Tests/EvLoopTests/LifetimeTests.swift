import Testing
import TestSupport
import Dispatch
import EvLoop
#if canImport(Glibc)
import Glibc
#endif

/// Leaks, signals and the process-wide things, each in a child process of its own (an exit
/// test) so that descriptor counts and signals are not disturbed by tests running alongside.
@Suite struct LifetimeTests {
    @Test func noDescriptorOrWatcherLeaks() async {
        await #expect(processExitsWith: .success) {
            var baseline = 0
            // One round first, so that anything created once per process exists before the baseline.
            for round in 0..<51 {
                if round == 1 { baseline = settledDescriptorCount() }
                let loop = try EventLoop()
                let (a, b) = socketPair()
                let watcher = loop.watch(fileDescriptor: b, for: .read) { _ in _ = readByte(b); loop.stop() }
                let never = loop.schedule(after: .seconds(60)) {}
                loop.schedule(after: .milliseconds(1)) { writeByte(a) }
                loop.run()
                watcher.cancel()
                never.cancel()
                precondition(loop.activeWatcherCount == 0)
                close(a); close(b)
            }
            for _ in 0..<5 {
                let thread = try EventLoopThread()
                thread.loop.execute {}
                try thread.shutdown()
            }
            do {
                let group = try EventLoopGroup(count: 2)
                try group.shutdown()
            }
            let after = settledDescriptorCount()
            precondition(after == baseline, "descriptors before \(baseline), after \(after)")
        }
    }

    @Test func loopIsFreedWhenNothingHoldsIt() async {
        await #expect(processExitsWith: .success) {
            weak var weakLoop: EventLoop?
            let baseline = settledDescriptorCount()
            do {
                let loop = try EventLoop()
                weakLoop = loop
                loop.schedule(after: .milliseconds(1)) { loop.stop() }
                loop.run()
                precondition(openDescriptorCount() > baseline, "the loop holds epoll/eventfd descriptors")
            }
            precondition(weakLoop == nil, "loop leaked")
            precondition(settledDescriptorCount() == baseline, "loop descriptors leaked")
        }
    }

    @Test func signalIsDeliveredOnTheLoop() async {
        await #expect(processExitsWith: .success) {
            let loop = try EventLoop()
            let received = Shared<Int32>(0)
            let watcher = loop.onSignal(SIGUSR1) { signal in
                precondition(loop.isInLoop)
                received.update { $0 = signal }
                loop.stop()
            }
            loop.schedule(after: .milliseconds(5)) { kill(getpid(), SIGUSR1) }
            loop.run()
            watcher.cancel()
            precondition(received.value == SIGUSR1)
        }
    }

    @Test func signalFromAnotherThreadReachesALoopThread() async {
        await #expect(processExitsWith: .success) {
            let thread = try EventLoopThread()
            let received = Shared<UInt>(0)
            let watcher = thread.loop.onSignal(SIGTERM) { _ in received.update { $0 = currentThread() } }
            // The watcher starts on the loop's next turn: wait for a closure queued after it.
            let started = DispatchSemaphore(value: 0)
            thread.loop.execute { started.signal() }
            precondition(started.wait(timeout: .now() + 10) == .success, "the loop never turned")
            kill(getpid(), SIGTERM)
            for _ in 0..<200 where received.value == 0 { usleep(5_000) }
            watcher.cancel()
            try thread.shutdown()
            precondition(received.value != 0 && received.value != currentThread())
        }
    }
}
