#if canImport(Glibc)
import Glibc
#endif
@_spi(ByteScanning) import HTTPQ
import Sockets

/// How an access log line looks.
public enum AccessLogFormat: String, Sendable, CaseIterable {
    /// nginx's `combined`: `$remote_addr - $remote_user [$time_local] "$request" $status
    /// $body_bytes_sent "$http_referer" "$http_user_agent"` — what GoAccess, AWStats, Filebeat's
    /// nginx module and every log tool read. Quotes, backslashes and control bytes inside
    /// fields are written `\xHH`, as nginx does. `$remote_user` is the user of a `Basic`
    /// `Authorization` field (whether or not anything checked it, as nginx's); `$request` is
    /// the request line as received, even one that could not be parsed.
    case combined
    /// One JSON object per line (`time` ISO 8601 UTC with milliseconds, `remote_addr`,
    /// `method`, `target`, `version`, `status`, `bytes`, `duration_ms`, `referer`,
    /// `user_agent`, and `remote_user` when there is one), for log pipelines that parse JSON.
    case json

    /// `entry` as one line (without the newline).
    public func line(for entry: AccessLogEntry) -> String {
        var clock = LogClock()
        var out = LineBuffer(capacity: 256)
        append(entry, to: &out, clock: &clock)
        return out.withBytes { String(decoding: $0.dropLast(), as: UTF8.self) } // the newline

    }

    /// `append(_:to:clock:)` for an entry in the writer's batch: through `inout` the compiler
    /// knows nothing else touches it during the call and lends it in place; an element read
    /// from a buffer for a call was copied first (every field retained and released, per line).
    func append(inPlace entry: inout AccessLogEntry, to out: inout LineBuffer, clock: inout LogClock) {
        append(entry, to: &out, clock: &clock)
    }

    /// Appends `entry`'s line and a newline to `out`, reusing `clock`'s formatted second:
    /// bytes appended in place, no intermediate strings (the writer formats thousands a
    /// second beside the loops, on the same cores).
    func append(_ entry: borrowing AccessLogEntry, to out: inout LineBuffer, clock: inout LogClock) {
        RequestLineBytes.with(method: entry.method, target: entry.target, version: entry.version) { requestLine in
            withBytes(of: entry.refererText) { referer in
                withBytes(of: entry.userAgentText) { userAgent in
                    withBytes(of: entry.remoteUser.map(LoggedText.init)) { user in
                        append(peer: entry.peer, user: user, requestLine: requestLine, status: entry.status, bytes: entry.bytes,
                               seconds: entry.seconds, time: entry.time, referer: referer, userAgent: userAgent,
                               to: &out, clock: &clock)
                    }
                }
            }
        }
    }

    /// Appends one line and a newline to `out` from its parts: what an entry holds, or what
    /// a loop formatting its own lines takes straight from the request (`AccessLogLines`).
    /// `requestLine` is written whole for the combined format (nginx's `$request`) and as its
    /// three parts for JSON; `user` (`$remote_user`) nil or empty when there is none.
    func append(peer: SocketAddress?, user: UnsafeBufferPointer<UInt8>?, requestLine: RequestLineBytes, status: Int, bytes: Int,
                seconds: Double, time: Double, referer: UnsafeBufferPointer<UInt8>?, userAgent: UnsafeBufferPointer<UInt8>?,
                to out: inout LineBuffer, clock: inout LogClock) {
        switch self {
        case .combined:
            clock.appendHost(of: peer, to: &out)
            if let user, !user.isEmpty {
                out.appendLiteral(" - ")
                Self.appendEscaped(user, to: &out)
                out.appendLiteral(" [")
            } else {
                out.appendLiteral(" - - [")
            }
            clock.appendLocal(time, to: &out)
            out.appendLiteral("] \"")
            Self.appendEscaped(requestLine.line, to: &out)
            out.appendLiteral("\" ")
            Self.appendNumber(status, to: &out)
            out.append(0x20)
            Self.appendNumber(bytes, to: &out)
            out.appendLiteral(" \"")
            if let referer { Self.appendEscaped(referer, to: &out) } else { out.append(UInt8(ascii: "-")) }
            out.appendLiteral("\" \"")
            if let userAgent { Self.appendEscaped(userAgent, to: &out) } else { out.append(UInt8(ascii: "-")) }
            out.appendLiteral("\"\n")
        case .json:
            out.appendLiteral("{\"time\":\"")
            clock.appendISO(time, to: &out)
            out.appendLiteral("\",\"remote_addr\":")
            if let peer { clock.appendHostJSON(of: peer, to: &out) } else { out.appendLiteral("\"\"") }
            if let user, !user.isEmpty {
                out.appendLiteral(",\"remote_user\":")
                Self.appendJSON(user, to: &out)
            }
            if Self.isPlainJSON(requestLine.line) {
                // The common case, a line with nothing to escape: one scan of the whole line,
                // its three parts copied as they are (three escaping passes cost ~300
                // instructions a line, mostly each call's set-up).
                out.appendLiteral(",\"method\":\"")
                out.appendShort(requestLine.method)
                out.appendLiteral("\",\"target\":\"")
                out.append(requestLine.target)
                out.appendLiteral("\",\"version\":\"")
                out.appendShort(requestLine.version)
                out.appendLiteral("\",\"status\":")
            } else {
                out.appendLiteral(",\"method\":")
                Self.appendJSON(requestLine.method, to: &out)
                out.appendLiteral(",\"target\":")
                Self.appendJSON(requestLine.target, to: &out)
                out.appendLiteral(",\"version\":")
                Self.appendJSON(requestLine.version, to: &out)
                out.appendLiteral(",\"status\":")
            }
            Self.appendNumber(status, to: &out)
            out.appendLiteral(",\"bytes\":")
            Self.appendNumber(bytes, to: &out)
            out.appendLiteral(",\"duration_ms\":")
            Self.appendMilliseconds(seconds, to: &out)
            if let referer {
                out.appendLiteral(",\"referer\":")
                Self.appendJSON(referer, to: &out)
            }
            if let userAgent {
                out.appendLiteral(",\"user_agent\":")
                Self.appendJSON(userAgent, to: &out)
            }
            out.appendLiteral("}\n")
        }
    }

