import Testing
@testable import HTTPQ

/// HTTP dates, byte ranges and preconditions (RFC 9110 §5.6.7, §13, §14) as values.
@Suite struct ConditionalTests {
    @Test func theThreeDateFormsOfRFC9110() {
        let seconds = 784_111_777 // the RFC's example: Sun, 06 Nov 1994 08:49:37 GMT
        #expect(IMFDate.format(seconds) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(IMFDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == seconds)
        #expect(IMFDate.parse("Sunday, 06-Nov-94 08:49:37 GMT") == seconds)
        #expect(IMFDate.parse("Sun Nov  6 08:49:37 1994") == seconds)
        #expect(IMFDate.format(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(IMFDate.format(951_782_400) == "Tue, 29 Feb 2000 00:00:00 GMT")
        for seconds in [0, 86_399, 951_782_400, 1_700_000_000, 4_102_444_800, 253_402_300_799] {
            #expect(IMFDate.parse(IMFDate.format(seconds)) == seconds, "\(seconds)")
        }
    }

    @Test(arguments: ["", "yesterday", "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 UTC",
                      "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 nov 1994 08:49:37 GMT",
                      "Sun, 06 Nov 94 08:49:37 GMT", "Sunday, 6-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49 1994"])
    func invalidDatesAreNone(_ text: String) {
        #expect(IMFDate.parse(text) == nil)
    }

    @Test(arguments: [
        ("bytes=0-499", RangeRequest.single(0..<500)),
        ("bytes=500-999", .single(500..<1000)),
        ("bytes=-500", .single(9500..<10000)),
        ("bytes=9500-", .single(9500..<10000)),
        ("bytes=0-0,-1", .multiple([0..<1, 9999..<10000])),
        ("bytes= 0-9 , ,", .single(0..<10)),
        ("BYTES=0-9", .single(0..<10)),
        ("bytes=9990-20000", .single(9990..<10000)),
        ("bytes=0 - 9", .single(0..<10)),
        ("bytes=5-1,0-9", .single(0..<10)),
        ("bytes=0-9,10000-", .single(0..<10)),
        ("bytes=10000-", .unsatisfiable),
        ("bytes=-0", .unsatisfiable),
        ("bytes=10000-10001,20000-", .unsatisfiable),
        ("bytes=5-1", .unsatisfiable),
        // Malformed: rejected, as nginx and Go do (RFC 9110 §14.2 lets a server ignore or reject).
        ("bytes=0-99999999999999999999999", .unsatisfiable),
        ("bytes=99999999999999999999999-", .unsatisfiable),
        ("bytes=a-b", .unsatisfiable),
        ("bytes=+1-2", .unsatisfiable),
        ("bytes=0x1-2", .unsatisfiable),
        ("bytes=--5", .unsatisfiable),
        ("bytes=5", .unsatisfiable),
        ("bytes=-", .unsatisfiable),
        ("bytes=,", .unsatisfiable),
        ("bytes=1-2;3", .unsatisfiable),
        ("bytes=0-9,abc", .unsatisfiable),
        // Not a byte range at all: ignored.
        ("bytes=", .whole),
        ("bytes=  ", .whole),
        ("items=0-9", .whole),
        ("bytes 0-9", .whole),
        ("byte=0-9", .whole),
    ])
    func rangesOfATenThousandByteFile(_ field: String, _ expected: RangeRequest) {
        #expect(RangeRequest.evaluate(field, size: 10_000) == expected)
    }

    /// A range from the start of an empty file is ignored (a download resumed at 0 is not an
    /// error; nginx answers 200 too); one starting past it is unsatisfiable.
    @Test func anEmptyFileIsSentWholeToARangeFromItsStart() {
        for field in ["bytes=-5", "bytes=-0", "bytes=0-", "bytes=0-9", "bytes=5-9,0-"] {
            #expect(RangeRequest.evaluate(field, size: 0) == .whole, "\(field)")
        }
        for field in ["bytes=1-", "bytes=1-2,3-4", "bytes=5-2"] {
            #expect(RangeRequest.evaluate(field, size: 0) == .unsatisfiable, "\(field)")
        }
        #expect(RangeRequest.evaluate(nil, size: 0) == .whole)
    }

    static let etag = "\"abc-12\""
    static let modified = 1_000_000

    static func evaluate(_ fields: [(String, String)], method: String = "GET", exists: Bool = true) -> Preconditions.Outcome {
        var headers = Headers()
        for (name, value) in fields { headers.add(name, value) }
        return Preconditions.evaluate(headers, method: method, etag: exists ? etag : nil, lastModified: exists ? modified : nil)
    }

