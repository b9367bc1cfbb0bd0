import ArgumentParser
import FoundationEssentials
import HTTPQClient
import Histogram
import HistogramLog
#if canImport(Glibc)
import Glibc
#endif

/// `httpq load`: a load generator like wrk (closed loop) and wrk2 (open loop, `-R`), on the
/// HTTPQClient connection.
struct LoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Load URLs with C kept-alive connections for S seconds: closed loop like wrk, or at a fixed rate (-R) like wrk2.",
        discussion: """
        Prints wrk's "Requests/sec:" line (for scripts), latency percentiles from an \
        HdrHistogram, responses by status, errors by kind, and the client's CPU time per \
        request; --json prints one object instead. With -R the latency of each request counts \
        from when it should have been sent (corrected for coordinated omission) and the \
        uncorrected figure is given too. Exit status 1 when no request completed.
        """
    )

    @Argument(help: "The URLs to load (http:// or https://), taken in turn.")
    var urls: [String]

    @Option(name: [.customShort("c"), .long], help: "Connections kept open (one request in flight on each).")
    var connections = 64

    @Option(name: [.customShort("d"), .long], help: "Seconds to run.")
    var duration: Double = 10

    @Option(name: [.customShort("t"), .long], help: "Event-loop threads (connections are spread over them).")
    var threads = 1

    @Option(name: [.customShort("R"), .long], help: "Requests per second in total, sent on schedule whatever the answers (open loop, as wrk2 -R).")
    var rate: Double?

    @Option(name: [.customShort("X"), .customLong("request")], help: "The method (default GET, or POST with --data).")
    var method: String?

    @Option(name: [.customShort("H"), .customLong("header")], help: "A request field 'Name: value'. Repeatable.")
    var headers: [String] = []

    @Option(name: .long, help: "A request body sent with each request ('@FILE' reads a file).")
    var data: String?

    @Flag(name: .long, help: "Print the latency distribution (p50 to p100, as wrk2 --latency).")
    var latency = false

    @Flag(name: .long, help: "One JSON object on standard output instead of the text report.")
    var json = false

    @Option(name: .customLong("hdr-log"), help: "Write HdrHistogram's interval log (V2 compressed histograms, microseconds) to FILE, for `httpq merge` or HistogramLogProcessor.")
    var hdrLog: String?

    @Option(name: .customLong("hdr-interval"), help: "Seconds per interval in --hdr-log.")
    var hdrInterval: Double = 1

    @OptionGroup var tls: TLSOptions

    func validate() throws {
        if urls.isEmpty { throw ValidationError("give at least one URL.") }
        if connections < 1 || threads < 1 { throw ValidationError("--connections and --threads must be at least 1.") }
        if duration <= 0 { throw ValidationError("--duration must be positive.") }
        if threads > connections { throw ValidationError("--threads must not exceed --connections.") }
        if let rate, !(rate > 0 && rate.isFinite) { throw ValidationError("-R/--rate must be a positive number of requests per second.") }
        if !(hdrInterval > 0) { throw ValidationError("--hdr-interval must be positive.") }
        for header in headers where FetchCommand.field(header) == nil {
            throw ValidationError("-H \(header): expected 'Name: value'.")
        }
    }

    func run() throws {
        var targets: [HTTPURL] = []
        for url in urls {
            do { targets.append(try HTTPURL(url)) } catch { throw CommandFailure(error.description) }
        }
        var body: [UInt8]?
        if let data {
            if data.hasPrefix("@") {
                guard let contents = FileOutput.readFile(String(data.dropFirst())) else { throw CommandFailure("cannot read \(data.dropFirst())") }
                body = contents
            } else {
                body = Array(data.utf8)
            }
        }
        let context = try tls.context()
        let plan: LoadPlan
        do {
            plan = try LoadPlan(urls: targets, method: method ?? (body == nil ? "GET" : "POST"), headers: headers.compactMap(FetchCommand.field),
                                body: body, connections: connections, duration: .milliseconds(Int(duration * 1000)), threads: threads,
                                rate: rate, logInterval: hdrLog == nil ? nil : hdrInterval, tls: context)
        } catch {
            throw CommandFailure(error.description) // a request that cannot be sent as built
        }
        let load = try LoadRun(plan: plan)
        if !json {
            FileOutput.standardOutputLine("Running \(format2(duration))s test @ \(targets[0])" + (targets.count > 1 ? " and \(targets.count - 1) more" : ""))
            FileOutput.standardOutputLine("  \(threads) threads and \(connections) connections" + (rate.map { ", \(format2($0)) requests/s" } ?? ""))
        }
        let startTime = Date().timeIntervalSince1970
        let cpuBefore = processCPUSeconds()
        let (totals, elapsed) = load.run()
        let cpu = processCPUSeconds() - cpuBefore
        if let hdrLog {
            var log = (totals.intervals ?? IntervalHistograms(length: hdrInterval)).log(startTime: startTime, elapsed: elapsed)
            var runTotals = totals.runTotals
            runTotals.seconds = elapsed
            log.comments = ["httpq load \(urls.joined(separator: " ")) (values in microseconds)", runTotals.comment]
            guard FileOutput.writeFile(hdrLog, Array(log.text().utf8)) else { throw CommandFailure("cannot write \(hdrLog)") }
        }
        let report = LoadReport(totals: totals, elapsed: elapsed, cpu: cpu, targetRate: rate)
        FileOutput.standardOutputLine(json ? report.json : report.text(distribution: latency))
        if totals.requests == 0 { throw ExitCode(1) }
    }
}

