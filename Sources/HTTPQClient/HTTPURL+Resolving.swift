extension HTTPURL {
    /// `reference` (a `Location` value, say) resolved against this URL as RFC 3986 §5.2 says:
    /// absolute (scheme case ignored), network-path (`//host/x`), absolute-path, relative-path
    /// (merged with this path), query-only (`?page=2` keeps this path) and empty references;
    /// dot segments removed. The fragment is dropped.
    ///
    /// Throws `invalidURL` for a reference that cannot be requested: a scheme other than
    /// http and https (`file:///etc/passwd` is refused, never sent as a path), spaces or
    /// control characters, a bad authority.
    public func resolving(_ reference: String) throws(ClientError) -> HTTPURL {
        var reference = Substring(reference)
        if let hash = reference.firstIndex(of: "#") { reference = reference[..<hash] }
        if let scheme = Self.scheme(of: reference) {
            let lowered = scheme.lowercased()
            guard lowered == "http" || lowered == "https" else {
                throw .invalidURL(String(reference), reason: "scheme \(lowered) is neither http nor https")
            }
            return try HTTPURL(lowered + reference.dropFirst(scheme.count))
        }
        if reference.hasPrefix("//") { return try HTTPURL("\(scheme):\(reference)") }
        var resolved = try resolvingPath(reference)
        resolved.socketPath = socketPath // a reference within this origin stays on its socket
        return resolved
    }

    /// A reference without scheme or authority, resolved against this URL's path and query.
    private func resolvingPath(_ reference: Substring) throws(ClientError) -> HTTPURL {
        let (basePath, baseQuery) = Self.split(target)
        let (path, query) = Self.split(String(reference))
        let resolvedPath: String
        let resolvedQuery: String?
        if path.isEmpty {
            resolvedPath = basePath
            resolvedQuery = query ?? baseQuery
        } else if path.hasPrefix("/") {
            resolvedPath = Self.removingDotSegments(path)
            resolvedQuery = query
        } else {
            let directory = basePath[...(basePath.lastIndex(of: "/") ?? basePath.startIndex)]
            resolvedPath = Self.removingDotSegments(directory + path)
            resolvedQuery = query
        }
        return try HTTPURL("\(scheme)://\(authority)\(resolvedPath)\(resolvedQuery.map { "?\($0)" } ?? "")")
    }

    /// Whether `other` has this URL's origin (scheme, host, port): credentials set for one
    /// origin are not sent to another.
    public func isSameOrigin(as other: HTTPURL) -> Bool {
        scheme == other.scheme && host.lowercased() == other.host.lowercased() && port == other.port && socketPath == other.socketPath
    }

    /// `scheme ":"` at the start of a reference (RFC 3986 §3.1), or nil for a relative one.
    private static func scheme(of reference: Substring) -> Substring? {
        guard let first = reference.first, first.isASCII, first.isLetter else { return nil }
        for (index, character) in zip(reference.indices, reference) {
            if character == ":" { return reference[..<index] }
            guard character.isASCII, character.isLetter || character.isNumber || "+-.".contains(character) else { return nil }
        }
        return nil
    }

    private static func split(_ target: String) -> (path: String, query: String?) {
        guard let mark = target.firstIndex(of: "?") else { return (target, nil) }
        return (String(target[..<mark]), String(target[target.index(after: mark)...]))
    }

    /// RFC 3986 §5.2.4: `.` and `..` segments removed (never above the root).
    static func removingDotSegments(_ path: String) -> String {
        var output: [Substring] = []
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        for (index, segment) in segments.enumerated() {
            let isLast = index == segments.count - 1
            switch segment {
            case ".":
                if isLast { output.append("") }
            case "..":
                if !output.isEmpty { output.removeLast() }
                if isLast { output.append("") }
            default:
                output.append(segment)
            }
        }
        return "/" + output.joined(separator: "/")
    }
}
