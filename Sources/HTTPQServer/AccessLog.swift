import EvLoop
import Locks
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// An access log written off the loops' threads: no system call on the hot path. A writer
/// thread of its own takes what has queued every `flushInterval` (100 ms), or as soon as
/// `batchBytes` (64 KiB) of lines have queued, and writes it in one `write` per batch.
/// (Waking the writer per entry cost a context switch per request: 27% of requests/s on two
/// cores. Waking it only every 100 ms let a busy loop fill megabytes of fresh memory between
/// writes, which pushed the kernel's socket data out of the caches; Docs/Performance.md has
/// the figures.)
///
/// ```swift
/// let log = try AccessLog(path: "/var/log/app/access.log", format: .combined)
/// let server = Server(configuration: .init(accessLogWriter: log), loops: loops, handler: handler)
/// ```
///
/// Given to a server as `ServerConfiguration.accessLogWriter`, each loop formats its lines
/// itself, straight from the request, and queues their bytes (`record(line:)`): no entry
/// and no String per request, and nothing for the writer but the `write`. As a sink
/// (`accessLog: log.sink`, or `record(_:)` from any thread) it queues `AccessLogEntry`
/// values, which the writer formats.
///
/// The queue is bounded (`maxPending` entries or lines, and 64 MiB of lines): past it they
/// are dropped and counted, and the next batch says how many (a stuck disk cannot grow the server without
/// bound).
/// `reopen()` opens the path again (after logrotate moved the file: nginx does this on
/// SIGUSR1, `httpq serve` too).
///
/// A log that cannot be written (a full disk, standard output whose reader left) never stops
/// the server: its lines are dropped, and `logger` hears it once when writes start failing,
/// and once when they succeed again (as nginx's error log says "write() to ... failed").
public final class AccessLog: @unchecked Sendable {
    /// The line format.
    public let format: AccessLogFormat
    /// Entries held at most while the writer catches up.
    public let maxPending: Int
    /// How often the writer takes what has queued.
    public let flushInterval: Duration
    private let path: String?
    private let condition = ConditionLock()
    // Guarded by `condition`, which already makes every access exclusive: the runtime's
    // check besides (two per `record`, ~300 instructions on the loop's thread) is off.
    @exclusivity(unchecked) private var pending: [AccessLogEntry] = []
    @exclusivity(unchecked) private var dropped = 0
    /// Lines formatted by the loops, and how many (against `maxPending`).
    @exclusivity(unchecked) private var pendingLines = LineBuffer(capacity: 64 << 10)
    @exclusivity(unchecked) private var pendingLineCount = 0
    /// Whether the writer was told a batch is ready since it last took one (one signal a batch).
    @exclusivity(unchecked) private var writerSignalled = false
    private var stopping = false
    private var reopenRequested = false
    private var thread: PosixThread?
    /// The writer's descriptor (only the writer thread touches it after `init`), and whether
    /// this log opened it. Only what it opened is closed: an `init` that throws still runs
    /// `deinit`, and closing standard output there handed descriptor 1 to the next socket
    /// the process opened (the test suite's output then went into a test's connection).
    private var fd: Int32
    private var ownsDescriptor = false
    /// Where failures to write or reopen the log are said (the writer's thread).
    private let logger: Logger?

    /// A log to `path` (appended to, created 0644 if missing), or to standard output when
    /// nil. Throws `ServerError.cannotOpenLog` when the file cannot be opened. `logger` hears
    /// when the log cannot be written or reopened, and when it can be again.
    public init(path: String? = nil, format: AccessLogFormat = .combined, maxPending: Int = 100_000,
                flushInterval: Duration = .milliseconds(100), logger: Logger? = nil) throws(ServerError) {
        self.path = path
        self.format = format
        self.maxPending = maxPending
        self.flushInterval = flushInterval
        self.logger = logger
        fd = STDOUT_FILENO
        if let path {
            fd = try Self.open(path)
            ownsDescriptor = true
        }
        do {
            // The writer holds the log until `close` (a log nobody closes writes on).
            thread = try PosixThread(name: "httpq-access-log") { [self] in writeUntilClosed() }
        } catch {
            guard case .threadCreationFailed(let code) = error else { throw .cannotOpenLog(path: path ?? "standard output", errno: 0) }
            throw .cannotOpenLog(path: path ?? "standard output", errno: code) // deinit closes what it opened
        }
    }

    /// Records `entry` (any thread): moved into the queue, nothing more.
    public func record(_ entry: consuming AccessLogEntry) {
        condition.lock()
        if pending.count >= maxPending { dropped += 1 } else { pending.append(entry) }
        if pending.count >= Self.batchEntries { signalWriter() }
        condition.unlock()
    }

    /// Bytes of lines that make a batch: the writer is woken to take them then, so the loops
    /// fill the same few buffers, which stay in the caches.
    public static let batchBytes = 64 << 10
    /// Entries that make a batch (`record(_:)`).
    static let batchEntries = 512

    /// Wakes the writer for a batch; the lock is held.
    private func signalWriter() {
        guard !writerSignalled else { return }
        writerSignalled = true
        condition.signal()
    }

