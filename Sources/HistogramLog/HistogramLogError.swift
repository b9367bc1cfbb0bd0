/// Why a histogram or a histogram log could not be read.
public enum HistogramLogError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bytes do not start with an encoding cookie this reader knows (V2, plain or compressed).
    case unknownEncoding(cookie: UInt32)
    /// The encoded histogram ends before its header or payload says it should.
    case truncated(String)
    /// A header field is outside what a histogram can be (digits, lowest and highest values).
    case badHeader(String)
    /// The compressed payload does not inflate.
    case badCompression(String)
    /// A count does not fit: a negative count, or an index past the histogram's range.
    case badPayload(String)
    /// A log line is not `start,length,max,base64` (with an optional `Tag=` first).
    case badLine(number: Int, reason: String)

    public var description: String {
        switch self {
        case .unknownEncoding(let cookie):
            "not an HdrHistogram V2 encoding (cookie 0x\(String(cookie, radix: 16)); V0 and V1 logs are not read)"
        case .truncated(let what): "encoded histogram cut short: \(what)"
        case .badHeader(let what): "encoded histogram header: \(what)"
        case .badCompression(let what): "encoded histogram does not inflate: \(what)"
        case .badPayload(let what): "encoded histogram counts: \(what)"
        case .badLine(let number, let reason): "line \(number): \(reason)"
        }
    }
}
