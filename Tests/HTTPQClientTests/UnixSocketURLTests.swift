import HTTPQClient
import Testing

/// The URL form of a Unix domain socket (AsyncHTTPClient's `http+unix://`) and its address.
@Suite struct UnixSocketURLTests {
    @Test func theHostIsThePercentEncodedPath() throws {
        let url = try HTTPURL("http+unix://%2Frun%2Fapp%20one.sock/api/items?page=2#top")
        #expect(url.socketPath == "/run/app one.sock" && url.host == "localhost" && url.target == "/api/items?page=2")
        #expect(!url.usesTLS && url.authority == "localhost")
        #expect(url.description == "http+unix://%2Frun%2Fapp%20one.sock/api/items?page=2")
        #expect(try HTTPURL(url.description) == url, "description parses back")
        let secure = try HTTPURL("HTTPS+UNIX://%2Ftmp%2Fs.sock")
        #expect(secure.usesTLS && secure.target == "/" && secure.socketPath == "/tmp/s.sock")
    }

    @Test func aRelativeRedirectStaysOnTheSocket() throws {
        let url = try HTTPURL("http+unix://%2Ftmp%2Fs.sock/a/b")
        #expect(try url.resolving("../c").socketPath == "/tmp/s.sock")
        #expect(try url.resolving("http://localhost/c").socketPath == nil, "an absolute URL is another origin")
        #expect(!url.isSameOrigin(as: try HTTPURL("http://localhost/a/b")))
    }

    @Test(arguments: ["http+unix:///x", "http+unix://%2F" + String(repeating: "a", count: 120) + "/x", "http+unix://%zz/x",
                      "http+unix://%2Ftmp%+2f/x", "http://ann:%+1@h/"]) // a sign is not a hex digit (UInt8(_:radix:) took it)
    func unusablePathsAreRefused(_ text: String) {
        #expect(throws: ClientError.self) { try HTTPURL(text) }
    }

    @Test func addressesOfPaths() {
        #expect(SocketAddress(unixPath: "/tmp/a.sock")?.description == "unix:/tmp/a.sock")
        #expect(SocketAddress(unixPath: "/tmp/a.sock")?.port == 0)
        #expect(SocketAddress(unixPath: String(repeating: "x", count: SocketAddress.maxUnixPathBytes)) != nil)
        #expect(SocketAddress(unixPath: String(repeating: "x", count: SocketAddress.maxUnixPathBytes + 1)) == nil)
        #expect(SocketAddress(unixPath: "") == nil)
    }
}
