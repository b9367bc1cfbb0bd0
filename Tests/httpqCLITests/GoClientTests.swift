import Foundation
import Testing
import TestSupport

/// `httpq serve` against Go's net/http client and its keep-alive pool (four connections a
/// host), as a Go service calls an upstream (`TestPeers/go_client.go`): what `NodeClientTests`
/// asks, in Go's manner — it asks for gzip on every request, sends a body of unknown length
/// chunked, waits for `100 Continue` when told to expect it — and a 404 after which the pooled
/// connection goes on.
@Suite struct GoClientTests {
    /// Not skipped when Go is missing: `scripts/setup.sh` (the README's test command)
    /// installs it, and a run without it fails saying so.
    @Test func goClientsPoolGetsEveryAnswer() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: GoPeers.go), "Go is not installed: run scripts/setup.sh")
        let client = try #require(GoPeers.build("go_client"), "TestPeers/go_client.go did not build")
        try await offPool {
            let served = try ServeCommandTests.Served(extra: ["--allow-put"])
            let run = try ChildProcess.run(client, [served.base, served.root.appendingPathComponent("big.bin").path],
                                           timeout: .seconds(120))
            let outcome = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout)) as? [String: Any],
                                       "\(run.stdoutText) \(run.stderrText)")
            NodeClientTests.expectEveryAnswer(outcome)
            #expect(outcome["missingThenIndex"] as? [AnyHashable] == [404, 200, "<h1>home</h1>\n"], "\(outcome)")
        }
    }
}
