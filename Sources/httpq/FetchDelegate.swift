import HTTPQ
import HTTPQClient

/// Hears one fetch (its redirects are the client's): counts (and sinks) the answer's body
/// as it streams, and ends the fetch exactly once.
final class FetchDelegate: RequestDelegate {
    private let fetch: Fetch
    private let sinks: FetchEngine.SinkFactory?
    private var sink: BodySink?
    private var bytes = 0
    /// Only a successful (2xx) final body goes to the sink, as wget keeps no error pages.
    private var storing = false

    init(fetch: Fetch, url: HTTPURL, sinks: FetchEngine.SinkFactory?) {
        self.fetch = fetch
        self.sinks = sinks
        sink = sinks?(url)
    }

    /// The body is stored under the URL it finally comes from, as wget does.
    func request(didRedirect response: Response, to url: HTTPURL) {
        _ = sink?.finish(failed: true)
        sink = sinks?(url)
    }

    func request(didChange state: State, of response: Response) {
        if state == .body { storing = (200..<300).contains(response.status) }
    }

    func request(didReceiveBody bytes: RawSpan) {
        self.bytes += bytes.byteCount
        if storing, let sink { bytes.withUnsafeBytes { sink.write($0) } }
    }

    func request(didComplete response: Response) {
        let refused = sink?.finish(failed: !(200..<300).contains(response.status))
        fetch.end(status: response.status, bytes: bytes, error: refused, kind: refused == nil ? nil : "mismatch")
    }

    func request(didFail error: ClientError) {
        _ = sink?.finish(failed: true)
        fetch.end(status: nil, bytes: bytes, error: error.description, kind: error.kind)
    }
}