/// The report, in wrk's (and wrk2's) shape where they have one.
struct LoadReport {
    let totals: LoadRun.Totals
    let elapsed: Double
    let cpu: (user: Double, system: Double)
    let targetRate: Double?

    var rate: Double { elapsed > 0 ? Double(totals.requests) / elapsed : 0 }

    func text(distribution: Bool) -> String {
        var lines: [String] = []
        let ms = LatencyFormat.ms
        func line(_ name: String, _ histogram: Histogram<UInt64>) {
            guard histogram.totalCount > 0 else { return }
            lines.append("  \(name) p50 \(ms(histogram.valueAtPercentile(50)))  p90 \(ms(histogram.valueAtPercentile(90)))  "
                         + "p99 \(ms(histogram.valueAtPercentile(99)))  p99.9 \(ms(histogram.valueAtPercentile(99.9)))  max \(ms(histogram.max))")
        }
        line("Latency  ", totals.latency)
        if targetRate != nil { line("Uncorrected", totals.uncorrected) }
        if distribution {
            if totals.latency.totalCount > 0 {
                lines += LatencyFormat.table("Latency Distribution (HdrHistogram - Recorded Latency)", totals.latency)
                if targetRate != nil {
                    lines += LatencyFormat.table("Uncorrected Latency (measured without taking delayed starts into account)",
                                                 totals.uncorrected)
                }
            }
        }
        lines.append("  \(totals.requests) requests in \(format2(elapsed))s, \(FetchSummary.size(totals.bytes)) body read")
        if totals.unfinished > 0 {
            lines.append("  Unfinished: \(totals.unfinished) (in flight at the end" + (targetRate == nil ? ")" : ", or due by then and never sent)"))
        }
        let statuses = totals.runTotals.statuses
        if !statuses.isEmpty { lines.append("  Status: " + LatencyFormat.counts(statuses)) }
        let other = totals.statuses.enumerated().filter { !(200..<400).contains($0.offset) }.map(\.element).reduce(0, +)
        if other > 0 { lines.append("  Non-2xx or 3xx responses: \(other)") }
        lines.append("Requests/sec: \(format2(rate))")
        lines.append("Transfer/sec: \(FetchSummary.size(Int(Double(totals.bytes) / max(elapsed, 1e-9))))")
        lines.append("Errors: " + (totals.errors.isEmpty ? "none" : LatencyFormat.counts(totals.errors)))
        let perRequest = totals.requests > 0 ? (cpu.user + cpu.system) / Double(totals.requests) * 1e6 : 0
        lines.append("CPU per request: \(format2(perRequest)) µs (user \(format2(cpu.user)) s, system \(format2(cpu.system)) s)")
        return lines.joined(separator: "\n")
    }

    /// One object: counts, rates, statuses, errors by kind, and both latency summaries in
    /// milliseconds (equal without -R).
    var json: String {
        var writer = JSONWriter()
        writer.number("requests", totals.requests)
        writer.number("unfinished", totals.unfinished)
        writer.double("duration_s", elapsed)
        writer.double("rate", rate)
        writer.key("target_rate")
        writer.raw(targetRate.map { String($0) } ?? "null")
        writer.number("bytes", totals.bytes)
        writer.object("status") { LatencyFormat.counts(totals.runTotals.statuses, into: &$0) }
        writer.object("errors") { LatencyFormat.counts(totals.errors, into: &$0) }
        writer.object("latency_ms") { LatencyFormat.summary(totals.latency, into: &$0) }
        writer.object("latency_uncorrected_ms") { LatencyFormat.summary(totals.uncorrected, into: &$0) }
        writer.double("cpu_user_s", cpu.user)
        writer.double("cpu_system_s", cpu.system)
        return writer.finish()
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
