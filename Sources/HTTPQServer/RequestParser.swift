import HTTPQ

/// A boxed `Request` being parsed, pooled per loop: an idle connection holds none.
final class RequestParser {
    /// The request being parsed, in place: a stored `var` took the runtime's exclusivity
    /// check (two calls) on each `consume`, several per request, and marking it unchecked
    /// made the compiler copy the whole request out to read it.
    var request: Request {
        unsafeAddress { UnsafePointer(storage) }
        unsafeMutableAddress { storage }
    }
    private let storage = UnsafeMutablePointer<Request>.allocate(capacity: 1)
    private let limits: Limits
    private let keepsBody: Bool

    init(_ configuration: ServerConfiguration, streams: Bool) {
        var limits = configuration.limits
        limits.maxBodyBytes = configuration.maxBodyBytes
        self.limits = limits
        // A streaming handler reads slices as they pass: the parser keeps none.
        keepsBody = !streams
        storage.initialize(to: Self.fresh(limits, keepsBody))
    }

    deinit {
        storage.deinitialize(count: 1)
        storage.deallocate()
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

    /// What the server decides on once the head is in, read in place (see `Request.headFacts`).
    func headFacts() -> (framing: BodyFraming?, expectation: HTTPRules.Expectation, keepsAlive: Bool) {
        storage.pointee.headFacts()
    }

    /// The complete request in origin form (`useAbsoluteFormTarget`, in place), taken out;
    /// the parser starts over for the next one.
    func takeRequestInOriginForm() throws(HTTPQError) -> Request {
        try request.useAbsoluteFormTarget()
        return takeRequest()
    }
}
