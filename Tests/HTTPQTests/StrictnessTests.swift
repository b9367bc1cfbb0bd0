import Testing
@testable import HTTPQ

/// Where smuggling and splitting live: every malformed input is a typed error at its byte.
@Suite struct StrictnessTests {
    struct Bad: CustomTestStringConvertible, Sendable {
        let text: String
        let kind: HTTPQError.Kind
        let offset: Int
        var isRequest = true
        var testDescription: String { "\(kind)" }
    }

    static let requests: [Bad] = [
        Bad(text: "POST / HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n", kind: .contentLengthWithTransferEncoding, offset: 66),
        Bad(text: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", kind: .unsupportedTransferCoding, offset: 53),
        Bad(text: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", kind: .invalidTransferEncoding, offset: 75),
        Bad(text: "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", kind: .conflictingContentLength, offset: 52),
        Bad(text: "POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n", kind: .invalidContentLength, offset: 33),
        Bad(text: "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", kind: .invalidContentLength, offset: 33),
        Bad(text: "POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n", kind: .invalidContentLength, offset: 35),
        Bad(text: "POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n", kind: .invalidContentLength, offset: 34),
        Bad(text: "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", kind: .invalidContentLength, offset: 51),
        Bad(text: "POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", kind: .invalidContentLength, offset: 32),
        Bad(text: "GET / HTTP/1.1\r\nHost : x\r\n\r\n", kind: .whitespaceBeforeColon, offset: 20),
        Bad(text: "GET / HTTP/1.1\r\nHost\t: x\r\n\r\n", kind: .whitespaceBeforeColon, offset: 20),
        Bad(text: "GET / HTTP/1.1\r\nHost x\r\n\r\n", kind: .missingColon, offset: 20),
        Bad(text: "GET / HTTP/1.1\r\nHo(st: x\r\n\r\n", kind: .invalidFieldName, offset: 18),
        Bad(text: "GET / HTTP/1.1\r\n: x\r\n\r\n", kind: .invalidFieldName, offset: 16),
        Bad(text: "GET / HTTP/1.1\r\nX: a\u{0}b\r\n\r\n", kind: .invalidFieldValue, offset: 20),
        Bad(text: "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", kind: .invalidFieldValue, offset: 20),
        Bad(text: "GET / HTTP/1.1\r\nX: a\u{7F}\r\n\r\n", kind: .invalidFieldValue, offset: 20),
        Bad(text: "GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", kind: .obsoleteLineFolding, offset: 22),
        Bad(text: "GET / HTTP/1.1\nHost: x\r\n\r\n", kind: .bareLineFeed, offset: 14),
        Bad(text: "G(T / HTTP/1.1\r\n\r\n", kind: .invalidMethod, offset: 1),
        Bad(text: " / HTTP/1.1\r\n\r\n", kind: .invalidMethod, offset: 0),
        Bad(text: "GET  HTTP/1.1\r\n\r\n", kind: .invalidTarget, offset: 4),
        Bad(text: "GET /a\u{1}b HTTP/1.1\r\n\r\n", kind: .invalidTarget, offset: 6),
        Bad(text: "GET / HTTP/1.1 extra\r\n\r\n", kind: .invalidVersion, offset: 6),
        Bad(text: "GET / http/1.1\r\n\r\n", kind: .invalidVersion, offset: 6),
        Bad(text: "GET / HTTP/2.0\r\n\r\n", kind: .unsupportedVersion, offset: 6),
        Bad(text: "GET\r\n\r\n", kind: .malformedStartLine, offset: 3),
    ]

    static let responses: [Bad] = [
        Bad(text: "HTTP/1.1 2000 OK\r\n\r\n", kind: .invalidStatus, offset: 12, isRequest: false),
        Bad(text: "HTTP/1.1 20 OK\r\n\r\n", kind: .invalidStatus, offset: 11, isRequest: false),
        Bad(text: "HTTP/1.1 OK\r\n\r\n", kind: .invalidStatus, offset: 9, isRequest: false),
        Bad(text: "HTTP/1.1 200 O\u{0}K\r\n\r\n", kind: .invalidReason, offset: 14, isRequest: false),
        Bad(text: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX", kind: .missingChunkTerminator, offset: 55, isRequest: false),
        Bad(text: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF\r\n", kind: .chunkSizeTooLarge, offset: 62, isRequest: false),
        Bad(text: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n;ext\r\n", kind: .invalidChunkSize, offset: 47, isRequest: false),
        Bad(text: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\rX", kind: .invalidChunkSize, offset: 49, isRequest: false),
        Bad(text: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a\u{0}\r\n", kind: .invalidChunkSize, offset: 50, isRequest: false),
        Bad(text: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX : y\r\n\r\n", kind: .whitespaceBeforeColon, offset: 51, isRequest: false),
        Bad(text: "\r\nHTTP/1.1 200 OK\r\n\r\n", kind: .malformedStartLine, offset: 0, isRequest: false),
        Bad(text: "garbage\r\n\r\n", kind: .malformedStartLine, offset: 7, isRequest: false),
        Bad(text: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", kind: .invalidTransferEncoding, offset: 56, isRequest: false),
    ]

    /// Smuggling and request-line forms (issue 13): HTTP/1.0 with Transfer-Encoding, codings
    /// other than one `chunked`, Host rules, target forms per method, chunk-size lines.
    static let smuggling: [Bad] = [
        Bad(text: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n", kind: .transferEncodingInHTTP10, offset: 71),
        Bad(text: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", kind: .transferEncodingInHTTP10, offset: 66),
        Bad(text: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity, chunked\r\n\r\n", kind: .unsupportedTransferCoding, offset: 66),
        Bad(text: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", kind: .unsupportedTransferCoding, offset: 62),
        Bad(text: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", kind: .unsupportedTransferCoding, offset: 81),
        Bad(text: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", kind: .invalidTransferEncoding, offset: 84),
        Bad(text: "GET / HTTP/1.1\r\n\r\n", kind: .missingHost, offset: 18),
        Bad(text: "GET / HTTP/1.2\r\n\r\n", kind: .missingHost, offset: 18),
        Bad(text: "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", kind: .multipleHosts, offset: 36),
        Bad(text: "GET / HTTP/1.1\r\nHost: a, b\r\n\r\n", kind: .invalidHost, offset: 30),
        Bad(text: "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", kind: .invalidHost, offset: 29),
        Bad(text: "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", kind: .invalidHost, offset: 29),
        Bad(text: "GET / HTTP/1.1\r\nHost: user@a\r\n\r\n", kind: .invalidHost, offset: 32),
        Bad(text: "GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", kind: .invalidHost, offset: 30),
        Bad(text: "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", kind: .invalidHost, offset: 30),
        Bad(text: "GET * HTTP/1.1\r\nHost: h\r\n\r\n", kind: .invalidTargetForm, offset: 4),
        Bad(text: "CONNECT /x HTTP/1.1\r\nHost: h\r\n\r\n", kind: .invalidTargetForm, offset: 8),
        Bad(text: "CONNECT h HTTP/1.1\r\nHost: h\r\n\r\n", kind: .invalidTargetForm, offset: 8),
        Bad(text: "GET x/y HTTP/1.1\r\nHost: h\r\n\r\n", kind: .invalidTargetForm, offset: 4),
        Bad(text: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2 2\r\nab\r\n0\r\n\r\n", kind: .invalidChunkSize, offset: 58),
        Bad(text: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\tx\r\nab\r\n0\r\n\r\n", kind: .invalidChunkSize, offset: 58),
        Bad(text: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2 garbage\r\nab\r\n0\r\n\r\n", kind: .invalidChunkSize, offset: 58),
        Bad(text: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2 \r\nab\r\n0\r\n\r\n", kind: .invalidChunkSize, offset: 58),
        Bad(text: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2;\r\nab\r\n0\r\n\r\n", kind: .invalidChunkSize, offset: 58),
        Bad(text: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2;a b\r\nab\r\n0\r\n\r\n", kind: .invalidChunkSize, offset: 60),
        Bad(text: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2;a=\"x\r\nab\r\n0\r\n\r\n", kind: .invalidChunkSize, offset: 62),
        Bad(text: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2;a=@\r\nab\r\n0\r\n\r\n", kind: .invalidChunkSize, offset: 60),
        Bad(text: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n", kind: .invalidChunkSize, offset: 56),
        Bad(text: "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", kind: .transferEncodingInHTTP10, offset: 47, isRequest: false),
        // An empty Transfer-Encoding names no coding at all: not "read until close" (found by
        // the llhttp differential fuzz, which reads such a response by its Content-Length).
        Bad(text: "HTTP/1.1 200 OK\r\nTransfer-Encoding: \r\nContent-Length: 2\r\n\r\nok", kind: .invalidTransferEncoding, offset: 59, isRequest: false),
    ]

    /// What the strict rules still let through: they must not refuse valid messages.
    /// Methods come back as sent, whether the parser names them with a literal (GET, PUT,
    /// HEAD, POST) or makes them from their bytes (near misses and the rest).
    @Test(arguments: ["GET", "PUT", "HEAD", "POST", "PATCH", "DELETE", "GEt", "get", "PET", "GUT", "PUX", "HEAP", "POS", "POSTS", "M"])
    func methodsComeBackAsSent(method: String) throws {
        var request = Request()
        _ = try request.feed(Array("\(method) / HTTP/1.1\r\nHost: h\r\n\r\n".utf8))
        #expect(request.isComplete && request.method == method)
    }

    @Test(arguments: [
        "GET http://x.y/z?q HTTP/1.1\r\nHost: x.y\r\n\r\n",
        "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
        "CONNECT a.b:443 HTTP/1.1\r\nHost: a.b:443\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: \r\n\r\n",
        "GET / HTTP/1.1\r\nHost: xn--bcher-kva.example%41:80\r\n\r\n",
        "GET / HTTP/1.0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2 ;x=y\r\nab\r\n2;a=\"q \\\" s\" ; b\r\ncd\r\n0\r\n\r\n",
    ])
    func validRequestsStillPass(_ text: String) throws {
        let request = try Request.parse(Array(text.utf8))
        #expect(request.isComplete)
    }

    @Test func connectRequestHasNoBodyWhateverItsLength() throws {
        var request = Request()
        let used = try request.feed("CONNECT a.b:443 HTTP/1.1\r\nHost: a.b:443\r\nContent-Length: 5\r\n\r\nhello".utf8)
        #expect(request.isComplete && request.framing == BodyFraming.none && used == 62)
    }

    @Test(arguments: requests + responses + smuggling)
    func refusedWithKindAndOffset(_ bad: Bad) {
        let bytes = Array(bad.text.utf8)
        let expected = HTTPQError(bad.kind, at: bad.offset)
        // Whole, and one byte at a time: the same error at the same byte.
        let testCase = Fixtures.Case(name: bad.testDescription, bytes: bytes, isRequest: bad.isRequest)
        for (label, cuts) in [("whole", []), ("one byte at a time", Array(1..<bytes.count))] {
            #expect(outcomes(of: testCase, cuts: cuts).last?.error == expected, "\(label)")
        }
    }

    @Test func errorIsStickyAndDescribed() {
        var request = Request()
        #expect(throws: HTTPQError.self) { try request.feed("GET / HTTP/1.1\r\nA : b\r\n".utf8) }
        #expect(request.error?.kind == .whitespaceBeforeColon)
        #expect(throws: HTTPQError(.whitespaceBeforeColon, at: 17)) { try request.feed("\r\n".utf8) }
        #expect(request.error?.description == "whitespace between field name and colon (at byte 17)")
    }

    @Test func bareLineFeedIsAcceptedOnlyWhenAskedFor() throws {
        var response = Response(leniency: .bareLineFeed)
        try response.feed("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n2\nhi\n0\n\n".utf8)
        #expect(response.isComplete && response.body == Array("hi".utf8))
    }

    @Test func headLimit() {
        var response = Response(limits: Limits(maxHeadBytes: 64))
        let line = "X-Long: " + String(repeating: "a", count: 40) + "\r\n"
        #expect(throws: HTTPQError(.headTooLarge(limit: 64), at: 17)) {
            try response.feed(Array(("HTTP/1.1 200 OK\r\n" + line + line).utf8))
        }
    }

    @Test func lineLimit() {
        var request = Request(limits: Limits(maxLineBytes: 20))
        #expect(throws: HTTPQError(.lineTooLong(limit: 20), at: 16)) {
            try request.feed(Array("GET / HTTP/1.1\r\nX: 0123456789012345678901234\r\n".utf8))
        }
    }

    /// The one-pass field scan (whole input) and the line-at-a-time path (pieces) draw the line and head limits at the same byte: a field line of exactly the limit is
    /// taken, one byte more is refused, with the same kind of error. (Where the error is said
    /// to be, and how much of the refused line `buffer` keeps, differ by split: the line's start
    /// whole, the first byte over in pieces. Older than the one-pass scan; not changed here.)
    @Test(arguments: [0, 1])
    func limitsAreDrawnAtTheSameByteWholeAndInPieces(over: Int) throws {
        let head = "HTTP/1.1 200 OK\r\n", field = "X-Field: abcdefgh\r\n", end = "Content-Length: 0\r\n\r\n"
        let bytes = Array((head + field + end).utf8)
        let fieldLine = field.utf8.count - 1 // as the limit counts: the CR, not the LF
        let limitSets = [
            Limits(maxLineBytes: fieldLine - over),
            Limits(maxHeadBytes: head.utf8.count + field.utf8.count + end.utf8.count - over),
        ]
        for limits in limitSets {
            var whole = Response(limits: limits)
            let wholeError = Result { () throws(HTTPQError) in try whole.feed(bytes) }.failureValue
            #expect((wholeError == nil) == (over == 0), "\(limits): \(String(describing: wholeError))")
            // Pieces of every size up to a line's: a piece that ends no line is appended
            // without a turn of the machine, one that ends a line goes through it.
            for size in 1...fieldLine + 2 {
                var pieces = Response(limits: limits)
                var piecesError: HTTPQError?
                for start in stride(from: 0, to: bytes.count, by: size) where piecesError == nil {
                    do { try pieces.feed(bytes[start..<min(start + size, bytes.count)]) } catch { piecesError = error }
                }
                #expect(wholeError?.kind == piecesError?.kind, "\(limits), pieces of \(size)")
                if over == 0 { #expect(whole.headers == pieces.headers && whole.isComplete && pieces.isComplete) }
            }
        }
    }

    /// Limits set as high as they go (no limit) do not overflow the arithmetic that checks them.
    @Test func unboundedLimitsParse() throws {
        let limits = Limits(maxHeadBytes: .max, maxFieldCount: .max, maxLineBytes: .max, maxBodyBytes: .max)
        var request = Request(limits: limits)
        try request.feed(Array("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok".utf8))
        #expect(request.isComplete && request.body == Array("ok".utf8))
        var response = Response(limits: limits)
        try response.feed(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n".utf8))
        #expect(response.isComplete && response.body == Array("hi".utf8))
    }

    @Test func endlessHeaderLineIsCutAtTheLimitWithoutBuffering() throws {
        var request = Request()
        try request.feed("GET / HTTP/1.1\r\nX: ".utf8)
        let piece = [UInt8](repeating: 0x61, count: 1024)
        var thrown: HTTPQError?
        for _ in 0..<100 {
            do { try request.feed(piece) } catch { thrown = error; break }
        }
        #expect(thrown?.kind == .lineTooLong(limit: Limits.default.maxLineBytes))
        #expect(request.buffer.count <= Limits.default.maxLineBytes + 64)
    }

    @Test func fieldCountLimit() {
        var request = Request(limits: Limits(maxFieldCount: 2))
        #expect(throws: HTTPQError(.tooManyFields(limit: 2), at: 28)) {
            try request.feed(Array("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n".utf8))
        }
    }

    @Test func endlessChunkExtensionIsCut() {
        var response = Response(limits: Limits(maxLineBytes: 100))
        let input = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;" + String(repeating: "x", count: 200)
        #expect(throws: HTTPQError(.lineTooLong(limit: 100), at: 147)) { try response.feed(Array(input.utf8)) }
    }
}

extension Result {
    /// The error, if this is a failure.
    var failureValue: Failure? { if case .failure(let error) = self { error } else { nil } }
}
