import Codings
import HTTPQ
import TLS
import Sockets

/// Everything that can end a request without a response, with what to do about it.
public enum ClientError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Which of the client's timeouts fired.
    public enum Timeout: String, Hashable, Sendable {
        /// The TCP connection was not established in time.
        case connect
        /// Nothing was read for too long while a response was expected.
        case idleRead
        /// The whole request (connect, send, response) took too long.
        case request
    }

    /// The peer refused the connection (ECONNREFUSED) on every address.
    case connectionRefused(host: String, port: Int)
    /// No route to the host or network (EHOSTUNREACH, ENETUNREACH, ...), with errno.
    case unreachable(host: String, port: Int, errno: Int32)
    /// The name could not be resolved; `reason` is the resolver's message.
    case resolveFailed(host: String, reason: String)
    /// A timeout fired.
    case timedOut(Timeout)
    /// The connection closed (or was reset) before the whole response head arrived.
    case closedBeforeHead
    /// The connection closed (or was reset) in the middle of the body.
    case closedMidBody
    /// The response was malformed; HTTPQ's error says how and where.
    case protocolError(HTTPQError)
    /// A system call failed (socket, read, write) with this errno.
    case systemCallFailed(call: String, errno: Int32)
    /// The URL could not be used: `reason` says why.
    case invalidURL(String, reason: String)
    /// TLS failed: an untrusted certificate, a name it does not carry, a failed handshake.
    case tls(TLSError)
    /// The server answered `101 Switching Protocols` to a request that asked for no upgrade:
    /// what follows is not HTTP, so there is no response (the connection is closed).
    case unexpectedSwitchingProtocols
    /// The connection or client was closed before the request finished.
    case cancelled
    /// A streamed request body could not be sent: its file could not be read, its producer
    /// failed, or it did not match its declared length.
    case uploadFailed(String)
    /// The request cannot be sent as built (`reason` says why): its framing fields disagree
    /// with the body it carries, which a server would read as a different message.
    case invalidRequest(String)
    /// The proxy would not open a tunnel (or pass the request): `status` is its answer
    /// (407: it wants credentials, `http://user:password@proxy`).
    case proxyRefused(proxy: String, status: Int)
    /// The proxy broke the exchange: closed before answering, or answered CONNECT with
    /// something that is not HTTP.
    case proxyFailed(proxy: String, reason: String)
    /// A redirect's `Location` cannot be followed (another scheme, a bad host, spaces).
    case badRedirect(location: String, reason: String)
    /// A redirect from https to http, refused unless `RedirectPolicy.allowsHTTPSToHTTP`.
    case insecureRedirect(from: String, to: String)
    /// More redirects than the policy's `max`.
    case tooManyRedirects(Int)
    /// A redirect back to a URL already requested with the same method: it would never end.
    case redirectLoop(String)
    /// A 307 or 308 asks for the body again, and the body (a stream or a producer) cannot be
    /// sent twice: give a file or bytes, or follow the redirect yourself.
    case redirectNeedsBody(status: Int)
    /// The body's `Content-Encoding` could not be undone: an unknown coding, a corrupt or
    /// cut stream, or more output than the limits allow (a decompression bomb).
    case decodingFailed(DecodingError)

    public var description: String {
        switch self {
        case .connectionRefused(let host, let port): "connection refused by \(Self.endpoint(host, port))"
        case .unreachable(let host, let port, let code): "\(Self.endpoint(host, port)) unreachable: \(Self.describe(code))"
        case .resolveFailed(let host, let reason): "could not resolve \(host): \(reason)"
        case .timedOut(let which): "timed out (\(which.rawValue) timeout)"
        case .closedBeforeHead: "connection closed before the response head was complete"
        case .closedMidBody: "connection closed in the middle of the response body"
        case .protocolError(let error): "malformed response: \(error)"
        case .systemCallFailed(let call, let code): "\(call) failed: \(Self.describe(code))"
        case .invalidURL(let url, let reason): "invalid URL \(url): \(reason)"
        case .tls(let error): error.description
        case .unexpectedSwitchingProtocols: "the server switched protocols (101) though the request asked for no upgrade"
        case .cancelled: "cancelled"
        case .uploadFailed(let reason): "the request body could not be sent: \(reason)"
        case .invalidRequest(let reason): "the request cannot be sent as built: \(reason)"
        case .proxyRefused(let proxy, let status):
            status == 407 ? "the proxy \(proxy) wants credentials (407): give them as http://user:password@proxy"
                : "the proxy \(proxy) refused the tunnel with status \(status)"
        case .proxyFailed(let proxy, let reason): "the proxy \(proxy) failed: \(reason)"
        case .badRedirect(let location, let reason): "cannot follow the redirect to \(location): \(reason)"
        case .insecureRedirect(let from, let to): "refused a redirect from \(from) to \(to): it leaves https for http"
        case .tooManyRedirects(let max): "more than \(max) redirects"
        case .redirectLoop(let url): "redirect loop: \(url) was already requested"
        case .decodingFailed(let error): "cannot decode the body: \(error)"
        case .redirectNeedsBody(let status): "a \(status) redirect asks for the request body again, and a streamed body cannot be sent twice"
        }
    }

    /// `host:port`, or a Unix socket's `unix:PATH` alone (its port is a placeholder 0).
    private static func endpoint(_ host: String, _ port: Int) -> String {
        host.hasPrefix("unix:") ? host : "\(host):\(port)"
    }

    /// The system's words for an errno and its number (`No such file or directory (errno 2)`).
    private static func describe(_ code: Int32) -> String {
        "\(SystemCalls.describe(code)) (errno \(code))"
    }

    /// A short kind for summaries (`refused`, `timeout`, ...).
    public var kind: String {
        switch self {
        case .connectionRefused: "refused"
        case .unreachable: "unreachable"
        case .resolveFailed: "resolve"
        case .timedOut(let which): "timeout-\(which.rawValue)"
        case .closedBeforeHead: "closed-before-head"
        case .closedMidBody: "closed-mid-body"
        case .protocolError: "protocol"
        case .systemCallFailed: "system"
        case .invalidURL: "invalid-url"
        case .tls(let error): error.kind
        case .unexpectedSwitchingProtocols: "upgrade"
        case .cancelled: "cancelled"
        case .uploadFailed: "upload"
        case .invalidRequest: "invalid-request"
        case .proxyRefused, .proxyFailed: "proxy"
        case .badRedirect: "bad-redirect"
        case .insecureRedirect: "insecure-redirect"
        case .tooManyRedirects, .redirectLoop: "too-many-redirects"
        case .redirectNeedsBody: "redirect-body"
        case .decodingFailed: "decoding"
        }
    }
}
