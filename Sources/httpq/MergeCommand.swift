import ArgumentParser
import FoundationEssentials
import Histogram
import HistogramLog

/// `httpq merge`: interval logs from many `load` or `fetch` runs (many machines, or shards)
/// into one result. Histograms add without loss, so the percentiles are those of one run
/// that recorded every request.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Add HdrHistogram interval logs (from load or fetch --hdr-log, or any HdrHistogram tool) into one summary.",
        discussion: """
        Prints the latency percentiles of all intervals of all logs together (values taken as \
        microseconds), the span from the earliest start to the latest end (of the runs, or of \
        their intervals), \
        the rate over that span, and the totals httpq writes into its logs (requests, bytes, \
        statuses, errors), added. --json prints one object with load --json's keys. Exit \
        status 1 when a log cannot be read.
        """
    )

    @Argument(help: "Interval logs to add.")
    var files: [String]

    @Flag(name: .long, help: "One JSON object on standard output instead of the text summary.")
    var json = false

    @Option(name: .customLong("hdr-log"), help: "Also write the merged intervals as one log to FILE.")
    var hdrLog: String?

    @Option(name: .long, help: "Add the intervals with this tag (Tag=T) instead of the untagged ones, as HistogramLogProcessor -tag.")
    var tag: String?

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one log.") }
    }

    func run() throws {
        var merged = Histogram<UInt64>(numberOfSignificantValueDigits: .three)
        var totals = RunTotals()
        var sawTotals = false
        var intervals: [HistogramLog.Interval] = []
        var start = Double.infinity
        var end = -Double.infinity
        for file in files {
            guard let bytes = FileOutput.readFile(file) else { throw CommandFailure("cannot read \(file)") }
            let read: HistogramLog
            do { read = try HistogramLog(text: String(decoding: bytes, as: UTF8.self)) } catch {
                throw CommandFailure("\(file): \(error)")
            }
            var log = read
            log.intervals.removeAll { $0.tag != tag } // one series at a time, as HdrHistogram's tools
            for interval in log.intervals { merged.addValues(of: interval.histogram) }
            intervals += log.intervals
            if let span = log.span {
                start = min(start, span.lowerBound)
                end = max(end, span.upperBound)
            }
            for comment in log.comments {
                guard let theirs = RunTotals(comment: comment) else { continue }
                totals.add(theirs)
                sawTotals = true
                // The run's own span: a run that recorded little still ran this long.
                if let seconds = theirs.seconds {
                    start = min(start, log.startTime)
                    end = max(end, log.startTime + seconds)
                }
            }
        }
        let duration = end > start ? end - start : 0
        let summary = MergeSummary(files: files.count, intervals: intervals.count, latency: merged,
                                   totals: sawTotals ? totals : nil, start: start.isFinite ? start : nil, duration: duration)
        if let hdrLog {
            let first = start.isFinite ? start : Date().timeIntervalSince1970
            var log = HistogramLog(startTime: first, intervals: intervals.sorted { $0.start < $1.start },
                                   comments: ["httpq merge of \(files.count) logs (values in microseconds)"])
            if sawTotals { log.comments.append(totals.comment) }
            guard FileOutput.writeFile(hdrLog, Array(log.text().utf8)) else { throw CommandFailure("cannot write \(hdrLog)") }
        }
        FileOutput.standardOutputLine(json ? summary.json : summary.text)
    }
}

/// What `merge` prints.
struct MergeSummary {
    let files: Int
    let intervals: Int
    let latency: Histogram<UInt64>
    /// Added from the logs' `httpq totals` comments; nil when no log had one.
    let totals: RunTotals?
    let start: Double?
    let duration: Double

    /// Requests per second over the span: the logs' request totals, or else the latency samples.
    var rate: Double {
        duration > 0 ? Double(totals?.requests ?? Int(latency.totalCount)) / duration : 0
    }

    var text: String {
        var lines: [String] = []
        let from = start.map { " from \(Date(timeIntervalSince1970: $0))" } ?? ""
        lines.append("\(files) logs, \(intervals) intervals\(from) over \(format2(duration)) s")
        if let totals {
            lines.append("  \(totals.requests) requests, \(FetchSummary.size(totals.bytes)) body read, \(format2(rate)) requests/s")
            if !totals.statuses.isEmpty { lines.append("  Status: " + LatencyFormat.counts(totals.statuses)) }
            lines.append("  Errors: " + (totals.errors.isEmpty ? "none" : LatencyFormat.counts(totals.errors)))
        } else {
            lines.append("  \(latency.totalCount) recorded values, \(format2(rate)) per second")
        }
        if latency.totalCount > 0 {
            lines += LatencyFormat.table("Latency Distribution (HdrHistogram - \(latency.totalCount) recorded)", latency)
        }
        return lines.joined(separator: "\n")
    }

    var json: String {
        var writer = JSONWriter()
        writer.number("logs", files)
        writer.number("intervals", intervals)
        writer.number("requests", totals?.requests ?? Int(latency.totalCount))
        writer.number("recorded", Int(latency.totalCount))
        writer.double("duration_s", duration)
        writer.double("rate", rate)
        writer.number("bytes", totals?.bytes)
        writer.object("status") { LatencyFormat.counts(totals?.statuses ?? [:], into: &$0) }
        writer.object("errors") { LatencyFormat.counts(totals?.errors ?? [:], into: &$0) }
        writer.object("latency_ms") { LatencyFormat.summary(latency, into: &$0) }
        return writer.finish()
    }
}
