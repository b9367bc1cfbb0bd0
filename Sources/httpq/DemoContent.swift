import HTTPQ
import HTTPQServer

/// The demo's generated files: `/files/K.bin` on host H has a size and content that are a
/// function of (H, K) alone, so the client can check every byte without a copy.
enum DemoContent {
    /// Sizes from 512 B to about 64 KiB, and every 25th file 256 KiB.
    static func size(host: Int, file: Int) -> Int {
        file % 25 == 24 ? 256 * 1024 : 512 + (file &* 7_919 &+ host &* 104_729) % (64 * 1024)
    }

    static func byte(host: Int, file: Int, offset: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: offset &* 31 &+ file &* 7 &+ host &* 13 &+ offset >> 8)
    }

    static func body(host: Int, file: Int) -> [UInt8] {
        (0..<size(host: host, file: file)).map { byte(host: host, file: file, offset: $0) }
    }

    /// The handler of host `host`: whole bodies with Content-Length, every 10th chunked.
    static func handler(host: Int) -> RequestHandler {
        { request, responder in
            let name = request.target.split(separator: "/").last ?? ""
            guard request.target.hasPrefix("/files/"), name.hasSuffix(".bin"),
                  let file = Int(name.dropLast(4)), file >= 0 else {
                return responder.send(Response(status: 404, reason: "Not Found", body: Array("no such file\n".utf8)))
            }
            let body = DemoContent.body(host: host, file: file)
            let headers: Headers = ["Content-Type": "application/octet-stream"]
            if file % 10 == 9 {
                responder.sendHead(Response(status: 200, reason: "OK", headers: headers))
                var offset = 0
                while offset < body.count {
                    let end = min(offset + 16_384, body.count)
                    responder.write(Array(body[offset..<end]))
                    offset = end
                }
                responder.end()
            } else {
                responder.send(Response(status: 200, reason: "OK", headers: headers, body: body))
            }
        }
    }
}

/// Checks a demo body byte for byte as it streams in.
final class VerifyingSink: BodySink {
    private let host: Int
    private let file: Int
    private var offset = 0
    private var mismatch: Int?

    init(host: Int, file: Int) {
        self.host = host
        self.file = file
    }

    func write(_ bytes: UnsafeRawBufferPointer) {
        guard mismatch == nil else { return }
        for (index, byte) in bytes.enumerated() where byte != DemoContent.byte(host: host, file: file, offset: offset + index) {
            mismatch = offset + index
            break
        }
        offset += bytes.count
    }

    func finish(failed: Bool) -> String? {
        if failed { return nil }
        if let mismatch { return "body differs at byte \(mismatch)" }
        let expected = DemoContent.size(host: host, file: file)
        return offset == expected ? nil : "body has \(offset) bytes, expected \(expected)"
    }
}
