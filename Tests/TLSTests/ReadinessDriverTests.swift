import Sockets
import Testing
import TestSupport
@testable import TLS
#if canImport(Glibc)
import Glibc
#endif

/// `ReadinessDriver`: the crossing rules as values, and the reading loop over real sockets
/// (a plain socket pair, and TLS over one).
@Suite struct ReadinessDriverTests {
    @Test func aReadThatNeedsWritabilityWaitsForItAndGoesFirst() {
        var driver = ReadinessDriver()
        #expect(driver.interest(wantsInput: true, wantsOutput: false) == (true, false))
        driver.noteRead(.needsWritable)
        #expect(driver.interest(wantsInput: true, wantsOutput: false) == (true, true), "writability, though nothing is queued")
        #expect(driver.ready(readable: false, writable: true) == .init(readFirst: true, flush: true, read: false))
        #expect(!driver.readNeedsWritable, "once")
        #expect(driver.ready(readable: false, writable: true) == .init(readFirst: false, flush: true, read: false))
    }

    @Test func aWriteThatNeedsReadabilityWaitsForItAndGoesWithTheRead() {
        var driver = ReadinessDriver()
        driver.noteFlush(.needsReadable)
        #expect(driver.interest(wantsInput: false, wantsOutput: true) == (true, true), "readability, though input is paused")
        #expect(driver.ready(readable: true, writable: false) == .init(readFirst: false, flush: true, read: true))
        driver.noteFlush(.done)
        #expect(!driver.writeNeedsReadable, "each flush starts afresh")
        #expect(driver.ready(readable: true, writable: false) == .init(readFirst: false, flush: false, read: true))
        #expect(driver.interest(wantsInput: false, wantsOutput: false) == (false, false))
    }

    @Test func otherStopsLeaveTheCrossingsAlone() {
        var driver = ReadinessDriver()
        for stop: ReadinessDriver.ReadStop in [.drained, .stopped, .readLater, .yielded, .end, .endWithoutNotify, .failed(.system(ECONNRESET))] {
            driver.noteRead(stop)
        }
        driver.noteFlush(.wouldBlock)
        #expect(driver == ReadinessDriver())
    }

    /// A connected, non-blocking socket pair.
    static func pair() -> (Int32, Int32) {
        var fds: [Int32] = [0, 0]
        precondition(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0)
        return (fds[0], fds[1])
    }

    static func send(_ fd: Int32, _ count: Int) {
        let bytes = [UInt8](repeating: 7, count: count)
        #expect(bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == count)
    }

    @Test func plainReadsUntilAShortReadOrTheRoundLimit() {
        let (a, b) = Self.pair()
        defer { close(a); close(b) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16, alignment: 1)
        defer { buffer.deallocate() }
        var reads: [Int] = []
        let channel = Channel(fd: a, tls: nil)
        #expect(ReadinessDriver.readAvailable(from: channel, into: buffer, rounds: 4, keepReading: { true }, deliver: { _ in }) == .drained,
                "nothing there: would block")
        Self.send(b, 10)
        #expect(ReadinessDriver.readAvailable(from: channel, into: buffer, rounds: 4, keepReading: { true }, deliver: { reads.append($0.count) }) == .drained)
        #expect(reads == [10], "a short read ends it")
        reads = []
        Self.send(b, 100)
        #expect(ReadinessDriver.readAvailable(from: channel, into: buffer, rounds: 4, keepReading: { true }, deliver: { reads.append($0.count) }) == .yielded)
        #expect(reads == [16, 16, 16, 16], "at most the round limit (fairness); the socket stays readable")
        reads = []
        #expect(ReadinessDriver.readAvailable(from: channel, into: buffer, rounds: 4, keepReading: { reads.isEmpty }, deliver: { reads.append($0.count) }) == .stopped)
        #expect(reads == [16], "the caller stops it between reads")
        reads = []
        shutdown(b, Int32(SHUT_WR))
        #expect(ReadinessDriver.readAvailable(from: channel, into: buffer, rounds: 8, keepReading: { true }, deliver: { reads.append($0.count) }) == .drained)
        #expect(reads == [16, 4], "the rest; the short read ends it before the end is seen")
        #expect(ReadinessDriver.readAvailable(from: channel, into: buffer, rounds: 8, keepReading: { true }, deliver: { _ in }) == .end,
                "the end on the next readiness")
    }

    @Test func aResetIsAFailureWithItsErrno() throws {
        // A reset needs TCP: a loopback pair.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            _ = bind(listener, $0, length); _ = listen(listener, 1); _ = getsockname(listener, $0, &length)
        } }
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = connect(client, $0, length) } }
        let server = accept(listener, nil, nil)
        defer { close(server) }
        _ = fcntl(server, F_SETFL, fcntl(server, F_GETFL) | O_NONBLOCK)
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(client, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close(client)
        usleep(50_000)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16, alignment: 1)
        defer { buffer.deallocate() }
        #expect(ReadinessDriver.readAvailable(from: Channel(fd: server, tls: nil), into: buffer, rounds: 4, keepReading: { true }, deliver: { _ in })
                == .failed(.system(ECONNRESET)))
    }

    @Test func tlsReadsOnWhileTheSessionHoldsBytesAndAsksForALaterTurnAtTheLimit() throws {
        let pki = TestCertificates.shared
        let (a, b) = Self.pair()
        defer { close(a); close(b) }
        let client = try TLSStream(client: TLSClientContext(trust: .certificateFile(pki.caCertificate)), fileDescriptor: a, host: "localhost", port: 443)
        let server = try TLSStream(server: TLSServerContext(certificateChainFile: pki.serverCertificate, privateKeyFile: pki.serverKey), fileDescriptor: b)
        var clientDone = false, serverDone = false
        for _ in 0..<100 where !(clientDone && serverDone) {
            if !clientDone, case .done = client.handshake() { clientDone = true }
            if !serverDone, case .done = server.handshake() { serverDone = true }
        }
        #expect(clientDone && serverDone, "the handshake over the socket pair")
        // One 16 KiB record, read through a 1 KiB buffer: after the first read the rest sits
        // inside TLS, which the socket will not signal.
        let record = [UInt8](repeating: 9, count: 16_384)
        _ = record.withUnsafeBytes { server.write($0) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024, alignment: 1)
        defer { buffer.deallocate() }
        var total = 0
        let channel = Channel(fd: a, tls: client)
        #expect(ReadinessDriver.readAvailable(from: channel, into: buffer, rounds: 4, keepReading: { true }, deliver: { total += $0.count }) == .readLater)
        #expect(total == 4096)
        #expect(ReadinessDriver.readAvailable(from: channel, into: buffer, rounds: 64, keepReading: { true }, deliver: { total += $0.count }) == .drained)
        #expect(total == 16_384, "read on while TLS held bytes, then stopped: the socket signals what comes next")
    }
}
