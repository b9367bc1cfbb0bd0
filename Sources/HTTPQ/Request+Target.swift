extension Request {
    /// The form of the request target (RFC 9112 §3.2), or nil when the method does not allow it.
    public var targetForm: RequestTargetForm? {
        let target = Array(self.target.utf8), method = Array(self.method.utf8)
        return target.withUnsafeBytes { t in method.withUnsafeBytes { m in RequestTargetForm.of(t, method: m) } }
    }

    /// Turns an absolute-form target (`http://host/path?q`) into the origin form an origin
    /// server routes on (`/path?q`), with `Host` replaced by the target's authority: RFC 9112
    /// §3.2.2 says a server must accept the absolute form and must then ignore the received
    /// Host. Nothing changes for other forms. Throws `invalidTargetForm` for schemes other
    /// than http and https, and `invalidHost` for an authority that is not `host[:port]`.
    /// In either form a fragment (`#…`) is dropped: a request target cannot hold one (RFC 9112
    /// §3.2), a client that sends one means the resource without it, and nginx ignores it too.
    public mutating func useAbsoluteFormTarget() throws(HTTPQError) {
        // The common case first, without copying the target and method out to classify them
        // (the server calls this for every request).
        if target.utf8.first == UInt8(ascii: "/") {
            // Over the bytes where they are (`utf8.firstIndex` walked the view generically:
            // ~370 instructions a request for an 11-byte path).
            let hash = target.utf8.withContiguousStorageIfAvailable {
                ByteSearch.firstIndex(of: UInt8(ascii: "#"), in: UnsafeRawBufferPointer($0), from: 0)
            } ?? target.utf8.firstIndex(of: UInt8(ascii: "#")).map { target.utf8.distance(from: target.utf8.startIndex, to: $0) }
            if let hash { target = String(decoding: target.utf8.prefix(hash), as: UTF8.self) }
            return
        }
        guard targetForm == .absolute else { return }
        let text = target
        guard let colon = text.firstIndex(of: ":") else { throw HTTPQError(.invalidTargetForm, at: 0) }
        let scheme = text[..<colon].lowercased()
        let afterColon = text[text.index(after: colon)...]
        guard scheme == "http" || scheme == "https", afterColon.hasPrefix("//") else {
            throw HTTPQError(.invalidTargetForm, at: 0)
        }
        let rest = afterColon.dropFirst(2)
        let pathStart = rest.firstIndex { (c: Character) in c == "/" || c == "?" || c == "#" } ?? rest.endIndex
        let authority = String(rest[..<pathStart])
        let authorityBytes = Array(authority.utf8)
        let valid = authorityBytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in Authority.isValid(raw) }
        guard !authority.isEmpty, !authority.contains("@"), valid else { throw HTTPQError(.invalidHost, at: 0) }
        var path = String(rest[pathStart...])
        if let hash = path.firstIndex(of: "#") { path = String(path[..<hash]) }
        if !path.hasPrefix("/") { path = "/" + path }
        target = path
        var fields = headers
        fields.remove("Host")
        fields.add("Host", authority)
        headers = fields
    }
}
