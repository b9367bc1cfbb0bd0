import Foundation
import Testing
import TestSupport

/// `httpq fetch` through Debian's tinyproxy: the environment as curl reads it, `-x` over it,
/// `--noproxy` over `no_proxy`.
@Suite struct ProxyCommandTests {
    /// The test's environment without any proxy variable, plus `extra`.
    static func environment(_ extra: [String: String]) -> [String] {
        let names: Set = ["http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY", "HTTP_PROXY"]
        return ProcessInfo.processInfo.environment.filter { !names.contains($0.key) }.map { "\($0.key)=\($0.value)" }
            + extra.map { "\($0.key)=\($0.value)" }
    }

    @Test func theEnvironmentDashXAndNoproxyChooseTheRoute() async throws {
        try await offPool {
            let proxy = try Tinyproxy()
            let origin = try RecordingOrigin { _ in RecordingOrigin.ok("proxied?") }
            defer { origin.stop() }
            let url = "http://127.0.0.1:\(origin.port)/x"
            let dead = "http://127.0.0.1:\(refusedPort())"
            // (arguments, environment, through the proxy)
            let cases: [([String], [String: String], Bool)] = [
                ([], ["http_proxy": proxy.url], true),
                ([], ["HTTP_PROXY": dead], false),                      // ignored, as curl (httpoxy)
                (["-x", proxy.url], ["http_proxy": dead], true),        // -x wins over the environment
                ([], ["http_proxy": proxy.url, "no_proxy": "127.0.0.0/8"], false),
                (["--noproxy", "127.0.0.1"], ["http_proxy": proxy.url], false),
                (["--noproxy", ""], ["http_proxy": proxy.url, "NO_PROXY": "*"], true), // --noproxy wins over NO_PROXY
            ]
            for (arguments, variables, proxied) in cases {
                let before = proxy.requests.count
                let result = try ChildProcess.run(CLI.executable, ["fetch", "--json"] + arguments + [url],
                                                  environment: Self.environment(variables))
                #expect(result.status == 0, "\(arguments) \(variables): \(result.stdoutText)\(result.stderrText)")
                #expect((proxy.requests.count > before) == proxied, "\(arguments) \(variables): \(proxy.requests)")
            }
            #expect(origin.received.count == cases.count)
        }
    }

    @Test func anUnusableProxyIsAnErrorNotADirectFetch() async throws {
        try await offPool {
            let origin = try RecordingOrigin { _ in RecordingOrigin.ok() }
            defer { origin.stop() }
            let result = try ChildProcess.run(CLI.executable, ["fetch", "http://127.0.0.1:\(origin.port)/"],
                                              environment: Self.environment(["http_proxy": "socks5://127.0.0.1:1"]))
            #expect(result.status != 0)
            #expect(result.stderrText.contains("only http:// proxies are supported"), "\(result.stderrText)")
            #expect(origin.received.isEmpty)
        }
    }
}
