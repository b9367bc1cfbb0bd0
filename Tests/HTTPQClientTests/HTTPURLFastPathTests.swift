import Testing
@testable import HTTPQClient

/// `HTTPURL`'s one-scan path for common URLs must agree with the general parser on every
/// URL it takes, and leave to it every URL it does not understand.
@Suite struct HTTPURLFastPathTests {
    private static func general(_ text: String) -> HTTPURL? { try? HTTPURL(general: text) }

    @Test func commonURLsTakeTheFastPathAndMatchTheGeneralParser() {
        for text in ["http://example.com/", "https://example.com", "HTTP://Example.COM:8080/a/b?c=d&e=%41",
                     "http://127.0.0.1:18081/index.html", "https://a-b.c-d.example:443/?q", "http://h:0123/x",
                     "http://a..b/", "http://h?x=/./y", "https://h/a.b/c..d/e."] {
            let fast = HTTPURL.simple(text)
            #expect(fast != nil, "\(text) should take the fast path")
            #expect(fast == Self.general(text), "\(text): fast \(String(describing: fast)), general \(String(describing: Self.general(text)))")
        }
    }

    @Test func unusualURLsAreLeftToTheGeneralParser() {
        for text in ["http://user:pw@h/", "http://[::1]:80/", "http://h/a#frag", "http://h/./a", "http://h/a/../b",
                     "http://h:/", "http://h:99999/", "http://h:1234567/", "http://h_x/", "http://h%41/", "http+unix://%2Ftmp%2Fs/",
                     "ftp://h/", "http:/h/", "http://", "http://h/a b", "http://h/\u{1}", "httpx://h/", "http://h:8x/"] {
            #expect(HTTPURL.simple(text) == nil, "\(text) should go to the general parser")
        }
    }

    /// Random strings over the bytes URLs are made of: wherever the fast path answers, the
    /// general parser gives the same URL.
    @Test func randomURLsNeverDisagree() {
        var generator = SystemRandomNumberGenerator()
        let pieces = ["http", "https", "HTTP", "://", ":", "/", "?", "#", "@", ".", "..", "-", "[", "]", "%2F", "a", "Z", "9",
                      "80", "443", "65536", "0", "x.y", " ", "=", "&", "~", "_"]
        var fastCount = 0
        for _ in 0..<20_000 {
            var text = ["http://", "https://", "HTTP://", ""].randomElement(using: &generator)!
            for _ in 0..<Int.random(in: 1...8, using: &generator) { text += pieces.randomElement(using: &generator)! }
            guard let fast = HTTPURL.simple(text) else { continue }
            fastCount += 1
            #expect(fast == Self.general(text), "\(text)")
        }
        #expect(fastCount > 1_000, "the generator should reach the fast path often")
    }
}
