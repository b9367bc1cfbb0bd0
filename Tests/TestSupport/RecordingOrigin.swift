import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A keep-alive origin on raw sockets: reads each request (its head, and a body of the
/// `Content-Length` it declares), records it, and answers with what `route` returns for it
/// (an empty answer closes the connection). For redirects, credentials and methods as the
/// server side sees them.
public final class RecordingOrigin: @unchecked Sendable {
    /// One request as it arrived.
    public struct Received: Sendable {
        /// The head: request line and fields, as text.
        public let head: String
        /// The body bytes (by `Content-Length`; none otherwise).
        public let body: [UInt8]
        /// The request line.
        public var line: String { head.components(separatedBy: "\r\n").first ?? "" }
        /// Whether the head carries this field name (case-insensitive).
        public func has(_ name: String) -> Bool {
            head.components(separatedBy: "\r\n").dropFirst().contains { $0.lowercased().hasPrefix(name.lowercased() + ":") }
        }
    }

    public let server: ScriptedServer
    private let lock = NSLock()
    private var requests: [Received] = []
    public var port: Int { server.port }
    /// Every request received so far, in order.
    public var received: [Received] { lock.lock(); defer { lock.unlock() }; return requests }

    /// An origin answering with text.
    public convenience init(_ route: @escaping @Sendable (Received) -> String) throws {
        try self.init(bytes: { Array(route($0).utf8) })
    }

    /// An origin answering with bytes (binary bodies).
    public init(bytes route: @escaping @Sendable (Received) -> [UInt8]) throws {
        let box = Box()
        server = try ScriptedServer { fd in
            while true {
                let head = ScriptedServer.readHead(fd)
                if head.isEmpty { return }
                let length = head.components(separatedBy: "\r\n").compactMap { line -> Int? in
                    guard line.lowercased().hasPrefix("content-length:") else { return nil }
                    return Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
                }.first ?? 0
                var body = [UInt8](repeating: 0, count: length)
                var got = 0
                while got < length {
                    let n = body.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, length - got) }
                    if n <= 0 { return }
                    got += n
                }
                let request = Received(head: head, body: body)
                box.origin?.record(request)
                let answer = route(request)
                if answer.isEmpty { return }
                var sent = 0
                while sent < answer.count {
                    let n = answer.withUnsafeBytes { write(fd, $0.baseAddress! + sent, answer.count - sent) }
                    if n <= 0 { return }
                    sent += n
                }
            }
        }
        box.origin = self
    }

    /// Stops accepting.
    public func stop() { server.stop() }

    private func record(_ request: Received) { lock.lock(); requests.append(request); lock.unlock() }

    private final class Box: @unchecked Sendable { weak var origin: RecordingOrigin? }

    /// A redirect answer to `location` with `status`.
    public static func redirect(_ location: String, status: Int = 302) -> String {
        "HTTP/1.1 \(status) Redirect\r\nLocation: \(location)\r\nContent-Length: 9\r\n\r\nredirect!"
    }

    /// `200 OK` with `body`.
    public static func ok(_ body: String = "ok") -> String {
        "HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }
}
