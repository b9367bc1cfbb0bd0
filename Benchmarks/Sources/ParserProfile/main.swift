import Workloads

// A fixed amount of parsing, for profilers (callgrind counts instructions, not seconds):
// swift build -c release --product ParserProfile && valgrind --tool=callgrind .build/release/ParserProfile M1 0 20000
let arguments = CommandLine.arguments
let name = arguments.count > 1 ? arguments[1] : "M1"
let message = Messages.all.first { $0.name == name }!.bytes
let piece = arguments.count > 2 ? Int(arguments[2])! : 0
let count = arguments.count > 3 ? Int(arguments[3])! : 100_000
parseWithHTTPQ(message, piece: piece, count: count)
print("parsed \(count) x \(name)")
