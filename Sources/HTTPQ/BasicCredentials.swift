/// The `Basic` authentication scheme (RFC 7617): `Authorization: Basic base64(user:password)`.
public enum BasicCredentials {
    /// The `Authorization` field value for `user` and `password` (UTF-8, as RFC 7617 §2.1
    /// recommends). A user name cannot hold a colon; the password can.
    public static func authorization(user: String, password: String) -> String {
        "Basic " + base64(Array("\(user):\(password)".utf8))
    }

    /// The user and password an `Authorization` field value carries, when it is `Basic`
    /// (the scheme in any case, RFC 9110 §11.1) with well-formed base64; nil otherwise.
    /// The password may hold colons; the user is what comes before the first.
    public static func decode(_ authorization: String) -> (user: String, password: String)? {
        var value = authorization
        return value.withUTF8 { bytes -> (String, String)? in
            guard let credentials = decodedCredentials(bytes) else { return nil }
            let colon = credentials.firstIndex(of: UInt8(ascii: ":")) ?? credentials.endIndex
            let password = colon < credentials.endIndex ? credentials[(colon + 1)...] : []
            return (String(decoding: credentials[..<colon], as: UTF8.self), String(decoding: password, as: UTF8.self))
        }
    }

    /// The user name of a `Basic` `Authorization` value, as bytes (nginx's `$remote_user`);
    /// nil for another scheme or broken base64.
    package static func user(inAuthorization value: UnsafeBufferPointer<UInt8>) -> ArraySlice<UInt8>? {
        guard let credentials = decodedCredentials(value) else { return nil }
        return credentials[..<(credentials.firstIndex(of: UInt8(ascii: ":")) ?? credentials.endIndex)]
    }

    /// `user:password` decoded from `Basic token68`.
    private static func decodedCredentials(_ value: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let scheme = Array("basic".utf8)
        guard value.count > scheme.count, value[scheme.count] == UInt8(ascii: " "),
              (0..<scheme.count).allSatisfy({ value[$0] | 0x20 == scheme[$0] }) else { return nil }
        var start = scheme.count
        while start < value.count && value[start] == UInt8(ascii: " ") { start += 1 }
        var end = value.count
        while end > start && (value[end - 1] == UInt8(ascii: " ") || value[end - 1] == 9) { end -= 1 }
        guard end > start else { return nil }
        return base64Decoded(UnsafeBufferPointer(rebasing: value[start..<end]))
    }

    /// Base64 (RFC 4648 §4) decoded as nginx decodes credentials: up to the first `=` (padding
    /// optional), nil for a byte outside the alphabet before it or a length that cannot be.
    static func base64Decoded(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.count / 4 * 3 + 2)
        var quantum: UInt32 = 0, count = 0
        for byte in text {
            let value: UInt8
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = byte - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = byte - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "="): return count % 4 == 1 ? nil : flush(quantum, count, into: &out)
            default: return nil
            }
            quantum = quantum << 6 | UInt32(value)
            count += 1
            if count % 4 == 0 {
                out.append(UInt8(truncatingIfNeeded: quantum >> 16))
                out.append(UInt8(truncatingIfNeeded: quantum >> 8))
                out.append(UInt8(truncatingIfNeeded: quantum))
                quantum = 0
            }
        }
        return count % 4 == 1 ? nil : flush(quantum, count, into: &out)
    }

    /// The last two or three sextets' whole bytes.
    private static func flush(_ quantum: UInt32, _ count: Int, into out: inout [UInt8]) -> [UInt8] {
        switch count % 4 {
        case 2: out.append(UInt8(truncatingIfNeeded: quantum >> 4))
        case 3:
            out.append(UInt8(truncatingIfNeeded: quantum >> 10))
            out.append(UInt8(truncatingIfNeeded: quantum >> 2))
        default: break
        }
        return out
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Base64 with padding (RFC 4648 §4).
    static func base64(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let n = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            for shift in [18, 12, 6, 0] { out.append(alphabet[Int((n >> UInt32(shift)) & 63)]) }
            index += 3
        }
        let rest = bytes.count - index
        if rest > 0 {
            let n = UInt32(bytes[index]) << 16 | (rest == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
            out.append(alphabet[Int((n >> 18) & 63)])
            out.append(alphabet[Int((n >> 12) & 63)])
            out.append(rest == 2 ? alphabet[Int((n >> 6) & 63)] : UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }
}
