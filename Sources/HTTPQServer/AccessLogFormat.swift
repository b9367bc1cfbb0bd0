#if canImport(Glibc)
import Glibc
#endif

/// How an access log line looks.
public enum AccessLogFormat: String, Sendable, CaseIterable {
    /// nginx's `combined`: `$remote_addr - $remote_user [$time_local] "$request" $status
    /// $body_bytes_sent "$http_referer" "$http_user_agent"` — what GoAccess, AWStats, Filebeat's
    /// nginx module and every log tool read. Quotes, backslashes and control bytes inside
    /// fields are written `\xHH`, as nginx does.
    case combined
    /// One JSON object per line (`time` ISO 8601 UTC with milliseconds, `remote_addr`,
    /// `method`, `target`, `version`, `status`, `bytes`, `duration_ms`, `referer`,
    /// `user_agent`), for log pipelines that parse JSON.
    case json

    /// `entry` as one line (without the newline).
    public func line(for entry: AccessLogEntry) -> String {
        var clock = LogClock()
        return line(for: entry, clock: &clock)
    }

    /// As `line(for:)`, reusing `clock`'s formatted second (the writer formats many entries
    /// of the same second).
    func line(for entry: AccessLogEntry, clock: inout LogClock) -> String {
        switch self {
        case .combined:
            let request = Self.escaped("\(entry.method) \(entry.target) \(entry.version)")
            return "\(entry.peer?.host ?? "-") - - [\(clock.local(entry.time))] \"\(request)\" \(entry.status) \(entry.bytes) "
                + "\"\(entry.referer.map(Self.escaped) ?? "-")\" \"\(entry.userAgent.map(Self.escaped) ?? "-")\""
        case .json:
            let milliseconds = (entry.seconds * 1_000_000).rounded() / 1_000
            var fields = [
                "\"time\":\"\(clock.iso(entry.time))\"",
                "\"remote_addr\":\(Self.json(entry.peer?.host ?? ""))",
                "\"method\":\(Self.json(entry.method))",
                "\"target\":\(Self.json(entry.target))",
                "\"version\":\(Self.json(entry.version))",
                "\"status\":\(entry.status)",
                "\"bytes\":\(entry.bytes)",
                "\"duration_ms\":\(milliseconds)",
            ]
            if let referer = entry.referer { fields.append("\"referer\":\(Self.json(referer))") }
            if let userAgent = entry.userAgent { fields.append("\"user_agent\":\(Self.json(userAgent))") }
            return "{" + fields.joined(separator: ",") + "}"
        }
    }

    /// nginx's escaping of logged variables: `"`, `\` and bytes outside 0x20...0x7E as `\xHH`.
    static func escaped(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x22 || $0 == 0x5C || $0 < 0x20 || $0 > 0x7E }) else { return text }
        var out = ""
        for byte in text.utf8 {
            if byte == 0x22 || byte == 0x5C || byte < 0x20 || byte > 0x7E {
                out += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            } else {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return out
    }

    /// A JSON string literal (RFC 8259 escapes).
    static func json(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u00" + (scalar.value < 16 ? "0" : "") + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// The time of log lines, formatted once per second.
struct LogClock {
    private var second = Int.min
    private var localText = ""
    private var isoText = ""

    /// `29/Nov/2026:23:50:01 +0000`: nginx's `$time_local`.
    mutating func local(_ time: Double) -> String {
        refresh(time)
        return localText
    }

    /// `2026-11-29T23:50:01.123Z`.
    mutating func iso(_ time: Double) -> String {
        refresh(time)
        let milliseconds = Int((time - time.rounded(.down)) * 1000)
        return isoText + "." + String(repeating: "0", count: milliseconds < 10 ? 2 : milliseconds < 100 ? 1 : 0) + "\(milliseconds)Z"
    }

    private mutating func refresh(_ time: Double) {
        let whole = Int(time.rounded(.down))
        guard whole != second else { return }
        second = whole
        var seconds = time_t(whole)
        var parts = tm()
        localtime_r(&seconds, &parts)
        localText = Self.format("%d/%b/%Y:%H:%M:%S %z", &parts)
        gmtime_r(&seconds, &parts)
        isoText = Self.format("%Y-%m-%dT%H:%M:%S", &parts)
    }

    private static func format(_ pattern: String, _ parts: inout tm) -> String {
        var text = [CChar](repeating: 0, count: 64)
        let count = strftime(&text, text.count, pattern, &parts)
        return String(decoding: text[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
