import Locks
import EvLoop
import FoundationEssentials
import HTTPQ
import HTTPQClient
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Fetches a list of URLs across many hosts with one `Client`: at most `concurrency` in
/// flight, at most `perHost` connections per host (reused), redirects followed when asked,
/// each result reported as it ends. The engine behind `httpq fetch` and `httpq demo`.
final class FetchEngine: Sendable {
    struct Options: Sendable {
        var concurrency = 100
        var perHost = 6
        var timeout: Duration = .seconds(30)
        var method = "GET"
        var headers: [(String, String)] = []
        var body: Payload? = nil
        var followRedirects = false
        /// Redirects followed at most before the fetch fails with `too-many-redirects`.
        var maxRedirects = 10
        /// Whether a redirect from https to http is followed.
        var allowsHTTPSToHTTP = false
        /// Ask for gzip, deflate or br and save the decoded bytes (`--compressed`).
        var compressed = false
        /// Which proxy each URL goes through (`-x`, `--noproxy`, or curl's variables).
        var proxy: ProxySettings = .none
        /// Every URL through this Unix domain socket (`--unix-socket`).
        var socketPath: String? = nil
        var dnsServers: String? = nil
        var threads = 1
        /// What https trusts (nil: the system's store, checked).
        var tls: TLSClientContext? = nil
    }

    /// Makes the sink for one URL's final body (nil: count bytes only).
    typealias SinkFactory = @Sendable (HTTPURL) -> BodySink?

    let options: Options
    /// The fields of `-H`, built once for every request.
    private let baseHeaders: Headers
    private let client: Client
    private let group: EventLoopGroup
    private let sinks: SinkFactory?
    private let state: Locked<Queue>
    /// Signalled when the last fetch ends, so `run` returns at once (elapsed time is exact).
    private let allDone = DispatchSemaphore(value: 0)

    private struct Queue {
        var waiting: [Planned] = []
        var next = 0
        var inFlight = 0
        var finished = 0
        var total = 0
        var onResult: (@Sendable (FetchResult) -> Void)?
    }

    init(options: Options, sinks: SinkFactory? = nil) throws {
        self.options = options
        self.sinks = sinks
        var headers = Headers()
        for (name, value) in options.headers { headers.add(name, value) }
        baseHeaders = headers
        group = try EventLoopGroup(count: options.threads)
        // `timeout` bounds each fetch as a whole (queue, every hop, every byte): it is the
        // request deadline, not a per-connection timer that each redirect would restart.
        var connection = ConnectionOptions(idleReadTimeout: options.timeout, keepsBody: false)
        connection.dnsServers = options.dnsServers
        connection.tls = options.tls
        // Redirects are the client's: the CLI only picks the policy.
        let redirects: RedirectPolicy = options.followRedirects
            ? .follow(max: options.maxRedirects, allowsHTTPSToHTTP: options.allowsHTTPSToHTTP) : .off
        client = Client(loops: group.loops, configuration: .init(maxConnections: Self.keptConnections(concurrency: options.concurrency),
                                                                  maxConnectionsPerHost: options.perHost,
                                                                  connection: connection, redirects: redirects,
                                                                  decompression: options.compressed ? .on() : .off,
                                                                  proxy: options.proxy))
        state = Locked(Queue())
    }

    /// Fetches every URL; `onResult` runs (on a loop thread) as each ends. Returns when all
    /// have ended; `progress` runs on the calling thread about ten times a second.
    func run(_ urls: [String], onResult: @escaping @Sendable (FetchResult) -> Void,
             progress: (_ finished: Int, _ total: Int) -> Void = { _, _ in }) {
        let ordered = Self.interleavedByHost(urls, socketPath: options.socketPath)
        state.withLock {
            $0.waiting = ordered
            $0.total = ordered.count
            $0.onResult = onResult
        }
        launchMore()
        while true {
            let (finished, total) = state.withLock { ($0.finished, $0.total) }
            progress(finished, total)
            if finished == total { break }
            _ = allDone.wait(timeout: .now() + .milliseconds(100))
        }
    }

    func shutdown() {
        client.shutdown()
        try? group.shutdown()
    }

    /// The fewest connections the pool may keep, whatever `--concurrency` (see `keptConnections`).
    static let keptConnectionsAtLeast = 256

