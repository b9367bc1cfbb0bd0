import HTTPQ

/// A boxed `Request` being parsed, pooled per loop: an idle connection holds none.
final class RequestParser {
    var request: Request
    private let limits: Limits
    private let keepsBody: Bool

    init(_ configuration: ServerConfiguration, streams: Bool) {
        var limits = configuration.limits
        limits.maxBodyBytes = configuration.maxBodyBytes
        self.limits = limits
        // A streaming handler reads slices as they pass: the parser keeps none.
        keepsBody = !streams
        request = Self.fresh(limits, keepsBody)
    }

    /// A new request to parse into: made, not copied from a template (a copy retains every
    /// field of the template; a new one has nothing to retain).
    private static func fresh(_ limits: Limits, _ keepsBody: Bool) -> Request {
        var request = Request(limits: limits)
        request.keepsBody = keepsBody
        return request
    }

    /// The complete request; the parser starts over for the next one.
    func takeRequest() -> Request {
        var complete = Self.fresh(limits, keepsBody)
        swap(&complete, &request) // moved out, not copied
        return complete
    }

    /// What the server decides on once the head is in, read in place: reading each through
    /// `parser.request.x` copied the whole request per read (a class property's struct is
    /// copied out to call a getter of another module on it).
    func headFacts() -> (framing: BodyFraming?, expectation: HTTPRules.Expectation, keepsAlive: Bool) {
        withUnsafeMutablePointer(to: &request) { request in
            (request.pointee.framing, request.pointee.expectation, request.pointee.keepsConnectionAlive)
        }
    }

    /// The complete request in origin form (`useAbsoluteFormTarget`, in place), taken out;
    /// the parser starts over for the next one.
    func takeRequestInOriginForm() throws(HTTPQError) -> Request {
        try request.useAbsoluteFormTarget()
        return takeRequest()
    }
}
