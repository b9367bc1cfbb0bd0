import BenchmarkMessages
import HTTPQ

// A fixed amount of parsing, for profilers (callgrind counts instructions, not seconds):
// swift build -c release --product ParserProfile && valgrind --tool=callgrind .build/release/ParserProfile M1 0 100000
let arguments = CommandLine.arguments
let message = Messages.all.first { $0.name == (arguments.count > 1 ? arguments[1] : "M1") }!.bytes
let piece = arguments.count > 2 ? Int(arguments[2])! : 0
let count = arguments.count > 3 ? Int(arguments[3])! : 100_000
var complete = 0
message.withUnsafeBytes { buffer in
    for _ in 0..<count {
        var response = Response()
        response.keepsBody = false
        let step = piece == 0 ? buffer.count : piece
        var offset = 0
        while offset < buffer.count {
            let end = min(offset + step, buffer.count)
            _ = try? response.feed(UnsafeRawBufferPointer(rebasing: buffer[offset..<end]))
            offset = end
        }
        if response.isComplete { complete += 1 }
    }
}
print("complete:", complete)
