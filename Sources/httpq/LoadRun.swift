import Locks
import Dispatch
import EvLoop
import HTTPQ
import HTTPQClient
import Histogram
#if canImport(Glibc)
import Glibc
#endif

/// A closed-loop load generator like wrk: each connection sends a request, waits for the
/// whole response, records its latency and sends the next, until the time is up. One loop per
/// thread; the connections are spread over the loops; nothing is shared on the hot path
/// (each loop keeps its own counters and histogram, merged at the end).
final class LoadRun: @unchecked Sendable {
    struct Totals {
        var requests = 0
        var bytes = 0
        var errors: [String: Int] = [:]
        /// Responses by status code (index), a flat array: no hashing per request.
        var statuses = [Int](repeating: 0, count: 600)
        var latency = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
    }

    let url: HTTPURL
    let request: Request
    let connections: Int
    let duration: Duration
    /// What https trusts (nil: the system's store).
    let tls: TLSClientContext?
    private let group: EventLoopGroup
    private let totals = Locked(Totals())

    init(url: HTTPURL, connections: Int, duration: Duration, threads: Int, headers: [(String, String)],
         tls: TLSClientContext? = nil) throws {
        self.url = url
        self.tls = tls
        self.connections = connections
        self.duration = duration
        var fields = Headers()
        fields.add("Host", url.authority)
        for (name, value) in headers { fields.add(name, value) }
        request = Request(method: "GET", target: url.target, headers: fields)
        group = try EventLoopGroup(count: threads)
    }

    /// Runs the test; returns the merged totals and the wall time it took.
    func run() -> (Totals, Double) {
        let loops = group.loops
        let started = ContinuousClock.now
        let loopFinished = DispatchSemaphore(value: 0)
        for (index, loop) in loops.enumerated() {
            let share = connections / loops.count + (index < connections % loops.count ? 1 : 0)
            loop.execute { [self] in
                let driver = LoopDriver(run: self, loop: loop, connections: share)
                driver.start {
                    self.totals.withLock { $0.merge(driver.totals) }
                    loopFinished.signal()
                }
            }
        }
        for _ in loops { loopFinished.wait() }
        let elapsed = (ContinuousClock.now - started).seconds
        try? group.shutdown()
        return (totals.withLock { $0 }, elapsed)
    }
}

extension LoadRun.Totals {
    mutating func merge(_ other: LoadRun.Totals) {
        requests += other.requests
        bytes += other.bytes
        for (kind, count) in other.errors { errors[kind, default: 0] += count }
        for (status, count) in other.statuses.enumerated() { statuses[status] += count }
        latency.add(other.latency)
    }
}

/// One loop's share of the connections. Loop-confined.
final class LoopDriver: @unchecked Sendable {
    let run: LoadRun
    let loop: EventLoop
    let count: Int
    var totals = LoadRun.Totals()
    private var workers: [LoadWorker] = []
    private var deadline = 0.0
    private var live = 0
    private var finished: (() -> Void)?

    init(run: LoadRun, loop: EventLoop, connections: Int) {
        self.run = run
        self.loop = loop
        self.count = connections
    }

    var timeIsUp: Bool { loop.now >= deadline }

    func start(_ finished: @escaping () -> Void) {
        self.finished = finished
        deadline = loop.now + run.duration.seconds
        guard count > 0 else { return finished() }
        live = count
        for _ in 0..<count {
            let worker = LoadWorker(driver: self)
            workers.append(worker)
            worker.connect()
        }
        // Connections still waiting when the time is up are abandoned, as wrk does.
        loop.schedule(after: run.duration + .milliseconds(200)) { [self] in
            for worker in workers where !worker.stopped { worker.stop() }
        }
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

/// One connection in the closed loop.
final class LoadWorker: ConnectionDelegate, @unchecked Sendable {
    /// The driver owns its workers and outlives them (no reference counting per access).
    unowned(unsafe) let driver: LoopDriver
    private var connection: Connection?
    private var sentAt: ContinuousClock.Instant = .now
    private(set) var stopped = false

    init(driver: LoopDriver) { self.driver = driver }

    func connect() {
        guard !driver.timeIsUp else { return stop() }
        do {
            var options = ConnectionOptions(keepsBody: false, tls: driver.run.tls)
            options.idleReadTimeout = .seconds(30)
            let url = driver.run.url
            connection = try Connection(loop: driver.loop, host: url.host, port: url.port, usesTLS: url.usesTLS,
                                        delegate: self, options: options)
            sendNext()
        } catch {
            driver.totals.errors[error.kind, default: 0] += 1
            stop()
        }
    }

    private func sendNext() {
        guard !driver.timeIsUp else { return stop() }
        sentAt = .now
        connection?.send(driver.run.request)
    }

    func stop() {
        guard !stopped else { return }
        stopped = true
        connection?.delegate = nil
        connection?.close()
        connection = nil
        driver.workerStopped()
    }

    func connection(_ connection: Connection, didChange state: State, of response: Response) {}

    func connection(_ connection: Connection, didReceiveBody bytes: RawSpan) {
        driver.totals.bytes += bytes.byteCount
    }

    func connection(_ connection: Connection, didComplete response: Response) {
        guard !stopped else { return }
        let micros = (ContinuousClock.now - sentAt).microseconds
        _ = driver.totals.latency.record(UInt64(max(1, micros)))
        driver.totals.requests += 1
        driver.totals.statuses[min(max(response.status, 0), 599)] += 1
        if connection.isReusable {
            sendNext()
        } else {
            connection.delegate = nil
            self.connection = nil
            connect()
        }
    }

    func connection(_ connection: Connection, didFail error: any Error) {
        guard !stopped else { return }
        let kind = (error as? ClientError)?.kind ?? "error"
        if driver.timeIsUp { return stop() }
        driver.totals.errors[kind, default: 0] += 1
        connection.delegate = nil
        self.connection = nil
        // Reconnect on the next loop turn: a refusal can arrive inside `connect` itself.
        driver.loop.execute { [self] in connect() }
    }
}

extension Duration {
    var microseconds: Int64 {
        let (whole, attoseconds) = components
        return whole * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}
