import Foundation
import HTTPQClient

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
    private var handle: FileHandle?
    private var failure: String?

    init(directory: String, url: HTTPURL) {
        path = FileSink.path(directory: directory, url: url)
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
        guard handle == nil, failure == nil else { return }
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: path, contents: nil),
                  let opened = FileHandle(forWritingAtPath: path) else { throw CocoaError(.fileWriteUnknown) }
            handle = opened
        } catch {
            failure = "cannot write \(path)"
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) {
        open()
        guard let handle, failure == nil else { return }
        do { try handle.write(contentsOf: bytes) } catch { failure = "cannot write \(path): \(error)" }
    }

    func finish(failed: Bool) -> String? {
        if failed {
            if handle != nil { try? FileManager.default.removeItem(atPath: path) }
        } else {
            open() // an empty body is an empty file
        }
        try? handle?.close()
        return failed ? nil : failure
    }
}
