#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address and port, or the path of a Unix domain socket, ready for
/// `connect` and `bind`.
public struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    /// The address and port in network byte order.
    package enum Storage: Hashable, Sendable {
        case v4(address: UInt32, port: UInt16)          // both in network byte order
        case v6(address: [UInt8], port: UInt16, scope: UInt32)
        case unix(path: String)
    }

    /// The same address with port 0: what identifies a host (an access log formats each
    /// client's address once, not once per connection).
    package var withoutPort: SocketAddress {
        var copy = self
        switch storage {
        case .v4(let address, _): copy.storage = .v4(address: address, port: 0)
        case .v6(let address, _, let scope): copy.storage = .v6(address: address, port: 0, scope: scope)
        case .unix: break
        }
        return copy
    }

    /// Whether `other` is the same host, ports aside (what `withoutPort` compares, without
    /// making the two copies).
    package func sameHost(as other: SocketAddress) -> Bool {
        switch (storage, other.storage) {
        case (.v4(let a, _), .v4(let b, _)): a == b
        case (.v6(let a, _, let scopeA), .v6(let b, _, let scopeB)): scopeA == scopeB && a == b
        case (.unix(let a), .unix(let b)): a == b
        default: false
        }
    }

    /// The longest path a Unix socket address holds (`sun_path` less its terminating NUL).
    public static let maxUnixPathBytes = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    /// A Unix domain socket at `path`; nil for an empty path or one longer than
    /// `maxUnixPathBytes` (108 bytes less one on Linux).
    public init?(unixPath path: String) {
        guard !path.isEmpty, path.utf8.count <= Self.maxUnixPathBytes, !path.utf8.contains(0) else { return nil }
        storage = .unix(path: path)
    }

    /// The address alone, without port or brackets (`127.0.0.1`, `::1`; `unix:PATH` for a
    /// Unix socket): what access logs call the remote address.
    public var host: String {
        switch storage {
        case .unix(let path): return "unix:\(path)"
        case .v4(var address, _):
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            inet_ntop(AF_INET, &address, &text, socklen_t(text.count))
            return Self.text(text)
        case .v6(let address, _, _):
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            address.withUnsafeBytes { _ = inet_ntop(AF_INET6, $0.baseAddress, &text, socklen_t(text.count)) }
            return Self.text(text)
        }
    }

    /// The socket's path, for a Unix domain socket address.
    public var unixPath: String? {
        if case .unix(let path) = storage { path } else { nil }
    }
    /// The address itself.
    package private(set) var storage: Storage

    /// Parses an IP literal (`127.0.0.1`, `::1`); nil for anything else, such as a name.
    public init?(ip: String, port: Int) {
        guard (0...65535).contains(port) else { return nil }
        var v4 = in_addr()
        if inet_pton(AF_INET, ip, &v4) == 1 {
            storage = .v4(address: v4.s_addr, port: UInt16(port).bigEndian)
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, ip, &v6) == 1 {
            let bytes = withUnsafeBytes(of: &v6) { Array($0) }
            storage = .v6(address: bytes, port: UInt16(port).bigEndian, scope: 0)
            return
        }
        return nil
    }

    /// Copies a `sockaddr` returned by the resolver.
    package init?(_ address: UnsafePointer<sockaddr>, port: Int) {
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            let v4 = UnsafeRawPointer(address).load(as: sockaddr_in.self)
            storage = .v4(address: v4.sin_addr.s_addr, port: UInt16(port).bigEndian)
        case AF_INET6:
            var v6 = UnsafeRawPointer(address).load(as: sockaddr_in6.self)
            let bytes = withUnsafeBytes(of: &v6.sin6_addr) { Array($0) }
            storage = .v6(address: bytes, port: UInt16(port).bigEndian, scope: v6.sin6_scope_id)
        case AF_UNIX:
            var un = UnsafeRawPointer(address).load(as: sockaddr_un.self)
            let path = withUnsafeBytes(of: &un.sun_path) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            storage = .unix(path: path) // empty for an unnamed peer
        default:
            return nil
        }
    }

    /// The port, in host byte order (0 for a Unix socket).
    public var port: Int {
        switch storage {
        case .v4(_, let port), .v6(_, let port, _): Int(UInt16(bigEndian: port))
        case .unix: 0
        }
    }

    /// `AF_INET`, `AF_INET6` or `AF_UNIX`.
    package var family: Int32 {
        switch storage {
        case .v4: AF_INET
        case .v6: AF_INET6
        case .unix: AF_UNIX
        }
    }

    /// Calls `body` with the address as a `sockaddr` and its length.
    package func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        switch storage {
        case .v4(let address, let port):
            var v4 = sockaddr_in()
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = port
            v4.sin_addr.s_addr = address
            return withUnsafePointer(to: &v4) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .v6(let address, let port, let scope):
            var v6 = sockaddr_in6()
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = port
            v6.sin6_scope_id = scope
            withUnsafeMutableBytes(of: &v6.sin6_addr) { $0.copyBytes(from: address) }
            return withUnsafePointer(to: &v6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        case .unix(let path):
            var un = sockaddr_un()
            un.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &un.sun_path) { $0.copyBytes(from: path.utf8) } // checked to fit with its NUL
            return withUnsafePointer(to: &un) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
        }
    }

    public var description: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        switch storage {
        case .v4(var address, let port):
            inet_ntop(AF_INET, &address, &text, socklen_t(text.count))
            return "\(Self.text(text)):\(UInt16(bigEndian: port))"
        case .v6(let address, let port, _):
            address.withUnsafeBytes { _ = inet_ntop(AF_INET6, $0.baseAddress, &text, socklen_t(text.count)) }
            return "[\(Self.text(text))]:\(UInt16(bigEndian: port))"
        case .unix(let path):
            return "unix:\(path)"
        }
    }

    private static func text(_ characters: [CChar]) -> String {
        let bytes = characters.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
