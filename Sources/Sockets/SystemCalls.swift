import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// Every raw socket call of the client and the server, in one place: errno capture and EINTR retries
/// live here and nowhere else.
package enum SystemCalls {
    /// A result or the errno of a failed call.
    package enum Outcome<Value> {
        case ok(Value)
        case wouldBlock
        case failed(Int32)
    }

    /// A non-blocking, close-on-exec TCP socket with TCP_NODELAY.
    package static func tcpSocket(family: Int32) -> Outcome<Int32> {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failed(errno) }
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return .ok(fd)
    }

    /// Starts a non-blocking connect: `.ok` when connected at once, `.wouldBlock` while in progress.
    package static func connect(_ fd: Int32, to address: SocketAddress) -> Outcome<Void> {
        let result = address.withSockaddr { Glibc.connect(fd, $0, $1) }
        if result == 0 { return .ok(()) }
        switch errno {
        case EINPROGRESS, EINTR: return .wouldBlock
        case let code: return .failed(code)
        }
    }

    /// The pending error of a socket whose connect finished (0 when connected).
    package static func pendingError(_ fd: Int32) -> Int32 {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length) == 0 else { return errno }
        return code
    }

    /// Reads into `buffer`: `.ok(0)` is end of file.
    package static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Outcome<Int> {
        while true {
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count >= 0 { return .ok(count) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case let code: return .failed(code)
            }
        }
    }

    /// Writes what it can of several buffers in one call: `writev`'s gather, through
    /// `sendmsg` with MSG_NOSIGNAL so a peer that closed yields EPIPE, not a SIGPIPE that
    /// kills the process.
    package static func writev(_ fd: Int32, _ vectors: UnsafeMutableBufferPointer<iovec>) -> Outcome<Int> {
        var message = msghdr()
        message.msg_iov = vectors.baseAddress
        message.msg_iovlen = vectors.count
        while true {
            let count = sendmsg(fd, &message, Int32(MSG_NOSIGNAL))
            if count >= 0 { return .ok(count) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case let code: return .failed(code)
            }
        }
    }

    /// Makes a write to a socket whose peer has gone fail with EPIPE instead of raising
    /// SIGPIPE, for every call that cannot say MSG_NOSIGNAL (`sendfile`, OpenSSL's own
    /// writes, a host program's). Installed once, on first use, by whoever may write to a
    /// socket (servers and client connections); see `clinux_guard_sigpipe` for why a no-op
    /// handler and not SIG_IGN. Idempotent and cheap after the first call.
    package static func guardAgainstBrokenPipes() { _ = brokenPipeGuard }

    private static let brokenPipeGuard: Int32 = clinux_guard_sigpipe()

    /// Closes a descriptor (errors ignored: nothing can be done about them).
    package static func close(_ fd: Int32) { _ = Glibc.close(fd) }
}
