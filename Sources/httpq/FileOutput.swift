import CLinux
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Unbuffered standard streams and process exit, in one place.
enum FileOutput {
    /// Writes `text` to standard error.
    static func standardError(_ text: String) {
        var text = text
        if !text.hasSuffix("\n") { text += "\n" }
        text.withUTF8 { buffer in _ = write(2, buffer.baseAddress, buffer.count) }
    }

    /// Writes `text` to standard error as is (no newline added).
    static func standardErrorRaw(_ text: String) {
        var text = text
        text.withUTF8 { buffer in _ = write(2, buffer.baseAddress, buffer.count) }
    }

    /// Writes one line to standard output at once, unbuffered: lines from several loop
    /// threads never interleave, and a script reading a pipe sees each line as it happens.
    static func standardOutputLine(_ text: String) {
        var line = text + "\n"
        line.withUTF8 { standardOutput(UnsafeRawBufferPointer($0)) }
    }

    /// Writes all of `bytes` to standard output, or ends the process: output that cannot be
    /// written is lost, and a tool that went on would report success for it (`fetch --json |
    /// head` fetched every URL and exited 0). A reader that left (EPIPE) ends it by SIGPIPE,
    /// as any filter ends (the socket code's SIGPIPE guard turned that signal into EPIPE);
    /// any other failure (a full disk) is said on standard error, with exit status 1.
    static func standardOutput(_ bytes: UnsafeRawBufferPointer) {
        let code = writeAll(1, bytes)
        if code != 0 { standardOutputFailed(errno: code) }
    }

    /// Ends the process after standard output failed (see `standardOutput`), from any thread.
    static func standardOutputFailed(errno code: Int32) -> Never {
        if code == EPIPE { _ = clinux_die_of_sigpipe() }
        standardError("httpq: writing standard output failed: \(String(cString: strerror(code)))")
        _exit(1) // not `exit`: loop threads may be running, and stdio's buffers hold nothing of ours
    }

    /// Exits the process with `status`, flushing standard output first.
    static func exit(_ status: Int32) -> Never {
        fflush(nil)
        #if canImport(Glibc)
        Glibc.exit(status)
        #else
        Darwin.exit(status)
        #endif
    }

    /// A whole file's bytes, read with `read(2)`; nil when it cannot be opened.
    static func readFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var block = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = block.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { return nil }
            if count == 0 { return bytes }
            bytes += block[0..<count]
        }
    }

    /// Writes `bytes` to a new file at `path` (replacing one there); false when it cannot.
    static func writeFile(_ path: String, _ bytes: [UInt8]) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return bytes.withUnsafeBytes { writeAll(fd, $0) } == 0
    }

    /// Writes all of `bytes` to `fd`, through short writes, EINTR, and a descriptor another
    /// process made non-blocking (it waits until that drains); 0, or the errno of the write
    /// that failed.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
        guard let base = bytes.baseAddress else { return 0 }
        var written = 0
        while written < bytes.count {
            let count = write(fd, base + written, bytes.count - written)
            if count > 0 {
                written += count
            } else if count < 0 && errno == EINTR {
                continue
            } else if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                var ready = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&ready, 1, -1)
            } else {
                return count < 0 ? errno : EIO
            }
        }
        return 0
    }

    /// Reads standard input in blocks of up to `size` bytes until end of file, or until
    /// `body` returns false (it needs no more: input may never end, a socket or a device).
    static func readStandardInput(blockSize size: Int, _ body: ([UInt8]) throws -> Bool) throws {
        var block = [UInt8](repeating: 0, count: size)
        while true {
            let count = block.withUnsafeMutableBytes { read(0, $0.baseAddress, size) }
            if count < 0 {
                if errno == EINTR { continue }
                throw CLIError.readFailed(errno: errno)
            }
            if count == 0 { return }
            guard try body(Array(block[0..<count])) else { return }
        }
    }
}

/// Failures of the tool itself (not of the messages it reads).
enum CLIError: Error, CustomStringConvertible {
    case readFailed(errno: Int32)

    var description: String {
        switch self {
        case .readFailed(let code): "reading standard input failed: \(String(cString: strerror(code)))"
        }
    }
}
