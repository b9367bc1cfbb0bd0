import Testing
@testable import HTTPQ

/// Test messages as bytes. The gunicorn response is the seed's, from httpq's state-machine page.
enum Fixtures {
    static let gunicornHead =
        "HTTP/1.1 200 OK\r\nDate: Tue, 09 Nov 2021 18:29:18 GMT\r\nContent-Type: application/json\r\n"
        + "Content-Length: 197\r\nConnection: keep-alive\r\nServer: gunicorn/19.9.0\r\n"
        + "Access-Control-Allow-Origin: *\r\nAccess-Control-Allow-Credentials: true\r\n\r\n"
    static let gunicornBody =
        "{\n  \"args\": {}, \n  \"headers\": {\n    \"Host\": \"httpbin.org\", \n"
        + "    \"X-Amzn-Trace-Id\": \"Root=1-640d4193-650c50825ec4415732dacde8\"\n  }, \n"
        + "  \"origin\": \"xx.xx.xx.xxx\", \n  \"url\": \"http://httpbin.org/get\"\n}\n"
    static var gunicorn: [UInt8] { Array((gunicornHead + gunicornBody).utf8) }

    /// A message for the split tests: bytes, whether it is a request, the method a response answers.
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let bytes: [UInt8]
        var isRequest = false
        var answering = "GET"
        var testDescription: String { name }
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// Every valid and invalid message the split tests drive at every split.
    static let all: [Case] = [
        Case(name: "gunicorn", bytes: gunicorn),
        Case(name: "404 with reason", bytes: bytes("HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnop")),
        Case(name: "empty reason", bytes: bytes("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n")),
        Case(name: "chunked with extensions and trailers", bytes: bytes(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nExpires: never\r\nX-Sum: 11\r\n\r\n")),
        Case(name: "close-delimited", bytes: bytes("HTTP/1.0 200 OK\r\nServer: old\r\n\r\nuntil the end")),
        Case(name: "HEAD response", bytes: bytes("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"), answering: "HEAD"),
        Case(name: "204 then 200", bytes: bytes("HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")),
        Case(name: "100 then 200", bytes: bytes("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")),
        Case(name: "304", bytes: bytes("HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n")),
        Case(name: "keep-alive pair", bytes: bytes(
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nb\r\n0\r\n\r\n")),
        Case(name: "pipelined requests", bytes: bytes(
            "GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody\r\nPUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"),
             isRequest: true),
        Case(name: "bad chunk size", bytes: bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")),
        Case(name: "smuggling CL+TE", bytes: bytes("POST / HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
             isRequest: true),
        Case(name: "space before colon", bytes: bytes("GET / HTTP/1.1\r\nHost : x\r\n\r\n"), isRequest: true),
        Case(name: "NUL in value", bytes: bytes("HTTP/1.1 200 OK\r\nX: a\u{0}b\r\n\r\n")),
        Case(name: "truncated body", bytes: bytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")),
        // The shapes at the edges of the one-pass field scan (whole input) and the line-at-a-time
        // path (pieces): tabs, trailing and missing whitespace, obs-text, every tchar, names
        // longer than eight bytes, and bad bytes before and after an eight-byte step.
        Case(name: "field value shapes", bytes: bytes(
            "HTTP/1.1 200 OK\r\nX-Tab:\ta\tb\t\r\nX-Empty:\r\nX-Trail: v  \r\nX-Obs: caf\u{E9} \u{80}\r\n"
            + "Access-Control-Allow-Credentials:true\r\nx!#$%&'*+.^_`|~0aZ: t\r\nCONTENT-LENGTH: 2 \r\n\r\nok")),
        Case(name: "DEL in a long value", bytes: bytes("HTTP/1.1 200 OK\r\nServer: abcdefghij\u{7F}k\r\n\r\n")),
        Case(name: "CR inside a value", bytes: bytes("HTTP/1.1 200 OK\r\nX-Long-Name: a\rb\r\n\r\n")),
        Case(name: "bare LF ends a field", bytes: bytes("HTTP/1.1 200 OK\r\nServer: x\nContent-Length: 0\r\n\r\n")),
        Case(name: "bad Content-Length after fields", bytes: bytes("HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length: 1x\r\n\r\n")),
        Case(name: "long name without a colon", bytes: bytes("HTTP/1.1 200 OK\r\nAccess-Control-Allow\r\n\r\n")),
        Case(name: "non-token after eight name bytes", bytes: bytes("HTTP/1.1 200 OK\r\nAccess-Control(Allow: x\r\n\r\n")),
        Case(name: "chunked named in capitals", bytes: bytes(
            "POST / HTTP/1.1\r\nHost: example.com\r\nTRANSFER-ENCODING: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"), isRequest: true),
        Case(name: "invalid host", bytes: bytes("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), isRequest: true),
    ]
}

/// What a stream of messages parsed to: one entry per message, comparable across splits.
struct Outcome: Equatable, CustomStringConvertible {
    var state: State
    var complete: Bool
    var error: HTTPQError?
    var startLine: String
    var headers: Headers
    var trailers: Headers
    var body: [UInt8]
    var buffer: [UInt8]

    var description: String { "\(startLine) \(state) complete=\(complete) error=\(String(describing: error))" }
}

/// Feeds `bytes` in the pieces given by `cuts` (ascending offsets), splitting messages as
/// they complete, and returns every message's outcome.
func outcomes(of testCase: Fixtures.Case, cuts: [Int]) -> [Outcome] {
    var pieces: [ArraySlice<UInt8>] = []
    var start = 0
    for cut in cuts + [testCase.bytes.count] where cut > start {
        pieces.append(testCase.bytes[start..<cut])
        start = cut
    }
    var results: [Outcome] = []
    if testCase.isRequest {
        var message = Request()
        func record(_ error: HTTPQError?) {
            results.append(Outcome(state: message.state, complete: message.isComplete, error: error,
                                   startLine: message.startLine.text, headers: message.headers,
                                   trailers: message.trailers, body: message.body, buffer: message.buffer))
        }
        for piece in pieces {
            var rest = piece[...]
            while !rest.isEmpty {
                do { rest = rest.dropFirst(try message.feed(rest)) } catch { record(error); return results }
                if message.isComplete { record(nil); message = Request() }
            }
        }
        if !message.buffer.isEmpty { do { try message.finish(); record(nil) } catch { record(error) } }
    } else {
        var message = Response(answering: testCase.answering)
        func record(_ error: HTTPQError?) {
            results.append(Outcome(state: message.state, complete: message.isComplete, error: error,
                                   startLine: message.startLine.text, headers: message.headers,
                                   trailers: message.trailers, body: message.body, buffer: message.buffer))
        }
        for piece in pieces {
            var rest = piece[...]
            while !rest.isEmpty {
                do { rest = rest.dropFirst(try message.feed(rest)) } catch { record(error); return results }
                if message.isComplete { record(nil); message = Response(answering: testCase.answering) }
            }
        }
        if !message.buffer.isEmpty { do { try message.finish(); record(nil) } catch { record(error) } }
    }
    return results
}

