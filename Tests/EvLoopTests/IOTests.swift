import Testing
import TestSupport
import EvLoop
#if canImport(Glibc)
import Glibc
#endif

@Suite struct IOTests {
    @Test func readinessOnASocketPair() throws {
        let loop = try EventLoop()
        defer { retire(loop) }
        let (a, b) = socketPair()
        defer { close(a); close(b) }
        let received = Shared<[UInt8]>([])
        let watcher = loop.watch(fileDescriptor: b, for: .read) { events in
            #expect(events.contains(.read))
            while let byte = readByte(b) { received.update { $0.append(byte) } }
            if received.value.count == 3 { loop.stop() }
        }
        loop.schedule(after: .milliseconds(5)) { writeByte(a, 1); writeByte(a, 2) }
        loop.schedule(after: .milliseconds(10)) { writeByte(a, 3) }
        loop.run()
        watcher.cancel()
        #expect(received.value == [1, 2, 3])
        #expect(loop.activeWatcherCount == 0)
    }

    @Test func writeReadinessAndInterestChanges() throws {
        let loop = try EventLoop()
        defer { retire(loop) }
        let (a, b) = socketPair()
        defer { close(a); close(b) }
        let log = Shared<[String]>([])
        let holder = Shared<IOWatcher?>(nil)
        let watcher = loop.watch(fileDescriptor: a, for: .write) { events in
            log.update { $0.append("write") }
            // Writable at once; switch to reading, and let the peer answer.
            holder.value?.interest = .read
            writeByte(b, 7)
            if events.contains(.read) {
                log.update { $0.append("read \(readByte(a) ?? 0)") }
                loop.stop()
            }
        }
        holder.update { $0 = watcher }
        #expect(watcher.interest == .write)
        loop.run()
        watcher.cancel()
        #expect(log.value == ["write", "write", "read 7"])
    }

    @Test func readinessOnAPipeIncludingEndOfFile() throws {
        let loop = try EventLoop()
        defer { retire(loop) }
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
        let (reader, writer) = (fds[0], fds[1])
        defer { close(reader) }
        let sawEnd = Shared(false)
        let watcher = loop.watch(fileDescriptor: reader, for: .read) { _ in
            var buffer = [UInt8](repeating: 0, count: 16)
            if read(reader, &buffer, 16) == 0 { sawEnd.update { $0 = true }; loop.stop() }
        }
        loop.schedule(after: .milliseconds(5)) { writeByte(writer) }
        loop.schedule(after: .milliseconds(10)) { close(writer) }
        loop.run()
        watcher.cancel()
        #expect(sawEnd.value)
    }

    @Test func watcherCancelledInsideItsCallbackNeverFiresAgain() throws {
        let loop = try EventLoop()
        defer { retire(loop) }
        let (a, b) = socketPair()
        defer { close(a); close(b) }
        writeByte(a)
        let calls = Shared(0)
        let holder = Shared<IOWatcher?>(nil)
        // Level-triggered and never drained: it would fire on every iteration.
        let watcher = loop.watch(fileDescriptor: b, for: .read) { _ in
            calls.update { $0 += 1 }
            holder.value?.cancel()
        }
        holder.update { $0 = watcher }
        loop.schedule(after: .milliseconds(20)) { loop.stop() }
        loop.run()
        #expect(calls.value == 1)
        #expect(!watcher.isActive)
    }

    @Test func oneNonBlockingIteration() throws {
        let loop = try EventLoop()
        defer { retire(loop) }
        let (a, b) = socketPair()
        defer { close(a); close(b) }
        let calls = Shared(0)
        let watcher = loop.watch(fileDescriptor: b, for: .read) { _ in
            _ = readByte(b)
            calls.update { $0 += 1 }
        }
        loop.runOnce(blocking: false) // nothing ready: returns at once
        #expect(calls.value == 0)
        writeByte(a)
        loop.runOnce(blocking: false)
        #expect(calls.value == 1)
        loop.execute { calls.update { $0 += 10 } }
        loop.runOnce(blocking: true)
        #expect(calls.value == 11)
        watcher.cancel()
    }

    @Test func discardedWatcherStillFiresBecauseTheLoopHoldsIt() throws {
        let loop = try EventLoop()
        defer { retire(loop) }
        let (a, b) = socketPair()
        defer { close(a); close(b) }
        weak var weakWatcher: IOWatcher?
        do {
            let watcher = loop.watch(fileDescriptor: b, for: .read) { _ in
                _ = readByte(b)
                loop.stop()
            }
            weakWatcher = watcher
        }
        #expect(weakWatcher != nil)
        writeByte(a)
        loop.run()
        weakWatcher?.cancel()
        #expect(weakWatcher == nil, "released once cancelled")
    }
}
