import HTTPQ
import Sockets

/// A `multipart/byteranges` body (RFC 9110 §14.6) for several ranges of one representation,
/// laid out as nginx lays it out: each part a boundary, its `Content-Type` and `Content-Range`,
/// then the bytes; a closing boundary. The parts' heads are made here, the bytes are the
/// file's, read as the socket drains (`MultipartFileSender`).
struct MultipartRanges {
    /// More ranges than this get the whole file (Apache's `MaxRanges` is 200; each part costs
    /// about 100 bytes of head, so many tiny ranges would multiply a small file).
    static let maximumRanges = 64

    /// The `Content-Type` of the whole answer, naming the boundary.
    let contentType: String
    /// Each part: its head (boundary and fields) and the range of the file it carries.
    let parts: [(head: [UInt8], range: Range<Int>)]
    /// The closing boundary.
    let closing: [UInt8]
    /// The body's exact length.
    let contentLength: Int

    /// The layout for `ranges` of `size` bytes whose type is `partType`; nil when the whole
    /// file is the better answer: more than `maximumRanges` ranges, or ranges adding up to
    /// more than the file (overlaps asked on purpose; nginx answers the whole file then too).
    init?(ranges: [Range<Int>], size: Int, partType: String?) {
        guard ranges.count <= Self.maximumRanges,
              ranges.reduce(0, { $0 + $1.count }) <= size else { return nil }
        let boundary = Self.makeBoundary()
        contentType = "multipart/byteranges; boundary=\(boundary)"
        let typeLine = partType.map { "Content-Type: \($0)\r\n" } ?? ""
        parts = ranges.map { range in
            (Array("\r\n--\(boundary)\r\n\(typeLine)Content-Range: bytes \(range.lowerBound)-\(range.upperBound - 1)/\(size)\r\n\r\n".utf8), range)
        }
        closing = Array("\r\n--\(boundary)--\r\n".utf8)
        contentLength = parts.reduce(closing.count) { $0 + $1.head.count + $1.range.count }
    }

    /// The whole body, from bytes already in memory.
    func body(of bytes: [UInt8]) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(contentLength)
        for part in parts {
            body += part.head
            body += bytes[part.range]
        }
        body += closing
        return body
    }

    /// Twenty hex digits from the system's random source: a boundary the file's bytes are
    /// not expected to hold (RFC 2046 §5.1.1), different for every answer, as long as nginx's
    /// (twenty digits), so the two send bodies of the same length.
    private static func makeBoundary() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64, low = generator.next() as UInt16
        func padded(_ value: some BinaryInteger, _ width: Int) -> String {
            let hex = String(value, radix: 16)
            return String(repeating: "0", count: width - hex.count) + hex
        }
        return padded(high, 16) + padded(low, 4)
    }
}

/// Sends a `MultipartRanges` body from an open file: the parts' heads and the file's bytes
/// in pieces of up to 64 KiB, each read (`pread`) once the socket has taken the last, so a
/// slow reader holds one piece in memory, not the body. Owns the descriptor: closed when done
/// or when the connection goes (the responder then lets go of its `whenWritable` closure,
/// the only reference to this sender). Loop thread only.
final class MultipartFileSender: @unchecked Sendable {
    private static let pieceSize = 65_536
    private let descriptor: Int32
    private let layout: MultipartRanges
    private let responder: Responder
    /// The part being sent, whether its head is out, how much of its range; whether the
    /// closing boundary is out (the body is complete).
    private var part = 0
    private var headSent = false
    private var sentOfRange = 0
    private var closingSent = false
    /// `whenWritable` runs its closure at once when the socket has taken everything: a loop
    /// here, not a recursion as deep as the body has pieces.
    private var pumping = false
    private var pumpAgain = false

    init(descriptor: Int32, layout: MultipartRanges, responder: Responder) {
        self.descriptor = descriptor
        self.layout = layout
        self.responder = responder
    }

    deinit { SystemCalls.close(descriptor) }

    /// Sends the head, then the body as the socket drains.
    func start(_ response: Response) {
        responder.sendHead(response, contentLength: layout.contentLength)
        pump()
    }

    private func pump() {
        guard !pumping else { pumpAgain = true; return }
        pumping = true
        defer { pumping = false }
        repeat {
            pumpAgain = false
            guard responder.isConnected else { return } // the client left: read nothing more
            guard sendPiece() else { return responder.end() }
            responder.whenWritable { [self] in pump() }
        } while pumpAgain
    }

    /// Writes the next piece; false once the body is complete (or the file failed under us:
    /// the responder then closes the connection after the short body).
    private func sendPiece() -> Bool {
        var failed = false
        // Filled in place: the parts' heads copied, the file read straight into the storage
        // (not zeroed first, then read over).
        let piece = [UInt8](unsafeUninitializedCapacity: Self.pieceSize + 512) { storage, filled in
            while part < layout.parts.count && filled < Self.pieceSize {
                let (head, range) = layout.parts[part]
                if !headSent {
                    guard filled + head.count <= storage.count else { break }
                    _ = UnsafeMutableBufferPointer(rebasing: storage[filled...]).initialize(from: head)
                    filled += head.count
                    headSent = true
                }
                let count = min(range.count - sentOfRange, Self.pieceSize - filled)
                guard count > 0 else { break }
                let room = UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: storage[filled..<(filled + count)]))
                let read = SystemCalls.pread(descriptor, into: room, at: range.lowerBound + sentOfRange)
                guard case .ok(count) = read else {
                    failed = true
                    return
                }
                filled += count
                sentOfRange += count
                if sentOfRange == range.count { part += 1; headSent = false; sentOfRange = 0 }
            }
            if part == layout.parts.count && filled + layout.closing.count <= storage.count {
                _ = UnsafeMutableBufferPointer(rebasing: storage[filled...]).initialize(from: layout.closing)
                filled += layout.closing.count
                closingSent = true
            }
        }
        responder.write(piece)
        return !failed && !closingSent
    }
}
