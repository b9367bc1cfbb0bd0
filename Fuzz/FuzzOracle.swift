// Shared by both fuzz targets, compiled together with the HTTPQ sources (scripts/fuzz.sh).

/// What feeding a stream of bytes produced: every message (start line, fields, body,
/// trailers, completeness) or the error (kind and offset). Two feeds of the same bytes
/// must produce the same outcome however the bytes are cut.
struct Outcome: Equatable {
    var messages: [String] = []
    var error: HTTPQError?
}

/// Splits `data` into pieces whose sizes come from `seed` (1 to 64 bytes, cycling).
func pieces(of data: UnsafeRawBufferPointer, seed: UInt8) -> [UnsafeRawBufferPointer] {
    var out: [UnsafeRawBufferPointer] = []
    var offset = 0
    var state = UInt32(seed) | 1
    while offset < data.count {
        state = state &* 1_103_515_245 &+ 12_345
        let size = min(Int(state >> 16) % 64 + 1, data.count - offset)
        out.append(UnsafeRawBufferPointer(rebasing: data[offset..<(offset + size)]))
        offset += size
    }
    return out
}

/// Feeds messages one after another (pipelined or kept-alive), the way a connection does.
func outcome<Message>(of input: [UnsafeRawBufferPointer], make: () -> Message,
                      feed: (inout Message, UnsafeRawBufferPointer) throws(HTTPQError) -> Int,
                      finish: (inout Message) throws(HTTPQError) -> Void,
                      complete: (Message) -> Bool, describe: (Message) -> String) -> Outcome {
    var result = Outcome()
    var message = make()
    var base = 0
    for piece in input {
        var offset = 0
        while offset < piece.count {
            let used: Int
            do {
                used = try feed(&message, UnsafeRawBufferPointer(rebasing: piece[offset...]))
            } catch {
                result.error = HTTPQError(error.kind, at: error.offset)
                return result
            }
            precondition(used >= 0 && used <= piece.count - offset, "feed consumed more than it was given")
            offset += used
            if complete(message) {
                result.messages.append(describe(message))
                message = make()
                if result.messages.count > 1_000 { return result }
            } else if used == 0 {
                preconditionFailure("an incomplete message consumed nothing of a non-empty input")
            }
        }
        base += piece.count
    }
    do {
        try finish(&message)
        if complete(message) { result.messages.append(describe(message)) }
    } catch {
        result.error = HTTPQError(error.kind, at: error.offset)
    }
    return result
}
