import Testing
import HTTPQ

/// The rules both sides share (keep-alive, content by status, Expect), checked once here.
@Suite struct HTTPRulesTests {
    static func request(_ text: String) throws -> Request { try Request.parse(Array(text.utf8)) }
    static func response(_ text: String) throws -> Response { try Response.parse(Array(text.utf8)) }

    @Test(arguments: [
        ("GET / HTTP/1.1\r\nHost: a\r\n\r\n", true),
        ("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false),
        ("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, Close\r\n\r\n", false),
        ("GET / HTTP/1.0\r\n\r\n", false),
        ("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true),
        ("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", false),
    ])
    func requestPersistence(_ text: String, _ keepsAlive: Bool) throws {
        #expect(try Self.request(text).keepsConnectionAlive == keepsAlive)
    }

    @Test(arguments: [
        ("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true),
        ("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", false),
        ("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false),
        ("HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n", true),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n", false),
        ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n", false),
    ])
    func responsePersistence(_ text: String, _ keepsAlive: Bool) throws {
        #expect(try Self.response(text).keepsConnectionAlive == keepsAlive)
    }

    @Test func closeDelimitedResponseNeverPersists() throws {
        var response = Response()
        try response.feed("HTTP/1.1 200 OK\r\n\r\nbody".utf8)
        try response.finish()
        #expect(response.framing == .untilClose && !response.keepsConnectionAlive)
    }

    @Test func statusesWithoutContent() {
        #expect([100, 101, 103, 199, 204, 304].allSatisfy { !HTTPRules.statusHasContent($0) })
        #expect([200, 201, 205, 301, 404, 500].allSatisfy { HTTPRules.statusHasContent($0) })
    }

    @Test(arguments: [
        ("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n", HTTPRules.Expectation.continueBeforeBody),
        ("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nTransfer-Encoding: chunked\r\n\r\n", .continueBeforeBody),
        ("POST / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\nContent-Length: 3\r\n\r\n", .unsupported("teapot")),
        ("GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n", .none),
        ("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n", .none),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n", .none),
    ])
    func expectations(_ text: String, _ expected: HTTPRules.Expectation) throws {
        var request = Request()
        _ = try request.feed(Array(text.utf8))
        #expect(request.expectation == expected)
    }
}
