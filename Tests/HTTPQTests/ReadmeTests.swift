import Testing
import HTTPQ

/// The README's HTTPQ example, as written there.
@Suite struct ReadmeTests {
    @Test func readmeExample() throws {
        // Build from fields, like httpq's constructor.
        let request = Request(method: "GET", target: "/get", version: "HTTP/1.1", headers: ["Host": "httpbin.org"])
        #expect(request.raw == Array("GET /get HTTP/1.1\r\nHost: httpbin.org\r\n\r\n".utf8))

        // Feed bytes as they arrive; the state moves .top -> .headers -> .body.
        var response = Response()
        try response.feed("HTTP/1.1 404 Not Found\r\nDate: Tue, 09 Nov 2021 18:29:18 GMT\r\n".utf8)
        #expect(response.state == .headers)
        try response.feed("Content-Length: 5\r\n\r\nhello".utf8)
        #expect(response.isComplete && response.reason == "Not Found")
        #expect(response.headers.values(for: "date").count == 1)
        #expect(response.description.hasPrefix("← HTTP/1.1 404 Not Found"))
    }
}
