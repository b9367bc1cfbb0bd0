import HTTPQ
import HTTPQClient

/// Hears one request of a fetch: counts (and sinks) the body as it streams, follows a
/// redirect when asked, and ends the fetch exactly once.
final class FetchDelegate: RequestDelegate {
    private let fetch: Fetch
    private let url: HTTPURL
    private let method: String
    private var sink: BodySink?
    private var bytes = 0
    private var redirecting = false
    /// Only a successful (2xx) final body goes to the sink, as wget keeps no error pages.
    private var storing = false

    init(fetch: Fetch, url: HTTPURL, method: String, sink: BodySink?) {
        self.fetch = fetch
        self.url = url
        self.method = method
        self.sink = sink
    }

    func request(didChange state: State, of response: Response) {
        // A redirect's body is not the fetch's body: it is neither counted nor stored.
        if state == .body {
            redirecting = isRedirect(response)
            storing = !redirecting && (200..<300).contains(response.status)
        }
    }

    func request(didReceiveBody bytes: RawSpan) {
        guard !redirecting else { return }
        self.bytes += bytes.byteCount
        if storing, let sink { bytes.withUnsafeBytes { sink.write($0) } }
    }

    func request(didComplete response: Response) {
        if redirecting {
            let target: HTTPURL
            do {
                target = try url.resolving(response.headers["Location"] ?? "")
            } catch {
                _ = sink?.finish(failed: true)
                return fetch.end(status: response.status, bytes: bytes, error: "bad redirect: \(error)", kind: "bad-redirect")
            }
            guard fetch.hops < fetch.engine.options.maxRedirects else {
                _ = sink?.finish(failed: true)
                return fetch.end(status: response.status, bytes: bytes,
                                 error: "more than \(fetch.engine.options.maxRedirects) redirects", kind: "too-many-redirects")
            }
            fetch.hops += 1
            // Credentials given for one origin never follow a redirect to another (curl does the same).
            if !fetch.firstURL.isSameOrigin(as: target) { fetch.crossedOrigin = true }
            // 303, and 301/302 after a POST, continue as GET without a body (RFC 9110 §15.4).
            let keepsMethod = response.status == 307 || response.status == 308 || method == "GET" || method == "HEAD"
            fetch.engine.send(fetch, to: target, method: keepsMethod && response.status != 303 ? method : "GET",
                              body: keepsMethod && response.status != 303 ? fetch.engine.options.body : nil)
            return
        }
        let refused = sink?.finish(failed: !(200..<300).contains(response.status))
        fetch.end(status: response.status, bytes: bytes, error: refused, kind: refused == nil ? nil : "mismatch")
    }

    func request(didFail error: ClientError) {
        _ = sink?.finish(failed: true)
        fetch.end(status: nil, bytes: bytes, error: error.description, kind: error.kind)
    }

    /// Whether `response` is a redirect to follow (its body is then not the fetch's).
    private func isRedirect(_ response: Response) -> Bool {
        fetch.engine.options.followRedirects && [301, 302, 303, 307, 308].contains(response.status)
            && response.headers.contains("Location")
    }
}
