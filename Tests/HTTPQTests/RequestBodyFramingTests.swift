import HTTPQ
import Testing

/// How a request carrying its whole body must be framed to be sent (RFC 9112 §6): a body with
/// neither `Content-Length` nor chunking would be read by the server as the next request.
@Suite struct RequestBodyFramingTests {
    @Test func eachShapeOfRequestGetsItsFraming() {
        let body = Array("abcdef".utf8)
        let cases: [(Request, RequestBodyFraming)] = [
            (Request(method: "GET", target: "/"), .framed),
            (Request(method: "HEAD", target: "/"), .framed),
            (Request(method: "DELETE", target: "/"), .framed),
            (Request(method: "POST", target: "/"), .addContentLength(0)),
            (Request(method: "PUT", target: "/"), .addContentLength(0)),
            (Request(method: "PATCH", target: "/"), .addContentLength(0)),
            (Request(method: "POST", target: "/", body: body), .addContentLength(6)),
            (Request(method: "DELETE", target: "/", body: body), .addContentLength(6)),
            (Request(method: "POST", target: "/", headers: ["Content-Length": "6"], body: body), .framed),
            (Request(method: "POST", target: "/", headers: ["Content-Length": "6, 6"], body: body), .framed),
            (Request(method: "POST", target: "/", headers: ["Content-Length": "3"], body: body),
             .contentLengthMismatch(declared: "3", actual: 6)),
            (Request(method: "POST", target: "/", headers: Headers([("Content-Length", "6"), ("Content-Length", "7")]), body: body),
             .contentLengthMismatch(declared: "6, 7", actual: 6)),
            (Request(method: "GET", target: "/", headers: ["Content-Length": "5"]), .contentLengthMismatch(declared: "5", actual: 0)),
            (Request(method: "POST", target: "/", headers: ["Content-Length": "six"], body: body),
             .contentLengthMismatch(declared: "six", actual: 6)),
            (Request(method: "POST", target: "/", headers: ["Transfer-Encoding": "chunked"], body: body), .framed),
            (Request(method: "POST", target: "/", headers: ["Transfer-Encoding": "gzip, chunked"], body: body), .framed),
            (Request(method: "POST", target: "/", headers: ["Transfer-Encoding": "gzip"], body: body),
             .transferCodingWithoutChunked("gzip")),
        ]
        for (request, expected) in cases {
            #expect(RequestBodyFraming(of: request) == expected, "\(request.method) \(request.headers) with \(request.body.count) bytes")
        }
    }
}
