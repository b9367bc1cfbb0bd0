import HTTPQ
import Sockets
#if canImport(Glibc)
import Glibc
#endif

/// Serves the files under one directory: GET and HEAD, `index.html` for directories,
/// `Content-Type` by extension, 404 for what is missing, and nothing outside the root —
/// neither by `..` nor by a symbolic link (the kernel checks each component, openat2
/// RESOLVE_BENEATH). Small files go out in one `writev` with their head; larger ones
/// with `sendfile`. Files up to 16 KiB left unchanged for two seconds are kept in memory
/// (8 MiB at most) and answered after one `fstatat` that finds them exactly as read
/// (`SmallFileCache`). With `allowsPut`, PUT writes a file (`FileUpload`): give the server
/// `streamingHandler` so the body streams to disk instead of memory.
public final class FileServer: Sendable {
    /// The root directory's descriptor, open for the server's lifetime.
    private let root: Int32
    /// Files up to this size are read and sent with their head in one write.
    private let inlineLimit = 16 * 1024
    /// Each file version's answer fields, made once.
    private let validators = ValidatorCache()
    /// Small files' bytes, revalidated by one `fstatat` per request (see `SmallFileCache`).
    let smallFiles: SmallFileCache

    /// Whether PUT may create and replace files under the root.
    public let allowsPut: Bool

    /// Opens `directory` as the root; fails if it is not a readable directory. With
    /// `allowsPut`, PUT creates (201) or replaces (204) a file, in place only once complete.
    /// `keptFilesValidFor` is how long a small file kept in memory is answered without
    /// checking that it is unchanged (nginx's `open_file_cache_valid`): zero, the default,
    /// checks on every request (one `fstatat`); above zero, a change is seen up to that late.
    public convenience init(root directory: String, allowsPut: Bool = false,
                            keptFilesValidFor: Duration = .zero) throws(FileServerError) {
        try self.init(root: directory, allowsPut: allowsPut, smallFiles: SmallFileCache(validFor: keptFilesValidFor.seconds))
    }

    init(root directory: String, allowsPut: Bool = false, smallFiles: SmallFileCache) throws(FileServerError) {
        self.allowsPut = allowsPut
        self.smallFiles = smallFiles
        switch SystemCalls.openForReading(directory, directory: true) {
        case .ok(let fd): root = fd
        case .failed(let code): throw .cannotOpenRoot(directory, errno: code)
        case .wouldBlock: throw .cannotOpenRoot(directory, errno: EAGAIN)
        }
    }

    deinit { SystemCalls.close(root) }

    /// The handler to give a `Server` (bodies read into memory first: no PUT of large files).
    public var handler: RequestHandler { { [self] request, responder in serve(request, responder) } }

    /// The handler to give a `Server(streamingHandler:)`: PUT bodies stream to disk.
    public var streamingHandler: StreamingRequestHandler {
        { [self] request, body, responder in
            guard request.method == "PUT", allowsPut else { return serve(request, responder) }
            put(request, body, responder)
        }
    }

    private var allowed: String { allowsPut ? "GET, HEAD, PUT" : "GET, HEAD" }

    /// Answers one request.
    public func serve(_ request: Request, _ responder: Responder) {
        if request.method == "PUT" && allowsPut {
            return put(request, RequestBody(connection: nil, loop: responder.loop, ended: true, body: request.body), responder)
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            return responder.send(Self.plain(405, "method not allowed\n", extra: ["Allow": allowed]))
        }
        guard let path = Self.relativePath(of: request.target) else {
            return responder.send(Self.plain(400, "bad path\n"))
        }
        let namesFile = !path.isEmpty && !path.hasSuffix("/")
        if namesFile, let kept = smallFiles.lookup(path, under: root, now: responder.loop.now) {
            return answer(request, responder, .kept(kept.entry), info: kept.info, path: path, keeps: false)
        }
        var fd: Int32
        switch SystemCalls.openBeneath(root, path.isEmpty ? "." : path) {
        case .ok(let opened): fd = opened
        case .failed(let code) where code == EACCES || code == EPERM: return responder.send(Self.plain(403, "forbidden\n"))
        default: return responder.send(Self.plain(404, "not found\n"))
        }
        guard case .ok(var info) = SystemCalls.status(of: fd) else {
            SystemCalls.close(fd)
            return responder.send(Self.plain(404, "not found\n"))
        }
        var served = path
        if info.isDirectory {
            SystemCalls.close(fd)
            guard path.isEmpty || path.hasSuffix("/") else {
                // Like nginx: a directory without its slash is redirected, so relative links work.
                let location = String(request.target.split(separator: "?", maxSplits: 1)[0]) + "/"
                return responder.send(Self.plain(301, "moved\n", extra: ["Location": location]))
            }
            served = path + "index.html"
            guard case .ok(let index) = SystemCalls.openBeneath(root, served) else {
                return responder.send(Self.plain(404, "not found\n"))
            }
            guard case .ok(let indexInfo) = SystemCalls.status(of: index) else {
                SystemCalls.close(index)
                return responder.send(Self.plain(404, "not found\n"))
            }
            fd = index
            info = indexInfo
        }
        guard info.isRegular else {
            SystemCalls.close(fd)
            return responder.send(Self.plain(404, "not found\n"))
        }
        answer(request, responder, .file(fd), info: info, path: served, keeps: namesFile && served == path)
    }

