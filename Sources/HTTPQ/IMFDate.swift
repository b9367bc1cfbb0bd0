/// HTTP dates (RFC 9110 §5.6.7): written as IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), read
/// in all three forms a recipient must accept (IMF-fixdate, RFC 850, asctime). Times are whole
/// seconds since the Unix epoch, UTC. Pure arithmetic: no locale, no time zone, no C library.
public enum IMFDate {
    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let longWeekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `seconds` since the epoch as IMF-fixdate. Written byte by byte into the string's own
    /// storage: a file server formats one per response.
    public static func format(_ seconds: Int) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let inDay = seconds - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        let weekday = ((days % 7) + 11) % 7 // 1970-01-01 was a Thursday
        guard (0...9999).contains(year) else { return "Thu, 01 Jan 1970 00:00:00 GMT" }
        return String(unsafeUninitializedCapacity: 29) { out in
            func put(_ index: Int, _ text: StaticString) {
                text.withUTF8Buffer { for (offset, byte) in $0.enumerated() { out[index + offset] = byte } }
            }
            func two(_ index: Int, _ value: Int) {
                out[index] = UInt8(48 + value / 10)
                out[index + 1] = UInt8(48 + value % 10)
            }
            put(0, weekdayNames[weekday])
            put(3, ", ")
            two(5, day)
            out[7] = 32
            put(8, monthNames[month - 1])
            out[11] = 32
            two(12, year / 100)
            two(14, year % 100)
            out[16] = 32
            two(17, inDay / 3600)
            out[19] = 58
            two(20, inDay / 60 % 60)
            out[22] = 58
            two(23, inDay % 60)
            put(25, " GMT")
            return 29
        }
    }

    private static let weekdayNames: [StaticString] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let monthNames: [StaticString] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// The time a date names, or nil if it is none of the three forms (or not a real date).
    public static func parse(_ text: some StringProtocol) -> Int? {
        let tokens = String(text).split(separator: " ", omittingEmptySubsequences: true)
        guard let first = tokens.first else { return nil }
        if first.hasSuffix(",") {
            let weekday = String(first.dropLast())
            if tokens.count == 6, weekdays.contains(weekday), tokens[5] == "GMT", tokens[1].count == 2, tokens[3].count == 4 { // IMF-fixdate
                return make(year: Int(tokens[3]), month: tokens[2], day: Int(tokens[1]), time: tokens[4])
            }
            if tokens.count == 4, longWeekdays.contains(weekday), tokens[3] == "GMT" { // RFC 850
                let parts = tokens[1].split(separator: "-", omittingEmptySubsequences: false)
                guard parts.count == 3, parts[0].count == 2, parts[2].count == 2, let short = Int(parts[2]) else { return nil }
                // RFC 9110: a two-digit year more than 50 years ahead is in the past century.
                let year = short < 70 ? 2000 + short : 1900 + short
                return make(year: year, month: parts[1], day: Int(parts[0]), time: tokens[2])
            }
            return nil
        }
        // asctime: `Sun Nov  6 08:49:37 1994`
        guard tokens.count == 5, weekdays.contains(String(first)), tokens[4].count == 4 else { return nil }
        return make(year: Int(tokens[4]), month: tokens[1], day: Int(tokens[2]), time: tokens[3])
    }

    private static func make(year: Int?, month: Substring, day: Int?, time: Substring) -> Int? {
        guard let year, let day, let monthIndex = months.firstIndex(of: String(month)),
              (1...31).contains(day), (1...9999).contains(year) else { return nil }
        let clock = time.split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 3, clock.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) }),
              let hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2]),
              (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second) else { return nil }
        let days = Self.days(year: year, month: monthIndex + 1, day: day)
        guard civil(fromDays: days) == (year, monthIndex + 1, day) else { return nil } // 31 Feb
        return days * 86_400 + hour * 3600 + minute * 60 + second
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date of a day count since 1970-01-01.
    static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
