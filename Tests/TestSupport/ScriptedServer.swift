import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A scripted HTTP server on raw sockets, for misbehaving on purpose. Each accepted
/// connection runs `script` on a thread of its own with a blocking socket. Its accept
/// thread keeps it alive until `stop()`.
public final class ScriptedServer: @unchecked Sendable {
    public let port: Int
    private let listener: Int32
    private let script: @Sendable (Int32) -> Void
    private let lock = NSLock()
    private var accepted = 0
    private var stopped = false

    /// A server on `address` (any of 127.0.0.0/8) and a free port.
    public init(address: String = "127.0.0.1", script: @escaping @Sendable (Int32) -> Void) throws {
        signal(SIGPIPE, SIG_IGN) // the scripts write to clients that may have gone
        let host = address
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        self.listener = listener
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(host)
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        precondition(bound == 0 && listen(listener, 128) == 0)
        withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(listener, $0, &length) } }
        port = Int(UInt16(bigEndian: address.sin_port))
        self.script = script
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// A server that answers every connection the same way: reads the request head, sends
    /// `text`, then keeps the connection open for `holding` microseconds before closing it.
    public static func answering(_ text: String, holding microseconds: UInt32 = 0, address: String = "127.0.0.1") throws -> ScriptedServer {
        try ScriptedServer(address: address) { fd in
            _ = readHead(fd)
            send(fd, text)
            if microseconds > 0 { usleep(microseconds) }
        }
    }

    /// A keep-alive server: on every connection, answers each request head with `text`,
    /// `delay` microseconds after it arrived, until the client closes.
    public static func keepAlive(answering text: String, after delay: UInt32 = 0) throws -> ScriptedServer {
        try ScriptedServer { fd in
            while !readHead(fd).isEmpty {
                if delay > 0 { usleep(delay) }
                send(fd, text)
            }
        }
    }

    public var connectionsAccepted: Int { lock.lock(); defer { lock.unlock() }; return accepted }

    /// Accepts until stopped. The listener is closed here, by this thread, once it is done
    /// with it: if `stop()` closed it, its number could be reused by another test's socket
    /// before this loop's next `accept`, which would then steal that test's connections.
    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            let code = errno
            lock.lock()
            let done = stopped
            if client >= 0 && !done { accepted += 1 }
            lock.unlock()
            if client < 0 || done {
                if client >= 0 { close(client) }
                if done || code != EINTR {
                    close(listener)
                    return
                }
                continue
            }
            let script = self.script
            Thread.detachNewThread {
                script(client)
                close(client)
            }
        }
    }

    /// Stops accepting: wakes the accept loop, which closes the listener.
    public func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        shutdown(listener, Int32(SHUT_RDWR))
    }

    // Script helpers.

    /// Reads until the end of a request head; returns it (empty at end of file).
    public static func readHead(_ fd: Int32) -> String {
        var data = [UInt8]()
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1 {
            data.append(byte)
            if data.count >= 4 && data.suffix(4) == [13, 10, 13, 10] { break }
        }
        return String(decoding: data, as: UTF8.self)
    }

    public static func send(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if sent <= 0 { return }
            offset += sent
        }
    }

    /// Closes with a TCP reset instead of a FIN.
    public static func reset(_ fd: Int32) {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    }
}

