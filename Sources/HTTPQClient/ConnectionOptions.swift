import HTTPQ
import Logging
import TLS

/// Timeouts and limits of one connection.
public struct ConnectionOptions: Sendable {
    /// How long establishing the TCP connection may take (all addresses together).
    public var connectTimeout: Duration
    /// How long an attempt to one address has before the next address joins the race
    /// (RFC 8305's Connection Attempt Delay; default 250 ms). The first to connect wins.
    public var attemptDelay: Duration = .milliseconds(250)
    /// How long nothing may be read while a response is expected.
    public var idleReadTimeout: Duration
    /// How long one request may take from `send` to its last byte; nil for no limit.
    public var requestTimeout: Duration?
    /// Whether `Response.body` keeps the body (like httpq) or the body is only streamed to
    /// the delegate (constant memory).
    public var keepsBody: Bool
    /// The parser's limits.
    public var limits: Limits
    /// Where connection events go (connect, request, response, failure, close), at
    /// `.debug` and `.trace`; nil logs nothing and costs nothing.
    public var logger: Logger?
    /// DNS servers to ask instead of /etc/resolv.conf's, as c-ares CSV
    /// (`"127.0.0.1:5353,[::1]:53"`); nil for the system's.
    public var dnsServers: String?
    /// What https connections trust and check; nil for `TLSClientContext.system` (the
    /// system's CAs, chain and name verified). Make one context and share it: loading a
    /// store costs milliseconds.
    public var tls: TLSClientContext?

    /// Creates options; defaults: connect 10 s, idle read 30 s, no request limit, keep bodies.
    public init(connectTimeout: Duration = .seconds(10), idleReadTimeout: Duration = .seconds(30),
                requestTimeout: Duration? = nil, keepsBody: Bool = true, limits: Limits = .default,
                logger: Logger? = nil, dnsServers: String? = nil, tls: TLSClientContext? = nil) {
        self.logger = logger
        self.tls = tls
        self.dnsServers = dnsServers
        self.connectTimeout = connectTimeout
        self.idleReadTimeout = idleReadTimeout
        self.requestTimeout = requestTimeout
        self.keepsBody = keepsBody
        self.limits = limits
    }
}
