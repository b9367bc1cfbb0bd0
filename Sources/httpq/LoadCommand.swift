import ArgumentParser
import HTTPQClient
#if canImport(Glibc)
import Glibc
#endif

/// `httpq load`: a closed-loop load generator like wrk, on the HTTPQClient connection.
struct LoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Load one URL with C kept-alive connections for S seconds (closed loop, like wrk).",
        discussion: """
        Prints wrk's "Requests/sec:" line (for scripts), latency percentiles from an \
        HdrHistogram, errors by kind, and the client's CPU time per request. Exit status 1 \
        when no request completed.
        """
    )

    @Argument(help: "The URL to load (http:// or https://).")
    var url: String

    @Option(name: [.customShort("c"), .long], help: "Connections kept open.")
    var connections = 64

    @Option(name: [.customShort("d"), .long], help: "Seconds to run.")
    var duration: Double = 10

    @Option(name: [.customShort("t"), .long], help: "Event-loop threads (connections are spread over them).")
    var threads = 1

    @Option(name: [.customShort("H"), .customLong("header")], help: "A request field 'Name: value'. Repeatable.")
    var headers: [String] = []

    @OptionGroup var tls: TLSOptions

    func validate() throws {
        if connections < 1 || threads < 1 { throw ValidationError("--connections and --threads must be at least 1.") }
        if duration <= 0 { throw ValidationError("--duration must be positive.") }
        if threads > connections { throw ValidationError("--threads must not exceed --connections.") }
        for header in headers where FetchCommand.field(header) == nil {
            throw ValidationError("-H \(header): expected 'Name: value'.")
        }
    }

    func run() throws {
        let target: HTTPURL
        do { target = try HTTPURL(url) } catch { throw CommandFailure(error.description) }
        let load = try LoadRun(url: target, connections: connections, duration: .milliseconds(Int(duration * 1000)),
                               threads: threads, headers: headers.compactMap(FetchCommand.field), tls: try tls.context())
        FileOutput.standardOutputLine("Running \(format2(duration))s test @ \(target)")
        FileOutput.standardOutputLine("  \(threads) threads and \(connections) connections")
        let cpuBefore = processCPUSeconds()
        let (totals, elapsed) = load.run()
        let cpu = processCPUSeconds() - cpuBefore
        FileOutput.standardOutputLine(LoadReport.text(totals, elapsed: elapsed, cpu: cpu))
        if totals.requests == 0 { throw ExitCode(1) }
    }
}

/// The report, in wrk's shape where wrk has one.
enum LoadReport {
    static func text(_ totals: LoadRun.Totals, elapsed: Double, cpu: (user: Double, system: Double)) -> String {
        var lines: [String] = []
        func ms(_ micros: UInt64) -> String { format2(Double(micros) / 1_000) + "ms" }
        let latency = totals.latency
        if latency.totalCount > 0 {
            lines.append("  Latency   p50 \(ms(latency.valueAtPercentile(50)))  p90 \(ms(latency.valueAtPercentile(90)))  "
                         + "p99 \(ms(latency.valueAtPercentile(99)))  p99.9 \(ms(latency.valueAtPercentile(99.9)))  max \(ms(latency.max))")
        }
        lines.append("  \(totals.requests) requests in \(format2(elapsed))s, \(FetchSummary.size(totals.bytes)) body read")
        let other = totals.statuses.enumerated().filter { !(200..<400).contains($0.offset) }.map(\.element).reduce(0, +)
        if other > 0 { lines.append("  Non-2xx or 3xx responses: \(other)") }
        let rate = elapsed > 0 ? Double(totals.requests) / elapsed : 0
        lines.append("Requests/sec: \(format2(rate))")
        lines.append("Transfer/sec: \(FetchSummary.size(Int(Double(totals.bytes) / max(elapsed, 1e-9))))")
        lines.append("Errors: " + (totals.errors.isEmpty ? "none"
            : totals.errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
        let perRequest = totals.requests > 0 ? (cpu.user + cpu.system) / Double(totals.requests) * 1e6 : 0
        lines.append("CPU per request: \(format2(perRequest)) µs (user \(format2(cpu.user)) s, system \(format2(cpu.system)) s)")
        return lines.joined(separator: "\n")
    }
}

/// This process's user and system CPU time so far.
func processCPUSeconds() -> (user: Double, system: Double) {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return (Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6,
            Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6)
}

func - (lhs: (user: Double, system: Double), rhs: (user: Double, system: Double)) -> (user: Double, system: Double) {
    (lhs.user - rhs.user, lhs.system - rhs.system)
}