    /// Bytes of queued lines held at most, whatever `maxPending` allows (lines of the longest
    /// targets and `User-Agent`s the parser takes are tens of KiB each).
    static let maxPendingLineBytes = 64 << 20

    /// Records a line already formatted in this log's `format`, newline included (any
    /// thread): its bytes are copied into the queue, nothing more.
    public func record(line: UnsafeBufferPointer<UInt8>) {
        condition.lock()
        if pending.count + pendingLineCount >= maxPending || pendingLines.count + line.count > Self.maxPendingLineBytes {
            dropped += 1
        } else {
            pendingLines.append(line)
            pendingLineCount += 1
            if pendingLines.count >= Self.batchBytes { signalWriter() }
        }
        condition.unlock()
    }

    /// What `ServerConfiguration.accessLog` takes. The entry is handed over, not copied (a
    /// copy, and its destruction, were a third of the log's cost on the loop's thread).
    public var sink: @Sendable (consuming AccessLogEntry) -> Void { { [self] entry in record(entry) } }

    /// Opens the path again before the next batch (after the file was moved away).
    public func reopen() {
        condition.withLock {
            reopenRequested = true
            signalWriter()
        }
    }

    /// Writes what is queued and stops the writer (within one flush interval); entries
    /// recorded later are ignored.
    public func close() {
        let wasRunning = condition.withLock { () -> Bool in
            guard thread != nil, !stopping else { return false }
            stopping = true
            signalWriter()
            return true
        }
        if wasRunning { thread?.join() }
    }

    deinit {
        if ownsDescriptor { _ = Glibc.close(fd) }
    }

    // MARK: The writer thread

    private func writeUntilClosed() {
        var clock = LogClock()
        // Reused from batch to batch: the entries' array (swapped with the submitters') and
        // the bytes written.
        var batch: [AccessLogEntry] = []
        var bytes = LineBuffer()
        var lines = LineBuffer(capacity: 64 << 10)
        var health = WriteHealth()
        let interval = UInt64(max(1_000_000, flushInterval.components.seconds * 1_000_000_000 + flushInterval.components.attoseconds / 1_000_000_000))
        var deadline = ConditionLock.monotonicNanoseconds() + interval
        while true {
            condition.lock()
            // Until a batch is ready, or the interval is up (lines trickling in are written
            // within it), or someone closes or reopens the log.
            while !writerSignalled && ConditionLock.monotonicNanoseconds() < deadline {
                condition.wait(untilNanoseconds: deadline)
            }
            writerSignalled = false
            deadline = ConditionLock.monotonicNanoseconds() + interval
            swap(&batch, &pending)
            swap(&lines, &pendingLines)
            pendingLineCount = 0
            let lost = dropped
            dropped = 0
            let reopening = reopenRequested
            reopenRequested = false
            let done = stopping
            condition.unlock()
            if reopening, let path {
                do {
                    let fresh = try Self.open(path)
                    _ = Glibc.close(fd)
                    fd = fresh
                } catch {
                    logger?.error("the access log could not be reopened; still writing to the file it had open",
                                  metadata: ["path": "\(path)", "error": "\(error)"])
                }
            }
            if batch.isEmpty && lines.count == 0 && lost == 0 {
                if done { return }
                continue
            }
            if lost > 0 {
                bytes.appendText("httpq: \(lost) access log entries dropped (the log could not keep up)\n")
                bytes.withBytes { writeAll($0, &health) }
                bytes.removeAll(keeping: 4 << 20)
            }
            lines.withBytes { writeAll($0, &health) } // formatted by the loops already: written as they are
            lines.removeAll(keeping: 4 << 20)
            batch.withUnsafeMutableBufferPointer { entries in
                for index in entries.indices { format.append(inPlace: &entries[index], to: &bytes, clock: &clock) }
            }
            bytes.withBytes { writeAll($0, &health) }
            // Keep the storage of an ordinary batch; let a burst's go.
            batch.removeAll(keepingCapacity: batch.capacity <= 16_384)
            bytes.removeAll(keeping: 4 << 20)
            if done { return }
        }
    }

    /// Whether the last write failed, and how many bytes were lost since.
    private struct WriteHealth {
        var failing = false
        var lostBytes = 0
    }

    private func writeAll(_ bytes: UnsafeBufferPointer<UInt8>, _ health: inout WriteHealth) {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                // A full or failed disk, a reader that left: this batch is lost, the next may go.
                let code = written < 0 ? errno : EIO
                if !health.failing {
                    health.failing = true
                    logger?.error("the access log cannot be written; its lines are dropped until it can",
                                  metadata: ["path": "\(path ?? "standard output")", "error": "\(String(cString: strerror(code)))"])
                }
                health.lostBytes += bytes.count - offset
                return
            }
            offset += written
        }
        if health.failing, bytes.count > 0 {
            logger?.notice("the access log is written again",
                           metadata: ["path": "\(path ?? "standard output")", "lostBytes": "\(health.lostBytes)"])
            health = WriteHealth()
        }
    }

    private static func open(_ path: String) throws(ServerError) -> Int32 {
        let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .cannotOpenLog(path: path, errno: errno) }
        return fd
    }
}
