import Testing
@testable import HTTPQ

/// RFC 3986 percent-decoding, shared by the server's paths and the client's URL parts.
@Suite struct PercentDecodingTests {
    @Test(arguments: [
        ("plain", "plain"), ("a%2Fb", "a/b"), ("%41%62c", "Abc"), ("%e2%82%ac", "€"), ("100%25", "100%"), ("", ""),
    ])
    func decodes(_ text: String, _ expected: String) {
        var text = text
        let decoded = text.withUTF8 { PercentDecoding.decode($0) }
        #expect(decoded.map { String(decoding: $0, as: UTF8.self) } == expected)
    }

    /// A `%` needs two hexadecimal digits: a sign (which `UInt8(_:radix:)` takes), a space, a
    /// letter past F or the end of the text make the escape broken.
    @Test(arguments: ["%", "%4", "%+f", "%-0", "% 1", "%zz", "%4g", "abc%"])
    func brokenEscapesAreRefused(_ text: String) {
        var text = text
        #expect(text.withUTF8 { PercentDecoding.decode($0) } == nil)
    }
}
