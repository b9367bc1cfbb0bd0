import Locks
import EvLoop
import ArgumentParser
import HTTPQ
import FoundationEssentials
import HTTPQClient
import HistogramLog

/// `httpq fetch`: many URLs across many hosts at once, one summary.
struct FetchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Fetch many URLs across many hosts at once, reusing connections per host; print a summary.",
        discussion: """
        Exit status: 0 when every URL got a response, 1 otherwise, 2 for bad usage. A URL that \
        fails never stops the others.
        """
    )

    @Argument(help: "URLs to fetch (http:// or https://).")
    var urls: [String] = []

    @Option(name: .customLong("urls"), help: "A file of URLs, one per line ('-': standard input).")
    var urlsFile: String?

    @Option(name: .long, help: "Fetches in flight at once, in total.")
    var concurrency = 100

    @Option(name: .long, help: "Connections at once to one host.")
    var perHost = 6

    @Option(name: .long, help: "Seconds one fetch may take (and may stay silent).")
    var timeout: Double = 30

    @Flag(name: .long, help: "One JSON object per finished fetch on standard output (the summary goes to standard error).")
    var json = false

    @Option(name: .long, help: "Store each body at DIR/HOST[:PORT]/PATH (index.html for a path ending in /).")
    var output: String?

    @Option(name: [.customShort("X"), .customLong("request")], help: "The method (default GET, or POST with --data).")
    var method: String?

    @Option(name: [.customShort("H"), .customLong("header")], help: "A request field 'Name: value'. Repeatable.")
    var headers: [String] = []

    @Option(name: .long, help: "A request body ('@FILE' reads a file).")
    var data: String?

    @Option(name: [.customShort("u"), .customLong("user")],
            help: "USER:PASSWORD for Basic authorization (sent to each URL's own origin only; never printed).")
    var user: String?

    @Option(name: [.customShort("T"), .customLong("upload-file")],
            help: "Upload FILE with PUT, streamed from disk (a URL ending in / gets the file's name appended, as curl does).")
    var uploadFile: String?

    @Flag(name: [.customShort("L"), .long], help: "Follow redirects (at most --max-redirs; more fail with kind too-many-redirects).")
    var location = false

    @Option(name: .customLong("max-redirs"), help: "Redirects followed at most with -L.")
    var maxRedirects = 10

    @Flag(name: .customLong("allow-https-to-http"), help: "With -L, follow a redirect from https to http (refused by default, kind insecure-redirect).")
    var allowsHTTPSToHTTP = false

    @Option(name: [.customShort("x"), .customLong("proxy")],
            help: "An HTTP proxy, http://[user:password@]host[:port] (default port 1080); instead of http_proxy, https_proxy and all_proxy.")
    var proxy: String?

    @Option(name: .customLong("noproxy"), help: "Hosts reached directly, comma-separated (names with their subdomains, addresses, CIDR blocks, or *); instead of no_proxy.")
    var noProxy: String?

    @Option(name: .customLong("unix-socket"), help: "Connect to this Unix domain socket instead of each URL's host (which still names the Host field), as curl's --unix-socket.")
    var unixSocket: String?

    @Flag(name: .long, help: "Ask for a compressed body (Accept-Encoding: br, gzip, deflate) and save and count it decoded.")
    var compressed = false

    @Option(name: .long, help: "Event-loop threads for the client.")
    var threads = 1

    @Option(name: .long, help: "Fetch only the URLs whose host falls in shard K of N (K from 0, e.g. $JOB_COMPLETION_INDEX/4): a host's URLs all go to one shard.")
    var shard: String?

    @Option(name: .customLong("hdr-log"), help: "Write HdrHistogram's interval log of fetch latencies (V2 compressed histograms, microseconds) to FILE, for `httpq merge` or HistogramLogProcessor.")
    var hdrLog: String?

    @Option(name: .customLong("hdr-interval"), help: "Seconds per interval in --hdr-log.")
    var hdrInterval: Double = 1

    @Option(name: .long, help: "DNS servers (ADDR[:PORT],...) instead of the system's.")
    var dnsServer: String?

    @OptionGroup var tls: TLSOptions

    func validate() throws {
        if urls.isEmpty && urlsFile == nil { throw ValidationError("give URLs, or --urls FILE (or - for standard input).") }
        if concurrency < 1 || perHost < 1 || threads < 1 { throw ValidationError("--concurrency, --per-host and --threads must be at least 1.") }
        if timeout <= 0 { throw ValidationError("--timeout must be positive.") }
        if uploadFile != nil && data != nil { throw ValidationError("-T/--upload-file and --data cannot go together.") }
        if let shard, URLShard(shard) == nil { throw ValidationError("--shard \(shard): expected K/N with 0 <= K < N.") }
        if !(hdrInterval > 0) { throw ValidationError("--hdr-interval must be positive.") }
        for header in headers where Self.field(header) == nil {
            throw ValidationError("-H \(header): expected 'Name: value'.")
        }
    }

    /// `-x` over the environment, `--noproxy` over `no_proxy`, as curl.
    func proxySettings() throws -> ProxySettings {
        do {
            var settings = try ProxySettings.environment()
            if let proxy {
                let chosen = try Proxy(url: proxy)
                settings.http = chosen
                settings.https = chosen
            }
            if let noProxy { settings.noProxy = NoProxy(noProxy) }
            return settings
        } catch {
            throw CommandFailure("\(error)")
        }
    }

    /// The URLs of a list: one per line, spaces and tabs around them dropped, blank lines and
    /// `#` comments skipped. (Foundation's `trimmingCharacters` bridged every line through
    /// NSString: 7% of a 20,000-URL fetch.) A list of ASCII bytes — every URL list in
    /// practice — is cut on its bytes; one with other bytes by `Character.isNewline` (which
    /// also ends lines at U+0085, U+2028, U+2029): splitting by Characters cost ~15,000
    /// instructions a URL, a fifth of a 5,000-URL fetch's CPU.
    static func lines(of text: [UInt8]) -> [String] {
        // A byte order mark (lists saved by some Windows editors) is not part of the first URL.
        if text.starts(with: [0xEF, 0xBB, 0xBF]) { return lines(of: Array(text.dropFirst(3))) }
        guard text.allSatisfy({ $0 < 0x80 }) else { return lines(of: String(decoding: text, as: UTF8.self)) }
        var out: [String] = []
        text.withUnsafeBufferPointer { bytes in
            var start = 0
            for index in 0...bytes.count where index == bytes.count || isLineEnd(bytes[index]) {
                if let line = trimmedURL(bytes[start..<index]) { out.append(line) }
                start = index + 1
            }
        }
        return out
    }

    /// `lines(of:)` for text that is not all ASCII.
    static func lines(of text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            Array(line.utf8).withUnsafeBufferPointer { trimmedURL($0[...]) }
        }
    }

    /// LF, VT, FF and CR: the ASCII bytes `Character.isNewline` holds (CR LF, one Character
    /// there, leaves an empty line between here, which is skipped).
    private static func isLineEnd(_ byte: UInt8) -> Bool { byte >= 0x0A && byte <= 0x0D }

    /// A line without the spaces and tabs around it; nil when that is nothing or a `#` comment.
    private static func trimmedURL(_ line: Slice<UnsafeBufferPointer<UInt8>>) -> String? {
        let blank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = line.firstIndex(where: { !blank($0) }), let last = line.lastIndex(where: { !blank($0) }),
              line[first] != UInt8(ascii: "#") else { return nil }
        return String(decoding: UnsafeBufferPointer(rebasing: line[first...last]), as: UTF8.self)
    }

    /// `name` percent-encoded for a URL's path, as Foundation's `.urlPathAllowed` did it:
    /// every byte outside ``!$&'()*+,-./0-9=@A-Z_a-z~`` as `%XX` (so `:`, `;`, `?`, `#`,
    /// spaces and non-ASCII bytes are encoded).
    static func percentEncodedPathSegment(_ name: String) -> String {
        let allowed = Set("!$&'()*+,-./0123456789=@ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~".utf8)
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in name.utf8 {
            if allowed.contains(byte) { out.append(byte) } else { out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]] }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func field(_ text: String) -> (String, String)? {
        guard let colon = text.firstIndex(of: ":"), colon > text.startIndex else { return nil }
        return (String(text[..<colon]), trimmedBlanks(text[text.index(after: colon)...]))
    }

    func run() throws {
        var list = urls
        if let urlsFile {
            let text: [UInt8]
            if urlsFile == "-" {
                var bytes: [UInt8] = []
                try FileOutput.readStandardInput(blockSize: 65_536) { bytes += $0; return true }
                text = bytes
            } else {
                guard let contents = FileOutput.readFile(urlsFile) else { throw CommandFailure("cannot read \(urlsFile)") }
                text = contents
            }
            list += Self.lines(of: text)
        }
        if let shard = shard.flatMap(URLShard.init) { list = list.filter(shard.contains) }
        var body: Payload?
        if let data {
            if data.hasPrefix("@") {
                guard let contents = FileOutput.readFile(String(data.dropFirst())) else {
                    throw CommandFailure("cannot read \(data.dropFirst())")
                }
                body = .bytes(contents)
            } else {
                body = .bytes(Array(data.utf8))
            }
        }
        if let uploadFile {
            do { body = .file(try UploadBody.file(uploadFile)) } catch { throw CommandFailure("\(error)") }
            // curl: a URL without a file part gets the uploaded file's name.
            let name = uploadFile.split(separator: "/").last.map(String.init) ?? uploadFile
            list = list.map { $0.hasSuffix("/") ? $0 + Self.percentEncodedPathSegment(name) : $0 }
        }
        var options = FetchEngine.Options()
        options.concurrency = concurrency
        options.perHost = perHost
        options.timeout = .milliseconds(Int(timeout * 1000))
        options.method = method ?? (uploadFile != nil ? "PUT" : body == nil ? "GET" : "POST")
        options.headers = headers.compactMap(Self.field)
        if let user, !options.headers.contains(where: { $0.0.lowercased() == "authorization" }) {
            let colon = user.firstIndex(of: ":") ?? user.endIndex
            let password = colon < user.endIndex ? String(user[user.index(after: colon)...]) : ""
            options.headers.append(("Authorization", BasicCredentials.authorization(user: String(user[..<colon]), password: password)))
        }
        options.body = body
        options.followRedirects = location
        guard maxRedirects >= 0 else { throw ValidationError("--max-redirs must be 0 or more") }
        options.maxRedirects = maxRedirects
        options.allowsHTTPSToHTTP = allowsHTTPSToHTTP
        options.compressed = compressed
        options.proxy = try proxySettings()
        if let unixSocket {
            guard SocketAddress(unixPath: unixSocket) != nil else {
                throw ValidationError("--unix-socket \(unixSocket): not a usable socket path (at most \(SocketAddress.maxUnixPathBytes) bytes).")
            }
            options.socketPath = unixSocket
        }
        options.dnsServers = dnsServer
        options.threads = threads
        options.tls = try tls.context()
        var sinks: FetchEngine.SinkFactory?
        if let directory = output {
            sinks = { url in FileSink(directory: directory, url: url) }
        }
        let engine = try FetchEngine(options: options, sinks: sinks)
        let log = hdrLog.map { (path: $0, interval: hdrInterval, title: "httpq fetch" + (shard.map { " --shard \($0)" } ?? "")) }
        let summary = try FetchReport.run(engine: engine, urls: list, json: json, hdrLog: log)
        engine.shutdown()
        if summary.failures > 0 { throw ExitCode(1) }
    }
}

