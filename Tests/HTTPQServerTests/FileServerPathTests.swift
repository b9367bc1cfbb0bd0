import Testing
@testable import HTTPQServer

/// The request target as a path beneath the root: what FileServer hands the kernel.
@Suite struct FileServerPathTests {
    @Test func targetsBecomeRelativePaths() {
        let cases: [(String, String?)] = [
            ("/", ""), ("/index.html", "index.html"), ("/a/b.txt?x=1&y=%zz", "a/b.txt"), ("/?q", ""),
            ("/caf%C3%A9.txt", "café.txt"), ("/a%2fb", "a/b"), ("/%41%62c", "Abc"), ("/é/ü", "é/ü"),
            ("/a%", nil), ("/a%4", nil), ("/a%g1", nil), ("/a%+1", nil), ("/a%00b", nil), ("/%2Fetc/passwd", nil),
            ("index.html", nil), ("http://h/x", nil), ("*", nil), ("", nil),
        ]
        for (target, expected) in cases {
            #expect(FileServer.relativePath(of: target) == expected, "\(target)")
        }
    }
}
