/// Counts of a `load` or `fetch` run that a latency histogram does not hold: requests,
/// body bytes, responses by status and failures by kind. Carried in an interval log as a
/// comment line (`#httpq totals: requests=N bytes=B seconds=S status=200:n,... errors=kind:n,...`),
/// which HdrHistogram's readers skip and `httpq merge` adds up.
import FoundationEssentials
import HistogramLog

struct RunTotals: Equatable {
    var requests = 0
    var bytes = 0
    var statuses: [Int: Int] = [:]
    var errors: [String: Int] = [:]
    /// How long the run lasted (not added by `add`: runs side by side overlap).
    var seconds: Double?

    static let prefix = "httpq totals: "

    var comment: String {
        func list<K>(_ pairs: [K: Int], _ key: (K) -> String) -> String {
            pairs.map { (key($0.key), $0.value) }.sorted { $0.0 < $1.0 }.map { "\($0.0):\($0.1)" }.joined(separator: ",")
        }
        return Self.prefix + "requests=\(requests) bytes=\(bytes)" + (seconds.map { " seconds=\(printfFormatted("%.3f", $0))" } ?? "") + " status=\(list(statuses) { String($0) }) errors=\(list(errors) { $0 })"
    }

    /// The totals of a comment written by `comment`, or nil for any other comment.
    init?(comment: String) {
        guard comment.hasPrefix(Self.prefix) else { return nil }
        for field in comment.dropFirst(Self.prefix.count).split(separator: " ") {
            let parts = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { return nil }
            let pairs = parts[1].split(separator: ",").compactMap { pair -> (Substring, Int)? in
                guard let colon = pair.lastIndex(of: ":"), let count = Int(pair[pair.index(after: colon)...]) else { return nil }
                return (pair[..<colon], count)
            }
            switch parts[0] {
            case "requests": guard let value = Int(parts[1]) else { return nil }; requests = value
            case "bytes": guard let value = Int(parts[1]) else { return nil }; bytes = value
            case "seconds": guard let value = Double(parts[1]) else { return nil }; seconds = value
            case "status": for (status, count) in pairs { if let code = Int(status) { statuses[code, default: 0] += count } }
            case "errors": for (kind, count) in pairs { errors[String(kind), default: 0] += count }
            default: continue
            }
        }
    }

    init() {}

    mutating func add(_ other: RunTotals) {
        requests += other.requests
        bytes += other.bytes
        for (status, count) in other.statuses { statuses[status, default: 0] += count }
        for (kind, count) in other.errors { errors[kind, default: 0] += count }
    }
}
