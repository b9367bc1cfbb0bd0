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
        Bad(text: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", kind: .invalidTransferEncoding, offset: 53),
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
        Bad(text: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n", kind: .invalidChunkSize, offset: 47),
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

    @Test(arguments: requests + responses)
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
