import HTTPQ

/// An `http://` or `https://host[:port]/path?query` URL, parsed strictly enough to connect with.
public struct HTTPURL: Hashable, Sendable, CustomStringConvertible {
    /// `http` or `https`.
    public var scheme: String
    /// The host without brackets (`::1` for `http://[::1]/`).
    public var host: String
    /// The port: 80 by default, 443 for https.
    public var port: Int
    /// The request target: path and query, at least `/`. The fragment is dropped.
    public var target: String
    /// The user and password of `user:password@` (percent-decoded): sent as Basic
    /// authorization to this URL's origin only, never part of `description`.
    public var user: String?
    public var password: String?
    /// The Unix domain socket to connect to instead of the host: from an
    /// `http+unix://%2Fpath%2Fto.sock/target` URL (AsyncHTTPClient's form; the host is then
    /// `localhost`), or set on any URL (what `fetch --unix-socket` does, as curl's).
    public var socketPath: String?

    /// Parses `string`; throws `invalidURL` saying what is wrong. Works on the UTF-8 bytes
    /// (a gateway parses one URL per request: grapheme-level `String` searching cost 8% of
    /// its CPU).
    public init(_ string: String) throws(ClientError) {
        if let simple = Self.simple(string) {
            self = simple
            return
        }
        try self.init(general: string)
    }

    /// The common URL — `http(s)://name[:port]/path?query` whose host is letters, digits,
    /// `-` and `.`, with no user information, fragment or dot segment — in one scan of its
    /// bytes, or nil for anything else (the general parser takes it). A gateway parses a URL
    /// per request; this is what it sends. `HTTPURLTests` check both agree.
    static func simple(_ string: String) -> HTTPURL? {
        var string = string
        return string.withUTF8 { bytes -> HTTPURL? in
            func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }
            guard bytes.count >= 8, lower(bytes[0]) == UInt8(ascii: "h"), lower(bytes[1]) == UInt8(ascii: "t"),
                  lower(bytes[2]) == UInt8(ascii: "t"), lower(bytes[3]) == UInt8(ascii: "p") else { return nil }
            var index = 4
            let usesTLS = lower(bytes[4]) == UInt8(ascii: "s")
            if usesTLS { index += 1 }
            guard index + 3 <= bytes.count, bytes[index] == UInt8(ascii: ":"), bytes[index + 1] == UInt8(ascii: "/"),
                  bytes[index + 2] == UInt8(ascii: "/") else { return nil }
            index += 3
            let hostStart = index
            while index < bytes.count {
                let byte = bytes[index]
                let isNameByte = (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
                guard isNameByte else { break }
                index += 1
            }
            let hostEnd = index
            guard hostEnd > hostStart else { return nil }
            var port = usesTLS ? 443 : 80
            if index < bytes.count && bytes[index] == UInt8(ascii: ":") {
                index += 1
                var value = 0, digits = 0
                while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39, digits < 6 {
                    value = value * 10 + Int(bytes[index] - 0x30)
                    digits += 1
                    index += 1
                }
                guard digits > 0, (1...65535).contains(value) else { return nil }
                port = value
            }
            guard index == bytes.count || bytes[index] == UInt8(ascii: "/") || bytes[index] == UInt8(ascii: "?") else { return nil }
            let targetStart = index
            var previous: UInt8 = 0
            var inQuery = false
            while index < bytes.count {
                let byte = bytes[index]
                guard byte > 0x20, byte < 0x7F, byte != UInt8(ascii: "#") else { return nil }
                if byte == UInt8(ascii: "?") { inQuery = true }
                if !inQuery && byte == UInt8(ascii: ".") && previous == UInt8(ascii: "/") { return nil }
                previous = byte
                index += 1
            }
            let target = UnsafeBufferPointer(rebasing: bytes[targetStart...])
            let text = String(decoding: target, as: UTF8.self)
            return HTTPURL(scheme: usesTLS ? "https" : "http",
                           host: String(decoding: UnsafeBufferPointer(rebasing: bytes[hostStart..<hostEnd]), as: UTF8.self),
                           port: port, target: target.isEmpty || target.first == UInt8(ascii: "?") ? "/" + text : text)
        }
    }

