import EvLoop
import HTTPQ
import Sockets
#if canImport(Glibc)
import Glibc
#endif

/// The way back to the client for one request. Answer exactly once: `send` a whole
/// response, or stream one (`sendHead`, `write`..., `end`), or `sendFile`.
///
/// Safe from any thread: calls made off the loop hop onto it, in order. The server sets
/// the framing (`Content-Length` or chunked), `Date`, `Server` and `Connection`; a
/// response to `HEAD` goes out without its body.
public final class Responder: @unchecked Sendable {
    /// The loop that owns the connection.
    public let loop: EventLoop
    /// The request being answered.
    public let request: Request
    private var connection: ServerConnection?
    private let isHead: Bool
    private var stage = Stage.head
    /// When the request's head was in (monotonic nanoseconds), read only when a log or
    /// metrics will want the duration.
    private let started: Int64
    private var status = 0
    private var bodyBytes = 0
    private var writable: (() -> Void)?
    /// An async handler's task: cancelled when the connection closes before the answer is
    /// complete (a client that reset it, a write that failed, the end of a shutdown's grace
    /// period), so what it awaits — a `Client` call to an upstream — ends and lets go of its
    /// connection, as nginx closes the upstream of a client that left. Loop-confined.
    private var handlerTask: Task<Void, Never>?
    /// For the answer to a request whose line could not be parsed: the line as received,
    /// for the access log (nginx's `$request` is the line whatever it holds).
    var unparsedRequestLine: [UInt8]?

    private enum Stage { case head, streaming(chunked: Bool, remaining: Int?), done }

    init(connection: ServerConnection, request: consuming Request) {
        self.connection = connection
        self.loop = connection.loop
        self.isHead = request.method == "HEAD"
        started = connection.observesResponses ? Self.monotonicNanoseconds() : 0
        self.request = request // last: moved in, not copied
    }

