import Testing
import TestSupport
import Foundation
@testable import HTTPQ

/// `reset()` / `reset(answering:)`: the next message parsed into the same value must be the
/// message a fresh value would give, whatever the last one left behind (fields, a chunked
/// body's trailers, a failure, a HEAD answer), and a copy taken before must not change.
@Suite struct ResetTests {
    static let responses: [[UInt8]] = [
        Array("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\nX-B: 2\r\n\r\nhello".utf8),
        Array("HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Trailer: t\r\n\r\n".utf8),
        Array("HTTP/1.0 204 No Content\r\n\r\n".utf8),
        Array("HTTP/1.1 301 Moved\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n".utf8),
    ]

    static func parsed(_ bytes: [UInt8], into response: inout Response) throws {
        for byte in bytes { try response.feed([byte]) }
    }

    static func same(_ a: Response, _ b: Response) -> Bool {
        a.status == b.status && a.reason == b.reason && a.version == b.version && a.state == b.state
            && a.isComplete == b.isComplete && a.headers == b.headers && a.trailers == b.trailers
            && a.body == b.body && a.buffer == b.buffer && a.framing == b.framing
    }

    /// Every stored property of the parser, by reflection (a property added later and not
    /// reset shows here): labels and values as text; arrays print their elements, not their
    /// capacity, so kept storage does not count.
    static func properties(of parser: MessageParser) -> [String] {
        Mirror(reflecting: parser).children.map { "\($0.label ?? "?") = \(String(reflecting: $0.value))" }
    }

    /// After any message (whole, in pieces, failed, with trailers, with headers replaced, a
    /// request with leading empty lines), `reset` leaves every stored property as a fresh
    /// parser has it, the setting `keepsBody` aside.
    @Test func resetLeavesEveryPropertyAsAFreshParser() throws {
        var messages = Self.responses
        messages.append(Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n".utf8)) // fails
        messages.append(Array("HTTP/1.1 200 OK\r\nContent-Len".utf8)) // cut short
        for bytes in messages {
            for piece in [0, 1, 7] {
                var response = Response(answering: "HEAD")
                var offset = 0
                let step = piece == 0 ? bytes.count : piece
                while offset < bytes.count {
                    _ = try? response.feed(bytes[offset..<min(offset + step, bytes.count)])
                    offset += step
                }
                response.headers["X-Replaced"] = "1"
                response.trailers["X-Replaced"] = "1"
                response.reset(answering: "GET")
                #expect(Self.properties(of: response.parser) == Self.properties(of: Response().parser),
                        "\(String(decoding: bytes, as: UTF8.self)) in pieces of \(piece)")
            }
        }
        var request = Request()
        _ = try request.feed(Array("\r\n\r\nPOST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nT: 1\r\n\r\n".utf8))
        #expect(request.isComplete)
        request.reset()
        #expect(Self.properties(of: request.parser) == Self.properties(of: Request().parser))
    }

    @Test func everyOrderOfMessagesParsesAsInAFreshValue() throws {
        for first in Self.responses {
            for second in Self.responses {
                var reused = Response()
                try Self.parsed(first, into: &reused)
                reused.reset()
                try Self.parsed(second, into: &reused)
                var fresh = Response()
                try Self.parsed(second, into: &fresh)
                #expect(Self.same(reused, fresh), "\(String(decoding: first, as: UTF8.self)) then \(String(decoding: second, as: UTF8.self))")
            }
        }
    }

    @Test func aCopyTakenBeforeTheResetKeepsItsMessage() throws {
        var response = Response()
        try response.feed(Self.responses[0])
        let kept = response
        let keptHeaders = response.headers
        response.reset()
        try response.feed(Self.responses[3])
        #expect(kept.status == 200 && kept.headers["X-A"] == "1" && kept.body == Array("hello".utf8))
        #expect(keptHeaders["X-B"] == "2" && keptHeaders.count == 3)
        #expect(response.status == 301 && response.headers["Location"] == "/elsewhere" && response.headers["X-A"] == nil)
    }

    @Test func theAnsweredMethodLimitsLeniencyAndKeepsBodyCarryOver() throws {
        var response = Response(limits: Limits(maxHeadBytes: 80), leniency: .bareLineFeed)
        response.keepsBody = false
        try response.feed(Array("HTTP/1.1 200 OK\nContent-Length: 3\n\nabc".utf8)) // bare LF: the leniency
        #expect(response.isComplete && response.body.isEmpty)
        response.reset(answering: "HEAD")
        try response.feed(Array("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n".utf8))
        #expect(response.isComplete, "a HEAD answer has no body")
        #expect(response.body.isEmpty && !response.keepsBody)
        response.reset()
        #expect(throws: HTTPQError.self, "the head limit still holds") {
            try response.feed(Array("HTTP/1.1 200 OK\r\nX-Long: \(String(repeating: "a", count: 100))\r\n\r\n".utf8))
        }
    }

    @Test func aFailedMessageIsForgotten() throws {
        var request = Request()
        #expect(throws: HTTPQError.self) { try request.feed(Array("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n".utf8)) }
        #expect(request.error != nil)
        request.reset()
        #expect(request.error == nil && request.state == .top && request.buffer.isEmpty)
        try request.feed(Array("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi".utf8))
        var fresh = Request()
        try fresh.feed(Array("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi".utf8))
        #expect(request.method == "POST" && request.target == "/p" && request.body == Array("hi".utf8))
        #expect(request.headers == fresh.headers && request.buffer == fresh.buffer && request.isComplete)
    }

    /// Docs/Parsing.md, "One value for a connection's messages", as written there.
    @Test func docExample() throws {
        let messages = Self.responses
        var statuses: [Int] = []
        var response = Response()
        for message in messages {
            response.reset(answering: "GET")
            try response.feed(message)
            statuses.append(response.status)
        }
        #expect(statuses == [200, 404, 204, 301])
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let blocks = try checkedDocBlocks("Parsing.md", marker: "ResetTests.docExample")
        #expect(blocks.count == 1)
        for line in linesMissing(from: source, in: blocks) { Issue.record("not compiled by a test: \(line)") }
    }

    @Test func aBuiltMessageResetsToAnEmptyOne() throws {
        var request = Request(method: "GET", target: "/x", headers: ["Host": "h"])
        request.reset()
        #expect(request.state == .top && !request.isComplete && request.headers.count == 0)
        try request.feed(Array("GET /y HTTP/1.1\r\nHost: h\r\n\r\n".utf8))
        #expect(request.target == "/y" && request.buffer == Array("GET /y HTTP/1.1\r\nHost: h\r\n\r\n".utf8))
    }
}