/// Runs an engine over URLs with the progress bar, JSON lines, the summary and the interval
/// log: shared by `fetch` and `demo`.
enum FetchReport {
    static func run(engine: FetchEngine, urls: [String], json: Bool,
                    hdrLog: (path: String, interval: Double, title: String)? = nil) throws -> FetchSummary {
        struct Run {
            var summary = FetchSummary()
            var intervals: IntervalHistograms?
        }
        let state = Locked(Run(intervals: hdrLog.map { IntervalHistograms(length: $0.interval) }))
        let bar = ProgressBar()
        let startTime = Date().timeIntervalSince1970
        let started = ContinuousClock.now
        engine.run(urls, onResult: { result in
            if json { FileOutput.standardOutputLine(result.json) }
            let now = ContinuousClock.now
            state.withLock { run in
                run.summary.add(result)
                if run.intervals != nil, result.status != nil {
                    run.intervals!.record(UInt64(max(1, result.seconds * 1_000_000)), at: (now - started).seconds)
                }
            }
        }, progress: { done, total in
            bar.draw(done: done, total: total, errors: state.withLock { $0.summary.failures })
        })
        bar.clear()
        let elapsed = (ContinuousClock.now - started).seconds
        let final = state.withLock { $0 }
        let report = final.summary.report(elapsed: elapsed)
        if json { FileOutput.standardError(report) } else { FileOutput.standardOutputLine(report) }
        if let hdrLog, let intervals = final.intervals {
            var log = intervals.log(startTime: startTime, elapsed: elapsed)
            log.comments = ["\(hdrLog.title) (values in microseconds)", final.summary.runTotals(seconds: elapsed).comment]
            guard FileOutput.writeFile(hdrLog.path, Array(log.text().utf8)) else { throw CommandFailure("cannot write \(hdrLog.path)") }
        }
        return final.summary
    }
}
