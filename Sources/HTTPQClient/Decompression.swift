import Codings

/// Whether the `Client` asks for compressed responses and decodes them (`Content-Encoding`
/// gzip, deflate, br), and within what limits.
///
/// When on, the request gets `Accept-Encoding` (unless it has its own: then you asked for
/// the coded bytes and get them as they came), and the delegate, `Response.body` and
/// `didReceiveBody` see the decoded bytes. The response's fields stay as the server sent
/// them (`Content-Encoding`, `Content-Length` of the coded body). A body that cannot be
/// decoded, or would exceed the limits, fails with `decodingFailed`.
///
/// ```swift
/// var configuration = Client.Configuration()
/// configuration.decompression = .on()                    // every request
/// let page = try await client.get(url, options: RequestOptions(decompression: .on())) // or one
/// ```
public struct Decompression: Sendable, Hashable {
    /// Whether responses are asked for compressed and decoded.
    public let isOn: Bool
    /// The codings offered, in order of preference.
    public let codings: [ContentCoding]
    /// Bounds on the decoded size and expansion.
    public let limits: DecodingLimits

    /// Bodies as the server sends them; no `Accept-Encoding` added.
    public static let off = Decompression(isOn: false, codings: [], limits: DecodingLimits())

    /// Offers `codings` (default br, gzip, deflate) and decodes what comes, within `limits`.
    public static func on(limits: DecodingLimits = DecodingLimits(),
                          codings: [ContentCoding] = [.br, .gzip, .deflate]) -> Decompression {
        Decompression(isOn: true, codings: codings, limits: limits)
    }

    /// The `Accept-Encoding` value sent.
    var acceptEncoding: String { codings.map(\.rawValue).joined(separator: ", ") }
}

/// Per-request choices that override the client's configuration (nil keeps it).
public struct RequestOptions: Sendable {
    /// Which redirects this request follows.
    public var redirects: RedirectPolicy?
    /// Whether this request's response is asked for compressed and decoded.
    public var decompression: Decompression?

    /// Options; nil fields take the client's configuration.
    public init(redirects: RedirectPolicy? = nil, decompression: Decompression? = nil) {
        self.redirects = redirects
        self.decompression = decompression
    }
}
