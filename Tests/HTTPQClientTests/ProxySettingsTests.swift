import HTTPQClient
import Testing

/// Which proxy a URL takes, from curl's variables and lists, as values.
@Suite struct ProxySettingsTests {
    static func route(_ url: String, _ variables: [String: String]) throws -> String {
        try ProxySettings.environment(variables).proxy(for: try HTTPURL(url)).map(\.description) ?? "direct"
    }

    @Test(arguments: [
        // http: only the lower-case variable (HTTP_PROXY is the httpoxy hole), then all_proxy.
        ("http://a.test/", ["http_proxy": "p1:3128"], "http://p1:3128"),
        ("http://a.test/", ["HTTP_PROXY": "p1:3128"], "direct"),
        ("http://a.test/", ["HTTP_PROXY": "p1:3128", "ALL_PROXY": "p9"], "http://p9:1080"),
        ("http://a.test/", ["http_proxy": "", "all_proxy": "http://p9:9"], "http://p9:9"),
        // https: lower case first, then upper case, then all_proxy.
        ("https://a.test/", ["https_proxy": "p2:1", "HTTPS_PROXY": "p3:1"], "http://p2:1"),
        ("https://a.test/", ["HTTPS_PROXY": "p3:1"], "http://p3:1"),
        ("https://a.test/", ["http_proxy": "p1:1"], "direct"),
        ("https://a.test/", ["all_proxy": "p9:1", "ALL_PROXY": "p8:1"], "http://p9:1"),
        // no_proxy before NO_PROXY.
        ("http://a.test/", ["http_proxy": "p1:1", "no_proxy": "a.test", "NO_PROXY": "b.test"], "direct"),
        ("http://b.test/", ["http_proxy": "p1:1", "no_proxy": "a.test", "NO_PROXY": "b.test"], "http://p1:1"),
        ("http://b.test/", ["http_proxy": "p1:1", "NO_PROXY": "b.test"], "direct"),
    ])
    func variablesAreReadAsCurlReadsThem(_ url: String, _ variables: [String: String], _ expected: String) throws {
        #expect(try Self.route(url, variables) == expected)
    }

    @Test(arguments: [
        ("example.com", "example.com", true), ("example.com", "www.Example.COM", true), ("example.com", "badexample.com", false),
        (".example.com", "example.com", true), (".example.com", "a.b.example.com", true),
        ("example.com:8080", "example.com", true), ("*", "anything.test", true), (" a.test , b.test ", "b.test", true),
        ("127.0.0.1", "127.0.0.1", true), ("127.0.0.1", "127.0.0.2", false), ("10.0.0.0/8", "10.200.3.4", true),
        ("10.0.0.0/8", "11.0.0.1", false), ("::1", "::1", true), ("[::1]", "::1", true), ("fd00::/8", "fd12::5", true),
        ("fd00::/8", "fe80::1", false), ("10.0.0.0/8", "ten.test", false), ("", "a.test", false),
    ])
    func noProxyMatchesNamesAddressesAndBlocks(_ list: String, _ host: String, _ matches: Bool) {
        #expect(NoProxy(list).matches(host) == matches)
    }

    @Test func proxyURLsAreCheckedAndCredentialsHidden() throws {
        let proxy = try Proxy(url: "http://ann:p%40ss@proxy.test:3128")
        #expect(proxy.host == "proxy.test" && proxy.port == 3128 && proxy.user == "ann" && proxy.password == "p@ss")
        #expect(proxy.description == "http://proxy.test:3128")
        #expect(try Proxy(url: "proxy.test").port == 1080)
        #expect(try Proxy(url: "[::1]").port == 1080 && (try Proxy(url: "[::1]:8")).port == 8)
        #expect(throws: ClientError.invalidURL("socks5://proxy.test", reason: "only http:// proxies are supported, not socks5://")) {
            try Proxy(url: "socks5://proxy.test")
        }
        #expect(throws: ClientError.self) { try ProxySettings.environment(["https_proxy": "https://secure.test"]) }
    }
}
