import CoreMetrics
import Logging
import HTTPQ
import Sockets
import TLS

/// How a `Server` listens, what it accepts, and how long it waits.
public struct ServerConfiguration: Sendable {
    /// Where to listen. Port 0 picks a free port (read it back from `Server.start()`).
    public var addresses: [SocketAddress]
    /// How long a request head may take to arrive, from its first byte (or from accept).
    /// A client that sends its head slower than this is cut off (slowloris).
    public var headerTimeout: Duration
    /// How long a kept-alive connection may sit with no request, and how long a read of a
    /// request body or a write of a response may make no progress.
    public var idleTimeout: Duration
    /// Limits on request heads (size, field count, line length): beyond them the answer is 431
    /// (414 for a request line over the line limit: a target too long).
    public var limits: Limits
    /// The largest request body the server reads into memory before a (collecting) handler
    /// runs: beyond it the answer is 413.
    public var maxBodyBytes: Int
    /// The largest request body a streaming handler is given (it holds one slice at a time,
    /// so this bounds disk or upstream use, not memory): beyond it the answer is 413.
    public var maxStreamedBodyBytes: Int
    /// Request body bytes all connections of one loop may hold in memory at once (bodies
    /// being read and pipelined bytes waiting). A request whose body would pass it is
    /// answered 503 and its connection closed: many slow uploads cannot grow the server
    /// past this, whatever `maxBodyBytes` allows each.
    public var maxBufferedBytesPerLoop: Int
    /// The listen backlog.
    public var backlog: Int32
    /// The `Server` field sent with every response (nil: none).
    public var serverName: String?
    /// Called on the loop's thread once per finished response (nil: no log).
    public var accessLog: (@Sendable (consuming AccessLogEntry) -> Void)?
    /// An access log the loops format lines for themselves and hand over as bytes (nil: none):
    /// the cheap way to log to a file or standard output (no `AccessLogEntry` per request;
    /// see `AccessLog`). Independent of `accessLog`: set both and both are used.
    public var accessLogWriter: AccessLog?
    /// Where server events go (listening, accept failures, malformed requests, failed TLS
    /// handshakes, shutdown); nil logs nothing and costs nothing.
    public var logger: Logger?
    /// The swift-metrics factory to count with; nil takes `MetricsSystem.factory` when the
    /// server is made. With swift-metrics' no-op default the server makes no instruments at
    /// all (`ServerMetrics` lists them).
    public var metricsFactory: MetricsFactory?
    /// The certificate and key to speak TLS with (https); nil for plain HTTP. The handshake
    /// is under the header timeout: a client that never finishes it is cut off.
    public var tls: TLSServerContext?

    public init(addresses: [SocketAddress] = [SocketAddress(ip: "127.0.0.1", port: 8080)!],
                headerTimeout: Duration = .seconds(10), idleTimeout: Duration = .seconds(60),
                limits: Limits = .default, maxBodyBytes: Int = 1 << 20, backlog: Int32 = 1024,
                serverName: String? = "httpq", accessLog: (@Sendable (consuming AccessLogEntry) -> Void)? = nil,
                tls: TLSServerContext? = nil, maxBufferedBytesPerLoop: Int = 64 << 20,
                maxStreamedBodyBytes: Int = 8 << 30, accessLogWriter: AccessLog? = nil) {
        self.accessLogWriter = accessLogWriter
        self.tls = tls
        self.maxStreamedBodyBytes = maxStreamedBodyBytes
        self.maxBufferedBytesPerLoop = maxBufferedBytesPerLoop
        self.addresses = addresses
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.limits = limits
        self.maxBodyBytes = maxBodyBytes
        self.backlog = backlog
        self.serverName = serverName
        self.accessLog = accessLog
    }
}

/// A logged field value: bytes in a storage array (a request's head, shared) and their range.
struct LoggedText: Sendable {
    let storage: [UInt8]
    let range: Range<Int>

    init(_ text: String) {
        storage = Array(text.utf8)
        range = 0..<storage.count
    }