    /// Where an answer's bytes (and fields) come from: the open file, the small-file cache, or
    /// a small file just read whole.
    private enum Source {
        case file(Int32)
        case kept(SmallFileCache.Entry)
        case read([UInt8])

        /// Closes the file (nothing to close for bytes in memory).
        func close() { if case .file(let fd) = self { SystemCalls.close(fd) } }

        /// The whole file's bytes, when they are in memory.
        var bytes: [UInt8]? {
            switch self {
            case .file: nil
            case .kept(let entry): entry.bytes
            case .read(let bytes): bytes
            }
        }
    }

    /// Answers a GET or HEAD of a regular file, open or kept: its validators (`Last-Modified`, a
    /// strong `ETag` from inode, size and modification time), the preconditions (304, 412),
    /// and `Range` (206, one range or `multipart/byteranges`; 416; see `RangeRequest`).
    /// `keeps`: the whole file, once read, may go to the small-file cache under `path`.
    private func answer(_ request: Request, _ responder: Responder, _ source: consuming Source, info: SystemCalls.FileStatus,
                        path: String, keeps: Bool) {
        let size = info.size
        let fields: ValidatorCache.Fields
        if case .kept(let entry) = source { fields = entry.fields } else { fields = validators.fields(for: info, path: path) }
        let etag = fields.etag
        var headers = fields.headers
        let conditional = Preconditions.mayApply(to: request.headers)
        switch conditional ? Preconditions.evaluate(request.headers, method: request.method, etag: etag, lastModified: info.modified) : .proceed {
        case .notModified:
            source.close()
            headers.remove("Content-Type")
            headers.remove("Accept-Ranges")
            return responder.send(Response(status: 304, reason: "Not Modified", headers: headers))
        case .failed:
            source.close()
            return responder.send(Self.plain(412, "precondition failed\n"))
        case .proceed:
            break
        }
        // A small file is read whole whatever part of it is asked (and kept, if it may be):
        // from here on it is answered from memory, as a kept one is. (A file asked for only in
        // ranges was read from disk on every request.)
        if case .file(let fd) = source, size <= inlineLimit, request.method == "GET" {
            let bytes = Self.read(fd, 0..<size)
            source.close()
            guard let bytes else { return responder.send(Self.plain(500, "read failed\n")) }
            if keeps { smallFiles.store(bytes, fields: fields, path: path, info: info, under: root, now: responder.loop.now) }
            source = .read(bytes)
        }
        var range = 0..<size
        var status = 200
        // Range is defined for GET only (RFC 9110 §14.2); HEAD answers as the GET without one would.
        if conditional, request.method == "GET", let field = request.headers["Range"],
           Preconditions.rangeApplies(request.headers, etag: etag, lastModified: info.modified) {
            switch RangeRequest.evaluate(field, size: size) {
            case .single(let asked):
                range = asked
                status = 206
                headers.add("Content-Range", "bytes \(asked.lowerBound)-\(asked.upperBound - 1)/\(size)")
            case .unsatisfiable:
                source.close()
                return responder.send(Self.plain(416, "range not satisfiable\n", extra: ["Content-Range": "bytes */\(size)"]))
            case .multiple(let ranges):
                // Several ranges: multipart/byteranges, unless too many or adding up past the file.
                guard let layout = MultipartRanges(ranges: ranges, size: size, partType: headers["Content-Type"]) else { break }
                headers.remove("Content-Type")
                headers.add("Content-Type", layout.contentType)
                var response = Response(status: 206, reason: "Partial Content", headers: headers)
                if let bytes = source.bytes {
                    response.body = layout.body(of: bytes)
                    return responder.send(response)
                }
                if case .file(let fd) = source {
                    return MultipartFileSender(descriptor: fd, layout: layout, responder: responder).start(response)
                }
            case .whole:
                break
            }
        }
        let reason = status == 206 ? "Partial Content" : "OK"
        if let bytes = source.bytes {
            // In memory, inline-sized: one write, the body left out for HEAD by the responder.
            let body = range.count == bytes.count ? bytes : Array(bytes[range])
            return responder.send(Response(status: status, reason: reason, headers: headers, body: body))
        }
        guard case .file(let fd) = source else { return }
        if range.count <= inlineLimit && request.method == "GET" { // a small range of a larger file, read alone
            let bytes = Self.read(fd, range)
            source.close()
            guard let bytes else { return responder.send(Self.plain(500, "read failed\n")) }
            return responder.send(Response(status: status, reason: reason, headers: headers, body: bytes))
        }
        responder.sendFile(Response(status: status, reason: reason, headers: headers), descriptor: fd,
                           offset: range.lowerBound, count: range.count)
    }