    private init(scheme: String, host: String, port: Int, target: String) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.target = target
    }

    /// Any URL the type accepts, with every rule (user information, IPv6 literals,
    /// percent-encoded hosts, fragments, dot segments, `http+unix`).
    init(general string: String) throws(ClientError) {
        let utf8 = string.utf8
        guard let colon = utf8.firstIndex(of: UInt8(ascii: ":")),
              utf8[colon...].starts(with: "://".utf8) else {
            throw .invalidURL(Self.redacted(string), reason: "missing scheme://")
        }
        let scheme = Self.lowercasedASCII(string[..<colon])
        var rest = string[utf8.index(colon, offsetBy: 3)...]
        if scheme == "http+unix" || scheme == "https+unix" { // the authority is the socket's percent-encoded path
            let authorityEnd = rest.utf8.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? rest.endIndex
            guard let path = Self.percentDecoded(rest[..<authorityEnd]), SocketAddress(unixPath: path) != nil else {
                throw .invalidURL(string, reason: "the host of \(scheme):// must be a socket path, percent-encoded (%2Frun%2Fapp.sock), at most \(SocketAddress.maxUnixPathBytes) bytes")
            }
            self = try HTTPURL(general: "\(scheme.dropLast(5))://localhost\(rest[authorityEnd...])")
            socketPath = path
            return
        }
        guard scheme == "http" || scheme == "https" else {
            throw .invalidURL(Self.redacted(string), reason: "scheme \(scheme) is neither http nor https, http+unix or https+unix")
        }
        if let hash = rest.utf8.firstIndex(of: UInt8(ascii: "#")) { rest = rest[..<hash] }
        let authorityEnd = rest.utf8.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") } ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        let target = rest[authorityEnd...]
        if let at = authority.utf8.lastIndex(of: UInt8(ascii: "@")) {
            let userinfo = authority[..<at]
            authority = authority[authority.utf8.index(after: at)...]
            let colon = userinfo.utf8.firstIndex(of: UInt8(ascii: ":"))
            guard let name = Self.percentDecoded(userinfo[..<(colon ?? userinfo.endIndex)]),
                  let secret = Self.percentDecoded(colon.map { userinfo[userinfo.utf8.index(after: $0)...] } ?? "") else {
                throw .invalidURL(Self.redacted(string), reason: "bad percent-encoding in the user information")
            }
            user = name
            password = secret
        }
        var host: Substring
        let defaultPort = scheme == "https" ? 443 : 80
        var port = defaultPort
        if authority.utf8.first == UInt8(ascii: "[") {
            guard let close = authority.utf8.firstIndex(of: UInt8(ascii: "]")) else {
                throw .invalidURL(Self.redacted(string), reason: "unclosed [ in host")
            }
            host = authority[authority.utf8.index(after: authority.startIndex)..<close]
            authority = authority[authority.utf8.index(after: close)...]
            if !authority.isEmpty {
                guard authority.utf8.first == UInt8(ascii: ":") else { throw .invalidURL(Self.redacted(string), reason: "junk after ]") }
                port = try Self.port(authority.dropFirst(), in: string)
            }
        } else if let colon = authority.utf8.lastIndex(of: UInt8(ascii: ":")) {
            host = authority[..<colon]
            port = try Self.port(authority[authority.utf8.index(after: colon)...], in: string)
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw .invalidURL(Self.redacted(string), reason: "empty host") }
        let isIPv6 = host.utf8.contains(UInt8(ascii: ":"))
        guard Authority.isValid(isIPv6 ? "[\(host)]" : String(host)) else {
            throw .invalidURL(Self.redacted(string), reason: "the host \(host) has characters a host name cannot have")
        }
        guard target.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .invalidURL(Self.redacted(string), reason: "spaces or control characters in the path")
        }
        self.scheme = scheme
        self.host = String(host)
        self.port = port
        if target.isEmpty || target.utf8.first == UInt8(ascii: "?") {
            self.target = "/" + target
        } else if Self.hasDotSegment(target) {
            let query = target.utf8.firstIndex(of: UInt8(ascii: "?")) ?? target.endIndex
            self.target = Self.removingDotSegments(String(target[..<query])) + target[query...]
        } else {
            self.target = String(target)
        }
    }

    /// Whether the path (before any `?`) has a `/.` — a `.` or `..` segment to remove.
    private static func hasDotSegment(_ target: Substring) -> Bool {
        var previous: UInt8 = 0
        for byte in target.utf8 {
            if byte == UInt8(ascii: "?") { return false }
            if byte == UInt8(ascii: ".") && previous == UInt8(ascii: "/") { return true }
            previous = byte
        }
        return false
    }

    /// ASCII letters lowered (a scheme is ASCII).
    private static func lowercasedASCII(_ text: Substring) -> String {
        guard text.utf8.contains(where: { (0x41...0x5A).contains($0) }) else { return String(text) }
        return String(decoding: text.utf8.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }, as: UTF8.self)
    }

    /// `%XX` sequences decoded (UTF-8); nil for a broken one.
    private static func percentDecoded(_ text: Substring) -> String? {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return String(text) }
        var text = String(text)
        return text.withUTF8 { PercentDecoding.decode($0) }.map { String(decoding: $0, as: UTF8.self) }
    }

    /// `text` (a URL as given) with the password of its user information masked, for
    /// messages and logs: `http://ann:***@host/`.
    public static func redacted(_ text: String) -> String {
        // Most URLs carry no credentials: one scan of the bytes in place (`utf8.contains`
        // walked the view's iterator: ~970 instructions per URL of `httpq fetch`, now ~100).
        var bytes = text
        guard bytes.withUTF8({ $0.contains(UInt8(ascii: "@")) }) else { return text }
        guard let colon = text.firstIndex(of: ":"), text[colon...].hasPrefix("://") else { return text }
        let start = text.index(colon, offsetBy: 3)
        let authorityEnd = text[start...].firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? text.endIndex
        guard let at = text[start..<authorityEnd].lastIndex(of: "@"),
              let separator = text[start..<at].firstIndex(of: ":") else { return text }
        return String(text[..<text.index(after: separator)]) + "***" + String(text[at...])
    }

    private static func port(_ text: Substring, in string: String) throws(ClientError) -> Int {
        guard let port = Int(text), (1...65535).contains(port) else { throw .invalidURL(Self.redacted(string), reason: "bad port \(text)") }
        return port
    }

    /// Whether the URL is https (TLS).
    public var usesTLS: Bool { scheme == "https" }

    /// `host` or `host:port` (brackets for IPv6; no port when it is the scheme's default),
    /// as the Host header and wget's directory name want it.
    /// (Written into the string's storage at once: `String.contains(String)` and interpolation
    /// cost 2,700 instructions per request for a gateway's Host field, concatenation 1,500.)
    public var authority: String {
        var host = host
        let showsPort = port != (usesTLS ? 443 : 80)
        return host.withUTF8 { name in
            let bracketed = name.contains(UInt8(ascii: ":"))
            return String(unsafeUninitializedCapacity: name.count + 8) { out in
                var at = 0
                if bracketed { out[at] = UInt8(ascii: "["); at += 1 }
                _ = UnsafeMutableBufferPointer(rebasing: out[at...]).initialize(from: name)
                at += name.count
                if bracketed { out[at] = UInt8(ascii: "]"); at += 1 }
                if showsPort {
                    out[at] = UInt8(ascii: ":")
                    at += 1
                    var digits = 1, rest = port / 10
                    while rest > 0 { digits += 1; rest /= 10 }
                    var value = port
                    for index in stride(from: at + digits - 1, through: at, by: -1) {
                        out[index] = UInt8(ascii: "0") + UInt8(value % 10)
                        value /= 10
                    }
                    at += digits
                }
                return at
            }
        }
    }

    public var description: String {
        if let socketPath { return "\(Self.unixSocketURL(path: socketPath, usesTLS: usesTLS))\(target)" }
        return "\(scheme)://\(authority)\(target)"
    }

    /// `http+unix://` (or `https+unix://`) and the socket's path percent-encoded, without a
    /// target: the URL form of a Unix domain socket.
    public static func unixSocketURL(path: String, usesTLS: Bool = false) -> String {
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
        var encoded = ""
        for byte in path.utf8 {
            if unreserved.contains(byte) { encoded.unicodeScalars.append(Unicode.Scalar(byte)) } else {
                encoded += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return "\(usesTLS ? "https" : "http")+unix://\(encoded)"
    }
}
