import HTTPQ

/// An HTTP proxy: `http://` URLs go through it in absolute form (`GET http://host/path`),
/// `https://` URLs through a `CONNECT host:443` tunnel, TLS then running end to end with
/// the origin (the proxy sees neither the requests nor the certificates). With a user and
/// password, each request (or CONNECT) carries `Proxy-Authorization: Basic`.
public struct Proxy: Sendable, Hashable, CustomStringConvertible {
    /// The proxy's host name or address, and its port (default 1080, as curl's).
    public var host: String
    public var port: Int
    /// Basic credentials for the proxy (percent-decoded from the URL).
    public var user: String?
    public var password: String?

    /// A proxy at `host:port`.
    public init(host: String, port: Int, user: String? = nil, password: String? = nil) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
    }

    /// A proxy from a URL as curl takes it: `http://[user:password@]host[:port]`, or without
    /// a scheme (`proxy.example:3128`, http assumed). Other schemes (https, socks) are
    /// refused with `invalidURL` saying so.
    public init(url text: String) throws(ClientError) {
        let withScheme = text.contains("://") ? text : "http://" + text
        let scheme = withScheme.prefix { $0 != ":" }.lowercased()
        guard scheme == "http" else {
            throw .invalidURL(HTTPURL.redacted(text), reason: "only http:// proxies are supported, not \(scheme)://")
        }
        // A port given explicitly is kept; without one, curl's 1080.
        let authority = Self.authority(of: withScheme)
        let hasPort = (authority.split(separator: "]").last ?? authority).contains(":") && !authority.hasSuffix("]")
        let parsed = try HTTPURL(withScheme)
        host = parsed.host
        port = hasPort ? parsed.port : 1080
        user = parsed.user
        password = parsed.password
    }

    /// The authority of `url` without user information.
    private static func authority(of url: String) -> Substring {
        let rest = url.drop { $0 != ":" }.dropFirst(3)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return authority.split(separator: "@").last ?? authority
    }

    /// The `Proxy-Authorization` value, when the proxy has credentials.
    var authorization: String? {
        user.map { BasicCredentials.authorization(user: $0, password: password ?? "") }
    }

    /// `http://host:port` (credentials never shown).
    public var description: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)" }
}
