#if canImport(Glibc)
import Glibc
#endif

/// The `Date` field line (RFC 9110 §5.6.7 IMF-fixdate), formatted once per second per loop.
struct HTTPDate {
    private var second = -1
    private(set) var line: [UInt8] = []

    /// `Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n` for the loop time `now`.
    mutating func line(at now: Double) -> [UInt8] {
        let whole = Int(now)
        if whole != second {
            second = whole
            var time = time_t(whole)
            var parts = tm()
            gmtime_r(&time, &parts)
            var text = [CChar](repeating: 0, count: 64)
            let count = strftime(&text, text.count, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &parts)
            line = text[0..<count].map { UInt8(bitPattern: $0) }
        }
        return line
    }
}
