import HTTPQ

/// Parses `count` copies of `bytes` as responses, fed in pieces of `piece` bytes (0: whole),
/// streaming the body as llhttp does. The one HTTPQ workload every benchmark runs.
public func parseWithHTTPQ(_ bytes: [UInt8], piece: Int, count: Int) {
    bytes.withUnsafeBytes { buffer in
        let step = piece == 0 ? buffer.count : piece
        for _ in 0..<count {
            var response = Response()
            response.keepsBody = false
            var offset = 0
            while offset < buffer.count {
                let end = min(offset + step, buffer.count)
                _ = try? response.feed(UnsafeRawBufferPointer(rebasing: buffer[offset..<end]))
                offset = end
            }
            precondition(response.isComplete, "HTTPQ did not complete the message")
        }
    }
}
