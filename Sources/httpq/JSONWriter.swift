/// A tiny JSON object writer that keeps keys in the order written (the `parse` contract
/// fixes the order) and escapes strings per RFC 8259.
struct JSONWriter {
    private(set) var text = "{"
    private var first = true

    mutating func key(_ name: String) {
        if !first { text += ", " }
        first = false
        text += Self.quoted(name) + ": "
    }

    mutating func string(_ name: String, _ value: String?) {
        key(name)
        text += value.map(Self.quoted) ?? "null"
    }

    mutating func number(_ name: String, _ value: Int) { key(name); text += String(value) }
    mutating func number(_ name: String, _ value: Int?) { key(name); text += value.map { String($0) } ?? "null" }
    mutating func double(_ name: String, _ value: Double) { key(name); text += String(value) }
    mutating func bool(_ name: String, _ value: Bool) { key(name); text += value ? "true" : "false" }

    /// `[["Name", "value"], ...]`
    mutating func pairs(_ name: String, _ pairs: [(String, String)]) {
        key(name)
        text += "[" + pairs.map { "[\(Self.quoted($0.0)), \(Self.quoted($0.1))]" }.joined(separator: ", ") + "]"
    }

    /// A value already in JSON (a number or `null`), after `key`.
    mutating func raw(_ json: String) { text += json }

    /// A nested object, written by `build`.
    mutating func object(_ name: String, _ build: (inout JSONWriter) -> Void) {
        key(name)
        var inner = JSONWriter()
        build(&inner)
        text += inner.finish()
    }

    /// A string known to need no escaping (base64), appended as is: a body of a GiB is
    /// then copied once into the object instead of through an escaping pass.
    mutating func plainString(_ name: String, _ value: String) {
        key(name)
        text += "\""
        text += value
        text += "\""
    }

    /// The finished object (closed in place: no copy of a large object).
    mutating func finish() -> String {
        text += "}"
        return text
    }

    /// `value` as a JSON string. Runs of bytes that need no escape are copied whole (a
    /// base64 body of a GiB is one run); per-scalar appends made `httpq parse` spend most
    /// of its time here.
    static func quoted(_ value: String) -> String {
        var out: [UInt8] = []
        var value = value
        value.withUTF8 { bytes in
            out.reserveCapacity(bytes.count + 2)
            out.append(UInt8(ascii: "\""))
            var runStart = 0
            for (index, byte) in bytes.enumerated() {
                let escape: [UInt8]?
                switch byte {
                case UInt8(ascii: "\""): escape = Array(#"\""#.utf8)
                case UInt8(ascii: "\\"): escape = Array(#"\\"#.utf8)
                case UInt8(ascii: "\n"): escape = Array(#"\n"#.utf8)
                case UInt8(ascii: "\r"): escape = Array(#"\r"#.utf8)
                case UInt8(ascii: "\t"): escape = Array(#"\t"#.utf8)
                case 0..<0x20, 0x7F:
                    let hex = String(byte, radix: 16)
                    escape = Array(("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8)
                default: escape = nil
                }
                guard let escape else { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                out.append(contentsOf: escape)
                runStart = index + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
            out.append(UInt8(ascii: "\""))
        }
        return String(decoding: out, as: UTF8.self)
    }
}