    /// CLOCK_MONOTONIC in nanoseconds: one vDSO call, no `Duration` arithmetic.
    private static func monotonicNanoseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }

    /// Whether the client is still there to answer.
    public var isConnected: Bool { connection != nil }

    /// Sends a whole response: its body (`response.body`) framed with `Content-Length`.
    public func send(_ response: Response) {
        // On the loop (the usual case), at once: a closure for `onLoop` would be allocated
        // and the response copied into it for every answer.
        if loop.isInLoop { return sendOnLoop(response) }
        loop.execute { [self] in sendOnLoop(response) }
    }

    private func sendOnLoop(_ response: Response) {
        guard case .head = stage, let connection else { return }
        let body = response.body
        let sendsBody = !isHead && HTTPRules.statusHasContent(response.status)
        let head = self.head(for: response, endsNow: true, length: HTTPRules.statusHasContent(response.status) ? body.count : nil,
                             chunked: false)
        if sendsBody && !body.isEmpty {
            bodyBytes = body.count
            // Written beside the head from its own storage, not copied behind it.
            head.withUnsafeBytes { head in body.withUnsafeBytes { connection.enqueue(head, $0) } }
        } else {
            connection.enqueue(head)
        }
        connection.home.giveBack(head: head)
        stage = .done
        connection.responseEnded()
    }

    /// Answers `101 Switching Protocols` (with the handler's `Upgrade` field) and, once that
    /// head is written, hands the connection over: `handOver` gets it on the loop — socket,
    /// TLS session, and the bytes the client already sent behind its request — and owns it
    /// from then on; HTTP is over on it. A request that did not ask to upgrade
    /// (`Connection: upgrade`), or a status other than 101, is answered 500 instead and
    /// `handOver` is not called.
    ///
    /// ```swift
    /// responder.switchProtocols(Response(status: 101, reason: "Switching Protocols", headers: ["Upgrade": "echo"])) { upgraded in
    ///     upgraded.start(onBytes: { upgraded.write(Array($0)) }, onEnd: { _ in upgraded.close() })
    /// }
    /// ```
    public func switchProtocols(_ response: Response, handOver: @escaping @Sendable (UpgradedConnection) -> Void) {
        onLoop { [self] in
            guard case .head = stage, let connection else { return }
            guard response.status == 101, request.headers.containsToken("upgrade", in: "Connection") else {
                return send(Response(status: 500, reason: "Internal Server Error", headers: ["Connection": "close"],
                                     body: Array("the handler switched protocols for a request that did not ask to\n".utf8)))
            }
            let head = self.head(for: response, endsNow: true, length: nil, chunked: false, upgrading: true)
            stage = .done
            connection.switchProtocols(head: head, handOver: handOver)
        }
    }

    /// Starts a streamed response. With `contentLength` the body is exactly that many
    /// bytes; without it the body is chunked (HTTP/1.1) or ends with the connection (HTTP/1.0).
    /// `response.body` is ignored. Continue with `write` and finish with `end`.
    public func sendHead(_ response: Response, contentLength: Int? = nil) {
        onLoop { [self] in
            guard case .head = stage, let connection else { return }
            let chunked = contentLength == nil && request.version != "HTTP/1.0" && HTTPRules.statusHasContent(response.status)
            // Without a length or chunking, only the connection's end can end a body.
            if contentLength == nil && !chunked && HTTPRules.statusHasContent(response.status) && !isHead { connection.markClosing() }
            let head = head(for: response, endsNow: false, length: contentLength, chunked: chunked)
            connection.enqueue(head)
            connection.home.giveBack(head: head)
            stage = .streaming(chunked: chunked && !isHead, remaining: contentLength)
            connection.flush()
        }
    }

    /// Sends body bytes of a streamed response. Bytes beyond the declared length are dropped.
    public func write(_ bytes: [UInt8]) {
        onLoop { [self] in
            guard case .streaming(let chunked, let remaining) = stage, let connection, !bytes.isEmpty, !isHead else { return }
            var slice = bytes[...]
            if let remaining {
                slice = slice.prefix(remaining)
                stage = .streaming(chunked: false, remaining: remaining - slice.count)
            }
            if chunked {
                // Size line, data and CRLF: one write, the data not copied into a framed buffer.
                Serializer.withChunkFrame(slice.count) { sizeLine, lineEnd in
                    slice.withUnsafeBytes { connection.enqueue(sizeLine, $0, lineEnd) }
                }
            } else {
                connection.enqueue(slice.count == bytes.count ? bytes : Array(slice))
            }
            bodyBytes += slice.count
            connection.flush()
        }
    }

    /// Ends a streamed response. A declared length not reached closes the connection (the
    /// client then sees a short body, not a hang).
    public func end() {
        onLoop { [self] in
            guard case .streaming(let chunked, let remaining) = stage, let connection else { return }
            if chunked { connection.enqueue(Array("0\r\n\r\n".utf8)) }
            if let remaining, remaining > 0, !isHead { connection.markClosing() }
            stage = .done
            connection.responseEnded()
        }
    }

    /// Sends `count` bytes of the open file `descriptor` from `offset` as the body, with
    /// `sendfile`. Takes ownership of `descriptor` (closed when sent or on failure).
    public func sendFile(_ response: Response, descriptor: Int32, offset: Int = 0, count: Int) {
        if loop.isInLoop { return sendFileOnLoop(response, descriptor: descriptor, offset: offset, count: count) }
        loop.execute { [self] in sendFileOnLoop(response, descriptor: descriptor, offset: offset, count: count) }
    }

    private func sendFileOnLoop(_ response: Response, descriptor: Int32, offset: Int, count: Int) {
        guard case .head = stage, let connection else { SystemCalls.close(descriptor); return }
        let head = head(for: response, endsNow: true, length: count, chunked: false)
        connection.enqueue(head)
        connection.home.giveBack(head: head)
        if isHead || count == 0 {
            SystemCalls.close(descriptor)
        } else {
            connection.enqueueFile(.init(descriptor: descriptor, offset: offset, remaining: count))
            bodyBytes = count
        }
        stage = .done
        connection.responseEnded()
    }

    /// Runs `body` on the loop once everything written so far has gone to the socket: the
    /// moment to produce more of a large generated body (backpressure). Runs at once if
    /// nothing is waiting.
    public func whenWritable(_ body: @escaping @Sendable () -> Void) {
        onLoop { [self] in
            guard let connection else { return }
            if connection.isDrained { body() } else { writable = body }
        }
    }

    // MARK: Connection side

    func drained() {
        guard let body = writable else { return }
        writable = nil
        body()
    }

    func finished() {
        if let connection, connection.observesResponses {
            record(on: connection, nanoseconds: Self.monotonicNanoseconds() - started) // the clock read once, for both
        }
        connection = nil
        writable = nil
    }

    /// Counts the answer (metrics) and logs it (access logs), whichever the server has.
    private func record(on connection: ServerConnection, nanoseconds elapsed: Int64) {
        let home = connection.home
        home.metrics?.responded(status: status, bodyBytes: bodyBytes, nanoseconds: elapsed)
        if let writer = home.accessLogWriter {
            home.accessLogLines.record(into: writer, peer: connection.peer, request: request, unparsedLine: unparsedRequestLine,
                                       status: status, bytes: bodyBytes, seconds: Double(elapsed) / 1e9, time: loop.now)
        }
        if let log = home.accessLog {
            let headers = request.headers
            let unparsed = unparsedRequestLine.map { String(decoding: $0, as: UTF8.self) }
            log(AccessLogEntry(peer: connection.peer, method: unparsed == nil ? request.method : "", target: unparsed ?? request.target,
                               version: unparsed == nil ? request.version : "",
                               status: status, bytes: bodyBytes, seconds: Double(elapsed) / 1e9, time: loop.now,
                               refererText: headers.rawValue("Referer").map(LoggedText.init),
                               userAgentText: headers.rawValue("User-Agent").map(LoggedText.init),
                               remoteUser: headers["Authorization"].flatMap { BasicCredentials.decode($0)?.user }))
        }
    }

    func connectionClosed() {
        if case .done = stage {} else { handlerTask?.cancel() }
        handlerTask = nil
        connection = nil
        writable = nil
    }

    /// Cancels `task` if the connection closes before the answer is complete (see
    /// `handlerTask`). A task whose answer is already sent, or whose client already left,
    /// is not kept (nor, in the second case, left running).
    func cancelsOnClose(_ task: Task<Void, Never>) {
        if case .done = stage { return }
        guard connection != nil else { return task.cancel() }
        handlerTask = task
    }

    private func onLoop(_ body: @escaping @Sendable () -> Void) {
        if loop.isInLoop { body() } else { loop.execute(body) }
    }

    /// Status line, the handler's fields (minus the framing ones the server owns), `Date`,
    /// `Server`, the framing, and `Connection`.
    private func head(for response: Response, endsNow: Bool, length: Int?, chunked: Bool,
                      upgrading: Bool = false) -> [UInt8] {
        guard let connection else { return [] }
        status = response.status
        connection.responseHeadQueued()
        let home = connection.home
        var out = home.takeHeadStorage() // given back by the caller once written or queued
        // The fields' lines, and room for a status line, `Date`, `Server`, `Content-Length` and
        // `Connection` (a fixed 256 was outgrown by an upstream's eight fields).
        out.reserveCapacity(144 + response.headers.storedByteCount)
        out.append(contentsOf: StatusLine.bytes(status: response.status, reason: response.reason))
        // The handler's fields less the framing ones, which the server writes itself.
        let facts = response.headers.appendForResponseHead(to: &out)
        if facts.asksToClose { connection.markClosing() }
        if !facts.hasDate { out.append(contentsOf: home.dateLine) }
        if !facts.hasServer { out.append(contentsOf: home.serverLine) }
        if chunked {
            out.append(contentsOf: "Transfer-Encoding: chunked\r\n".utf8)
        } else if let length {
            out.append(contentsOf: "Content-Length: ".utf8)
            out.appendDecimal(length)
            out.append(13)
            out.append(10)
        }
        if upgrading {
            out.append(contentsOf: "Connection: Upgrade\r\n".utf8)
        } else if connection.mustClose(endsNow: endsNow) {
            out.append(contentsOf: "Connection: close\r\n".utf8)
        } else if request.version == "HTTP/1.0" {
            out.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        out.append(contentsOf: [13, 10])
        return out
    }
}