    /// `text`'s bytes lent to `body`, or nil.
    private func withBytes<R>(of text: LoggedText?, _ body: (UnsafeBufferPointer<UInt8>?) -> R) -> R {
        guard let text else { return body(nil) }
        return text.withBytes { body($0) }
    }

    /// nginx's escaping of logged variables: `"`, `\` and bytes outside 0x20...0x7E as `\xHH`.
    /// Runs of plain bytes are copied whole (most fields have nothing to escape).

    static func appendEscaped(_ text: String, to out: inout LineBuffer) {
        var text = text
        text.withUTF8 { appendEscaped($0, to: &out) }
    }

    /// The same over bytes.
    static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout LineBuffer) {
        var start = 0
        var index = EscapeScan.firstSuspect(bytes, from: 0, escapingHighBytes: true)
        while index < bytes.count {
            let byte = bytes[index]
            out.append(UnsafeBufferPointer(rebasing: bytes[start..<index]))
            out.append(UInt8(ascii: "\\"))
            out.append(UInt8(ascii: "x"))
            out.append(hexDigit(byte >> 4))
            out.append(hexDigit(byte & 0xF))
            start = index + 1
            index = EscapeScan.firstSuspect(bytes, from: start, escapingHighBytes: true)
        }
        out.append(UnsafeBufferPointer(rebasing: bytes[start...]))
    }

    /// A JSON string literal (RFC 8259 escapes; UTF-8 passes as it is). Runs of plain bytes
    /// are copied whole.
    static func appendJSON(_ text: String, to out: inout LineBuffer) {
        var text = text
        text.withUTF8 { appendJSON($0, to: &out) }
    }

    /// The same over bytes.
    static func appendJSON(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout LineBuffer) {
        out.append(UInt8(ascii: "\""))
        var start = 0
        var index = EscapeScan.firstSuspect(bytes, from: 0, escapingHighBytes: false)
        while index < bytes.count {
            let byte = bytes[index]
            out.append(UnsafeBufferPointer(rebasing: bytes[start..<index]))
            out.append(UInt8(ascii: "\\"))
            switch byte {
            case 0x22: out.append(UInt8(ascii: "\""))
            case 0x5C: out.append(UInt8(ascii: "\\"))
            case 0x0A: out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "t"))
            default:
                out.appendLiteral("u00")
                out.append(hexDigit(byte >> 4))
                out.append(hexDigit(byte & 0xF))
            }
            start = index + 1
            index = EscapeScan.firstSuspect(bytes, from: start, escapingHighBytes: false)
        }
        out.append(UnsafeBufferPointer(rebasing: bytes[start...]))
        out.append(UInt8(ascii: "\""))
    }

    /// Whether `bytes` hold nothing a JSON string must escape (`"`, `\\`, control bytes).
    static func isPlainJSON(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        EscapeScan.firstSuspect(bytes, from: 0, escapingHighBytes: false) == bytes.count
    }

    /// `seconds` as milliseconds with three decimals (`0.042`), rounded to the microsecond.
    static func appendMilliseconds(_ seconds: Double, to out: inout LineBuffer) {
        // Half up by adding a half and truncating (a duration is not negative; `rounded()`
        // is a libm call).
        let microseconds = Int(max(0, seconds) * 1_000_000 + 0.5)
        appendNumber(microseconds / 1000, to: &out)
        let fraction = microseconds % 1000
        out.append(UInt8(ascii: "."))
        out.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: fraction / 100))
        out.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: fraction / 10 % 10))
        out.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: fraction % 10))
    }

    /// A decimal number, its digits written backwards into sixteen bytes on the stack and
    /// appended at once (a status is three digits, a byte count a few more).
    static func appendNumber(_ value: Int, to out: inout LineBuffer) {
        if value >= 0 && value <= 9 { // a duration's whole milliseconds, mostly
            return out.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value))
        }
        if value >= 100 && value <= 999 { // a status, and many small bodies: three digits
            out.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value / 100))
            out.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value / 10 % 10))
            out.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value % 10))
            return
        }
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var rest = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0) // room for UInt.max's twenty digits
        withUnsafeMutableBytes(of: &digits) { buffer in
            var index = buffer.count
            repeat {
                index -= 1
                buffer[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            } while rest > 0
            out.append(UnsafeBufferPointer(rebasing: buffer.bindMemory(to: UInt8.self)[index...]))
        }
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "A") + value - 10
    }
}

