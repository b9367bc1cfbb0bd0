import Sockets
#if canImport(Glibc)
import Glibc
#endif

/// The hosts reached without a proxy: curl's `no_proxy` / `--noproxy` list, matched as curl
/// 7.86 and later match it. Entries are separated by commas (spaces ignored):
/// - `*` alone: every host;
/// - a name (`example.com` or `.example.com`): that name and every name under it
///   (`www.example.com`), case-insensitively; a `:port` on the entry is ignored;
/// - an IP address (`127.0.0.1`, `::1`, `[::1]`) or a CIDR block (`10.0.0.0/8`,
///   `fd00::/8`): hosts given as addresses in it (names are not resolved to check).
public struct NoProxy: Sendable, Hashable {
    private var everything = false
    private var names: [String] = []
    private var blocks: [Block] = []

    /// An address block: the leading `bits` of `address` (4 or 16 bytes).
    private struct Block: Hashable, Sendable {
        let address: [UInt8]
        let bits: Int

        func contains(_ other: [UInt8]) -> Bool {
            guard other.count == address.count else { return false }
            for bit in 0..<bits where (address[bit / 8] ^ other[bit / 8]) & (0x80 >> UInt8(bit % 8)) != 0 { return false }
            return true
        }
    }

    /// The list in curl's syntax ("" for none).
    public init(_ list: String = "") {
        for raw in list.split(separator: ",") {
            var entry = raw.filter { $0 != " " && $0 != "\t" }.lowercased()
            if entry.isEmpty { continue }
            if entry == "*" { everything = true; continue }
            if entry.hasPrefix("[") { // [v6] or [v6]:port
                entry = String(entry.dropFirst().prefix { $0 != "]" })
            }
            let (address, bits) = Self.block(entry)
            if let address {
                blocks.append(Block(address: address, bits: bits ?? address.count * 8))
                continue
            }
            if let colon = entry.lastIndex(of: ":"), !entry.contains("::") { entry = String(entry[..<colon]) } // name:port
            while entry.hasPrefix(".") { entry.removeFirst() }
            if !entry.isEmpty { names.append(entry) }
        }
    }

    /// Whether `host` (a name or an address, without brackets) goes direct.
    public func matches(_ host: String) -> Bool {
        if everything { return true }
        let host = host.lowercased()
        if let address = Self.bytes(host) { return blocks.contains { $0.contains(address) } || names.contains(host) }
        let name = host.hasSuffix(".") ? String(host.dropLast()) : host
        return names.contains { name == $0 || name.hasSuffix("." + $0) }
    }

    /// An address, or an address/prefix, as bytes and bits; nil for a name.
    private static func block(_ entry: String) -> ([UInt8]?, Int?) {
        let parts = entry.split(separator: "/", maxSplits: 1)
        guard let address = bytes(String(parts[0])) else { return (nil, nil) }
        guard parts.count == 2 else { return (address, nil) }
        guard let bits = Int(parts[1]), (0...(address.count * 8)).contains(bits) else { return (nil, nil) }
        return (address, bits)
    }

    /// The bytes of an IPv4 or IPv6 literal.
    private static func bytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}
