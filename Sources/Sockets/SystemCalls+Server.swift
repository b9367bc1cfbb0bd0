import CLinux
#if canImport(Glibc)
import Glibc
#endif

extension SystemCalls {
    /// A failed step of setting up a listener: which call and its errno.
    package struct ListenFailure: Error {
        /// The call that failed (`socket`, `bind`, `listen`).
        package var call: String
        /// Its errno.
        package var code: Int32
    }

    /// A non-blocking listening TCP socket bound to `address`. `SO_REUSEADDR` always (a
    /// restarted server rebinds at once); `SO_REUSEPORT` when several loops each listen on
    /// the same port and the kernel spreads connections among them; IPv6 sockets are
    /// IPv6-only so `[::]` and `0.0.0.0` can both be listened on.
    package static func listener(on address: SocketAddress, backlog: Int32, reusePort: Bool) -> Result<Int32, ListenFailure> {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(ListenFailure(call: "socket", code: errno)) }
        var one: Int32 = 1
        let size = socklen_t(MemoryLayout<Int32>.size)
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, size)
        if reusePort { _ = setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, size) }
        if address.family == AF_INET6 { _ = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, size) }
        var bound = address.withSockaddr({ bind(fd, $0, $1) }) == 0
        if !bound, errno == EADDRINUSE, let path = address.unixPath, isStaleUnixSocket(address) {
            // A socket file left by a server that is gone (nobody accepts on it): replace it.
            _ = unlink(path)
            bound = address.withSockaddr({ bind(fd, $0, $1) }) == 0
        }
        if !bound {
            let code = errno
            _ = Glibc.close(fd)
            return .failure(ListenFailure(call: "bind", code: code))
        }
        if Glibc.listen(fd, backlog) != 0 {
            let code = errno
            _ = Glibc.close(fd)
            return .failure(ListenFailure(call: "listen", code: code))
        }
        return .success(fd)
    }

    /// Whether a Unix socket path exists but nobody listens on it (connecting is refused).
    private static func isStaleUnixSocket(_ address: SocketAddress) -> Bool {
        let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard probe >= 0 else { return false }
        defer { _ = Glibc.close(probe) }
        return address.withSockaddr { Glibc.connect(probe, $0, $1) } != 0 && errno == ECONNREFUSED
    }

    /// Accepts one connection, non-blocking and close-on-exec, with TCP_NODELAY.
    package static func accept(_ listener: Int32) -> Outcome<Int32> {
        while true {
            let fd = clinux_accept4(listener, nil, nil, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
            if fd >= 0 {
                var one: Int32 = 1
                _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                return .ok(fd)
            }
            switch errno {
            case EINTR, ECONNABORTED: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case let code: return .failed(code)
            }
        }
    }

    /// The address a socket is bound to.
    package static func localAddress(_ fd: Int32) -> SocketAddress? {
        address(of: fd, getsockname)
    }

    /// The address of a connected socket's peer.
    package static func peerAddress(_ fd: Int32) -> SocketAddress? {
        address(of: fd, getpeername)
    }

    private static func address(of fd: Int32,
                                _ call: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        return withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw -> SocketAddress? in
                guard call(fd, raw, &length) == 0 else { return nil }
                let port: UInt16 = switch Int32(raw.pointee.sa_family) {
                case AF_INET6: UnsafeRawPointer(raw).load(as: sockaddr_in6.self).sin6_port
                case AF_INET: UnsafeRawPointer(raw).load(as: sockaddr_in.self).sin_port
                default: 0
                }
                return SocketAddress(raw, port: Int(UInt16(bigEndian: port)))
            }
        }
    }

    /// Sends up to `count` bytes of `file` from `offset` (advanced) with `sendfile`: the kernel
    /// copies page cache to socket, no user-space buffer.
    package static func sendfile(to socket: Int32, from file: Int32, offset: inout Int, count: Int) -> Outcome<Int> {
        while true {
            var position = off_t(offset)
            let sent = Glibc.sendfile(socket, file, &position, count)
            if sent >= 0 {
                offset = Int(position)
                return .ok(sent)
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case let code: return .failed(code)
            }
        }
    }

    /// Closes the sending direction only (a lingering close: the peer still gets what was sent).
    package static func shutdownWrite(_ fd: Int32) { _ = Glibc.shutdown(fd, Int32(SHUT_WR)) }
}

extension SystemCalls {
    /// Opens `path` (relative) for reading beneath the directory `root`, refusing any path
    /// that leaves it by `..` or a symbolic link (openat2 RESOLVE_BENEATH): the kernel checks
    /// every component, so no race between a check and the open.
    package static func openBeneath(_ root: Int32, _ path: String) -> Outcome<Int32> {
        while true {
            // withCString: a short path goes on the stack (the implicit String-to-pointer
            // conversion allocated a C string array per request).
            let fd = path.withCString { clinux_open_beneath(root, $0) }
            if fd >= 0 { return .ok(fd) }
            if errno == EINTR || errno == EAGAIN { continue }
            return .failed(errno)
        }
    }

    /// What `openBeneath` does where openat2 is missing (old kernels, seccomp profiles,
    /// valgrind): one component at a time, refusing `..` and every symbolic link (EXDEV).
    package static func openBeneathByComponents(_ root: Int32, _ path: String) -> Outcome<Int32> {
        while true {
            let fd = path.withCString { clinux_open_beneath_by_components(root, $0, O_RDONLY | O_CLOEXEC | O_NOCTTY) }
            if fd >= 0 { return .ok(fd) }
            if errno == EINTR || errno == EAGAIN { continue }
            return .failed(errno)
        }
    }

    /// Opens the directory `path` beneath `root` (the same rules as `openBeneath`).
    package static func openDirectoryBeneath(_ root: Int32, _ path: String) -> Outcome<Int32> {
        while true {
            let fd = path.withCString { clinux_open_directory_beneath(root, $0) }
            if fd >= 0 { return .ok(fd) }
            if errno == EINTR || errno == EAGAIN { continue }
            return .failed(errno)
        }
    }
}

extension SystemCalls {
    /// A second descriptor for the same open socket, close-on-exec (for a listener watched
    /// by several loops).
    package static func duplicate(_ fd: Int32) -> Outcome<Int32> {
        let copy = fcntl(fd, F_DUPFD_CLOEXEC, 0)
        return copy >= 0 ? .ok(copy) : .failed(errno)
    }

    /// Removes the file at `path` (a Unix socket a server made), ignoring a missing one.
    package static func remove(_ path: String) {
        _ = unlink(path)
    }
}
