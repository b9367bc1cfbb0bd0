import Testing
import TestSupport
@testable import HTTPQ

@Suite struct HeadersTests {
    @Test func keepsOrderNamesAndRepeats() {
        var headers: Headers = ["Set-Cookie": "a=1", "set-cookie": "b=2", "Date": "Tue, 09 Nov 2021 18:29:18 GMT"]
        #expect(headers.map(\.name) == ["Set-Cookie", "set-cookie", "Date"])
        #expect(headers.values(for: "SET-COOKIE") == ["a=1", "b=2"])
        #expect(headers["date"] == "Tue, 09 Nov 2021 18:29:18 GMT")
        headers["Set-Cookie"] = "c=3"
        #expect(headers.values(for: "set-cookie") == ["c=3"])
        #expect(headers.first?.name == "Set-Cookie")
        headers["DATE"] = nil
        #expect(!headers.contains("Date"))
        headers.add("X", "1")
        #expect(headers.count == 2)
    }

    @Test func parsedValuesAreNeverSplitOnCommas() throws {
        let response = try Response.parse(
            "HTTP/1.1 200 OK\r\nDate: Tue, 09 Nov 2021 18:29:18 GMT\r\nVary: a, b\r\nContent-Length: 0\r\n\r\n".utf8)
        #expect(response.headers.values(for: "date") == ["Tue, 09 Nov 2021 18:29:18 GMT"])
        #expect(response.headers.values(for: "vary") == ["a, b"])
        #expect(response.headers.tokens(of: "vary") == ["a", "b"])
    }

    @Test func valuesAreTrimmedNamesKeptAsSent() throws {
        let request = try Request.parse("GET / HTTP/1.0\r\nx-CUSTOM-name:\t  spaced value \t\r\n\r\n".utf8)
        #expect(request.headers.first == Headers.Field(name: "x-CUSTOM-name", value: "spaced value"))
    }

    @Test func typedHelpers() {
        let headers: Headers = ["Content-Length": "12", "Transfer-Encoding": "gzip, Chunked", "Connection": "Keep-Alive, Upgrade"]
        #expect(headers.contentLength == 12)
        #expect(headers.isChunked)
        #expect(headers.transferCodings == ["gzip", "chunked"])
        #expect(headers.connection == ["keep-alive", "upgrade"])
        #expect(Headers(["Content-Length": "1", "content-length": "2"].sorted { $0.key < $1.key }).contentLength == nil)
        #expect((["Content-Length": "-1"] as Headers).contentLength == nil)
    }
}

@Suite struct HeaderTokenTests {
    @Test(arguments: [
        ("Connection", "close", "close", true),
        ("connection", "Keep-Alive, Upgrade", "keep-alive", true),
        ("Connection", "  upgrade ,\tCLOSE  ", "close", true),
        ("Connection", "closed", "close", false),
        ("Connection", "keep-alive", "close", false),
        ("Connection", "", "close", false),
        ("Proxy-Connection", "close", "close", false),
    ])
    func containsTokenMatchesListItemsWithoutCase(name: String, value: String, token: String, expected: Bool) {
        let headers = Headers([(name, value)])
        #expect(headers.containsToken(token, in: "Connection") == expected)
        #expect(headers.containsToken(token, in: "Connection") == headers.tokens(of: "Connection").contains(token))
    }

    @Test func repeatedFieldsAreAllSearched() throws {
        var response = Response()
        _ = try response.feed("HTTP/1.1 200 OK\r\nConnection: upgrade\r\nConnection: close\r\nContent-Length: 0\r\n\r\n".utf8)
        #expect(response.headers.containsToken("close", in: "Connection"))
        #expect(!response.headers.containsToken("keep-alive", in: "Connection"))
    }

    /// A server's one pass over a handler's fields: framing fields left out whatever their
    /// case, the rest written as given, and Date, Server and `Connection: close` noticed.
    @Test func responseHeadPassLeavesOutFramingAndNotesTheRest() {
        let headers: Headers = ["content-LENGTH": "5", "X-A": "1", "Transfer-Encoding": "chunked", "DATE": "d",
                                "Connection": "keep-alive, Close", "Server": "s", "X-Connection": "close", "Servers": "x"]
        var out: [UInt8] = []
        let facts = headers.appendForResponseHead(to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "X-A: 1\r\nDATE: d\r\nServer: s\r\nX-Connection: close\r\nServers: x\r\n")
        #expect(facts.hasDate && facts.hasServer && facts.asksToClose)
        var plain: [UInt8] = []
        let none = (["Content-Type": "text/plain", "Connection": "keep-alive"] as Headers).appendForResponseHead(to: &plain)
        #expect(!none.hasDate && !none.hasServer && !none.asksToClose)
        #expect(String(decoding: plain, as: UTF8.self) == "Content-Type: text/plain\r\n")
    }

    /// A parsed head's lines are copied as runs only where they are written exactly as a
    /// response writes them; `name:value`, padded values and bare line feeds are rewritten.
    @Test func responseHeadPassRewritesLinesNotInCanonicalForm() throws {
        var request = Request(leniency: .bareLineFeed)
        let head = "GET / HTTP/1.1\r\nHost: h\r\nA:1\r\nB:  2  \r\nC: 3\r\nContent-Length: 0\r\nD: 4\nE: 5\r\n\r\n"
        _ = try request.feed(Array(head.utf8))
        var out: [UInt8] = []
        _ = request.headers.appendForResponseHead(to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "Host: h\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n")
    }

