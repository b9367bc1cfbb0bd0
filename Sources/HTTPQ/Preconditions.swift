/// Conditional requests (RFC 9110 §13): the preconditions of a request evaluated against the
/// selected representation's validators, in the order §13.2.2 gives, and `If-Range`.
public enum Preconditions {
    /// What the preconditions say.
    public enum Outcome: Hashable, Sendable {
        /// Go on with the request (the method's usual answer).
        case proceed
        /// 304 Not Modified (a GET or HEAD whose cached copy is current).
        case notModified
        /// 412 Precondition Failed.
        case failed
    }

    /// Whether `headers` may hold a precondition or a `Range` (a field whose name starts
    /// with `If-` or is `Range`): one pass over the names, so that the common request, with
    /// none, skips the lookups.
    public static func mayApply(to headers: Headers) -> Bool {
        headers.entries.contains { entry in
            guard let first = entry.name.first.map({ headers.bytes[$0] | 0x20 }) else { return false }
            return (first == UInt8(ascii: "i") && entry.name.count > 3) || (first == UInt8(ascii: "r") && entry.name.count == 5)
        }
    }

    /// Evaluates `If-Match`, `If-Unmodified-Since`, `If-None-Match` and `If-Modified-Since`
    /// for `method` against a representation with entity tag `etag` (e.g. `"5f3-1a"`, quoted)
    /// and modification time `lastModified` (seconds since the epoch); nil validators: no
    /// current representation (a PUT creating a file).
    public static func evaluate(_ headers: Headers, method: String, etag: String?, lastModified: Int?) -> Outcome {
        let exists = etag != nil || lastModified != nil
        let readOnly = method == "GET" || method == "HEAD"
        // 1. If-Match (strong comparison), else 2. If-Unmodified-Since.
        if let ifMatch = headers["If-Match"] {
            guard let tags = EntityTagList(ifMatch) else { return .failed }
            if !(tags.isAny ? exists : tags.contains(etag, weak: false)) { return .failed }
        } else if let text = headers["If-Unmodified-Since"], let date = IMFDate.parse(text), let lastModified {
            if lastModified > date { return .failed }
        }
        // 3. If-None-Match (weak comparison), else 4. If-Modified-Since (GET and HEAD only).
        if let ifNoneMatch = headers["If-None-Match"] {
            guard let tags = EntityTagList(ifNoneMatch) else { return .proceed }
            if tags.isAny ? exists : tags.contains(etag, weak: true) { return readOnly ? .notModified : .failed }
        } else if readOnly, let text = headers["If-Modified-Since"], let date = IMFDate.parse(text), let lastModified {
            if lastModified <= date { return .notModified }
        }
        return .proceed
    }

    /// Whether a `Range` applies (RFC 9110 §13.1.5): no `If-Range`, or one naming the current
    /// representation — its entity tag (strong comparison) or exactly its modification date.
    /// Otherwise the whole representation is the answer.
    public static func rangeApplies(_ headers: Headers, etag: String?, lastModified: Int?) -> Bool {
        guard let value = headers["If-Range"]?.trimmingOWS else { return true }
        if value.hasPrefix("\"") || value.hasPrefix("W/") {
            guard let tags = EntityTagList(String(value)), !tags.isAny, tags.tags.count == 1 else { return false }
            return tags.contains(etag, weak: false)
        }
        guard let date = IMFDate.parse(value), let lastModified else { return false }
        return date == lastModified
    }
}

/// A field value that lists entity tags (`*`, or `"a", W/"b"`), parsed per RFC 9110 §8.8.3.
struct EntityTagList {
    /// The tags, each with whether it was weak.
    var tags: [(opaque: Substring, weak: Bool)] = []
    var isAny = false

    /// Nil when the value breaks the grammar.
    init?(_ value: String) {
        let text = value.trimmingOWS
        if text == "*" {
            isAny = true
            return
        }
        var rest = text
        while !rest.isEmpty {
            var weak = false
            if rest.hasPrefix("W/") {
                weak = true
                rest = rest.dropFirst(2)
            }
            guard rest.first == "\"", let close = rest.dropFirst().firstIndex(of: "\"") else { return nil }
            let opaque = rest[rest.index(after: rest.startIndex)..<close]
            guard opaque.utf8.allSatisfy({ $0 == 0x21 || ($0 >= 0x23 && $0 != 0x7F) }) else { return nil }
            tags.append((opaque, weak))
            rest = rest[rest.index(after: close)...].trimmingOWS
            if rest.isEmpty { break }
            guard rest.first == "," else { return nil }
            rest = rest.dropFirst().trimmingOWS
        }
        if tags.isEmpty { return nil }
    }

    /// Whether `etag` (quoted, possibly `W/`) is in the list: a strong comparison needs both
    /// strong; a weak one compares the opaque parts only.
    func contains(_ etag: String?, weak: Bool) -> Bool {
        guard let etag else { return false }
        let isWeak = etag.hasPrefix("W/")
        let quoted = isWeak ? etag.dropFirst(2) : etag[...]
        guard quoted.count >= 2 else { return false }
        let opaque = quoted.dropFirst().dropLast()
        return tags.contains { tag in tag.opaque == opaque && (weak || (!tag.weak && !isWeak)) }
    }
}