    /// `storage[range]`, sharing `storage` when it is small (a request head of up to 1 KiB: the
    /// usual case), copying the value out of a larger one so a queued entry never holds more
    /// than about 1 KiB of a request alive.
    init(storage: [UInt8], range: Range<Int>) {
        if storage.capacity <= 1024 {
            self.storage = storage
            self.range = range
        } else {
            self.storage = Array(storage[range])
            self.range = 0..<self.storage.count
        }
    }

    var string: String { String(decoding: storage[range], as: UTF8.self) }

    func withBytes<T>(_ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        storage.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[range])) }
    }
}

/// One line of an access log: who asked for what and what they got. `AccessLogFormat`
/// turns it into nginx's `combined` line or a JSON object; `AccessLog` writes those off the
/// loop's thread.
public struct AccessLogEntry: Sendable, CustomStringConvertible {
    /// The client's address and port (`unix:` for a Unix socket peer; nil if unknown).
    /// (`Optional` spelled out here and below: `T?` gives the property a nil default, and an
    /// initializer that sets a property over its default made the compiler copy the whole
    /// entry out of it, per request.)
    public var peer: Optional<SocketAddress>
    /// The request's method.
    public var method: String
    /// The request target as sent.
    public var target: String
    /// The request's version.
    public var version: String
    /// The status answered.
    public var status: Int
    /// Body bytes sent.
    public var bytes: Int
    /// From the end of the request head to the end of the response, in seconds.
    public var seconds: Double
    /// When the response ended: seconds since 1970 (the loop's cached wall-clock time).
    public var time: Double
    /// The request's `Referer` and `User-Agent`, if it had them.
    public var referer: String? {
        get { refererText?.string }
        set { refererText = newValue.map(LoggedText.init) }
    }
    public var userAgent: String? {
        get { userAgentText?.string }
        set { userAgentText = newValue.map(LoggedText.init) }
    }
    /// The user of a `Basic` `Authorization` field, if the request had one (nginx's
    /// `$remote_user`; nothing says it was checked).
    public var remoteUser: Optional<String>
    /// The same as bytes: the server hands the request's own head storage and a range, so a
    /// log line costs no String per request for them (the writer formats the bytes).
    var refererText: Optional<LoggedText>
    var userAgentText: Optional<LoggedText>

    /// An entry; `time` defaults to 0 (the server sets it). A request whose line could not
    /// be parsed has the line as received in `target`, and empty `method` and `version`.
    public init(peer: SocketAddress?, method: String, target: String, version: String, status: Int, bytes: Int,
                seconds: Double, time: Double = 0, referer: String? = nil, userAgent: String? = nil, remoteUser: String? = nil) {
        self.init(peer: peer, method: method, target: target, version: version, status: status, bytes: bytes,
                  seconds: seconds, time: time, refererText: referer.map(LoggedText.init),
                  userAgentText: userAgent.map(LoggedText.init), remoteUser: remoteUser)
    }

    /// An entry whose `Referer` and `User-Agent` are bytes of the request's head; every field
    /// set once (the server's path: delegating the other way built the entry and then copied
    /// it twice).
    init(peer: SocketAddress?, method: String, target: String, version: String, status: Int, bytes: Int,
         seconds: Double, time: Double, refererText: LoggedText?, userAgentText: LoggedText?, remoteUser: String?) {
        self.peer = peer
        self.method = method
        self.target = target
        self.version = version
        self.status = status
        self.bytes = bytes
        self.seconds = seconds
        self.time = time
        self.refererText = refererText
        self.userAgentText = userAgentText
        self.remoteUser = remoteUser
    }

    /// `127.0.0.1:5555 "GET / HTTP/1.1" 200 1234 0.120ms`: a short line for debugging.
    public var description: String {
        let milliseconds = (seconds * 1_000_000).rounded() / 1_000
        return "\(peer?.description ?? "-") \"\(method) \(target) \(version)\" \(status) \(bytes) \(milliseconds)ms"
    }
}
