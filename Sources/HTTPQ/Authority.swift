/// The RFC 3986 §3.2 `authority` grammar, as the `Host` field (RFC 9110 §7.2) and the
/// authority-form of CONNECT (RFC 9112 §3.2.3) use it: `host [ ":" port ]` without userinfo.
public enum Authority {
    /// Whether `text` is `host[:port]` (RFC 3986 §3.2, no userinfo): what a `Host` value and
    /// the authority of an http(s) URL must be. `requiresPort` for CONNECT's authority-form.
    public static func isValid(_ text: String, requiresPort: Bool = false) -> Bool {
        Array(text.utf8).withUnsafeBytes { isValid($0, requiresPort: requiresPort) }
    }

    /// `unreserved / sub-delims` plus `%` for pct-encoded: the bytes of a `reg-name`.
    private static let regName = ByteSet(
        w0: 0x2BFF_7FF2_0000_0000, // ! $ % & ' ( ) * + , - . 0-9 ; =
        w1: 0x47FF_FFFE_87FF_FFFE, // A-Z _ a-z ~
        w2: 0, w3: 0)

    /// Whether `bytes` is `host [ ":" port ]`: an IP-literal in brackets, an IPv4 address or
    /// a reg-name, then digits after the colon. `requiresPort` for CONNECT's authority-form.
    /// An empty value is valid only where a target has no authority (RFC 9110 §7.2).
    static func isValid(_ bytes: UnsafeRawBufferPointer, requiresPort: Bool = false) -> Bool {
        var end = bytes.count
        var hasPort = false
        // The port: the digits after the last colon outside brackets.
        if let colon = lastColonOutsideBrackets(bytes) {
            for index in (colon + 1)..<bytes.count where !(0x30...0x39).contains(bytes[index]) { return false }
            hasPort = colon + 1 < bytes.count
            if !hasPort && requiresPort { return false }
            end = colon
        }
        if requiresPort && !hasPort { return false }
        let host = UnsafeRawBufferPointer(rebasing: bytes[0..<end])
        if host.first == UInt8(ascii: "[") {
            // IP-literal: hex digits, colons and dots of IPv6 (or IPvFuture), in brackets.
            guard host.count > 2, host.last == UInt8(ascii: "]") else { return false }
            for byte in host.dropFirst().dropLast() {
                guard Grammar.hexValue(byte) != nil || byte == Grammar.colon || byte == UInt8(ascii: ".")
                        || byte == UInt8(ascii: "v") || byte == UInt8(ascii: "V") else { return false }
            }
            return true
        }
        if host.isEmpty { return !requiresPort && !hasPort && end == bytes.count }
        var index = 0
        while index < host.count {
            let byte = host[index]
            guard regName.contains(byte) else { return false }
            if byte == UInt8(ascii: "%") {
                guard index + 2 < host.count, Grammar.hexValue(host[index + 1]) != nil,
                      Grammar.hexValue(host[index + 2]) != nil else { return false }
                index += 2
            }
            index += 1
        }
        return true
    }

    private static func lastColonOutsideBrackets(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var index = bytes.count - 1
        while index >= 0 {
            switch bytes[index] {
            case Grammar.colon: return index
            case UInt8(ascii: "]"): return nil
            default: index -= 1
            }
        }
        return nil
    }
}

/// The four forms of a request target (RFC 9112 §3.2) and which methods may use them.
public enum RequestTargetForm: Hashable, Sendable {
    /// `/path?query`: every method but CONNECT.
    case origin
    /// `scheme://authority/path?query`: every method (proxies; servers must accept it).
    case absolute
    /// `host:port`: CONNECT only.
    case authority
    /// `*`: OPTIONS only.
    case asterisk

    /// The form of `target` as the request line of `method` must have it, or nil when the
    /// target has no form that method allows.
    static func of(_ target: UnsafeRawBufferPointer, method: UnsafeRawBufferPointer) -> RequestTargetForm? {
        let isConnect = Grammar.equalsExactly(method, "CONNECT")
        if isConnect { return Authority.isValid(target, requiresPort: true) ? .authority : nil }
        guard let first = target.first else { return nil }
        if first == UInt8(ascii: "/") { return .origin }
        if target.count == 1 && first == UInt8(ascii: "*") {
            return Grammar.equalsExactly(method, "OPTIONS") ? .asterisk : nil
        }
        // absolute-URI: scheme ":" hier-part, scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
        guard Grammar.isAlpha(first) else { return nil }
        for byte in target.dropFirst() {
            if byte == Grammar.colon { return .absolute }
            guard Grammar.isAlpha(byte) || (0x30...0x39).contains(byte) || byte == UInt8(ascii: "+")
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") else { return nil }
        }
        return nil
    }
}
