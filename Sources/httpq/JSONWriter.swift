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

    /// The finished object.
    mutating func finish() -> String { text + "}" }

    static func quoted(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
