import EvLoop
import HTTPQ
import HTTPQServer
import TestSupport

/// A generated body, produced 64 KiB at a time as the socket takes it (backpressure).
final class Pump: @unchecked Sendable {
    static let pattern = TestBytes.make(count: 65_536, seed: 7)
    let responder: Responder
    var remaining: Int

    init(_ responder: Responder, total: Int) {
        self.responder = responder
        remaining = total
    }

    func next() {
        guard remaining > 0 else { return responder.end() }
        let piece = min(remaining, Pump.pattern.count)
        remaining -= piece
        responder.write(Array(Pump.pattern[0..<piece]))
        responder.whenWritable { self.next() }
    }

    /// The bytes a pump of `total` sends.
    static func expected(total: Int) -> [UInt8] {
        var out: [UInt8] = []
        while out.count < total { out += pattern.prefix(total - out.count) }
        return out
    }
}

/// `/stream?N`: N bytes generated and chunked; `/slow`: answered 300 ms later; else echo.
let testRoutes: RequestHandler = { request, responder in
    if request.target.hasPrefix("/stream") {
        let total = Int(request.target.split(separator: "?").last ?? "") ?? 1 << 20
        responder.sendHead(Response(status: 200, reason: "OK", headers: ["Content-Type": "application/octet-stream"]))
        Pump(responder, total: total).next()
    } else if request.target == "/slow" {
        responder.loop.schedule(after: .milliseconds(300)) {
            responder.send(Response(status: 200, reason: "OK", body: Array("slow\n".utf8)))
        }
    } else {
        TestServer.echo(request, responder)
    }
}