    /// `range` of the open file `fd`, read into storage left uninitialized (zeroing it first
    /// was a second pass over up to 16 KiB per answer); nil when fewer bytes came back.
    private static func read(_ fd: Int32, _ range: Range<Int>) -> [UInt8]? {
        var read = SystemCalls.Outcome<Int>.ok(0)
        let bytes = [UInt8](unsafeUninitializedCapacity: range.count) { storage, initialized in
            read = SystemCalls.pread(fd, into: UnsafeMutableRawBufferPointer(storage), at: range.lowerBound)
            if case .ok(let count) = read { initialized = count }
        }
        guard case .ok(range.count) = read else { return nil }
        return bytes
    }

    /// A strong entity tag for this version of the file: inode, size and modification time
    /// to the nanosecond, in hex (a file replaced by a rename gets a new inode).
    static func entityTag(_ info: SystemCalls.FileStatus) -> String {
        let nanoseconds = UInt64(truncatingIfNeeded: info.modified) &* 1_000_000_000 &+ UInt64(truncatingIfNeeded: info.modifiedNanoseconds)
        let parts = [info.inode, UInt64(info.size), nanoseconds]
        // Hex written straight into the string (one per response): at most 3 x 16 digits, 2 dashes, 2 quotes.
        return String(unsafeUninitializedCapacity: 52) { out in
            var index = 0
            out[index] = 34; index += 1
            for (number, part) in parts.enumerated() {
                if number > 0 { out[index] = 45; index += 1 }
                var digits = 1
                while digits < 16 && part >> (4 * UInt64(digits)) != 0 { digits += 1 }
                for position in stride(from: digits - 1, through: 0, by: -1) {
                    let nibble = UInt8((part >> (4 * UInt64(position))) & 0xF)
                    out[index] = nibble < 10 ? 48 + nibble : 87 + nibble
                    index += 1
                }
            }
            out[index] = 34
            return index + 1
        }
    }

    /// Writes a PUT's body to its file, answering 201 or 204 once it is in place.
    private func put(_ request: Request, _ body: RequestBody, _ responder: Responder) {
        guard let path = Self.relativePath(of: request.target), !path.isEmpty, !path.hasSuffix("/") else {
            return responder.send(Self.plain(409, "a PUT names a file, not a directory\n"))
        }
        do {
            try FileUpload(root: root, path: path, request: request, responder: responder) { [smallFiles] in
                smallFiles.forget(path)
            }.start(body)
        } catch {
            responder.send(Self.plain(error.status, error.message))
        }
    }

    /// The request target's path, percent-decoded, without its leading slash and without
    /// `.` segments; nil for anything that is not an origin-form path or holds NUL.
    /// `..` segments are left for the kernel to refuse (they cannot climb above the root).
    static func relativePath(of target: String) -> String? {
        // Over the UTF-8 bytes (per request; Substring and Character work cost ~1,400
        // instructions for an 11-byte path).
        var target = target
        return target.withUTF8 { bytes -> String? in
            guard bytes.first == UInt8(ascii: "/") else { return nil }
            var end = 1
            var escaped = false
            while end < bytes.count && bytes[end] != UInt8(ascii: "?") {
                if bytes[end] == UInt8(ascii: "%") { escaped = true }
                end += 1
            }
            let path = UnsafeBufferPointer(rebasing: bytes[1..<end])
            // The kernel resolves `.`, `..` and repeated slashes itself, beneath the root.
            return escaped ? percentDecoded(path) : String(decoding: path, as: UTF8.self)
        }
    }

    /// The decoded path; nil for a broken escape, a NUL, or a leading `/` (an absolute path).
    private static func percentDecoded(_ text: UnsafeBufferPointer<UInt8>) -> String? {
        guard let bytes = PercentDecoding.decode(text), !bytes.contains(0), bytes.first != UInt8(ascii: "/") else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func plain(_ status: Int, _ text: String, extra: Headers = [:]) -> Response {
        var headers: Headers = ["Content-Type": "text/plain; charset=utf-8"]
        for field in extra { headers.add(field.name, field.value) }
        return Response(status: status, reason: StatusReason.phrase(for: status), headers: headers, body: Array(text.utf8))
    }
}

/// Why a file server could not start.
public enum FileServerError: Error, Sendable, CustomStringConvertible {
    case cannotOpenRoot(String, errno: Int32)
    public var description: String {
        switch self {
        case .cannotOpenRoot(let path, let code): "cannot serve \(path): \(SystemCalls.describe(code))"
        }
    }
}
