import HTTPQ

extension RequestBodyFraming {
    /// Frames `request` for the wire with the body it carries (`Content-Length` added when
    /// missing), or says why it cannot be sent as built. Every request the client sends
    /// without an `UploadBody` goes through here: a body without framing would be read by
    /// the server as the next request.
    package static func frame(_ request: inout Request) -> ClientError? {
        switch RequestBodyFraming(of: request) {
        case .framed:
            return nil
        case .addContentLength(let length):
            request.headers.add("Content-Length", String(length))
            return nil
        case .contentLengthMismatch(let declared, let actual):
            return .invalidRequest("its Content-Length (\(declared)) is not its body's size (\(actual) bytes)")
        case .transferCodingWithoutChunked(let codings):
            return .invalidRequest("its Transfer-Encoding (\(codings)) does not end in chunked, so its end could not be found")
        }
    }
}