    @Test func preconditionsInTheOrderOfRFC9110() {
        let before = IMFDate.format(Self.modified - 1), at = IMFDate.format(Self.modified), after = IMFDate.format(Self.modified + 1)
        #expect(Self.evaluate([]) == .proceed)
        #expect(Self.evaluate([("If-None-Match", Self.etag)]) == .notModified)
        #expect(Self.evaluate([("If-None-Match", "W/\"abc-12\"")]) == .notModified, "weak comparison")
        #expect(Self.evaluate([("If-None-Match", "\"x\", \"abc-12\"")]) == .notModified)
        #expect(Self.evaluate([("If-None-Match", Self.etag)], method: "PUT") == .failed, "not GET or HEAD: 412")
        #expect(Self.evaluate([("If-None-Match", "*")], method: "PUT", exists: false) == .proceed, "create only")
        #expect(Self.evaluate([("If-None-Match", "*")], method: "PUT") == .failed)
        #expect(Self.evaluate([("If-Modified-Since", at)]) == .notModified)
        #expect(Self.evaluate([("If-Modified-Since", after)]) == .notModified)
        #expect(Self.evaluate([("If-Modified-Since", before)]) == .proceed)
        #expect(Self.evaluate([("If-Modified-Since", "garbage")]) == .proceed, "an invalid date is ignored")
        #expect(Self.evaluate([("If-None-Match", "\"x\""), ("If-Modified-Since", at)]) == .proceed, "If-None-Match wins")
        #expect(Self.evaluate([("If-Match", "\"x\"")]) == .failed)
        #expect(Self.evaluate([("If-Match", "W/\"abc-12\"")]) == .failed, "strong comparison")
        #expect(Self.evaluate([("If-Match", Self.etag)]) == .proceed)
        #expect(Self.evaluate([("If-Match", "*")], method: "PUT", exists: false) == .failed)
        #expect(Self.evaluate([("If-Unmodified-Since", before)]) == .failed)
        #expect(Self.evaluate([("If-Unmodified-Since", at)]) == .proceed)
        #expect(Self.evaluate([("If-Match", Self.etag), ("If-Unmodified-Since", before)]) == .proceed, "If-Match wins")
        #expect(Self.evaluate([("If-Match", "\"unterminated")]) == .failed, "a malformed list matches nothing")
    }

    @Test func onlyRequestsWithPreconditionsOrRangesAreLookedAt() {
        #expect(!Preconditions.mayApply(to: ["Host": "x", "Accept": "*/*", "User-Agent": "wrk"]))
        for name in ["If-None-Match", "if-modified-since", "If-Range", "range", "RANGE", "If-Match"] {
            #expect(Preconditions.mayApply(to: ["Host": "x", name: "v"]), "\(name)")
        }
    }

    @Test func ifRangeNamesTheCurrentVersionExactly() {
        func applies(_ value: String?) -> Bool {
            var headers = Headers()
            if let value { headers.add("If-Range", value) }
            return Preconditions.rangeApplies(headers, etag: Self.etag, lastModified: Self.modified)
        }
        #expect(applies(nil))
        #expect(applies(Self.etag))
        #expect(!applies("W/\"abc-12\""), "a weak tag never validates a range")
        #expect(!applies("\"other\""))
        #expect(applies(IMFDate.format(Self.modified)))
        #expect(!applies(IMFDate.format(Self.modified + 1)), "only the exact date")
        #expect(!applies("not a date"))
    }

    @Test func entityTagLists() {
        #expect(EntityTagList("*")?.isAny == true)
        #expect(EntityTagList("\"a,b\", W/\"c\"")?.tags.map { "\($0.opaque)\($0.weak)" } == ["a,bfalse", "ctrue"], "commas inside a tag")
        #expect(EntityTagList("\"a\" \"b\"") == nil)
        #expect(EntityTagList("a") == nil)
        #expect(EntityTagList("") == nil)
    }
}

/// Basic authorization (RFC 7617) and its base64 (RFC 4648 §10 test vectors).
@Suite struct BasicCredentialsTests {
    @Test(arguments: [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
                      ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")])
    func base64(_ text: String, _ encoded: String) {
        #expect(BasicCredentials.base64(Array(text.utf8)) == encoded)
    }

    @Test func theRFCExample() {
        #expect(BasicCredentials.authorization(user: "Aladdin", password: "open sesame") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
        #expect(BasicCredentials.authorization(user: "test", password: "123£") == "Basic dGVzdDoxMjPCow==", "UTF-8 (RFC 7617 §2.1)")
    }

    @Test(arguments: [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
                      ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"), ("fo", "Zm8"), ("foob", "Zm9vYg")])
    func base64Decoded(_ text: String, _ encoded: String) {
        let decoded = Array(encoded.utf8).withUnsafeBufferPointer { BasicCredentials.base64Decoded($0) }
        #expect(decoded == Array(text.utf8), "\(encoded), padding optional as nginx takes it")
    }

    @Test func decodedBackToUserAndPassword() throws {
        for (user, password) in [("Aladdin", "open sesame"), ("test", "123£"), ("u", "a:b:c"), ("", "")] {
            let decoded = try #require(BasicCredentials.decode(BasicCredentials.authorization(user: user, password: password)))
            #expect(decoded.user == user && decoded.password == password)
        }
        #expect(BasicCredentials.decode("basic   dTpw  ")! == ("u", "p"), "the scheme in any case, spaces around the token")
        #expect(BasicCredentials.decode("BASIC dQ==")! == ("u", ""), "no colon: all of it the user")
        for value in ["Bearer dTpw", "Basic", "Basic ", "Basicx dTpw", "Basic dT*w", "Basic d", "Digest username=\"u\""] {
            #expect(BasicCredentials.decode(value) == nil, "\(value)")
        }
    }
}
