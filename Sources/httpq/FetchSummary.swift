/// Totals per host and overall, with latency percentiles per host (`LatencySamples`:
/// exact while few, an HdrHistogram of 1 µs to 10 min at 3 digits once many).
struct FetchSummary {
    struct Host {
        var requests = 0
        var classes = [Int](repeating: 0, count: 6) // index 1...5: 1xx...5xx
        var errors = 0
        var bytes = 0
        var latency = LatencySamples()

        mutating func update(with result: FetchResult) {
            requests += 1
            bytes += result.bytes
            if let status = result.status, (100..<600).contains(status) { classes[status / 100] += 1 }
            if result.errorKind != nil { errors += 1 }
            if result.status != nil { latency.record(UInt64(max(1, result.seconds * 1_000_000))) }
        }
    }

    private(set) var hosts: [String: Host] = [:]
    private(set) var order: [String] = []
    private(set) var fetches = 0
    private(set) var failures = 0
    private(set) var bytes = 0
    private(set) var errorKinds: [String: Int] = [:]
    /// Answers by status code, for the interval log's totals.
    private(set) var statuses: [Int: Int] = [:]

    mutating func add(_ result: FetchResult) {
        // In place: a copy of the row would copy its histogram's counters on every fetch. One
        // lookup: a new host shows in the count (a lookup first to see was ~500 instructions).
        let known = hosts.count
        hosts[result.host, default: Host()].update(with: result)
        if hosts.count != known { order.append(result.host) }
        if let status = result.status { statuses[status, default: 0] += 1 }
        if let kind = result.errorKind {
            failures += 1
            errorKinds[kind, default: 0] += 1
        }
        fetches += 1
        bytes += result.bytes
    }

    /// The totals an interval log carries (`--hdr-log`).
    func runTotals(seconds: Double) -> RunTotals {
        var totals = RunTotals()
        totals.requests = fetches
        totals.bytes = bytes
        totals.statuses = statuses
        totals.errors = errorKinds
        totals.seconds = seconds
        return totals
    }

    /// The table and the totals, as printed at the end.
    func report(elapsed: Double) -> String {
        var lines: [String] = []
        let width = max(24, (order.map(\.count).max() ?? 0) + 2)
        lines.append(pad("host", width) + cols(["reqs", "2xx", "3xx", "4xx", "5xx", "err", "bytes", "p50 ms", "p90 ms", "p99 ms"]))
        // Each key once (not per comparison): 2,000 hosts made the sort a visible cost.
        for name in order.map({ (Self.naturalKey($0), $0) }).sorted(by: { $0.0 < $1.0 }).map(\.1) {
            guard let host = hosts[name] else { continue }
            let percentiles = host.latency.values(at: [50, 90, 99])?.map { format2(Double($0) / 1_000) } ?? ["-", "-", "-"]
            lines.append(pad(name, width) + cols([String(host.requests), String(host.classes[2]), String(host.classes[3]),
                                                  String(host.classes[4]), String(host.classes[5]), String(host.errors),
                                                  Self.size(host.bytes)] + percentiles))
        }
        let rate = elapsed > 0 ? Double(fetches) / elapsed : 0
        let byteRate = elapsed > 0 ? Double(bytes) / elapsed : 0
        lines.append("")
        lines.append("\(fetches) fetches from \(order.count) hosts in \(format2(elapsed)) s: \(Int(rate.rounded())) fetches/s, "
                     + "\(Self.size(Int(byteRate)))/s; \(fetches - failures) ok, \(failures) failed")
        if !errorKinds.isEmpty {
            lines.append("errors: " + errorKinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }

    /// Numbers inside names compare as numbers (127.0.1.2 before 127.0.1.10).
    static func naturalKey(_ name: String) -> String {
        var key = ""
        var digits = ""
        for character in name + " " {
            if character.isASCII && character.isWholeNumber { digits.append(character); continue }
            if !digits.isEmpty { key += String(repeating: "0", count: max(0, 10 - digits.count)) + digits; digits = "" }
            key.append(character)
        }
        return key
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    /// Right-aligned columns; the bytes column (the 7th) is wider.
    private func cols(_ values: [String]) -> String {
        values.enumerated().map { index, value in
            let width = index == 6 ? 12 : 8
            return value.count >= width ? " " + value : String(repeating: " ", count: width - value.count) + value
        }.joined()
    }

    static func size(_ bytes: Int) -> String {
        let value = Double(bytes)
        if bytes >= 1 << 30 { return format1(value / 1_073_741_824) + " GiB" }
        if bytes >= 1 << 20 { return format1(value / 1_048_576) + " MiB" }
        if bytes >= 1 << 10 { return format1(value / 1_024) + " KiB" }
        return "\(bytes) B"
    }
}

/// `x.yy`, without Foundation's formatter.
func format2(_ value: Double) -> String {
    let hundredths = Int((value * 100).rounded())
    let fraction = hundredths % 100
    return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
}

/// `x.y`.
func format1(_ value: Double) -> String {
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10).\(tenths % 10)"
}
