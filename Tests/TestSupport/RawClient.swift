import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP client on raw sockets, for sending exactly the bytes a test wants
/// (pipelined, malformed, slow) and reading whatever comes back. Every read is bounded.
public final class RawClient {
    public let fd: Int32
    private var isClosed = false

    /// Connects to 127.0.0.1:`port`; reads give up after `timeout`.
    public init(port: Int, timeout: Duration = .seconds(10)) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            close(fd)
            throw PeerError.didNotStart("connection to port \(port)", String(cString: strerror(code)))
        }
        let (seconds, attoseconds) = timeout.components
        var limit = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { if !isClosed { close(fd) } }

    /// Leaves with a TCP reset (SO_LINGER 0, then close), not a FIN. Reads and sends fail after.
    public func reset() {
        guard !isClosed else { return }
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close(fd)
        isClosed = true
    }

    /// Sends all of `bytes` (false if the peer is gone).
    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    @discardableResult
    public func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Reads what is there (waits up to the timeout for the first byte): nil at end of file
    /// or on timeout/error.
    public func readSome() -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return count > 0 ? Array(buffer[0..<count]) : nil
    }

    /// Reads until the peer closes (or the read timeout passes); `closed` says which.
    public func readToEnd() -> (bytes: [UInt8], closed: Bool) {
        var all: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 { all += buffer[0..<count]; continue }
            return (all, count == 0 || errno == ECONNRESET)
        }
    }

    /// Half-closes: the peer reads end of file, this side can still read.
    public func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }
}
