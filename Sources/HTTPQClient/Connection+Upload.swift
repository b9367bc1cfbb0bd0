import EvLoop
import HTTPQ
import Sockets
#if canImport(Glibc)
import Glibc
#endif

/// Sending a streamed request body (`UploadBody`): one piece at a time, asked for only once
/// the last is written, so memory stays flat whatever the body's size.
extension Connection {
    /// The body being sent.
    struct Upload {
        let id: Int
        let source: UploadBody.Source
        let chunked: Bool
        /// Bytes still to send, when the length is known.
        var remaining: Int?
        /// The file being sent (`source` is a file), and where in it.
        var file: Int32 = -1
        var offset = 0
        /// A pull is outstanding: the producer has not answered yet.
        var asked = false
        /// `sendfile` could not go on: wait for writability though the queue is empty.
        var waitsForWritable = false
    }

    /// The request with the framing of `body`: `Content-Length` when its length is known,
    /// else chunked; `request.body` is not sent.
    static func framed(_ request: Request, for body: UploadBody) -> Request {
        var request = request
        request.body = []
        request.headers.remove("Content-Length")
        request.headers.remove("Transfer-Encoding")
        if let length = body.length {
            request.headers.add("Content-Length", String(length))
        } else {
            request.headers.add("Transfer-Encoding", "chunked")
        }
        return request
    }

    /// Prepares to send `body` after the head just queued.
    func beginUpload(_ body: UploadBody) {
        uploadsStarted += 1
        var upload = Upload(id: uploadsStarted, source: body.source, chunked: body.length == nil, remaining: body.length)
        if case .file(let path, let offset, _) = body.source {
            switch SystemCalls.openForReading(path) {
            case .ok(let fd):
                upload.file = fd
                upload.offset = offset
            case .failed(let code):
                return fail(.uploadFailed("cannot open \(path): \(SystemCalls.describe(code))"))
            case .wouldBlock:
                return fail(.uploadFailed("cannot open \(path)"))
            }
        }
        self.upload = upload
        core.uploadStarted()
    }

    /// The queue is empty: the next piece of the body.
    func pumpUpload() {
        guard var upload, case .connected = phase else { return }
        switch upload.source {
        case .file:
            sendFile(&upload)
        case .pull(let produce):
            guard !upload.asked else { return }
            upload.asked = true
            self.upload = upload
            let writer = BodyWriter(self, upload: upload.id)
            // Never inside the flush that asked: the producer may answer at once.
            loop.execute { produce(writer) }
        }
    }

    /// Sends the file: straight from the page cache with `sendfile` on a plain socket,
    /// 64 KiB pieces through the queue under TLS.
    private func sendFile(_ upload: inout Upload) {
        upload.waitsForWritable = false
        while let remaining = upload.remaining, remaining > 0 {
            if tls == nil {
                switch SystemCalls.sendfile(to: fd, from: upload.file, offset: &upload.offset, count: Swift.min(remaining, 1 << 20)) {
                case .ok(0):
                    return fail(.uploadFailed("the file ended \(remaining) bytes early (it shrank while being sent)"))
                case .ok(let sent):
                    upload.remaining = remaining - sent
                case .wouldBlock:
                    upload.waitsForWritable = true
                    self.upload = upload
                    core.uploadProgressed(now: loop.now)
                    return
                case .failed(let code):
                    return writeFailed(code)
                }
            } else {
                guard let read = writes.appendFile(upload.file, offset: upload.offset, count: Swift.min(remaining, 65_536)), read > 0 else {
                    return fail(.uploadFailed("the file ended \(remaining) bytes early (it shrank while being sent)"))
                }
                upload.offset += read
                upload.remaining = remaining - read
                self.upload = upload
                guard writeQueue() else { return }
                if !writes.isEmpty { // the socket is full: the flush on writability comes back here
                    core.uploadProgressed(now: loop.now)
                    return
                }
            }
        }
        self.upload = upload
        finishUpload()
    }

    /// A producer's bytes (`BodyWriter.write`).
    func uploadWrote(_ bytes: [UInt8], upload id: Int) {
        guard var upload, upload.id == id, upload.asked, !isClosed else { return }
        upload.asked = false
        if let remaining = upload.remaining {
            guard bytes.count <= remaining else {
                return fail(.uploadFailed("the body is longer than its declared length (\(upload.remaining.map(String.init) ?? "?") bytes left, \(bytes.count) given)"))
            }
            upload.remaining = remaining - bytes.count
        }
        self.upload = upload
        if !bytes.isEmpty {
            if upload.chunked {
                // Size line, data and CRLF in one write: the piece is not copied into a framed buffer.
                Serializer.withChunkFrame(bytes.count) { sizeLine, lineEnd in
                    bytes.withUnsafeBytes { channel.sendOrQueue(sizeLine, $0, lineEnd, &writes) }
                }
            } else {
                channel.sendOrQueue(bytes, &writes)
            }
            core.uploadProgressed(now: loop.now)
        }
        flush()
    }

    /// The producer says the body is complete (`BodyWriter.end`).
    func uploadEnded(upload id: Int) {
        guard let upload, upload.id == id, upload.asked, !isClosed else { return }
        if let remaining = upload.remaining, remaining > 0 {
            return fail(.uploadFailed("the body ended \(remaining) bytes short of its declared length"))
        }
        if upload.chunked { writes.append(Array("0\r\n\r\n".utf8)) }
        finishUpload()
        flush()
    }

    /// The producer cannot go on (`BodyWriter.fail`).
    func uploadFailed(_ reason: String, upload id: Int) {
        guard let upload, upload.id == id, !isClosed else { return }
        fail(.uploadFailed(reason))
    }

    /// The whole body is queued or written.
    private func finishUpload() {
        abandonUpload()
        core.uploadFinished()
    }

    /// Lets go of the body: its file, and any producer's later calls.
    func abandonUpload() {
        guard let upload else { return }
        if upload.file >= 0 { SystemCalls.close(upload.file) }
        self.upload = nil
    }
}
