/// A content coding of RFC 9110 §8.4.1 that httpq can decode: what `Content-Encoding`
/// names and `Accept-Encoding` offers.
public enum ContentCoding: String, Sendable, Hashable, CaseIterable {
    /// RFC 1952 gzip (zlib), `x-gzip` too.
    case gzip
    /// RFC 1950 zlib-wrapped deflate; a raw RFC 1951 stream (as some servers send) is
    /// recognised by its first bytes and decoded too.
    case deflate
    /// RFC 7932 Brotli (Google's libbrotli).
    case br

    /// The codings of a `Content-Encoding` value in the order they were applied
    /// (`identity` skipped); throws `unsupported` for one httpq cannot decode.
    public static func list(_ value: String) throws(DecodingError) -> [ContentCoding] {
        var codings: [ContentCoding] = []
        for item in value.split(separator: ",") {
            let name = item.trimmingCharacters(in: " \t").lowercased()
            if name.isEmpty || name == "identity" { continue }
            guard let coding = ContentCoding(rawValue: name == "x-gzip" ? "gzip" : name) else {
                throw .unsupported(name)
            }
            codings.append(coding)
        }
        return codings
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var text = self
        while let first = text.first, set.contains(first) { text = text.dropFirst() }
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return String(text)
    }
}
