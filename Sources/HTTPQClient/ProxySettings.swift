#if canImport(Glibc)
import Glibc
#endif

/// Which proxy each URL goes through: one for http, one for https, and the hosts that go
/// direct (`NoProxy`).
///
/// ```swift
/// var configuration = Client.Configuration()
/// configuration.proxy = .environment()                 // http_proxy, https_proxy, no_proxy, as curl
/// configuration.proxy = .all(try Proxy(url: "http://proxy.internal:3128"), noProxy: "localhost,10.0.0.0/8")
/// ```
public struct ProxySettings: Sendable, Hashable {
    /// The proxy of `http://` URLs.
    public var http: Proxy?
    /// The proxy of `https://` URLs (a CONNECT tunnel).
    public var https: Proxy?
    /// Hosts reached directly.
    public var noProxy: NoProxy

    /// Settings from their parts.
    public init(http: Proxy? = nil, https: Proxy? = nil, noProxy: NoProxy = NoProxy()) {
        self.http = http
        self.https = https
        self.noProxy = noProxy
    }

    /// Every URL direct.
    public static let none = ProxySettings()

    /// Every URL through `proxy`, except the hosts of `noProxy` (curl's `--noproxy` list).
    public static func all(_ proxy: Proxy, noProxy: String = "") -> ProxySettings {
        ProxySettings(http: proxy, https: proxy, noProxy: NoProxy(noProxy))
    }

    /// The settings the environment gives, read exactly as curl reads them:
    /// - http URLs: `http_proxy` (lower case only: `HTTP_PROXY` can be set by a CGI
    ///   request's `Proxy:` header, the "httpoxy" hole, so curl ignores it);
    /// - https URLs: `https_proxy`, else `HTTPS_PROXY`;
    /// - either, when its own is unset: `all_proxy`, else `ALL_PROXY`;
    /// - direct: `no_proxy`, else `NO_PROXY`.
    /// An empty variable counts as unset. A value that is not a usable proxy URL throws
    /// `invalidURL` naming the variable's value (as curl fails, instead of going direct).
    public static func environment(_ variables: [String: String]? = nil) throws(ClientError) -> ProxySettings {
        func value(_ name: String) -> String? {
            let found = variables.map { $0[name] } ?? getenv(name).map { String(cString: $0) }
            guard let found, !found.isEmpty else { return nil }
            return found
        }
        let all = value("all_proxy") ?? value("ALL_PROXY")
        let http = value("http_proxy") ?? all
        let https = value("https_proxy") ?? value("HTTPS_PROXY") ?? all
        let noProxy = value("no_proxy") ?? value("NO_PROXY") ?? ""
        return ProxySettings(http: try http.map { (text) throws(ClientError) in try Proxy(url: text) },
                             https: try https.map { (text) throws(ClientError) in try Proxy(url: text) },
                             noProxy: NoProxy(noProxy))
    }

    /// The proxy `url` goes through, or nil to go direct.
    public func proxy(for url: HTTPURL) -> Proxy? {
        guard let proxy = url.usesTLS ? https : http, !noProxy.matches(url.host) else { return nil }
        return proxy
    }
}
