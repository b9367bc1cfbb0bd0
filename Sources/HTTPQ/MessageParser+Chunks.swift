/// Chunked bodies (RFC 9112 §7.1): the size lines with their extensions, the CRLF after each
/// chunk's data, and the trailer section — the part of the parser's machine after the head
/// when the message is `Transfer-Encoding: chunked`. The step loop in MessageParser.swift
/// calls in here; whole size lines and whole chunks take the fast paths, anything else goes
/// byte by byte so that an error is reported at its byte.
extension MessageParser {
    /// The common framing in one go, when it is whole in `input`: the CRLF after chunk data,
    /// and a size line of hex digits and CRLF (no extension). Returns the position after it,
    /// or nil to let the byte-at-a-time machine (which reports errors at their byte) handle it.
    @inline(__always)
    mutating func chunkFramingFastPath(_ input: UnsafeRawBufferPointer, at start: Int) -> Int? {
        let count = input.count
        var i = start
        if case .chunkDataCarriageReturn = phase {
            guard i + 1 < count, input[i] == Grammar.cr, input[i + 1] == Grammar.lf else { return nil }
            i += 2
            phase = .chunkSize(value: 0, sawDigit: false)
            chunkLineBytes = 0
        }
        guard case .chunkSize(0, false) = phase, chunkLineBytes == 0,
              let (value, end) = Self.wholeSizeLine(input, at: i, maxLineBytes: limits.maxLineBytes) else { return i == start ? nil : i }
        chunkSizeLineDone(value)
        return end
    }

    /// A size line of hex digits and CRLF (no extension) whole at `start`: its value and the
    /// index after it, or nil.
    @inline(__always)
    static func wholeSizeLine(_ input: UnsafeRawBufferPointer, at start: Int, maxLineBytes: Int) -> (UInt64, Int)? {
        let count = input.count
        var value: UInt64 = 0
        var j = start
        // At most 15 digits: the value stays below 2^60, well inside the size limit.
        while j < count, j - start < 15, let digit = Grammar.hexValue(input[j]) {
            value = value << 4 | digit
            j += 1
        }
        guard j > start, j + 1 < count, input[j] == Grammar.cr, input[j + 1] == Grammar.lf,
              j + 2 - start <= maxLineBytes else { return nil }
        return (value, j + 2)
    }

    /// For `feed`: chunk data from `start`, and while a chunk ends with its CRLF and the next
    /// size line whole in `input`, the chunks after it, without a turn of the machine per
    /// chunk. Leaves the phase where the input or the common form ran out; returns the index.
    mutating func wholeChunks(_ input: UnsafeRawBufferPointer, from start: Int, remaining: Int) throws(HTTPQError) -> Int {
        let count = input.count
        var i = start, left = remaining
        while true {
            let take = min(left, count - i)
            try keep(input, i..<(i + take))
            i += take
            guard take == left else { phase = .chunkData(remaining: left - take); return i }
            guard i + 1 < count, input[i] == Grammar.cr, input[i + 1] == Grammar.lf,
                  let (value, end) = Self.wholeSizeLine(input, at: i + 2, maxLineBytes: limits.maxLineBytes) else {
                phase = .chunkDataCarriageReturn
                return i
            }
            i = end
            chunkLineBytes = 0
            chunkSizeLineDone(value)
            guard case .chunkData(let next) = phase else { return i } // the last chunk: trailers
            left = next
        }
    }

