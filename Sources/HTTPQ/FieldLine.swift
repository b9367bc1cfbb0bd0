/// Parsing one `field-line` (RFC 9112 §5): `field-name ":" OWS field-value OWS`, strictly.
enum FieldLine {
    /// Parses `bytes[range]` (without CRLF) into the ranges of its name and value.
    /// `base` is the message offset of `bytes[0]`.
    /// Records `Content-Length` and `Transfer-Encoding` in `facts` as it goes.
    static func parse(
        _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, base: Int, facts: inout FramingFacts
    ) throws(HTTPQError) -> Headers.Entry {
        let start = range.lowerBound, end = range.upperBound
        if Grammar.isWhitespace(bytes[start]) { throw HTTPQError(.obsoleteLineFolding, at: base + start) }
        var colon = start
        while colon < end && Grammar.isToken(bytes[colon]) { colon += 1 }
        guard colon < end else { throw HTTPQError(.missingColon, at: base + end) }
        if bytes[colon] != Grammar.colon {
            let hasColon = ByteSearch.firstIndex(of: Grammar.colon, in: UnsafeRawBufferPointer(rebasing: bytes[colon..<end]), from: 0) != nil
            if Grammar.isWhitespace(bytes[colon]) && hasColon { throw HTTPQError(.whitespaceBeforeColon, at: base + colon) }
            throw HTTPQError(hasColon ? .invalidFieldName : .missingColon, at: base + colon)
        }
        if colon == start { throw HTTPQError(.invalidFieldName, at: base + start) }

        var valueStart = colon + 1
        var valueEnd = end
        while valueStart < valueEnd && Grammar.isWhitespace(bytes[valueStart]) { valueStart += 1 }
        while valueEnd > valueStart && Grammar.isWhitespace(bytes[valueEnd - 1]) { valueEnd -= 1 }
        if let bad = Grammar.firstInvalidFieldValueByte(bytes, valueStart..<valueEnd) {
            throw HTTPQError(.invalidFieldValue, at: base + bad)
        }

        try recordFraming(name: UnsafeRawBufferPointer(rebasing: bytes[start..<colon]),
                          value: UnsafeRawBufferPointer(rebasing: bytes[valueStart..<valueEnd]),
                          base: base + valueStart, facts: &facts)
        return Headers.Entry(name: start..<colon, value: valueStart..<valueEnd)
    }

    /// A well-formed field line ending in CRLF at `start` in `bytes`, in one pass: the name's
    /// tokens, the colon, the value checked eight bytes at a time up to its CR. Returns the
    /// entry and the index of the line's LF, or nil for anything else (a line not yet whole,
    /// the empty line, bare LF, a bad byte anywhere): the line-at-a-time path then finds the
    /// line's end and reports its error at the byte, exactly as before. The caller records
    /// the framing fields (`recordFraming`), as `parse` does.
    ///
    /// Finding the line's LF first and validating the value afterwards read every value byte
    /// twice, with a call and a bookkeeping pass per line in between.
    @inline(__always)
    static func scanWhole(
        _ bytes: UnsafeRawBufferPointer, from start: Int
    ) -> (entry: Headers.Entry, lineFeed: Int)? {
        guard let pointer = bytes.baseAddress else { return nil }
        let count = bytes.count
        var index = start
        while index < count && Grammar.isToken(pointer.load(fromByteOffset: index, as: UInt8.self)) { index &+= 1 }
        guard index > start, index < count, pointer.load(fromByteOffset: index, as: UInt8.self) == Grammar.colon else { return nil }
        let colon = index
        index &+= 1
        while index < count && Grammar.isWhitespace(pointer.load(fromByteOffset: index, as: UInt8.self)) { index &+= 1 }
        let valueStart = index
        guard let carriageReturn = Grammar.firstInvalidFieldValueByte(bytes, index..<count),
              carriageReturn &+ 1 < count,
              pointer.load(fromByteOffset: carriageReturn, as: UInt8.self) == Grammar.cr,
              pointer.load(fromByteOffset: carriageReturn &+ 1, as: UInt8.self) == Grammar.lf else { return nil }
        var valueEnd = carriageReturn
        while valueEnd > valueStart && Grammar.isWhitespace(pointer.load(fromByteOffset: valueEnd &- 1, as: UInt8.self)) { valueEnd &-= 1 }
        return (Headers.Entry(name: start..<colon, value: valueStart..<valueEnd), carriageReturn &+ 1)
    }

    /// Records the fields that decide framing and the request's host as they are seen.
    /// `base` is the message offset of the value.
    @inline(__always)
    static func recordFraming(
        name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, base: Int, facts: inout FramingFacts
    ) throws(HTTPQError) {
        if name.count == 14 && Grammar.equalsLowercase(name, "content-length") {
            try recordContentLength(value, base: base, facts: &facts)
        } else if name.count == 17 && Grammar.equalsLowercase(name, "transfer-encoding") {
            recordTransferEncoding(value, facts: &facts)
        } else if name.count == 4 && Grammar.equalsLowercase(name, "host") {
            facts.hostCount += 1
            if !Authority.isValid(value) { facts.hostIsInvalid = true }
        }
    }

    /// `Content-Length = 1*DIGIT`, allowing a list of identical values (RFC 9110 §8.6).
    private static func recordContentLength(
        _ value: UnsafeRawBufferPointer, base: Int, facts: inout FramingFacts
    ) throws(HTTPQError) {
        var index = 0
        repeat {
            while index < value.count && Grammar.isWhitespace(value[index]) { index += 1 }
            var number = 0
            var digits = 0
            while index < value.count, value[index] >= 0x30 && value[index] <= 0x39 {
                let (times10, overflow1) = number.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(Int(value[index] - 0x30))
                if overflow1 || overflow2 { throw HTTPQError(.invalidContentLength, at: base + index) }
                number = sum
                digits += 1
                index += 1
            }
            while index < value.count && Grammar.isWhitespace(value[index]) { index += 1 }
            guard digits > 0, index == value.count || value[index] == Grammar.comma else {
                throw HTTPQError(.invalidContentLength, at: base + index)
            }
            if let existing = facts.contentLength, existing != number {
                throw HTTPQError(.conflictingContentLength, at: base)
            }
            facts.contentLength = number
            index += 1
        } while index <= value.count
    }

    /// Notes whether `chunked` is among the codings and whether it is the last one.
    private static func recordTransferEncoding(_ value: UnsafeRawBufferPointer, facts: inout FramingFacts) {
        facts.transferEncodingSeen = true
        var index = 0
        while index < value.count {
            while index < value.count && (Grammar.isWhitespace(value[index]) || value[index] == Grammar.comma) { index += 1 }
            let itemStart = index
            while index < value.count && value[index] != Grammar.comma { index += 1 }
            var itemEnd = index
            while itemEnd > itemStart && Grammar.isWhitespace(value[itemEnd - 1]) { itemEnd -= 1 }
            guard itemEnd > itemStart else { continue }
            let isChunked = Grammar.equalsLowercase(UnsafeRawBufferPointer(rebasing: value[itemStart..<itemEnd]), "chunked")
            facts.codingCount += 1
            if isChunked { facts.chunkedCount += 1 } else { facts.otherCodingSeen = true }
            facts.lastCodingIsChunked = isChunked
        }
    }
}
