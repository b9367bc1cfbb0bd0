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
        var out: [UInt8] = []
        append(entry, to: &out, clock: &clock)
        return String(decoding: out.dropLast(), as: UTF8.self) // the newline

    }

    /// Appends `entry`'s line and a newline to `out`, reusing `clock`'s formatted second:
    /// bytes appended in place, no intermediate strings (the writer formats thousands a
    /// second beside the loops, on the same cores).
    func append(_ entry: AccessLogEntry, to out: inout [UInt8], clock: inout LogClock) {
        switch self {
        case .combined:
            out.append(contentsOf: (entry.peer?.host ?? "-").utf8)
            out.append(contentsOf: " - - [".utf8)
            out.append(contentsOf: clock.local(entry.time).utf8)
            out.append(contentsOf: "] \"".utf8)
            Self.appendEscaped(entry.method, to: &out)
            out.append(0x20)
            Self.appendEscaped(entry.target, to: &out)
            out.append(0x20)
            Self.appendEscaped(entry.version, to: &out)
            out.append(contentsOf: "\" ".utf8)
            Self.appendNumber(entry.status, to: &out)
            out.append(0x20)
            Self.appendNumber(entry.bytes, to: &out)
            out.append(contentsOf: " \"".utf8)
            if let referer = entry.referer { Self.appendEscaped(referer, to: &out) } else { out.append(UInt8(ascii: "-")) }
            out.append(contentsOf: "\" \"".utf8)
            if let agent = entry.userAgent { Self.appendEscaped(agent, to: &out) } else { out.append(UInt8(ascii: "-")) }
            out.append(contentsOf: "\"\n".utf8)
        case .json:
            out.append(contentsOf: "{\"time\":\"".utf8)
            out.append(contentsOf: clock.iso(entry.time).utf8)
            out.append(contentsOf: "\",\"remote_addr\":".utf8)
            Self.appendJSON(entry.peer?.host ?? "", to: &out)
            out.append(contentsOf: ",\"method\":".utf8)
            Self.appendJSON(entry.method, to: &out)
            out.append(contentsOf: ",\"target\":".utf8)
            Self.appendJSON(entry.target, to: &out)
            out.append(contentsOf: ",\"version\":".utf8)
            Self.appendJSON(entry.version, to: &out)
            out.append(contentsOf: ",\"status\":".utf8)
            Self.appendNumber(entry.status, to: &out)
            out.append(contentsOf: ",\"bytes\":".utf8)
            Self.appendNumber(entry.bytes, to: &out)
            out.append(contentsOf: ",\"duration_ms\":".utf8)
            let microseconds = Int((entry.seconds * 1_000_000).rounded())
            Self.appendNumber(microseconds / 1000, to: &out)
            out.append(UInt8(ascii: "."))
            let fraction = microseconds % 1000
            if fraction < 100 { out.append(UInt8(ascii: "0")) }
            if fraction < 10 { out.append(UInt8(ascii: "0")) }
            Self.appendNumber(fraction, to: &out)
            if let referer = entry.referer {
                out.append(contentsOf: ",\"referer\":".utf8)
                Self.appendJSON(referer, to: &out)
            }
            if let agent = entry.userAgent {
                out.append(contentsOf: ",\"user_agent\":".utf8)
                Self.appendJSON(agent, to: &out)
            }
            out.append(contentsOf: "}\n".utf8)
        }
    }

    /// nginx's escaping of logged variables: `"`, `\` and bytes outside 0x20...0x7E as `\xHH`.
    static func appendEscaped(_ text: String, to out: inout [UInt8]) {
        for byte in text.utf8 {
            if byte == 0x22 || byte == 0x5C || byte < 0x20 || byte > 0x7E {
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "x"), hexDigit(byte >> 4), hexDigit(byte & 0xF)])
            } else {
                out.append(byte)
            }
        }
    }

    /// A JSON string literal (RFC 8259 escapes; UTF-8 passes as it is).
    static func appendJSON(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case 0x22: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case 0x5C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case ..<0x20: out.append(contentsOf: Array("\\u00".utf8) + [hexDigit(byte >> 4), hexDigit(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    static func appendNumber(_ value: Int, to out: inout [UInt8]) {
        guard value != 0 else { return out.append(UInt8(ascii: "0")) }
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value.magnitude
        withUnsafeMutableBytes(of: &digits) { buffer in
            while rest > 0 {
                buffer[count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            }
            for index in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[index]) }
        }
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "A") + value - 10
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
