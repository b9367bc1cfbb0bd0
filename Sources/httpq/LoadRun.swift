import Locks
import Dispatch
import EvLoop
import HTTPQ
import HTTPQClient
import Histogram
import HistogramLog
#if canImport(Glibc)
import Glibc
#endif

/// What `httpq load` sends: one or more requests (taken in turn), on C connections, for a
/// while; as fast as answers come (closed loop, like wrk) or at a fixed rate (open loop,
/// like wrk2 -R).
struct LoadPlan {
    /// One URL's request, prepared once.
    struct Target {
        let url: HTTPURL
        let request: Request
        /// Which of `origins` the request goes to (a worker keeps one connection per origin).
        let origin: Int
    }

    let targets: [Target]
    let origins: [HTTPURL]
    let connections: Int
    let duration: Duration
    let threads: Int
    /// Requests per second over all connections; nil: closed loop.
    let rate: Double?
    /// Interval histograms for `--hdr-log`, this long each; nil: none kept.
    let logInterval: Double?
    /// What https trusts (nil: the system's store).
    let tls: TLSClientContext?

    init(urls: [HTTPURL], method: String = "GET", headers: [(String, String)] = [], body: [UInt8]? = nil,
         connections: Int, duration: Duration, threads: Int = 1, rate: Double? = nil, logInterval: Double? = nil,
         tls: TLSClientContext? = nil) throws(ClientError) {
        var origins: [HTTPURL] = []
        var targets: [Target] = []
        for url in urls {
            let sameOrigin = { (other: HTTPURL) in other.usesTLS == url.usesTLS && other.host.lowercased() == url.host.lowercased() && other.port == url.port }
            let origin = origins.firstIndex(where: sameOrigin) ?? { origins.append(url); return origins.count - 1 }()
            var fields = Headers()
            fields.add("Host", url.authority)
            for (name, value) in headers { fields.add(name, value) }
            // Framed once here, by the client's rule (a `-H Content-Length` that is not the body's
            // size is refused now, not on every request), then sent as it is.
            var request = Request(method: method, target: url.target, headers: fields, body: body ?? [])
            if let refusal = RequestBodyFraming.frame(&request) { throw refusal }
            targets.append(Target(url: url, request: request, origin: origin))
        }
        self.targets = targets
        self.origins = origins
        self.connections = connections
        self.duration = duration
        self.threads = threads
        self.rate = rate
        self.logInterval = logInterval
        self.tls = tls
    }
}

/// Runs a plan: one loop per thread, the connections spread over the loops; nothing is
/// shared on the hot path (each loop keeps its own counters and histograms, merged at the end).
final class LoadRun: @unchecked Sendable {
    struct Totals {
        var requests = 0
        /// Requests in flight when the time was up, and in the open loop the sends their
        /// schedule owed by then that never went (a stalled server shows here, not in the
        /// latencies, which only answered requests have).
        var unfinished = 0
        var bytes = 0
        var errors: [String: Int] = [:]
        /// Responses by status code (index), a flat array: no hashing per request.
        var statuses = [Int](repeating: 0, count: 600)
        /// Microseconds from each request's intended send time (open loop) or its send (closed).
        var latency = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
        /// Microseconds from each request's actual send: what a closed loop sees.
        var uncorrected = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
        /// `latency` again, by interval, for `--hdr-log`.
        var intervals: IntervalHistograms?

        var runTotals: RunTotals {
            var totals = RunTotals()
            totals.requests = requests
            totals.bytes = bytes
            totals.errors = errors
            for (status, count) in statuses.enumerated() where count > 0 { totals.statuses[status] = count }
            return totals
        }
    }

    let plan: LoadPlan
    private let group: EventLoopGroup
    private let totals = Locked(Totals())
    /// When the run began, on the monotonic clock the loops measure with.
    private(set) var started = ContinuousClock.now

    init(plan: LoadPlan) throws {
        self.plan = plan
        group = try EventLoopGroup(count: plan.threads)
    }

