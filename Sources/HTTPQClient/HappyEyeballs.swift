import Sockets
#if canImport(Glibc)
import Glibc
#endif

extension SocketAddress {
    /// RFC 8305 §4: the resolved addresses with families interleaved, starting with the
    /// family of the first (the resolver's preference): v6, v4, v6, v4, ... — so a broken
    /// family costs one attempt delay, not a timeout per address.
    static func interleavedByFamily(_ addresses: [SocketAddress]) -> [SocketAddress] {
        guard let first = addresses.first else { return [] }
        var preferred = addresses.filter { $0.family == first.family }[...]
        var other = addresses.filter { $0.family != first.family }[...]
        var out: [SocketAddress] = []
        out.reserveCapacity(addresses.count)
        while !preferred.isEmpty || !other.isEmpty {
            if let next = preferred.popFirst() { out.append(next) }
            if let next = other.popFirst() { out.append(next) }
        }
        return out
    }
}
