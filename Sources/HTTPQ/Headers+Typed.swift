/// Typed views of the fields that decide framing and connection reuse.
extension Headers {
    /// The `Content-Length` as a number; nil when absent, malformed, or conflicting.
    ///
    /// Repeated identical values (`Content-Length: 5, 5`) count as one, as RFC 9110 §8.6
    /// allows. The parser rejects malformed ones; this is for messages built by hand.
    public var contentLength: Int? {
        var result: Int?
        for value in values(for: "Content-Length") {
            for item in value.split(separator: ",", omittingEmptySubsequences: false) {
                let trimmed = item.trimmingWhitespace
                guard !trimmed.isEmpty, trimmed.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                      let number = Int(trimmed) else { return nil }
                if let result, result != number { return nil }
                result = number
            }
        }
        return result
    }

    /// The transfer codings named by every `Transfer-Encoding` field, lowercased, in order.
    public var transferCodings: [String] { tokens(of: "Transfer-Encoding") }

    /// Whether the last transfer coding is `chunked`.
    public var isChunked: Bool { transferCodings.last == "chunked" }

    /// The tokens of `Connection` (`close`, `keep-alive`, ...), lowercased.
    public var connection: [String] { tokens(of: "Connection") }

    /// Whether any `name` field lists `token` (ASCII case-insensitive, comma-separated,
    /// trimmed), without building a String: the per-message keep-alive check
    /// (`containsToken("close", in: "Connection")`).
    public func containsToken(_ token: String, in name: String) -> Bool {
        var token = token // a small literal: its bytes on the stack, no array per call
        return token.withUTF8 { token in
            withMatcher(name) { named in
                bytes.withUnsafeBufferPointer { bytes in
                    entries.contains { named($0) && Self.list($0.value, in: bytes, contains: token) }
                }
            }
        }
    }

    /// Comma-separated list items of a list-valued field, trimmed and lowercased.
    ///
    /// Use only for fields defined as lists; other values (`Date`) must never be split.
    public func tokens(of name: String) -> [String] {
        values(for: name).flatMap { value in
            value.split(separator: ",").map { $0.trimmingWhitespace.lowercased() }.filter { !$0.isEmpty }
        }
    }
}

extension Substring {
    /// The substring without leading and trailing spaces and tabs.
    var trimmingWhitespace: String {
        var slice = self[...]
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
