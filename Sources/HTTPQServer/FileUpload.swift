import HTTPQ
import Sockets
#if canImport(Glibc)
import Glibc
#endif

/// One PUT being written under a `FileServer`'s root: the body goes, slice by slice as the
/// client sends it, into a new hidden file beside the target, which is renamed over the
/// target only once the body is complete. An upload that fails or is abandoned removes its
/// file: readers of the target see the old file or the whole new one, never part of one.
///
/// Writes are plain `write(2)`s to the page cache on the loop thread, as nginx writes
/// request bodies to its temporary files.
final class FileUpload: @unchecked Sendable {
    private let directory: Int32
    private let name: String
    private let temporaryName: String
    private var fd: Int32
    /// Whether the target existed when the upload began (204 rather than 201).
    private let replaces: Bool
    private let request: Request
    private let responder: Responder
    /// Called once the file is in place, before the answer (the server forgets what it kept
    /// of the old version, so a GET after the PUT's answer sees the new one).
    private let placed: () -> Void

    /// Why a PUT is refused before its body is read.
    struct Refusal: Error {
        var status: Int
        var message: String
    }

    /// Begins an upload of `request` to `path` (relative to `root`, already decoded):
    /// refuses what cannot be written (a directory, a missing parent, a failed precondition).
    init(root: Int32, path: String, request: Request, responder: Responder, placed: @escaping () -> Void) throws(Refusal) {
        // RFC 9110 §14.5: a server that does not do partial PUT refuses Content-Range.
        if request.headers.contains("Content-Range") { throw Refusal(status: 400, message: "partial PUT (Content-Range) is not supported\n") }
        let parent: String
        let name: String
        if let slash = path.lastIndex(of: "/") {
            parent = String(path[..<slash])
            name = String(path[path.index(after: slash)...])
        } else {
            parent = ""
            name = path
        }
        guard !name.isEmpty, name != ".", name != ".." else { throw Refusal(status: 409, message: "a PUT names a file, not a directory\n") }
        let directory: Int32
        switch SystemCalls.openDirectoryBeneath(root, parent.isEmpty ? "." : parent) {
        case .ok(let opened): directory = opened
        case .failed(let code) where code == EACCES || code == EPERM || code == EXDEV: // EXDEV: outside the root
            throw Refusal(status: 403, message: "forbidden\n")
        default: throw Refusal(status: 409, message: "the directory \(parent.isEmpty ? "/" : "/" + parent + "/") does not exist\n")
        }
        let existing = SystemCalls.status(in: directory, name)
        let refuse = { (status: Int, message: String) -> Refusal in
            SystemCalls.close(directory)
            return Refusal(status: status, message: message)
        }
        if let existing, !existing.isRegular { throw refuse(409, "the target exists and is not a regular file\n") }
        // RFC 9110 §13: `If-None-Match: *` (create only), `If-Match: *` or the file's ETag
        // (replace only that version), `If-Unmodified-Since`.
        if Preconditions.evaluate(request.headers, method: "PUT", etag: existing.map(FileServer.entityTag),
                                  lastModified: existing?.modified) == .failed {
            throw refuse(412, existing == nil ? "the file does not exist (If-Match)\n" : "the file is not the version the request names\n")
        }
        var created: Int32 = -1
        var temporary = ""
        for _ in 0..<8 {
            temporary = ".\(name).upload-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
            switch SystemCalls.createNew(in: directory, temporary) {
            case .ok(let opened): created = opened
            case .failed(EEXIST): continue
            case .failed(let code): throw refuse(code == EACCES || code == EPERM || code == EROFS ? 403 : 500,
                                                 "cannot create the file: \(SystemCalls.describe(code))\n")
            case .wouldBlock: continue
            }
            break
        }
        guard created >= 0 else { throw refuse(500, "cannot create the file\n") }
        self.directory = directory
        self.name = name
        temporaryName = temporary
        fd = created
        replaces = existing != nil
        self.request = request
        self.responder = responder
        self.placed = placed
    }

    deinit { abandon() }

    /// Reads the body into the file, then renames it into place and answers.
    func start(_ body: RequestBody) {
        body.read { [self] result in
            switch result {
            case .success(.bytes(let bytes)):
                if let code = bytes.withUnsafeBytes({ SystemCalls.writeAll(fd, $0) }) {
                    abandon()
                    let status = code == ENOSPC || code == EDQUOT ? 507 : 500
                    return answer(status, "cannot write the file: \(SystemCalls.describe(code))\n")
                }
                start(body)
            case .success(.end):
                finish()
            case .failure:
                abandon() // the server answers (400, 408, 413) or the client is gone
            }
        }
    }

    /// The body is complete: the file replaces the target in one step.
    private func finish() {
        SystemCalls.close(fd)
        fd = -1
        if let code = SystemCalls.rename(in: directory, temporaryName, to: name) {
            SystemCalls.remove(in: directory, temporaryName)
            SystemCalls.close(directory)
            return answer(code == EISDIR ? 409 : 500, "cannot put the file in place: \(SystemCalls.describe(code))\n")
        }
        SystemCalls.close(directory)
        placed()
        // RFC 9110 §9.3.4: 201 for a new resource, 204 (or 200) for a replaced one.
        if replaces {
            responder.send(Response(status: 204, reason: "No Content"))
        } else {
            let location = String(request.target.split(separator: "?", maxSplits: 1)[0])
            responder.send(Response(status: 201, reason: "Created",
                                    headers: ["Location": location, "Content-Type": "text/plain; charset=utf-8"],
                                    body: Array("created\n".utf8)))
        }
    }

    /// Removes the unfinished file; nothing once finished or already abandoned.
    private func abandon() {
        guard fd >= 0 else { return }
        SystemCalls.close(fd)
        fd = -1
        SystemCalls.remove(in: directory, temporaryName)
        SystemCalls.close(directory)
    }

    private func answer(_ status: Int, _ message: String) {
        responder.send(Response(status: status, reason: StatusReason.phrase(for: status),
                                headers: ["Content-Type": "text/plain; charset=utf-8"], body: Array(message.utf8)))
    }
}
