import HTTPQ

/// Whether and how far the `Client` follows redirects (301, 302, 303, 307, 308 with a
/// `Location`).
///
/// ```swift
/// var configuration = Client.Configuration()
/// configuration.redirects = .follow(max: 5)                 // the default is 10
/// configuration.redirects = .off                            // 3xx is the response
/// configuration.redirects = .deciding { $0.to.host == "api.example.com" }
/// ```
///
/// Whatever the policy, a followed redirect obeys RFC 9110 §15.4: 303 continues with GET
/// (HEAD stays HEAD), 301 and 302 turn a POST into a GET, 307 and 308 keep the method and
/// the body (a body that cannot be sent twice fails with `redirectNeedsBody`);
/// `Authorization`, `Cookie` and `Proxy-Authorization` are dropped on a hop to another
/// origin; an https page never sends you to http unless `allowsHTTPSToHTTP`; a URL visited
/// twice with the same method is a loop (`redirectLoop`), and more than `max` hops is
/// `tooManyRedirects`.
public struct RedirectPolicy: Sendable {
    /// Redirects followed at most; one more fails with `tooManyRedirects`.
    public var max: Int
    /// Whether a redirect from https to http is followed (refused by default: it would
    /// send what followed over TLS in the clear).
    public var allowsHTTPSToHTTP: Bool
    /// Asked before each hop; `false` makes the redirect response itself the answer.
    let decide: (@Sendable (Redirect) -> Bool)?
    /// Whether redirects are looked at at all (`.off` needs no redirect machinery).
    let follows: Bool

    init(max: Int, allowsHTTPSToHTTP: Bool, decide: (@Sendable (Redirect) -> Bool)?, follows: Bool = true) {
        self.max = Swift.max(0, max)
        self.allowsHTTPSToHTTP = allowsHTTPSToHTTP
        self.decide = decide
        self.follows = follows
    }

    /// 3xx responses are answers; nothing is followed.
    public static let off = RedirectPolicy(max: 0, allowsHTTPSToHTTP: false, decide: nil, follows: false)

    /// Follows up to `max` redirects (with 0, a redirect fails with `tooManyRedirects`, as
    /// curl's `-L --max-redirs 0`).
    public static func follow(max: Int = 10, allowsHTTPSToHTTP: Bool = false) -> RedirectPolicy {
        RedirectPolicy(max: max, allowsHTTPSToHTTP: allowsHTTPSToHTTP, decide: nil)
    }

    /// Follows the redirects `decide` approves (up to `max`); one it refuses is the answer.
    /// It runs on the loop's thread: keep it short.
    public static func deciding(max: Int = 10, allowsHTTPSToHTTP: Bool = false,
                                _ decide: @escaping @Sendable (Redirect) -> Bool) -> RedirectPolicy {
        RedirectPolicy(max: max, allowsHTTPSToHTTP: allowsHTTPSToHTTP, decide: decide)
    }
}

/// One redirect about to be followed, as a `RedirectPolicy.deciding` closure sees it.
public struct Redirect: Sendable {
    /// The redirect's status (301, 302, 303, 307 or 308).
    public let status: Int
    /// The URL that answered with it.
    public let from: HTTPURL
    /// Where `Location` points, resolved against `from`.
    public let to: HTTPURL
    /// The method the next request will use (GET after a 303, say).
    public let method: String
    /// Hops followed before this one (0 for the first redirect).
    public let hop: Int
}

/// A chain of redirects as a value: given each answer, what to do next. The `Client`
/// performs its steps; the rules live here, apart from sockets, so tests can drive them.
struct RedirectChain {
    /// What to do with a response.
    enum Step: Equatable {
        /// Not a redirect to follow: it is the answer.
        case deliver
        /// Send the request again to `url` with `method`; `keepsBody` unless it turned into a GET.
        case follow(url: HTTPURL, method: String, keepsBody: Bool, crossesOrigin: Bool)
        /// Stop with this error.
        case fail(ClientError)
    }

    let policy: RedirectPolicy
    private(set) var url: HTTPURL
    private(set) var method: String
    private(set) var hops = 0
    /// Method and URL of every request of the chain: meeting one again is a loop. Filled
    /// at the first redirect (most requests have none, and pay nothing for this).
    private var visited: Set<String> = []

    init(policy: RedirectPolicy, url: HTTPURL, method: String) {
        self.policy = policy
        self.url = url
        self.method = method
    }

    static let statuses: Set<Int> = [301, 302, 303, 307, 308]

    /// Whether a response with this head is a redirect this chain would try to follow (its
    /// body is then not the answer's). `step` may still refuse it.
    func isCandidate(status: Int, location: String?) -> Bool {
        policy.follows && Self.statuses.contains(status) && location != nil
    }

    /// The next step after a response of `status` with `location`; `bodyReplayable` says
    /// whether the request's body (if any) can be sent again.
    mutating func step(status: Int, location: String?, hasBody: Bool, bodyReplayable: Bool) -> Step {
        guard isCandidate(status: status, location: location), let location else { return .deliver }
        let target: HTTPURL
        do {
            target = try url.resolving(location)
        } catch {
            return .fail(.badRedirect(location: location, reason: Self.reason(error)))
        }
        // RFC 9110 §15.4.4: 303 asks for a GET (HEAD stays HEAD); §15.4.2/3: user agents
        // turn a POST into a GET after 301 and 302, as every browser and curl do.
        let becomesGet = (status == 303 && method != "HEAD") || ((status == 301 || status == 302) && method == "POST")
        let nextMethod = becomesGet ? "GET" : method
        let keepsBody = !becomesGet && hasBody
        if url.usesTLS && !target.usesTLS && !policy.allowsHTTPSToHTTP {
            return .fail(.insecureRedirect(from: url.description, to: target.description))
        }
        if let decide = policy.decide, !decide(Redirect(status: status, from: url, to: target, method: nextMethod, hop: hops)) {
            return .deliver
        }
        guard hops < policy.max else { return .fail(.tooManyRedirects(policy.max)) }
        if visited.isEmpty { visited.insert(Self.key(method, url)) }
        guard visited.insert(Self.key(nextMethod, target)).inserted else { return .fail(.redirectLoop(target.description)) }
        if keepsBody && !bodyReplayable { return .fail(.redirectNeedsBody(status: status)) }
        hops += 1
        let crossesOrigin = !url.isSameOrigin(as: target)
        url = target
        method = nextMethod
        return .follow(url: target, method: nextMethod, keepsBody: keepsBody, crossesOrigin: crossesOrigin)
    }

    private static func key(_ method: String, _ url: HTTPURL) -> String { "\(method) \(url)" }

    private static func reason(_ error: ClientError) -> String {
        if case .invalidURL(_, let reason) = error { return reason }
        return error.description
    }

    /// `request` made ready for the next hop: the new method, no body after a change to
    /// GET (and none of the fields that described it), credentials and Host left behind
    /// when the hop leaves the origin (the client sets the new URL's Host).
    static func nextRequest(_ request: Request, for step: Step) -> Request {
        guard case .follow(let url, let method, let keepsBody, let crossesOrigin) = step else { return request }
        var next = request
        next.method = method
        next.target = url.target
        if !keepsBody {
            next.body = []
            for name in ["Content-Length", "Content-Type", "Transfer-Encoding", "Content-Encoding", "Expect"] {
                next.headers.remove(name)
            }
        }
        if crossesOrigin { // the new origin gets its own Host, and none of the old one's secrets
            for name in ["Authorization", "Cookie", "Proxy-Authorization", "Host"] { next.headers.remove(name) }
        }
        return next
    }
}