    /// Runs the test; returns the merged totals and the wall time it took.
    func run() -> (Totals, Double) {
        let loops = group.loops
        started = ContinuousClock.now
        let loopFinished = DispatchSemaphore(value: 0)
        var first = 0
        for (index, loop) in loops.enumerated() {
            let share = plan.connections / loops.count + (index < plan.connections % loops.count ? 1 : 0)
            let firstWorker = first
            first += share
            loop.execute { [self] in
                let driver = LoopDriver(run: self, loop: loop, connections: share, firstWorker: firstWorker)
                driver.start {
                    self.totals.withLock { $0.merge(driver.totals) }
                    loopFinished.signal()
                }
            }
        }
        for _ in loops { loopFinished.wait() }
        let elapsed = (ContinuousClock.now - started).seconds
        try? group.shutdown()
        var result = totals.withLock { $0 }
        if plan.rate == nil { result.uncorrected = result.latency }
        return (result, elapsed)
    }
}

extension LoadRun.Totals {
    mutating func merge(_ other: LoadRun.Totals) {
        requests += other.requests
        unfinished += other.unfinished
        bytes += other.bytes
        for (kind, count) in other.errors { errors[kind, default: 0] += count }
        for (status, count) in other.statuses.enumerated() { statuses[status] += count }
        latency.add(other.latency)
        uncorrected.add(other.uncorrected)
        if let theirs = other.intervals {
            if intervals == nil { intervals = IntervalHistograms(length: theirs.length) }
            intervals?.add(theirs)
        }
    }
}

/// One loop's share of the connections. Loop-confined.
final class LoopDriver: @unchecked Sendable {
    let run: LoadRun
    let loop: EventLoop
    let count: Int
    let firstWorker: Int
    var totals = LoadRun.Totals()
    private var workers: [LoadWorker] = []
    private var deadline = 0.0
    private var live = 0
    private var finished: (() -> Void)?

    init(run: LoadRun, loop: EventLoop, connections: Int, firstWorker: Int) {
        self.run = run
        self.loop = loop
        self.count = connections
        self.firstWorker = firstWorker
        if let length = run.plan.logInterval { totals.intervals = IntervalHistograms(length: length) }
    }

    var timeIsUp: Bool { loop.now >= deadline }

    func start(_ finished: @escaping () -> Void) {
        self.finished = finished
        deadline = loop.now + run.plan.duration.seconds
        guard count > 0 else { return finished() }
        live = count
        for index in 0..<count {
            let worker = LoadWorker(driver: self, number: firstWorker + index)
            workers.append(worker)
        }
        for worker in workers { worker.begin() }
        // Requests still waiting 200 ms after the time is up are abandoned (and counted unfinished).
        loop.schedule(after: run.plan.duration + .milliseconds(200)) { [self] in
            for worker in workers where !worker.stopped { worker.stop() }
        }
    }

    /// Records one answered request: `latency` from its intended send, `uncorrected` from its send.
    func record(status: Int, latency: Duration, uncorrected: Duration, at now: ContinuousClock.Instant) {
        let corrected = UInt64(max(1, latency.microseconds))
        totals.latency.record(corrected)
        if run.plan.rate != nil { totals.uncorrected.record(UInt64(max(1, uncorrected.microseconds))) }
        if totals.intervals != nil { totals.intervals!.record(corrected, at: (now - run.started).seconds) }
        totals.requests += 1
        totals.statuses[min(max(status, 0), 599)] += 1
    }

    func workerStopped() {
        live -= 1
        if live == 0 {
            workers = []
            finished?()
            finished = nil
        }
    }
}

/// One of the C request streams: one request in flight at a time, on one connection per
/// origin. In the open loop each request has an intended send time, one period after the
/// last one's; a request that cannot go then (the last answer is late) goes as soon as it
/// can, and its latency still counts from when it should have gone (wrk2's correction for
/// coordinated omission).
final class LoadWorker: ConnectionDelegate, LoopTask, @unchecked Sendable {
    /// The driver owns its workers and outlives them (no reference counting per access).
    unowned(unsafe) let driver: LoopDriver
    private var connections: [Connection?]
    private var next: Int
    private var sentAt: ContinuousClock.Instant = .now
    private var intendedAt: ContinuousClock.Instant = .now
    /// A request was sent and its answer has not ended.
    private var inFlight = false
    /// Time between intended sends in the open loop.
    private let period: Duration?
    private(set) var stopped = false

