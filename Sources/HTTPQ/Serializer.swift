/// A start line's three parts (method, target, version; or version, status, reason), written
/// with one space between each: joining them into a `String` first cost four appends and a
/// copy, ~1,200 instructions a request.
struct StartLineParts {
    let first: String
    let second: String
    let third: String

    init(_ first: String, _ second: String, _ third: String) {
        self.first = first
        self.second = second
        self.third = third
    }

    /// The line as text (for tests and messages; writing uses `append`).
    var text: String { first + " " + second + " " + third }

    /// Its length in bytes.
    var count: Int { first.utf8.count + second.utf8.count + third.utf8.count + 2 }

    func append(to out: inout [UInt8]) {
        out.append(contentsOf: first.utf8)
        out.append(Grammar.space)
        out.append(contentsOf: second.utf8)
        out.append(Grammar.space)
        out.append(contentsOf: third.utf8)
    }
}

/// Writing messages back to bytes (`raw`), the inverse of parsing.
package enum Serializer {
    /// Start line, fields, empty line, then the body framed as the fields say: re-chunked
    /// (one chunk, then trailers) when `Transfer-Encoding` ends in chunked, as is otherwise.
    static func message(startLine: StartLineParts, headers: Headers, body: [UInt8], trailers: Headers) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(startLine.count + headers.storedByteCount + body.count + 16)
        appendHead(startLine, headers, to: &out)
        if headers.isChunked {
            if !body.isEmpty {
                withChunkFrame(body.count) { sizeLine, _ in out.append(contentsOf: sizeLine) }
                out.append(contentsOf: body)
                appendLineEnd(to: &out)
            }
            out.append(contentsOf: "0\r\n".utf8)
            append(trailers, to: &out)
            appendLineEnd(to: &out)
        } else {
            out.append(contentsOf: body)
        }
        return out
    }

    /// Lends the framing of a chunk of `count` bytes (RFC 9112 §7.1) to `body`: its size line
    /// (`count` in hex, CRLF) and the CRLF that follows its data, from stack storage, for one
    /// write of the three from where they are. The server's streamed answers and the client's
    /// streamed uploads frame every chunk with it (a `String` and two arrays a chunk before).
    package static func withChunkFrame<R>(_ count: Int, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> R) -> R {
        precondition(count >= 0, "a chunk's size is not negative")
        var storage: (UInt64, UInt64, UInt64) = (0, 0, 0) // 16 hex digits and CRLF, then the trailing CRLF
        return withUnsafeMutableBytes(of: &storage) { bytes in
            var digits = 1
            while digits < 16 && UInt64(count) >> (4 * UInt64(digits)) != 0 { digits += 1 }
            for position in 0..<digits {
                let nibble = UInt8((UInt64(count) >> (4 * UInt64(digits - 1 - position))) & 0xF)
                bytes[position] = nibble < 10 ? 48 + nibble : 87 + nibble
            }
            bytes[digits] = Grammar.cr
            bytes[digits + 1] = Grammar.lf
            bytes[22] = Grammar.cr
            bytes[23] = Grammar.lf
            return body(UnsafeRawBufferPointer(rebasing: bytes[..<(digits + 2)]), UnsafeRawBufferPointer(rebasing: bytes[22...]))
        }
    }

    /// Only the head: start line, fields, empty line.
    static func head(startLine: StartLineParts, headers: Headers) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(startLine.count + headers.storedByteCount + 4)
        appendHead(startLine, headers, to: &out)
        return out
    }

    private static func appendHead(_ startLine: StartLineParts, _ headers: Headers, to out: inout [UInt8]) {
        startLine.append(to: &out)
        appendLineEnd(to: &out)
        append(headers, to: &out)
        appendLineEnd(to: &out)
    }

    /// CR LF, as two stores (an array literal here was an allocation on some paths).
    @inline(__always)
    private static func appendLineEnd(to out: inout [UInt8]) {
        out.append(Grammar.cr)
        out.append(Grammar.lf)
    }

    private static func append(_ fields: Headers, to out: inout [UInt8]) {
        fields.forEachRaw { name, value in
            out.append(contentsOf: name)
            out.append(Grammar.colon)
            out.append(Grammar.space)
            out.append(contentsOf: value)
            out.append(Grammar.cr)
            out.append(Grammar.lf)
        }
    }

    /// httpq's printable form: every line of `raw` behind `arrow`, trailing line breaks dropped.
    static func arrowForm(_ raw: [UInt8], arrow: String) -> String {
        var end = raw.count
        while end > 0 && (raw[end - 1] == Grammar.lf || raw[end - 1] == Grammar.cr) { end -= 1 }
        return raw[..<end].split(separator: Grammar.lf, omittingEmptySubsequences: false)
            .map { line in
                let content = line.last == Grammar.cr ? line.dropLast() : line
                return arrow + String(decoding: content, as: UTF8.self)
            }
            .joined(separator: "\n")
    }
}
