/// Small helpers that write a response head without building Strings on every request.

/// `HTTP/1.1 STATUS REASON\r\n`, prebuilt for the statuses a server sends most.
enum StatusLine {
    private static let common: [Int: [UInt8]] = Dictionary(uniqueKeysWithValues:
        [200, 204, 206, 301, 302, 304, 400, 403, 404, 405, 408, 413, 417, 431, 500].map { ($0, build($0, StatusReason.phrase(for: $0))) })

    static func bytes(status: Int, reason: String) -> [UInt8] {
        if let line = common[status], reason.isEmpty || reason == StatusReason.phrase(for: status) { return line }
        return build(status, reason.isEmpty ? StatusReason.phrase(for: status) : reason)
    }

    private static func build(_ status: Int, _ reason: String) -> [UInt8] {
        Array("HTTP/1.1 \(status) \(reason)\r\n".utf8)
    }
}

extension Array where Element == UInt8 {
    /// Appends `value` in decimal ASCII.
    mutating func appendDecimal(_ value: Int) {
        var digits = 1
        var scale = 10
        while scale <= value && digits < 19 { digits += 1; scale &*= 10 }
        var rest = Swift.max(value, 0)
        append(contentsOf: repeatElement(UInt8(ascii: "0"), count: digits))
        var index = count - 1
        while rest > 0 {
            self[index] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
            index -= 1
        }
    }
}
