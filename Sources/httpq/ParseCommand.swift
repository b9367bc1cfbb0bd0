import ArgumentParser
import FoundationEssentials
import HTTPQ

/// `httpq parse`: feed standard input to HTTPQ and print one JSON object per message.
struct ParseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Parse HTTP/1.1 messages from standard input; print JSON Lines, one object per message.",
        discussion: "Exit status: 0 when no message had an error, 1 when one did, 2 for bad usage."
    )

    @Flag(name: .long, help: "Parse requests.")
    var request = false

    @Flag(name: .long, help: "Parse responses (the default).")
    var response = false

    @Option(name: .long, help: "Feed the input in pieces of this many bytes (default: as read).")
    var chunkSize: Int?

    @Option(name: .long, help: "The method the responses answer (HEAD: no bodies).")
    var method: String?

    @Option(name: .customLong("max-body-bytes"), help: "The largest body accepted (default: HTTPQ's limit, 64 MiB; each body is held to be printed).")
    var maxBodyBytes: Int?

    func validate() throws {
        if request && response { throw ValidationError("--request and --response exclude each other.") }
        if let chunkSize, chunkSize < 1 { throw ValidationError("--chunk-size must be at least 1.") }
        if request && method != nil { throw ValidationError("--method applies to responses only.") }
        if let method, method.isEmpty { throw ValidationError("--method must not be empty.") }
        if let maxBodyBytes, maxBodyBytes < 0 { throw ValidationError("--max-body-bytes must not be negative.") }
    }

    func run() throws {
        var limits = Limits.default
        if let maxBodyBytes { limits.maxBodyBytes = maxBodyBytes }
        var stream = MessageStream(parsesRequests: request, answering: method ?? "GET", limits: limits)
        var failed = false
        // Lines are collected and written once per block of input (or 64 KiB of lines), and
        // before the next read: a reader of a live stream sees each message's line when its
        // bytes have been read, and a write that fails ends the tool (`FileOutput.standardOutput`).
        var lines: [UInt8] = []
        lines.reserveCapacity(1 << 16)
        func flush() {
            lines.withUnsafeBytes { FileOutput.standardOutput($0) }
            lines.removeAll(keepingCapacity: true)
        }
        // Made once: `emit` passed as a method would copy the command (and its option
        // wrappers) into a new closure at every feed, 1-byte feeds included.
        let emit: (String) -> Void = { line in
            var line = line
            line.withUTF8 { lines.append(contentsOf: $0) }
            lines.append(0x0A)
            if lines.count >= 1 << 16 { flush() }
        }
        let chunkSize = self.chunkSize
        try FileOutput.readStandardInput(blockSize: 64 * 1024) { block in
            let piece = chunkSize ?? block.count
            var start = 0
            while start < block.count && !failed {
                let end = min(start + piece, block.count)
                failed = !stream.feed(block[start..<end], emit: emit)
                start = end
            }
            flush()
            // After an error, or once the stream became a tunnel, nothing more is parsed: stop
            // reading (input may never end: it kept reading /dev/urandom, silent, forever).
            return !failed && !stream.isTunnel
        }
        if !failed { failed = !stream.finish(emit: emit) }
        flush()
        if failed { throw ExitCode(1) }
    }
}