/// The time of log lines, formatted once per second, and peers' address texts, formatted
/// once per address.
struct LogClock {
    private var second = Int.min
    /// The local time's text and the last host's, as bytes: appended to a line without a
    /// String's retain, release and native-storage checks (lines formatted on a loop).
    private var localBytes: [UInt8] = []
    private var isoBytes: [UInt8] = []
    private var hosts: [SocketAddress: String] = [:]
    private var lastHostAddress: SocketAddress?
    private var lastHostBytes: [UInt8] = []
    /// The same as a JSON string, quotes and escapes included (made once per host change).
    private var lastHostJSON: [UInt8] = []

    /// The peer's host text appended to `out`, or `-` when there is none.
    mutating func appendHost(of peer: SocketAddress?, to out: inout LineBuffer) {
        guard let peer else { return out.append(UInt8(ascii: "-")) }
        select(peer)
        out.append(lastHostBytes)
    }

    /// The peer's host text appended to `out` as a JSON string (a Unix socket's path may
    /// hold anything).
    mutating func appendHostJSON(of peer: SocketAddress, to out: inout LineBuffer) {
        select(peer)
        out.append(lastHostJSON)
    }

    /// Makes `peer`'s host the last one. The last one is checked first, ports aside and
    /// without copying either address: hashing an address costs more than comparing it, and
    /// lines come in runs from the same clients.
    private mutating func select(_ peer: SocketAddress) {
        if let lastHostAddress, lastHostAddress.sameHost(as: peer) { return }
        let address = peer.withoutPort
        let text: String
        if let known = hosts[address] {
            text = known
        } else {
            if hosts.count >= 4_096 { hosts.removeAll(keepingCapacity: true) }
            text = address.host
            hosts[address] = text
        }
        lastHostAddress = address
        lastHostBytes = Array(text.utf8)
        var json = LineBuffer(capacity: lastHostBytes.count + 8)
        lastHostBytes.withUnsafeBufferPointer { AccessLogFormat.appendJSON($0, to: &json) }
        lastHostJSON = json.withBytes { Array($0) }
    }

    /// `29/Nov/2026:23:50:01 +0000` (nginx's `$time_local`) appended to `out`.
    mutating func appendLocal(_ time: Double, to out: inout LineBuffer) {
        refresh(time)
        out.append(localBytes)
    }

    /// `2026-11-29T23:50:01.123Z`, appended in place (no strings per line).
    mutating func appendISO(_ time: Double, to out: inout LineBuffer) {
        refresh(time)
        let milliseconds = min(999, Int((time - time.rounded(.down)) * 1000))
        out.append(isoBytes)
        out.append(UInt8(ascii: "."))
        out.append(UInt8(ascii: "0") + UInt8(milliseconds / 100))
        out.append(UInt8(ascii: "0") + UInt8(milliseconds / 10 % 10))
        out.append(UInt8(ascii: "0") + UInt8(milliseconds % 10))
        out.append(UInt8(ascii: "Z"))
    }

    private mutating func refresh(_ time: Double) {
        let whole = Int(time.rounded(.down))
        guard whole != second else { return }
        second = whole
        var seconds = time_t(whole)
        var parts = tm()
        localtime_r(&seconds, &parts)
        localBytes = Array(Self.format("%d/%b/%Y:%H:%M:%S %z", &parts).utf8)
        gmtime_r(&seconds, &parts)
        isoBytes = Array(Self.format("%Y-%m-%dT%H:%M:%S", &parts).utf8)
    }

    private static func format(_ pattern: String, _ parts: inout tm) -> String {
        var text = [CChar](repeating: 0, count: 64)
        let count = strftime(&text, text.count, pattern, &parts)
        return String(decoding: text[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

