/// What a `Range` field asks of a representation of `size` bytes (RFC 9110 §14.2): byte
/// ranges only; a field that is not `bytes=` or breaks the grammar is ignored (the whole
/// representation is the answer, as the RFC says), ranges past the end are unsatisfiable.
public enum RangeRequest: Hashable, Sendable {
    /// No usable `Range`: answer 200 with everything.
    case whole
    /// One satisfiable range: answer 206 with it.
    case single(Range<Int>)
    /// Several satisfiable ranges, in the order asked.
    case multiple([Range<Int>])
    /// None of the ranges can be satisfied: answer 416 with `Content-Range: bytes */size`.
    case unsatisfiable

    /// Evaluates the field value `value` (nil: no field) against `size`.
    public static func evaluate(_ value: String?, size: Int) -> RangeRequest {
        guard let value else { return .whole }
        let trimmed = value.trimmingOWS
        guard let equals = trimmed.firstIndex(of: "="), trimmed[..<equals].lowercased() == "bytes" else { return .whole }
        var satisfiable: [Range<Int>] = []
        var sawSpec = false
        for element in trimmed[trimmed.index(after: equals)...].split(separator: ",", omittingEmptySubsequences: false) {
            let spec = element.trimmingOWS
            if spec.isEmpty { continue } // an empty list element (RFC 9110 §5.6.1)
            sawSpec = true
            guard let dash = spec.firstIndex(of: "-") else { return .whole }
            let firstText = spec[..<dash], lastText = spec[spec.index(after: dash)...]
            if firstText.isEmpty { // suffix: the last N bytes
                guard let length = digits(lastText) else { return .whole }
                if length > 0 && size > 0 { satisfiable.append(Swift.max(0, size - length)..<size) }
                continue
            }
            guard let first = digits(firstText) else { return .whole }
            var last = Int.max
            if !lastText.isEmpty {
                guard let given = digits(lastText), given >= first else { return .whole }
                last = given
            }
            if first < size { satisfiable.append(first..<(last >= size - 1 ? size : last + 1)) }
        }
        guard sawSpec else { return .whole }
        switch satisfiable.count {
        case 0: return .unsatisfiable
        case 1: return .single(satisfiable[0])
        default: return .multiple(satisfiable)
        }
    }

    /// A run of ASCII digits as a number (saturating at `Int.max`); nil for anything else.
    private static func digits(_ text: Substring) -> Int? {
        guard !text.isEmpty else { return nil }
        var value = 0
        for byte in text.utf8 {
            guard byte >= 48 && byte <= 57 else { return nil }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int(byte - 48))
            value = overflow1 || overflow2 ? Int.max : sum
        }
        return value
    }
}

extension String {
    /// Without leading and trailing spaces and tabs (RFC 9110's OWS).
    var trimmingOWS: Substring { self[...].trimmingOWS }
}

extension Substring {
    /// Without leading and trailing spaces and tabs (RFC 9110's OWS).
    var trimmingOWS: Substring {
        let text = self
        guard let first = text.firstIndex(where: { $0 != " " && $0 != "\t" }),
              let last = text.lastIndex(where: { $0 != " " && $0 != "\t" }) else { return text[text.endIndex...] }
        return text[first...last]
    }
}
