import FoundationEssentials
import HTTPQClient
#if canImport(Glibc)
import Glibc
#endif

/// Where a fetched body goes, slice by slice, as it arrives (nothing is kept in memory).
protocol BodySink: AnyObject {
    /// A slice of the decoded body.
    func write(_ bytes: UnsafeRawBufferPointer)
    /// The body is complete (or `failed`); returns why it is refused, if it is.
    func finish(failed: Bool) -> String?
}

/// `--output DIR`: each body at `DIR/HOST[:PORT]/PATH`, wget's `-x` layout; a path ending in
/// `/` stores `index.html`. `.` and `..` segments are dropped, so nothing lands outside DIR.
/// The file is created when the body starts and removed if the fetch fails.
final class FileSink: BodySink {
    private let path: String
    private var fd: Int32 = -1
    private var failure: String?

    init(directory: String, url: HTTPURL) {
        path = FileSink.path(directory: directory, url: url)
    }

    deinit {
        if fd >= 0 { close(fd) } // a sink dropped without `finish` keeps no descriptor
    }

    static func path(directory: String, url: HTTPURL) -> String {
        let host = url.port == 80 ? url.host : "\(url.host):\(url.port)"
        var target = url.target
        if let query = target.firstIndex(of: "?") { target = String(target[..<query]) }
        var segments = target.split(separator: "/", omittingEmptySubsequences: true)
            .map(String.init).filter { $0 != "." && $0 != ".." }
        if target.hasSuffix("/") || segments.isEmpty { segments.append("index.html") }
        return ([directory, host] + segments).joined(separator: "/")
    }

    private func open() {
        guard fd < 0, failure == nil else { return }
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            failure = "cannot write \(path)"
            return
        }
        fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { failure = "cannot write \(path): \(String(cString: strerror(errno)))" }
    }

    func write(_ bytes: UnsafeRawBufferPointer) {
        open()
        guard fd >= 0, failure == nil else { return }
        let code = FileOutput.writeAll(fd, bytes)
        if code != 0 { failure = "cannot write \(path): \(String(cString: strerror(code)))" }
    }

    func finish(failed: Bool) -> String? {
        if failed {
            if fd >= 0 { unlink(path) }
        } else {
            open() // an empty body is an empty file
        }
        if fd >= 0 {
            close(fd)
            fd = -1
        }
        return failed ? nil : failure
    }
}