    /// Connections the pool may hold, busy or idle: four times the fetches in flight, as
    /// libcurl's connection cache holds four times its transfers (`CURLMOPT_MAXCONNECTS`'s
    /// default). `concurrency` bounds what is in flight (`launchMore`); with the pool bounded
    /// by it too, a list over more hosts than that closed a host's connection for every other
    /// host's URL (50 in flight over 100 hosts: a connection per URL, 0.7x curl). Within the
    /// descriptors the process may open: its soft limit is raised to the hard one first (as
    /// Go's runtime and nginx's `worker_rlimit_nofile` do), and a quarter is left for the rest.
    /// At least `keptConnectionsAtLeast` (256, the whole-pool cap of Chrome's socket pool):
    /// with four times alone, 20 in flight over 100 hosts kept 80 and still closed a host's
    /// connection for most URLs (1,646 connections for 5,000 URLs).
    static func keptConnections(concurrency: Int) -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return concurrency }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        let budget = Int(clamping: limit.rlim_cur) / 4 * 3 - concurrency // output files of those in flight
        return max(concurrency, min(max(concurrency * 4, Self.keptConnectionsAtLeast), budget))
    }

    /// Starts fetches until `concurrency` are in flight or none wait.
    private func launchMore() {
        while true {
            let url: Planned? = state.withLock { queue in
                guard queue.inFlight < options.concurrency, queue.next < queue.waiting.count else { return nil }
                defer { queue.next += 1 }
                queue.inFlight += 1
                return queue.waiting[queue.next]
            }
            guard let url else { return }
            start(url)
        }
    }

    private func start(_ planned: Planned) {
        let started = ContinuousClock.now
        let text = planned.text
        let parsed: HTTPURL
        switch Self.parse(text, socketPath: options.socketPath) {
        case .success(let url):
            parsed = url
        case .failure(let error):
            return finished(FetchResult(url: HTTPURL.redacted(text), host: HTTPURL.redacted(text), status: nil, bytes: 0, seconds: 0,
                                        error: error.description, errorKind: error.kind))
        }
        let fetch = Fetch(engine: self, original: HTTPURL.redacted(text), firstURL: parsed, host: planned.host, started: started) // no password in any output
        send(fetch, to: parsed)
    }

    /// Sends `fetch`'s request; the client follows its redirects.
    func send(_ fetch: Fetch, to url: HTTPURL) {
        let delegate = FetchDelegate(fetch: fetch, url: url, sinks: sinks)
        switch options.body {
        case .file(let upload)?: // streamed from the file (sendfile on plain connections)
            let request = Request(method: options.method, target: url.target, headers: baseHeaders)
            client.execute(request, body: upload, to: url, deadline: fetch.started + options.timeout, delegate: delegate)
        case .bytes(let bytes)?: // framed by the client (`Content-Length`; a -H one not its size is refused)
            let request = Request(method: options.method, target: url.target, headers: baseHeaders, body: bytes)
            client.execute(request, to: url, deadline: fetch.started + options.timeout, delegate: delegate)
        case nil:
            let request = Request(method: options.method, target: url.target, headers: baseHeaders)
            client.execute(request, to: url, deadline: fetch.started + options.timeout, delegate: delegate)
        }
    }

    func finished(_ result: FetchResult) {
        let onResult = state.withLock { queue -> (@Sendable (FetchResult) -> Void)? in
            queue.inFlight -= 1
            return queue.onResult
        }
        onResult?(result)
        let last = state.withLock { queue -> Bool in
            queue.finished += 1
            return queue.finished == queue.total
        }
        if last { allDone.signal() }
        launchMore()
    }

    /// URLs reordered so consecutive ones go to different hosts (round robin over hosts, each
    /// host's URLs in their order): the in-flight window then spreads over every host instead
    /// of filling with one host's queue.
    /// Each URL is parsed here for its host, and again when it starts: holding the parsed
    /// form of every URL until then cost ~0.8 KB per URL (50,000 URLs: 63 MB).
    /// One dictionary lookup per URL (the hosts' lists are found by number after that: four
    /// lookups per URL were ~1,900 instructions of it).
    static func interleavedByHost(_ urls: [String], socketPath: String? = nil) -> [Planned] {
        var hostNumbers: [String: Int] = [:]
        var byHost: [[Planned]] = []
        for text in urls {
            let planned = Planned(text: text, host: (try? parse(text, socketPath: socketPath).get())?.authority ?? "")
            let number = hostNumbers[planned.host, default: byHost.count]
            if number == byHost.count {
                hostNumbers[planned.host] = number
                byHost.append([])
            }
            byHost[number].append(planned)
        }
        // Round by round over the hosts that still have URLs (each list is non-empty, and
        // leaves once its last URL is out): linear, where walking every host every round was
        // hosts x the longest list (one host of 50,000 URLs beside 10,000 of one each: 5e8).
        var out: [Planned] = []
        out.reserveCapacity(urls.count)
        var live = Array(byHost.indices)
        var round = 0
        while !live.isEmpty {
            var kept = 0
            for position in live.indices {
                let number = live[position]
                out.append(byHost[number][round])
                if round + 1 < byHost[number].count {
                    live[kept] = number
                    kept += 1
                }
            }
            live.removeLast(live.count - kept)
            round += 1
        }
        return out
    }

    static func parse(_ text: String, socketPath: String?) -> Result<HTTPURL, ClientError> {
        Result { () throws(ClientError) in
            var url = try HTTPURL(text)
            if let socketPath { url.socketPath = socketPath }
            return url
        }
    }
}

/// A URL as given, and its host.
struct Planned: Sendable {
    let text: String
    /// `HOST[:PORT]` (the summary's row); empty for a URL that does not parse.
    let host: String
}

/// One URL's journey, across redirects.
final class Fetch: @unchecked Sendable {
    let engine: FetchEngine
    let original: String
    let firstURL: HTTPURL
    /// `firstURL.authority`, computed once when the list was planned.
    let host: String
    let started: ContinuousClock.Instant

    init(engine: FetchEngine, original: String, firstURL: HTTPURL, host: String, started: ContinuousClock.Instant) {
        self.engine = engine
        self.original = original
        self.firstURL = firstURL
        self.host = host
        self.started = started
    }

    func end(status: Int?, bytes: Int, error: String?, kind: String?) {
        engine.finished(FetchResult(url: original, host: host, status: status, bytes: bytes,
                                    seconds: (ContinuousClock.now - started).seconds, error: error, errorKind: kind))
    }
}

/// A request body for every fetch: bytes given whole (`--data`), or a file streamed (`-T`).
enum Payload: Sendable {
    case bytes([UInt8])
    case file(UploadBody)
}