    /// One byte of chunk framing: size line, extensions, and the CRLF after data.
    mutating func chunkFraming(_ byte: UInt8, at offset: Int) throws(HTTPQError) {
        switch phase {
        case .chunkSize(let value, let sawDigit):
            try countChunkLineByte(at: offset)
            if let digit = Grammar.hexValue(byte) {
                guard value <= UInt64(Int.max) >> 4 else { throw HTTPQError(.chunkSizeTooLarge, at: offset) }
                phase = .chunkSize(value: value << 4 | digit, sawDigit: true)
            } else if !sawDigit {
                throw HTTPQError(.invalidChunkSize, at: offset)
            } else if byte == Grammar.semicolon {
                phase = .chunkExtension(value: value, step: .beforeName)
            } else if Grammar.isWhitespace(byte) {
                phase = .chunkSizeWhitespace(value: value)
            } else if byte == Grammar.cr {
                phase = .chunkSizeLineFeed(value: value)
            } else if byte == Grammar.lf && leniency.contains(.bareLineFeed) {
                chunkSizeLineDone(value)
            } else {
                throw HTTPQError(byte == Grammar.lf ? .bareLineFeed : .invalidChunkSize, at: offset)
            }
        case .chunkSizeWhitespace(let value):
            try countChunkLineByte(at: offset)
            if byte == Grammar.semicolon {
                phase = .chunkExtension(value: value, step: .beforeName)
            } else if !Grammar.isWhitespace(byte) {
                throw HTTPQError(.invalidChunkSize, at: offset) // `2 2`, `2 x`: never a size
            }
        case .chunkExtension(let value, let step):
            try countChunkLineByte(at: offset)
            switch ChunkExtension.next(step, byte) {
            case .step(let next):
                phase = .chunkExtension(value: value, step: next)
            case .lineEnd where byte == Grammar.cr:
                phase = .chunkSizeLineFeed(value: value)
            case .lineEnd where leniency.contains(.bareLineFeed):
                chunkSizeLineDone(value)
            case .lineEnd, .invalid:
                throw HTTPQError(byte == Grammar.lf ? .bareLineFeed : .invalidChunkSize, at: offset)
            }
        case .chunkSizeLineFeed(let value):
            guard byte == Grammar.lf else { throw HTTPQError(.invalidChunkSize, at: offset) }
            chunkSizeLineDone(value)
        case .chunkDataCarriageReturn:
            if byte == Grammar.cr {
                phase = .chunkDataLineFeed
            } else if byte == Grammar.lf && leniency.contains(.bareLineFeed) {
                phase = .chunkSize(value: 0, sawDigit: false); chunkLineBytes = 0
            } else {
                throw HTTPQError(.missingChunkTerminator, at: offset)
            }
        case .chunkDataLineFeed:
            guard byte == Grammar.lf else { throw HTTPQError(.missingChunkTerminator, at: offset) }
            phase = .chunkSize(value: 0, sawDigit: false); chunkLineBytes = 0
        default:
            preconditionFailure("chunkFraming outside chunk framing")
        }
    }

    mutating func countChunkLineByte(at offset: Int) throws(HTTPQError) {
        chunkLineBytes += 1
        if chunkLineBytes > limits.maxLineBytes {
            throw HTTPQError(.lineTooLong(limit: limits.maxLineBytes), at: offset)
        }
    }

    mutating func chunkSizeLineDone(_ value: UInt64) {
        phase = value == 0 ? .trailers : .chunkData(remaining: Int(value))
    }

    /// One trailer line (or the empty line that ends the message).
    mutating func trailerLine(lineEnd: Int, endOffset: Int) throws(HTTPQError) {
        let start = trailerLineStart
        trailerLineStart = lineEnd + 1
        let sectionOffset = endOffset - trailerSection.count
        let contentEnd = try withBytes(trailerSection) { (bytes: UnsafeRawBufferPointer) throws(HTTPQError) in
            try Self.contentEnd(bytes, lineStart: start, lineFeed: lineEnd, leniency: leniency, base: sectionOffset)
        }
        if contentEnd == start {
            phase = .done
            isComplete = true
            return
        }
        if trailerEntries.count >= limits.maxFieldCount {
            throw HTTPQError(.tooManyFields(limit: limits.maxFieldCount), at: sectionOffset + start)
        }
        var ignored = FramingFacts()
        let entry = try withBytes(trailerSection) { (bytes: UnsafeRawBufferPointer) throws(HTTPQError) in
            try FieldLine.parse(bytes, start..<contentEnd, base: sectionOffset, facts: &ignored)
        }
        trailerEntries.append(entry)
    }
}
