/// RFC 3986 §2.1 percent-decoding, once for the package: the server's file paths and the
/// client's URL parts (a Unix socket path, user information) both decode with it.
package enum PercentDecoding {
    /// `text` with every `%XX` replaced by its byte; nil when a `%` is not followed by two
    /// hexadecimal digits (no sign, no space: `%+f` is broken, not 0x0F).
    package static func decode(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count)
        var index = 0
        while index < text.count {
            let byte = text[index]
            index += 1
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            guard index + 2 <= text.count,
                  let high = Grammar.hexValue(text[index]), let low = Grammar.hexValue(text[index + 1]) else { return nil }
            bytes.append(UInt8(high << 4 | low))
            index += 2
        }
        return bytes
    }
}