    /// The one pass against the four it replaced (write every field but the framing ones,
    /// then ask for Date, Server and Connection: close), over random field sets.
    @Test func responseHeadPassAgreesWithFourSeparatePasses() {
        var generator = SystemRandomNumberGenerator()
        let names = ["Content-Length", "content-length", "Transfer-Encoding", "TRANSFER-ENCODING", "Connection", "connection",
                     "Date", "date", "Server", "SERVER", "Servers", "X-Date", "Content-Type", "Dat", "Connectio", "ETag"]
        let values = ["close", "keep-alive", "Close, upgrade", "x", "", "closed", " close ", "5"]
        for _ in 0..<2_000 {
            var headers = Headers()
            for _ in 0..<Int.random(in: 0...8, using: &generator) {
                let name = names.randomElement(using: &generator)!, value = values.randomElement(using: &generator)!
                // Replaced and removed fields break the runs of lines `add` stores back to back.
                switch Int.random(in: 0..<6, using: &generator) {
                case 0: headers[name] = value
                case 1: headers.remove(name)
                default: headers.add(name, value)
                }
            }
            var expected: [UInt8] = []
            headers.forEachRaw(excluding: ["Content-Length", "Transfer-Encoding", "Connection"]) { name, value in
                expected += name + Array(": ".utf8) + value + [13, 10]
            }
            var out: [UInt8] = []
            let facts = headers.appendForResponseHead(to: &out)
            #expect(out == expected, "\(headers)")
            #expect(facts.hasDate == headers.contains("Date") && facts.hasServer == headers.contains("Server"))
            #expect(facts.asksToClose == headers.containsToken("close", in: "Connection"), "\(headers)")
        }
    }

    /// The access log's lookup (two names in one pass, the longer compared eight bytes at a
    /// time with case folded) finds what `headers[name]` finds, for names in any case and
    /// near misses of every length around a word: the request line comes back as received.
    @Test func rawValuesAgreeWithTheSubscript() throws {
        let nearMisses = ["User-Agen", "User-Agentt", "Uses-Agent", "User_Agent", "Us~r-Agent", "User-Agenu", "user-agent",
                          "USER-AGENT", "Referer", "rEFERER", "Referrer", "Refere", "X-Referer", "Accept-Encoding"]
        var generator = SplitMix64(seed: 17)
        for _ in 0..<300 {
            let names = (0..<Int.random(in: 0...5, using: &generator)).map { _ in nearMisses.randomElement(using: &generator)! }
            var text = "GET /path?q=1 HTTP/1.1\r\nHost: a\r\n"
            for (index, name) in names.enumerated() { text += "\(name): v\(index)\r\n" }
            var request = Request()
            try request.feed(Array((text + "\r\n").utf8))
            let (referer, agent) = request.withRawFieldValues("Referer", "User-Agent") { referer, agent in
                (referer.map { String(decoding: $0, as: UTF8.self) }, agent.map { String(decoding: $0, as: UTF8.self) })
            }
            #expect(referer == request.headers["Referer"] && agent == request.headers["User-Agent"], "\(names)")
            let line = request.withRequestLineBytes { line in
                [line.line, line.method, line.target, line.version].map { String(decoding: $0, as: UTF8.self) }
            }
            #expect(line == ["GET /path?q=1 HTTP/1.1", "GET", "/path?q=1", "HTTP/1.1"])
        }
        // A request built from its fields has the line its fields make (split where they meet,
        // even around a space a parser would refuse); replaced headers are the ones read.
        var built = Request(method: "GET", target: "/a b", headers: ["User-Agent": "a"])
        #expect(built.withRequestLineBytes { line in
            [line.line, line.method, line.target, line.version].map { String(decoding: $0, as: UTF8.self) }
        } == ["GET /a b HTTP/1.1", "GET", "/a b", "HTTP/1.1"])
        built.headers = ["referer": "r"]
        #expect(built.withRawFieldValues("Referer", "User-Agent") { referer, agent in
            referer.map { String(decoding: $0, as: UTF8.self) } == "r" && agent == nil })
    }

    /// The request line lent to an access log is the line as received, split at its spaces,
    /// for every request-target form, after empty lines before the request, and fed in pieces.
    @Test func requestLineBytesAreTheLineAsReceived() throws {
        let lines = ["GET / HTTP/1.1", "OPTIONS * HTTP/1.1", "CONNECT example.com:443 HTTP/1.1",
                     "GET http://example.com/a?b=c HTTP/1.1", "PROPFIND /dav/x%20y HTTP/1.0",
                     "M-SEARCH /" + String(repeating: "t", count: 300) + " HTTP/1.1"]
        for line in lines {
            for prefix in ["", "\r\n", "\r\n\r\n"] {
                for piece in [0, 1, 7] {
                    let bytes = Array((prefix + line + "\r\nHost: a\r\n\r\n").utf8)
                    var request = Request()
                    if piece == 0 {
                        try request.feed(bytes)
                    } else {
                        for start in stride(from: 0, to: bytes.count, by: piece) {
                            try request.feed(Array(bytes[start..<min(start + piece, bytes.count)]))
                        }
                    }
                    let parts = request.withRequestLineBytes { line in
                        [line.line, line.method, line.target, line.version].map { String(decoding: $0, as: UTF8.self) }
                    }
                    let words = line.split(separator: " ").map(String.init)
                    #expect(parts == [line] + words, "\(line), after \(prefix.utf8.count) bytes of empty lines, pieces of \(piece)")
                }
            }
        }
    }
}
