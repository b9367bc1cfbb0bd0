import Testing
@testable import HTTPQ

/// RFC 9112 §6: how each body ends, and that bytes after a message are never lost.
@Suite struct FramingTests {
    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func contentLengthBodyStopsAtItsLength() throws {
        var response = Response()
        let input = bytes("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1")
        let used = try response.feed(input)
        #expect(response.isComplete)
        #expect(response.body == bytes("abc"))
        #expect(used == input.count - 8, "the next message's bytes are not consumed")
    }

    @Test func chunkedBodyIsDecodedAndTrailersKept() throws {
        let response = try Response.parse(bytes(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n4;a=b;c\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Checksum: 42\r\n\r\n"))
        #expect(response.framing == .chunked)
        #expect(String(decoding: response.body, as: UTF8.self) == "Wikipedia in\r\n\r\nchunks.")
        #expect(response.trailers["x-checksum"] == "42")
    }

    @Test func uppercaseHexAndLeadingZerosInChunkSize() throws {
        let response = try Response.parse(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n000A\r\n0123456789\r\n0\r\n\r\n"))
        #expect(response.body.count == 10)
    }

    @Test func closeDelimitedBodyCompletesOnlyAtFinish() throws {
        var response = Response()
        try response.feed(bytes("HTTP/1.1 200 OK\r\n\r\npart one, "))
        try response.feed(bytes("part two"))
        #expect(response.framing == .untilClose)
        #expect(!response.isComplete)
        try response.finish()
        #expect(response.isComplete)
        #expect(response.body == bytes("part one, part two"))
    }

    @Test func transferEncodingNotEndingInChunkedIsCloseDelimitedForResponses() throws {
        var response = Response()
        try response.feed(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxyz"))
        #expect(response.framing == .untilClose)
    }

    @Test(arguments: [100, 101, 204, 304])
    func statusesWithoutBody(_ status: Int) throws {
        var response = Response()
        let input = bytes("HTTP/1.1 \(status) X\r\nContent-Length: 10\r\n\r\nNEXT")
        let used = try response.feed(input)
        #expect(response.isComplete)
        #expect(response.framing == BodyFraming.none)
        #expect(used == input.count - 4)
    }

    @Test func responseToHeadHasNoBodyWhateverItsLength() throws {
        var response = Response(answering: "HEAD")
        try response.feed(bytes("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nTransfer-Encoding: chunked\r\n\r\n"))
        #expect(response.isComplete)
        #expect(response.body.isEmpty)
    }

    @Test func successfulConnectResponseHasNoBody() throws {
        var response = Response(answering: "CONNECT")
        try response.feed(bytes("HTTP/1.1 200 Connection established\r\n\r\n"))
        #expect(response.isComplete)
    }

    @Test func informationalThenFinalAreTwoMessages() throws {
        let input = bytes("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        var rest = input[...]
        var statuses: [Int] = []
        while !rest.isEmpty {
            var response = Response()
            rest = rest.dropFirst(try response.feed(rest))
            #expect(response.isComplete)
            statuses.append(response.status)
            if !response.isInformational { #expect(response.body == bytes("ok")) }
        }
        #expect(statuses == [100, 103, 200])
    }

    @Test func requestWithoutLengthHasNoBody() throws {
        var request = Request()
        let input = bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\n")
        let used = try request.feed(input)
        #expect(request.isComplete)
        #expect(used == 27)
    }

    @Test func pipelinedRequestsSplitExactly() throws {
        let input = bytes("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhiGET /b HTTP/1.1\r\nHost: h\r\n\r\n\r\nGET /c HTTP/1.0\r\n\r\n")
        var rest = input[...]
        var targets: [String] = []
        while !rest.isEmpty {
            var request = Request()
            rest = rest.dropFirst(try request.feed(rest))
            #expect(request.isComplete)
            targets.append(request.target)
        }
        #expect(targets == ["/a", "/b", "/c"])
    }

    @Test func identicalRepeatedContentLengthsAreOneLength() throws {
        let response = try Response.parse(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok"))
        #expect(response.body == bytes("ok"))
    }

    @Test func unfinishedMessageFailsAtFinishWithItsState() throws {
        var response = Response()
        try response.feed(bytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"))
        #expect(throws: HTTPQError(.unexpectedEnd(.body), at: 42)) { try response.finish() }
    }

    @Test func streamingDoesNotKeepTheBody() throws {
        var response = Response()
        response.keepsBody = false
        try response.feed(bytes("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"))
        #expect(response.isComplete && response.body.isEmpty)
    }

    @Test func keptBodyIsLimited() throws {
        var response = Response(limits: Limits(maxBodyBytes: 4))
        #expect(throws: HTTPQError(.bodyTooLarge(limit: 4), at: 38)) {
            try response.feed(Array("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello".utf8))
        }
    }
}
