import Sockets
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The write queue over a socket whose buffer fills: what the socket does not take is kept,
/// in order, and a later flush writes the rest — whatever the split between a head and a
/// body written from two buffers.
@Suite struct WriteQueueTests {
    /// A non-blocking socket pair with small buffers (so one write cannot take a large body).
    private static func smallPair() throws -> (writer: Int32, reader: Int32) {
        var fds: [Int32] = [0, 0]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        var size: Int32 = 4096
        setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        return (fds[0], fds[1])
    }

    /// Reads what is there without blocking (the reader is non-blocking for this).
    private static func drain(_ fd: Int32, into received: inout [UInt8]) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fd, &buffer, buffer.count)
            guard count > 0 else { return }
            received += buffer[0..<count]
        }
    }

    /// Head and body given apart arrive as one run of bytes, in order, across partial writes
    /// (the head taken in part, the body in part, neither), and after bytes already queued.
    @Test(arguments: [(100, 300_000), (9_000, 50_000), (10, 1), (0, 70_000), (5_000, 0)])
    func aHeadAndABodyArriveWholeWhateverTheSocketTakes(headCount: Int, bodyCount: Int) throws {
        let (writer, reader) = try Self.smallPair()
        defer { close(writer); close(reader) }
        let head = (0..<headCount).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let body = (0..<bodyCount).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 1) }
        let first: [UInt8] = Array("queued before\n".utf8)
        var queue = WriteQueue()
        var received: [UInt8] = []
        let tail: [UInt8] = [13, 10]
        let none: [UInt8] = []
        queue.sendOrQueue(first, to: writer)
        for third in [none, none, tail] { // a head and a body, twice (behind a queue the second time, if
            // the first filled it); then three parts, as a chunk's size line, data and CRLF
            head.withUnsafeBytes { head in
                body.withUnsafeBytes { body in third.withUnsafeBytes { queue.sendOrQueue(head, body, $0, to: writer) } }
            }
        }
        var rounds = 0
        while !queue.isEmpty {
            Self.drain(reader, into: &received)
            #expect(queue.flush(to: writer) == nil)
            rounds += 1
            try #require(rounds < 10_000, "the queue never emptied")
        }
        Self.drain(reader, into: &received)
        let expected = first + head + body + head + body + head + body + tail
        let firstDifference = (0..<min(received.count, expected.count)).first { received[$0] != expected[$0] } ?? min(received.count, expected.count)
        #expect(received.count == expected.count && firstDifference == expected.count,
                "\(received.count) bytes of \(expected.count), the first wrong at \(firstDifference)")
    }
}