    init(driver: LoopDriver, number: Int) {
        self.driver = driver
        let plan = driver.run.plan
        connections = Array(repeating: nil, count: plan.origins.count)
        next = number % plan.targets.count
        period = plan.rate.map { .seconds(Double(plan.connections) / $0) }
    }

    /// Starts the stream; in the open loop at a random phase within the first period, so the
    /// connections do not send in lockstep.
    func begin() {
        if let period {
            let phase = period * Double.random(in: 0..<1)
            intendedAt = .now + phase
            driver.loop.scheduleCallback(after: phase, self)
        } else {
            sendNext()
        }
    }

    private func sendNext() {
        guard !stopped else { return }
        guard !driver.timeIsUp else { return stop() }
        let target = driver.run.plan.targets[next]
        next = (next + 1) % driver.run.plan.targets.count
        guard let connection = connection(to: target.origin) else {
            return retryLater()
        }
        sentAt = .now
        if period == nil { intendedAt = sentAt }
        inFlight = true
        connection.sendFramed(target.request) // framed once, when the plan was made
    }

    /// The open connection to origin `index`, opened now if there is none.
    private func connection(to index: Int) -> Connection? {
        if let open = connections[index] { return open }
        do {
            var options = ConnectionOptions(keepsBody: false, tls: driver.run.plan.tls)
            options.idleReadTimeout = .seconds(30)
            let url = driver.run.plan.origins[index]
            let connection = try Connection(loop: driver.loop, host: url.host, port: url.port, usesTLS: url.usesTLS,
                                            delegate: self, options: options)
            connections[index] = connection
            return connection
        } catch {
            driver.totals.errors[error.kind, default: 0] += 1
            return nil
        }
    }

    /// The next request after a failure: at its intended time in the open loop; on the
    /// next loop turn in the closed one (a refusal can arrive inside `connect` itself).
    private func retryLater() {
        if period != nil { return scheduleNext() }
        driver.loop.execute { [self] in sendNext() }
    }

    /// In the open loop, the next request at its intended time (now, if that has passed).
    private func scheduleNext() {
        guard let period else { return sendNext() }
        intendedAt += period
        let wait = intendedAt - .now
        if wait <= .zero { return sendNext() }
        driver.loop.scheduleCallback(after: wait, self) // pooled: a timer per request allocates nothing
    }

    /// The open loop's timer: the next send is due.
    func run() { sendNext() }

    func stop() {
        guard !stopped else { return }
        stopped = true
        // The request on the wire, if any, and in the open loop every send the schedule owed by
        // the end that never went. A worker behind schedule whose last answer came after the
        // time was up has already moved `intendedAt` to a send that will not go: it counts.
        // (Counting only workers with a request in flight lost that backlog: a run 670 sends
        // behind reported 932 requests and 0 unfinished.)
        var owed = inFlight ? 1 : 0
        if let period {
            let end = driver.run.started + driver.run.plan.duration
            let next = inFlight ? intendedAt + period : intendedAt
            if end >= next { owed += Int((end - next) / period) + 1 }
        }
        driver.totals.unfinished += owed
        for case let connection? in connections {
            connection.delegate = nil
            connection.close()
        }
        connections = connections.map { _ in nil }
        driver.workerStopped()
    }

    func connection(_ connection: Connection, didChange state: State, of response: Response) {}

    func connection(_ connection: Connection, didReceiveBody bytes: RawSpan) {
        driver.totals.bytes += bytes.byteCount
    }

    func connection(_ connection: Connection, didComplete response: Response) {
        guard !stopped else { return }
        inFlight = false
        let now = ContinuousClock.now
        driver.record(status: response.status, latency: now - intendedAt, uncorrected: now - sentAt, at: now)
        if !connection.isReusable { forget(connection) }
        if period != nil { scheduleNext() } else { sendNext() }
    }

    func connection(_ connection: Connection, didFail error: any Error) {
        guard !stopped else { return }
        inFlight = false
        forget(connection)
        if driver.timeIsUp { return stop() }
        driver.totals.errors[(error as? ClientError)?.kind ?? "error", default: 0] += 1
        retryLater()
    }

    private func forget(_ connection: Connection) {
        connection.delegate = nil
        if let index = connections.firstIndex(where: { $0 === connection }) { connections[index] = nil }
    }
}

extension Duration {
    var microseconds: Int64 {
        let (whole, attoseconds) = components
        return whole * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}
