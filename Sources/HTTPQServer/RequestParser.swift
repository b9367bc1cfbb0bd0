import HTTPQ

/// A boxed `Request` being parsed, pooled per loop: an idle connection holds none.
final class RequestParser {
    var request: Request
    private let fresh: Request

    init(_ configuration: ServerConfiguration, streams: Bool) {
        var limits = configuration.limits
        limits.maxBodyBytes = configuration.maxBodyBytes
        var request = Request(limits: limits)
        // A streaming handler reads slices as they pass: the parser keeps none.
        request.keepsBody = !streams
        fresh = request
        self.request = request
    }

    /// The complete request; the parser starts over for the next one.
    func takeRequest() -> Request {
        let complete = request
        request = fresh
        return complete
    }
}
