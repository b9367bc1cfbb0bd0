/// Parsing the first line of a message: `request-line` and `status-line` (RFC 9112 §3, §4).
enum StartLine {
    /// `method SP request-target SP HTTP-version`. `base` is the line's message offset.
    static func request(_ line: UnsafeRawBufferPointer, base: Int) throws(HTTPQError)
        -> (method: String, target: String, version: String)
    {
        guard let firstSpace = ByteSearch.firstIndex(of: Grammar.space, in: line, from: 0) else {
            throw HTTPQError(.malformedStartLine, at: base + line.count)
        }
        if firstSpace == 0 { throw HTTPQError(.invalidMethod, at: base) }
        for index in 0..<firstSpace where !Grammar.isToken(line[index]) {
            throw HTTPQError(.invalidMethod, at: base + index)
        }
        let targetStart = firstSpace + 1
        guard let secondSpace = ByteSearch.firstIndex(of: Grammar.space, in: line, from: targetStart) else {
            throw HTTPQError(.malformedStartLine, at: base + line.count)
        }
        if secondSpace == targetStart { throw HTTPQError(.invalidTarget, at: base + targetStart) }
        for index in targetStart..<secondSpace where !Grammar.target.contains(line[index]) {
            throw HTTPQError(.invalidTarget, at: base + index)
        }
        let version = try self.version(line, (secondSpace + 1)..<line.count, base: base)
        let target = UnsafeRawBufferPointer(rebasing: line[targetStart..<secondSpace])
        if RequestTargetForm.of(target, method: UnsafeRawBufferPointer(rebasing: line[0..<firstSpace])) == nil {
            throw HTTPQError(.invalidTargetForm, at: base + targetStart)
        }
        return (method(UnsafeRawBufferPointer(rebasing: line[0..<firstSpace])), text(line, targetStart..<secondSpace), version)
    }

    /// The method as a String: the common ones are literals (no UTF-8 validation or
    /// storage per request, as for the version), any other token is made from its bytes.
    private static func method(_ bytes: UnsafeRawBufferPointer) -> String {
        switch bytes.count {
        case 3:
            if bytes[0] == 0x47 && bytes[1] == 0x45 && bytes[2] == 0x54 { return "GET" }
            if bytes[0] == 0x50 && bytes[1] == 0x55 && bytes[2] == 0x54 { return "PUT" }
        case 4:
            switch bytes.loadUnaligned(as: UInt32.self) {
            case UInt32(littleEndian: 0x4441_4548): return "HEAD"
            case UInt32(littleEndian: 0x5453_4F50): return "POST"
            default: break
            }
        default:
            break
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `HTTP-version SP status-code SP [reason-phrase]`. A missing SP before an empty reason
    /// is accepted (many servers send `HTTP/1.1 200`).
    static func status(_ line: UnsafeRawBufferPointer, base: Int) throws(HTTPQError)
        -> (version: String, status: Int, reason: String)
    {
        guard let space = ByteSearch.firstIndex(of: Grammar.space, in: line, from: 0) else {
            throw HTTPQError(.malformedStartLine, at: base + line.count)
        }
        let version = try self.version(line, 0..<space, base: base)
        let codeStart = space + 1
        guard line.count >= codeStart + 3 else { throw HTTPQError(.invalidStatus, at: base + codeStart) }
        var status = 0
        for index in codeStart..<(codeStart + 3) {
            let byte = line[index]
            guard byte >= 0x30 && byte <= 0x39 else { throw HTTPQError(.invalidStatus, at: base + index) }
            status = status * 10 + Int(byte - 0x30)
        }
        let afterCode = codeStart + 3
        if afterCode == line.count { return (version, status, "") }
        guard line[afterCode] == Grammar.space else { throw HTTPQError(.invalidStatus, at: base + afterCode) }
        if let bad = Grammar.firstInvalidFieldValueByte(line, (afterCode + 1)..<line.count) {
            throw HTTPQError(.invalidReason, at: base + bad)
        }
        return (version, status, reason(line, (afterCode + 1)..<line.count))
    }

    /// The reason phrase; `OK`, by far the most common, without decoding (building the
    /// string was a twentieth of parsing a small response).
    private static func reason(_ line: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        if range.count == 2 && line[range.lowerBound] == 0x4F && line[range.lowerBound + 1] == 0x4B { return "OK" }
        return text(line, range)
    }

    /// `HTTP/DIGIT.DIGIT`, refusing majors other than 1.
    private static func version(_ line: UnsafeRawBufferPointer, _ range: Range<Int>, base: Int) throws(HTTPQError) -> String {
        let bytes = UnsafeRawBufferPointer(rebasing: line[range])
        let isDigit = { (byte: UInt8) in byte >= 0x30 && byte <= 0x39 }
        guard bytes.count == 8, bytes[0] == 0x48, bytes[1] == 0x54, bytes[2] == 0x54, bytes[3] == 0x50,
              bytes[4] == 0x2F, isDigit(bytes[5]), bytes[6] == 0x2E, isDigit(bytes[7]) else {
            throw HTTPQError(.invalidVersion, at: base + range.lowerBound)
        }
        guard bytes[5] == 0x31 else { throw HTTPQError(.unsupportedVersion, at: base + range.lowerBound) }
        return bytes[7] == 0x31 ? "HTTP/1.1" : bytes[7] == 0x30 ? "HTTP/1.0" : text(line, range)
    }

    /// The bytes as a String (invalid UTF-8 replaced, never trapped on).
    @inline(__always)
    static func text(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
}
