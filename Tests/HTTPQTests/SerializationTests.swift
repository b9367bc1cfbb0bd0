import Testing
@testable import HTTPQ

@Suite struct SerializationTests {
    /// A chunk's framing, written from stack storage: the size in lowercase hex as
    /// `String(radix: 16)` writes it, CRLF, and the CRLF after the data.
    @Test(arguments: [0, 1, 9, 10, 15, 16, 255, 4_096, 65_536, 700_001, Int(Int32.max), Int.max])
    func chunkFrames(_ count: Int) {
        Serializer.withChunkFrame(count) { sizeLine, lineEnd in
            #expect(Array(sizeLine) == Array((String(count, radix: 16) + "\r\n").utf8))
            #expect(Array(lineEnd) == [13, 10])
        }
    }

    @Test func buildFromFieldsLikeHttpq() {
        let request = Request(method: "GET", target: "/get", version: "HTTP/1.1", headers: ["Host": "httpbin.org"])
        #expect(request.raw == Array("GET /get HTTP/1.1\r\nHost: httpbin.org\r\n\r\n".utf8))
        #expect(request.state == .body && request.isComplete)
        #expect(request.buffer == request.raw)
    }

    /// The head alone, for a body sent apart: a chunked request's `raw` ends its body with the
    /// last chunk, its `rawHead` does not.
    @Test func rawHeadIsTheHeadAlone() {
        var request = Request(method: "PUT", target: "/f", headers: ["Host": "x", "Transfer-Encoding": "chunked"])
        #expect(request.rawHead == Array("PUT /f HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".utf8))
        #expect(request.raw == request.rawHead + Array("0\r\n\r\n".utf8))
        request.headers.add("X-Late", "1")
        #expect(String(decoding: request.rawHead, as: UTF8.self).hasSuffix("X-Late: 1\r\n\r\n"), "built from the fields as they are now")
    }

    @Test func arrowForms() {
        let request = Request(method: "POST", target: "/", headers: ["Host": "httpbin.org", "Content-Length": "12"],
                              body: Array("Hello world!".utf8))
        #expect(request.description == "→ POST / HTTP/1.1\n→ Host: httpbin.org\n→ Content-Length: 12\n→ \n→ Hello world!")
        let response = Response(status: 404, reason: "Not Found", headers: ["Content-Length": "0"])
        #expect(response.description == "← HTTP/1.1 404 Not Found\n← Content-Length: 0")
    }

    @Test func parseThenRawRoundTrips() throws {
        for text in [
            "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nabc",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n",
        ] {
            let response = try Response.parse(Array(text.utf8))
            #expect(try Response.parse(response.raw) == response)
        }
        #expect(try Response.parse(Fixtures.gunicorn).raw == Fixtures.gunicorn)
    }

    @Test func chunkedBodyIsReframedOnSerialization() throws {
        let response = try Response.parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n".utf8)
        #expect(response.raw == Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n0\r\n\r\n".utf8))
    }

    @Test func modifyThenSerialize() throws {
        var request = try Request.parse("GET /get HTTP/1.1\r\nHost: httpbin.org\r\n\r\n".utf8)
        request.method = "POST"
        request.target = "/"
        request.headers["Content-Length"] = "2"
        request.body = Array("hi".utf8)
        #expect(request.raw == Array("POST / HTTP/1.1\r\nHost: httpbin.org\r\nContent-Length: 2\r\n\r\nhi".utf8))
    }

    /// A built message's `buffer` is its head as it would be sent, made when asked, and it
    /// follows later changes to the fields; a parsed message's is the bytes received.
    @Test func aBuiltMessagesBufferIsItsHeadSerializedNow() throws {
        var response = Response(status: 200, reason: "OK", headers: ["Content-Length": "2"], body: Array("hi".utf8))
        #expect(String(decoding: response.buffer, as: UTF8.self) == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n")
        #expect(response.buffer == response.rawHead)
        response.headers.add("X-A", "1")
        #expect(String(decoding: response.buffer, as: UTF8.self) == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: 1\r\n\r\n")
        let request = Request(method: "GET", target: "/", headers: ["Host": "a"])
        #expect(String(decoding: request.buffer, as: UTF8.self) == "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        let parsed = try Request.parse("GET / HTTP/1.1\r\nhost:  a \r\n\r\n".utf8)
        #expect(String(decoding: parsed.buffer, as: UTF8.self) == "GET / HTTP/1.1\r\nhost:  a \r\n\r\n", "the bytes as received")
    }
}
