extension Headers {
    /// What a server learns from a handler's fields while writing them into a response head.
    package struct ResponseHeadFacts: Sendable {
        /// A `Date` field was there (the server adds none).
        package var hasDate = false
        /// A `Server` field was there (the server adds none).
        package var hasServer = false
        /// `Connection` holds `close`: the connection ends after this response.
        package var asksToClose = false
    }

    /// Appends the fields as `Name: value\r\n` to `out` except the ones the server writes
    /// itself (`Content-Length`, `Transfer-Encoding`, `Connection`), in one pass that also
    /// notes `Date`, `Server` and `Connection: close`. (Four passes, one per question, each
    /// comparing every name as a String, were a tenth of a small response's CPU.) Names are
    /// compared only when their length is one of the five asked about. Fields already stored
    /// as such lines, one after another (as `add` stores them, and as most heads arrive),
    /// are copied as one run: an append per piece was 1,000 instructions of a small answer.
    package func appendForResponseHead(to out: inout [UInt8]) -> ResponseHeadFacts {
        var facts = ResponseHeadFacts()
        bytes.withUnsafeBufferPointer { bytes in
            func named(_ entry: Entry, _ name: [UInt8]) -> Bool {
                name.withUnsafeBufferPointer { Self.matches(entry, $0, in: bytes) }
            }
            var run = 0..<0 // lines in `bytes` not yet appended
            for entry in entries {
                switch entry.name.count {
                case 4 where named(entry, Self.date):
                    facts.hasDate = true
                case 6 where named(entry, Self.server):
                    facts.hasServer = true
                case 10 where named(entry, Self.connection):
                    if Self.close.withUnsafeBufferPointer({ Self.list(entry.value, in: bytes, contains: $0) }) {
                        facts.asksToClose = true
                    }
                    continue
                case 14 where named(entry, Self.contentLength), 17 where named(entry, Self.transferEncoding):
                    continue
                default:
                    break
                }
                if let line = Self.line(of: entry, in: bytes) {
                    if line.lowerBound == run.upperBound {
                        run = run.lowerBound..<line.upperBound
                    } else {
                        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run]))
                        run = line
                    }
                    continue
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run]))
                run = 0..<0
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[entry.name]))
                out.append(UInt8(ascii: ":"))
                out.append(UInt8(ascii: " "))
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[entry.value]))
                out.append(13)
                out.append(10)
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run]))
        }
        return facts
    }

    /// The entry's whole line when `bytes` holds it exactly as it is written out:
    /// `name: value\r\n` (not `name:value`, trailing spaces or a bare line feed).
    private static func line(of entry: Entry, in bytes: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        let colon = entry.name.upperBound, end = entry.value.upperBound
        guard entry.value.lowerBound == colon + 2, end + 2 <= bytes.count,
              bytes[colon] == UInt8(ascii: ":"), bytes[colon + 1] == UInt8(ascii: " "),
              bytes[end] == 13, bytes[end + 1] == 10 else { return nil }
        return entry.name.lowerBound..<(end + 2)
    }

    private static let date = Array("date".utf8), server = Array("server".utf8), connection = Array("connection".utf8)
    private static let contentLength = Array("content-length".utf8), transferEncoding = Array("transfer-encoding".utf8)
    private static let close = Array("close".utf8)
}
