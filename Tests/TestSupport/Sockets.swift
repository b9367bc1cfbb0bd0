import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP port nobody listens on right now.
public func freePort() -> Int {
    let (fd, port) = boundToAFreePort()
    close(fd)
    return port
}

/// A port on 127.0.0.1 that refuses connections and stays that way: a socket is bound to it
/// and never listens, and is never closed. (A port from `freePort()` is free only until
/// another test's server binds it: tests that wanted a refusal then reached a server of
/// another test.)
public func refusedPort() -> Int {
    boundToAFreePort().port // the descriptor stays open on purpose
}

/// A socket bound to 127.0.0.1 and a port the kernel picked, not listening.
private func boundToAFreePort() -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) } }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}

public func canConnect(port: Int, host: String = "127.0.0.1") -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr(host)
    address.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
}

/// The number of open descriptors of this process.
public func openDescriptorCount() -> Int {
    guard let directory = opendir("/proc/self/fd") else { return -1 }
    defer { closedir(directory) }
    var count = 0
    while readdir(directory) != nil { count += 1 }
    return count - 3 // ".", "..", and the directory's own descriptor
}

/// The descriptor count once it has stayed the same for 200 ms (at most 5 s): a baseline
/// taken while a test server's thread is still closing its end of a warm-up connection is
/// one too high under load (a leak test then found one descriptor fewer after than before).
public func steadyDescriptorCount() -> Int {
    var count = openDescriptorCount(), steady = 0
    for _ in 0..<250 where steady < 10 {
        usleep(20_000)
        let now = openDescriptorCount()
        steady = now == count ? steady + 1 : 0
        count = now
    }
    return count
}


/// A test peer that could not be started, with what it said.
public enum PeerError: Error, CustomStringConvertible {
    case didNotStart(String, String)
    public var description: String {
        switch self {
        case .didNotStart(let name, let log): "\(name) did not start: \(log)"
        }
    }
}

/// A file's contents as text, read with plain `read(2)` (empty when it cannot be read).
/// Foundation's `String(contentsOf:)` leaks its read buffer on this toolchain (LeakSanitizer
/// reports it), so the tests avoid it.
public func readTextFile(_ path: String) -> String {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return "" }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count <= 0 { break }
        bytes += buffer[0..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Whether this machine has IPv6 loopback (`::1` can be bound): some containers run with
/// IPv6 disabled, where the IPv6 tests are skipped and say so.
public let ipv6LoopbackAvailable: Bool = {
    let fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in6()
    address.sin6_family = sa_family_t(AF_INET6)
    address.sin6_addr = in6addr_loopback
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
    } == 0
}()
