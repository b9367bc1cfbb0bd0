/// A request line as bytes, and its method, target and version within it: what an access
/// log writes (nginx's `$request` whole, or the three apart), lent for the length of a call.
package struct RequestLineBytes {
    package let line: UnsafeBufferPointer<UInt8>
    package let method: UnsafeBufferPointer<UInt8>
    package let target: UnsafeBufferPointer<UInt8>
    package let version: UnsafeBufferPointer<UInt8>

    /// `line` split at its first and its last space (RFC 9112 §3: `method SP request-target
    /// SP HTTP-version`, one space each, as the parser takes it; a target holds none). Nil
    /// with fewer than two spaces.
    package init?(line: UnsafeBufferPointer<UInt8>) {
        guard let first = ByteSearch.firstIndex(of: Grammar.space, in: UnsafeRawBufferPointer(line), from: 0) else { return nil }
        var last = line.count - 1
        while last > first && line[last] != Grammar.space { last -= 1 } // (a version is eight bytes)
        guard last > first else { return nil }
        self.line = line
        method = UnsafeBufferPointer(rebasing: line[..<first])
        target = UnsafeBufferPointer(rebasing: line[(first + 1)..<last])
        version = UnsafeBufferPointer(rebasing: line[(last + 1)...])
    }

    /// A line as received that could not be parsed: split at its first and last space when it
    /// has two, else all of it the target (method and version empty).
    package init(unparsed line: UnsafeBufferPointer<UInt8>) {
        if let parts = RequestLineBytes(line: line) {
            self = parts
        } else {
            self.line = line
            method = UnsafeBufferPointer(rebasing: line[..<0])
            target = line
            version = UnsafeBufferPointer(rebasing: line[line.count...])
        }
    }

    /// The line `method SP target SP version` made from strings, lent to `body` (for a request
    /// built from its fields, or a log entry that carries them as strings). Without a method
    /// and a version, the target is the whole line (an entry for a line that was not parsed).
    package static func with<R>(method: String, target: String, version: String, _ body: (RequestLineBytes) -> R) -> R {
        if method.isEmpty && version.isEmpty {
            var target = target
            return target.withUTF8 { body(RequestLineBytes(unparsed: $0)) }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(method.utf8.count + target.utf8.count + version.utf8.count + 2)
        bytes.append(contentsOf: method.utf8)
        bytes.append(Grammar.space)
        let targetStart = bytes.count
        bytes.append(contentsOf: target.utf8)
        bytes.append(Grammar.space)
        let versionStart = bytes.count
        bytes.append(contentsOf: version.utf8)
        return bytes.withUnsafeBufferPointer { line in
            body(RequestLineBytes(line: line, methodEnd: targetStart - 1, targetEnd: versionStart - 1))
        }
    }

    /// The parts by position (a target given as a string may hold spaces the parser would
    /// not have taken: the split is where the strings met, not where a space is).
    init(line: UnsafeBufferPointer<UInt8>, methodEnd: Int, targetEnd: Int) {
        self.line = line
        method = UnsafeBufferPointer(rebasing: line[..<methodEnd])
        target = UnsafeBufferPointer(rebasing: line[(methodEnd + 1)..<targetEnd])
        version = UnsafeBufferPointer(rebasing: line[(targetEnd + 1)...])
    }
}
