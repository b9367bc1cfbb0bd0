import HTTPQ
import Sockets

/// One loop's access log lines, formatted on the loop straight from the request and handed
/// to an `AccessLog` as bytes (`ServerConfiguration.accessLogWriter`).
///
/// Building an `AccessLogEntry` per request cost the loop more than formatting the line
/// does (its strings and the request head's storage retained, an allocation, the entry
/// moved through a queue) and left the formatting to the writer thread, which on two cores
/// competes with the loop and the client for CPU. Here the line's parts are read where
/// they lie: the request line, `Referer` and `User-Agent` as bytes of the head (the two
/// fields found in one pass); the time and each client's address are formatted once
/// (per second, per address) by the loop's own `LogClock`. Loop-confined, like its server.
struct AccessLogLines: ~Copyable {
    private var clock = LogClock()
    /// One line at a time; its storage kept from line to line.
    private var line = LineBuffer(capacity: 512)

    /// Formats the line for `request` in `log`'s format and queues it there; `unparsedLine`:
    /// the line as received, for a request refused before its line was parsed.
    mutating func record(into log: AccessLog, peer: SocketAddress?, request: borrowing Request, unparsedLine: [UInt8]?,
                         status: Int, bytes: Int, seconds: Double, time: Double) {
        line.removeAll(keeping: 4 << 10) // (a line with a huge target or User-Agent does not keep its storage)
        if let unparsedLine {
            unparsedLine.withUnsafeBufferPointer { raw in
                log.format.append(peer: peer, user: nil, requestLine: RequestLineBytes(unparsed: raw), status: status, bytes: bytes,
                                  seconds: seconds, time: time, referer: nil, userAgent: nil, to: &line, clock: &clock)
            }
        } else {
            request.withRequestLineBytes { requestLine in
                request.withRawFieldValues("Referer", "User-Agent", "Authorization") { referer, userAgent, authorization in
                    // A `Basic` user decoded only when the field is there; none is an empty slice (no storage).
                    let user = authorization.flatMap(BasicCredentials.user(inAuthorization:)) ?? []
                    user.withUnsafeBufferPointer { user in
                        log.format.append(peer: peer, user: user, requestLine: requestLine, status: status, bytes: bytes,
                                          seconds: seconds, time: time, referer: referer, userAgent: userAgent, to: &line,
                                          clock: &clock)
                    }
                }
            }
        }
        line.withBytes { log.record(line: $0) }
    }
}
