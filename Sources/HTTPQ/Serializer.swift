/// Writing messages back to bytes (`raw`), the inverse of parsing.
enum Serializer {
    /// Start line, fields, empty line, then the body framed as the fields say: re-chunked
    /// (one chunk, then trailers) when `Transfer-Encoding` ends in chunked, as is otherwise.
    static func message(startLine: String, headers: Headers, body: [UInt8], trailers: Headers) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(startLine.utf8.count + headers.count * 32 + body.count + 16)
        out.append(contentsOf: startLine.utf8)
        out.append(contentsOf: [Grammar.cr, Grammar.lf])
        append(headers, to: &out)
        out.append(contentsOf: [Grammar.cr, Grammar.lf])
        if headers.isChunked {
            if !body.isEmpty {
                out.append(contentsOf: String(body.count, radix: 16).utf8)
                out.append(contentsOf: [Grammar.cr, Grammar.lf])
                out.append(contentsOf: body)
                out.append(contentsOf: [Grammar.cr, Grammar.lf])
            }
            out.append(contentsOf: "0\r\n".utf8)
            append(trailers, to: &out)
            out.append(contentsOf: [Grammar.cr, Grammar.lf])
        } else {
            out.append(contentsOf: body)
        }
        return out
    }

    /// Only the head: start line, fields, empty line.
    static func head(startLine: String, headers: Headers) -> [UInt8] {
        var out = Array(startLine.utf8)
        out.append(contentsOf: [Grammar.cr, Grammar.lf])
        append(headers, to: &out)
        out.append(contentsOf: [Grammar.cr, Grammar.lf])
        return out
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
