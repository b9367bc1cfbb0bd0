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

    /// Parses `string`; throws `invalidURL` saying what is wrong.
    public init(_ string: String) throws(ClientError) {
        guard let colon = string.firstIndex(of: ":"), string[colon...].hasPrefix("://") else {
            throw .invalidURL(Self.redacted(string), reason: "missing scheme://")
        }
        let schemeEnd = colon..<string.index(colon, offsetBy: 3)
        let scheme = string[..<schemeEnd.lowerBound].lowercased()
        var rest = string[schemeEnd.upperBound...]
        if scheme == "http+unix" || scheme == "https+unix" { // the authority is the socket's percent-encoded path
            let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
            guard let path = Self.percentDecoded(rest[..<authorityEnd]), SocketAddress(unixPath: path) != nil else {
                throw .invalidURL(string, reason: "the host of \(scheme):// must be a socket path, percent-encoded (%2Frun%2Fapp.sock), at most \(SocketAddress.maxUnixPathBytes) bytes")
            }
            self = try HTTPURL("\(scheme.dropLast(5))://localhost\(rest[authorityEnd...])")
            socketPath = path
            return
        }
        guard scheme == "http" || scheme == "https" else {
            throw .invalidURL(Self.redacted(string), reason: "scheme \(scheme) is neither http nor https, http+unix or https+unix")
        }
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        var target = String(rest[authorityEnd...])
        if target.isEmpty || target.first == "?" { target = "/" + target }
        if let at = authority.lastIndex(of: "@") {
            let userinfo = authority[..<at]
            authority = authority[authority.index(after: at)...]
            let colon = userinfo.firstIndex(of: ":")
            guard let name = Self.percentDecoded(userinfo[..<(colon ?? userinfo.endIndex)]),
                  let secret = Self.percentDecoded(colon.map { userinfo[userinfo.index(after: $0)...] } ?? "") else {
                throw .invalidURL(Self.redacted(string), reason: "bad percent-encoding in the user information")
            }
            user = name
            password = secret
        }
        var host: Substring
        let defaultPort = scheme == "https" ? 443 : 80
        var port = defaultPort
        if authority.first == "[" {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidURL(Self.redacted(string), reason: "unclosed [ in host") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            authority = authority[authority.index(after: close)...]
            if !authority.isEmpty {
                guard authority.first == ":" else { throw .invalidURL(Self.redacted(string), reason: "junk after ]") }
                port = try Self.port(authority.dropFirst(), in: string)
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            port = try Self.port(authority[authority.index(after: colon)...], in: string)
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw .invalidURL(Self.redacted(string), reason: "empty host") }
        guard Authority.isValid(host.contains(":") ? "[\(host)]" : String(host)) else {
            throw .invalidURL(Self.redacted(string), reason: "the host \(host) has characters a host name cannot have")
        }
        guard target.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .invalidURL(Self.redacted(string), reason: "spaces or control characters in the path")
        }
        self.scheme = scheme
        self.host = String(host)
        self.port = port
        let (path, query) = target.firstIndex(of: "?").map { (String(target[..<$0]), String(target[$0...])) } ?? (target, "")
        self.target = (path.contains("/.") ? Self.removingDotSegments(path) : path) + query
    }

    /// `%XX` sequences decoded (UTF-8); nil for a broken one.
    private static func percentDecoded(_ text: Substring) -> String? {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            guard iterator.count >= 2, let value = UInt8(String(decoding: iterator.prefix(2), as: UTF8.self), radix: 16) else { return nil }
            bytes.append(value)
            iterator = iterator.dropFirst(2)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `text` (a URL as given) with the password of its user information masked, for
    /// messages and logs: `http://ann:***@host/`.
    public static func redacted(_ text: String) -> String {
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
    public var authority: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (usesTLS ? 443 : 80) ? name : "\(name):\(port)"
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
