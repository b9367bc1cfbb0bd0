import HTTPQ

/// Parses `count` copies of `bytes` as responses, fed in pieces of `piece` bytes (0: whole),
/// streaming the body as llhttp does, into one `Response` reset between messages (as a
/// connection does, and as llhttp's peer re-inits one parser). The one HTTPQ workload every
/// benchmark runs.
public func parseWithHTTPQ(_ bytes: [UInt8], piece: Int, count: Int) {
    bytes.withUnsafeBytes { buffer in
        let step = piece == 0 ? buffer.count : piece
        var response = Response()
        response.keepsBody = false
        for _ in 0..<count {
            response.reset()
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
